"""The policy knowledge base: topics, departments and parks of the Gansu 2015 plan, and the eligibility engine.

Pure Python: nothing here imports Rasa, so the engine can be tested and reused on its own.
"""

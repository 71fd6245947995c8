"""NLU: training data, text normalisation, fact extraction and custom Rasa components."""

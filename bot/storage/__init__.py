"""Project storage (SQLAlchemy 1.4): hand-off requests now; conversation turns for review later."""

"""Project storage (SQLAlchemy 1.4, Alembic): turns for review, hand-offs, channel state."""

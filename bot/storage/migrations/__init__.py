"""Alembic migrations of the project's tables (run by ``bot.storage.migrate``)."""

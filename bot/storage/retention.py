"""Retention: conversation data older than N days is deleted (``chuangye retention --days N``).

Deleted: the review log (``turns``) and Rasa's stored dialogue events (``events``, timestamps as float epoch
seconds). Kept: hand-off requests and the review console's own records, such as its audit log.
"""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.database import engine_for
from bot.storage.turns import cutoff, turns

DEFAULT_RETENTION_DAYS = 180

# Rasa's tracker store table, described only as far as the purge needs it.
_rasa_events = sa.table("events", sa.column("timestamp", sa.Float))


def purge(database_url: str, days: int) -> dict[str, int]:
    """Delete turns and Rasa events older than ``days`` days; returns how many rows of each were deleted."""
    before = cutoff(days)
    engine = engine_for(database_url)
    with engine.begin() as connection:
        deleted_turns = connection.execute(turns.delete().where(turns.c.timestamp < before)).rowcount
        deleted_events = 0
        if sa.inspect(connection).has_table("events"):  # absent until the Rasa server has run on this database
            deleted_events = connection.execute(
                _rasa_events.delete().where(_rasa_events.c.timestamp < before.timestamp())).rowcount
    return {"turns": deleted_turns, "events": deleted_events}

"""Retention: conversation data older than N days is deleted (``chuangye retention --days N``).

Every table of the project database is either purged here (``PURGED``: the table and the column that dates a
row) or listed in ``KEPT`` with the reason; a test fails on a table that is in neither, so a new table cannot
slip past retention unnoticed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from bot.storage.database import engine_for
from bot.storage.turns import cutoff

DEFAULT_RETENTION_DAYS = 180


@dataclass(frozen=True)
class Purged:
    """A table whose rows go once their date is past the cutoff."""

    table: str
    dated_by: str
    epoch_seconds: bool = False  # Rasa's ``events`` keep float epoch seconds, the project's tables timestamps
    until_expiry: bool = False  # dated by an expiry: gone once it has passed, whatever the retention period

    def statement(self, before: dt.datetime) -> sa.sql.Delete:
        column_type = sa.Float if self.epoch_seconds else sa.DateTime(timezone=True)
        table = sa.table(self.table, sa.column(self.dated_by, column_type))
        moment = dt.datetime.now(dt.timezone.utc) if self.until_expiry else before
        limit = moment.timestamp() if self.epoch_seconds else moment
        return table.delete().where(table.c[self.dated_by] < limit)


PURGED = (
    Purged("turns", "timestamp"),  # the review log
    Purged("events", "timestamp", epoch_seconds=True),  # Rasa's dialogue state (made by Rasa on first use)
    Purged("handoff_requests", "created_at"),
    Purged("inbound_messages", "received_at"),  # seen message ids (hashed), for duplicate deliveries
    Purged("signed_requests", "seen_at"),  # hashes of signature parameters, against replays
    Purged("channel_menus", "updated_at"),  # the last numbered menu sent to a sender
    Purged("undelivered_messages", "failed_at"),
    Purged("sms_outbox", "created_at"),  # what the development SMS gateway "sent"
    Purged("login_attempts", "at"),  # console sign-ins: staff names and addresses
    Purged("staff_sessions", "expires_at", until_expiry=True),
)

KEPT = {
    "sms_opt_outs": "an SMS opt-out must outlast the conversation; it holds a salted hash and a date only",
    "staff": "the console's accounts, removed by an administrator",
    "audit_log": "what staff did, for accountability; it names staff, not users",
    "alembic_version": "the schema version",
}


def purge(database_url: str, days: int) -> dict[str, int]:
    """Delete the rows of every purged table older than ``days`` days (expired console sessions, whatever their
    age); returns how many rows of each table were deleted. Tables not made yet are skipped."""
    before = cutoff(days)
    deleted: dict[str, int] = {}
    with engine_for(database_url).begin() as connection:
        present = set(sa.inspect(connection).get_table_names())
        for purged in PURGED:
            deleted[purged.table] = (connection.execute(purged.statement(before)).rowcount
                                     if purged.table in present else 0)
    return deleted

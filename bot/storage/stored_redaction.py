"""Redaction of what is already stored, with today's rules: the body of the migrations that widen redaction
(0005 for the channel tables, 0008, 0009, 0010 for every table that holds conversation text)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa

from bot.storage.redaction import redact, redacted

# Tables whose text columns hold conversation text (Rasa's ``events`` are redacted as JSON, see below).
TEXT_COLUMNS = {"turns": ("user_text", "reply_text"), "undelivered_messages": ("text", "error"),
                "sms_outbox": ("text",)}


def redact_columns(connection: sa.engine.Connection, name: str, columns: Sequence[str]) -> None:
    """Redact each non-empty value of ``columns`` in table ``name``, writing back only the rows that change."""
    table = sa.table(name, sa.column("id", sa.Integer), *(sa.column(column, sa.Text) for column in columns))
    for row in connection.execute(sa.select(table)).fetchall():
        values = {column: row._mapping[column] for column in columns if row._mapping[column]}
        changed = {column: again for column, value in values.items() if (again := redact(value)) != value}
        if changed:
            connection.execute(table.update().where(table.c.id == row.id).values(**changed))


def redact_stored_texts(connection: sa.engine.Connection) -> None:
    """Every stored event (its whole JSON) and every text column of ``TEXT_COLUMNS``, in the tables that exist."""
    tables = set(sa.inspect(connection).get_table_names())
    if "events" in tables:  # Rasa creates it on first use
        events = sa.table("events", sa.column("id", sa.Integer), sa.column("data", sa.Text))
        for row in connection.execute(sa.select(events.c.id, events.c.data)).fetchall():
            if row.data:
                data = json.loads(row.data)
                again = redacted(data)
                if again is not data:
                    connection.execute(events.update().where(events.c.id == row.id).values(data=json.dumps(again)))
    for name, columns in TEXT_COLUMNS.items():
        if name in tables:
            redact_columns(connection, name, columns)

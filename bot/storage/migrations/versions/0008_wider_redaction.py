"""Texts stored before redaction also took out names a person gives, landline, QQ and WeChat numbers and house
numbers: every stored text is redacted again (events, turns, undelivered replies, the development SMS outbox).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TEXT_COLUMNS = {"turns": ("user_text", "reply_text"), "undelivered_messages": ("text", "error"),
                "sms_outbox": ("text",)}


def upgrade() -> None:
    from bot.storage.redaction import redact, redacted

    connection = op.get_bind()
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
        if name not in tables:
            continue
        table = sa.table(name, sa.column("id", sa.Integer), *(sa.column(column, sa.Text) for column in columns))
        for row in connection.execute(sa.select(table)).fetchall():
            changed = {column: redact(row._mapping[column]) for column in columns
                       if row._mapping[column] and redact(row._mapping[column]) != row._mapping[column]}
            if changed:
                connection.execute(table.update().where(table.c.id == row.id).values(**changed))


def downgrade() -> None:
    pass  # redactions cannot be undone, by design

"""Rasa's ``events`` rows written before this version: the sender id becomes its salted hash (the key the tracker
store now reads and writes under) and personal data is redacted from every text in the event's JSON.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_HASHED = re.compile(r"[0-9a-f]{64}")


def upgrade() -> None:
    from bot.settings import load_settings
    from bot.storage.handoffs import hash_sender
    from bot.storage.redaction import redacted

    connection = op.get_bind()
    if "events" not in sa.inspect(connection).get_table_names():
        return  # Rasa creates it on first use: nothing stored yet
    salt = load_settings().sender_hash_salt
    events = sa.table("events", sa.column("id", sa.Integer), sa.column("sender_id", sa.String),
                      sa.column("data", sa.Text))
    for row in connection.execute(sa.select(events.c.id, events.c.sender_id, events.c.data)).fetchall():
        sender = row.sender_id if _HASHED.fullmatch(row.sender_id or "") else hash_sender(row.sender_id or "", salt)
        data = json.dumps(redacted(json.loads(row.data))) if row.data else row.data
        if sender != row.sender_id or data != row.data:
            connection.execute(events.update().where(events.c.id == row.id).values(sender_id=sender, data=data))


def downgrade() -> None:
    pass  # hashes and redactions cannot be undone, by design

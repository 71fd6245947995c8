"""Channel tables written before this version: seen message ids become their salted hash (a WeChat event was
known by its sender's openid), and undelivered replies and the development SMS outbox are redacted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_HASHED = re.compile(r"[0-9a-f]{64}")


def upgrade() -> None:
    from bot.settings import load_settings
    from bot.storage.handoffs import hash_sender
    from bot.storage.stored_redaction import redact_columns

    connection = op.get_bind()
    salt = load_settings().sender_hash_salt
    inbound = sa.table("inbound_messages", sa.column("channel", sa.String), sa.column("message_id", sa.String))
    for row in connection.execute(sa.select(inbound.c.channel, inbound.c.message_id)).fetchall():
        if not _HASHED.fullmatch(row.message_id):
            connection.execute(inbound.update().where(
                (inbound.c.channel == row.channel) & (inbound.c.message_id == row.message_id)).values(
                message_id=hash_sender(f"{row.channel}:{row.message_id}", salt)))
    for name, columns in (("undelivered_messages", ("text", "error")), ("sms_outbox", ("text",))):
        redact_columns(connection, name, columns)


def downgrade() -> None:
    pass  # hashes and redactions cannot be undone, by design

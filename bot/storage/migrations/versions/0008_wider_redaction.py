"""Texts stored before redaction also took out names a person gives, landline, QQ and WeChat numbers and house
numbers: every stored text is redacted again (events, turns, undelivered replies, the development SMS outbox).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bot.storage.stored_redaction import redact_stored_texts

    redact_stored_texts(op.get_bind())


def downgrade() -> None:
    pass  # redactions cannot be undone, by design

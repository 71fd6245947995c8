"""Texts stored before redaction also took out licence plates, passport and student numbers, dates of birth, the
names of relatives and partners ("我老婆叫…"), ID numbers with a wrong check digit and card numbers announced as
such: every stored text is redacted again, as 0008 did, with today's rules (``bot.storage.stored_redaction``).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bot.storage.stored_redaction import redact_stored_texts

    redact_stored_texts(op.get_bind())


def downgrade() -> None:
    pass  # redactions cannot be undone, by design

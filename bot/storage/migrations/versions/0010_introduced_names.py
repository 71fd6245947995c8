"""Texts stored before redaction also took out the names people introduce themselves with ("我是张伟，想问…",
"本人陈静", "I'm Ahmed Khan"): every stored text is redacted again, as 0008 did, with today's rules
(``bot.storage.stored_redaction``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from bot.storage.stored_redaction import redact_stored_texts

    redact_stored_texts(op.get_bind())


def downgrade() -> None:
    pass  # redactions cannot be undone, by design

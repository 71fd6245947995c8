"""Turns record how the message was given: "voice" when WeChat's speech recognition supplied the text.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.add_column(sa.Column("input_mode", sa.String(16)))


def downgrade() -> None:
    with op.batch_alter_table("turns") as batch:
        batch.drop_column("input_mode")

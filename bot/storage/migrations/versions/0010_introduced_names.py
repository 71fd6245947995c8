"""Texts stored before redaction also took out the names people introduce themselves with ("我是张伟，想问…",
"本人陈静", "I'm Ahmed Khan"): every stored text is redacted again, exactly as 0008 did (its upgrade redacts with
today's rules).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Alembic loads each revision file on its own (no package): 0008 is loaded from its file beside this one.
    spec = importlib.util.spec_from_file_location("revision_0008", Path(__file__).with_name("0008_wider_redaction.py"))
    assert spec is not None and spec.loader is not None
    revision_0008 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(revision_0008)
    revision_0008.upgrade()


def downgrade() -> None:
    pass  # redactions cannot be undone, by design

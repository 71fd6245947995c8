"""The console's tables on the shared metadata (created by migration 0002_console)."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.database import metadata

ROLES = ("reviewer", "admin")
# Row ids are sa.Integer: 32-bit in PostgreSQL. A larger id in a URL or a query names no row (and would make
# the database driver fail: SQLite raises OverflowError past 64 bits, PostgreSQL "integer out of range").
MAX_ROW_ID = 2**31 - 1

staff = sa.Table(
    "staff",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.UniqueConstraint("name", name="uq_staff_name"),
    sa.CheckConstraint("role IN ('reviewer', 'admin')", name="ck_staff_role"),
)

staff_sessions = sa.Table(
    "staff_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # sha256 of the cookie value
    sa.Column("staff_id", sa.Integer, sa.ForeignKey("staff.id", name="fk_staff_sessions_staff_id",
                                                   ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_staff_sessions_staff_id", "staff_id"),
    sa.Index("ix_staff_sessions_expires_at", "expires_at"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("staff_name", sa.String(64), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("target", sa.String(128)),
    sa.Column("detail", sa.Text),
    sa.Index("ix_audit_log_at", "at"),
    sa.Index("ix_audit_log_staff_name_at", "staff_name", "at"),
    sa.Index("ix_audit_log_action_at", "action", "at"),
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("remote", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Index("ix_login_attempts_name_at", "name", "at"),
    sa.Index("ix_login_attempts_remote_at", "remote", "at"),
)

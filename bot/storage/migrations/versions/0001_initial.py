"""The project's tables as of the conversation-log work: hand-offs, channel state, the SMS outbox and turns.

Databases made before migrations existed (``metadata.create_all``) already hold some of these tables with the
same definitions: a table that exists is kept, the missing ones are created, and the database is then at 0001.

Revision ID: 0001
Revises:
Create Date: 2025-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = ("handoff_requests", "inbound_messages", "channel_menus", "sms_opt_outs", "undelivered_messages",
          "sms_outbox", "turns")


def _missing(name: str) -> bool:
    if op.get_context().as_sql:  # offline (--sql): no database to look at, print every table
        return True
    return not sa.inspect(op.get_bind()).has_table(name)


def _handoff_requests() -> None:
    op.create_table(
        "handoff_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("topic", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
    )
    op.create_index("ix_handoff_requests_sender_hash", "handoff_requests", ["sender_hash"])


def _inbound_messages() -> None:
    op.create_table(
        "inbound_messages",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("message_id", sa.String(128), primary_key=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )


def _channel_menus() -> None:
    op.create_table(
        "channel_menus",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("sender_hash", sa.String(64), primary_key=True),
        sa.Column("payloads", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def _sms_opt_outs() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("sender_hash", sa.String(64), primary_key=True),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
    )


def _undelivered_messages() -> None:
    op.create_table(
        "undelivered_messages",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("error", sa.String(255), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
    )


def _sms_outbox() -> None:
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("segments", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sms_outbox_sender_hash", "sms_outbox", ["sender_hash"])


def _turns() -> None:
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_text", sa.Text, nullable=False),
        sa.Column("intent", sa.String(64)),
        sa.Column("confidence", sa.Float),
        sa.Column("topic", sa.String(64)),
        sa.Column("kind", sa.String(16)),
        sa.Column("verdict", sa.String(16)),
        sa.Column("departments", sa.Text, nullable=False),
        sa.Column("reply_text", sa.Text, nullable=False),
        sa.Column("handoff_requested", sa.Boolean, nullable=False),
        sa.Column("feedback", sa.String(16)),
        sa.Column("review_status", sa.String(16), nullable=False, server_default="unreviewed"),
        sa.Column("corrected_intent", sa.String(64)),
        sa.Column("corrected_topic", sa.String(64)),
        sa.Column("corrected_by", sa.String(64)),
        sa.Column("corrected_at", sa.DateTime(timezone=True)),
    )
    for name, columns in (
        ("ix_turns_timestamp", ["timestamp"]),
        ("ix_turns_channel_timestamp", ["channel", "timestamp"]),
        ("ix_turns_topic_timestamp", ["topic", "timestamp"]),
        ("ix_turns_kind_timestamp", ["kind", "timestamp"]),
        ("ix_turns_review_status_timestamp", ["review_status", "timestamp"]),
        ("ix_turns_feedback_timestamp", ["feedback", "timestamp"]),
        ("ix_turns_confidence", ["confidence"]),
        ("ix_turns_sender_hash_timestamp", ["sender_hash", "timestamp"]),
    ):
        op.create_index(name, "turns", columns)


_CREATE = {
    "handoff_requests": _handoff_requests,
    "inbound_messages": _inbound_messages,
    "channel_menus": _channel_menus,
    "sms_opt_outs": _sms_opt_outs,
    "undelivered_messages": _undelivered_messages,
    "sms_outbox": _sms_outbox,
    "turns": _turns,
}


def upgrade() -> None:
    for name in TABLES:
        if _missing(name):
            _CREATE[name]()


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)

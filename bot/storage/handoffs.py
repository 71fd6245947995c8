"""Hand-off requests: a person asked for a human; staff see them in the review console."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

import sqlalchemy as sa

from bot.storage.contacts import seal
from bot.storage.database import engine_for, metadata

handoff_requests = sa.Table(
    "handoff_requests",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("topic", sa.String(64)),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    # The conversation id (channel and platform id), encrypted (bot/storage/contacts.py); none once closed.
    sa.Column("contact", sa.Text),
)


def hash_sender(sender_id: str, salt: str) -> str:
    """A salted hash, so a stored row never holds the raw WeChat openid or phone number."""
    return hmac.new(salt.encode(), sender_id.encode(), hashlib.sha256).hexdigest()


def record_handoff(database_url: str, salt: str, sender_id: str, channel: str, topic: str | None,
                   contact_key: str | None = None) -> int:
    """Store an open hand-off request and return its number; a conversation that already has one waiting (open or
    in progress) gets that one's number, so repeated "转人工" do not fill the staff queue.

    With ``contact_key``, the conversation id is stored encrypted under it, for staff to answer the person.
    """
    sender_hash = hash_sender(sender_id, salt)
    with engine_for(database_url).begin() as connection:
        waiting = connection.execute(
            sa.select(handoff_requests.c.id)
            .where(handoff_requests.c.sender_hash == sender_hash,
                   handoff_requests.c.status.in_(("open", "in_progress")))
            .order_by(handoff_requests.c.id).limit(1)).scalar()
        if waiting is not None:
            return int(waiting)
        result = connection.execute(handoff_requests.insert().values(
            created_at=dt.datetime.now(dt.timezone.utc),
            sender_hash=sender_hash,
            channel=channel,
            topic=topic,
            status="open",
            contact=seal(sender_id, contact_key) if contact_key else None,
        ))
        return int(result.inserted_primary_key[0])


def open_handoffs(database_url: str) -> list[dict]:
    """Open requests, oldest first."""
    query = (sa.select(handoff_requests).where(handoff_requests.c.status == "open")
             .order_by(handoff_requests.c.created_at, handoff_requests.c.id))
    with engine_for(database_url).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]

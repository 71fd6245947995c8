"""Conversation turns for review: one row per user message with the assistant's reply, redacted, sender hashed.

Rows are written by the tracker store (``bot.storage.tracker_store``) as conversations are saved; the review
console filters and corrects them; users rate answers with 有用 / 没用 (``set_feedback``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa

from bot.storage.database import engine_for, metadata
from bot.storage.handoffs import hash_sender
from bot.storage.redaction import redact_text

USEFUL = "useful"
NOT_USEFUL = "not_useful"
FEEDBACK_VALUES = (USEFUL, NOT_USEFUL)
UNREVIEWED = "unreviewed"
REVIEWED = "reviewed"
# Kinds of reply a user can rate: the ones that answer a policy question.
RATED_KINDS = ("answer", "eligibility")
DEFAULT_CHANNEL = "rest"

turns = sa.Table(
    "turns",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_hash", sa.String(64), nullable=False),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),  # when the user's message arrived
    sa.Column("user_text", sa.Text, nullable=False),
    sa.Column("intent", sa.String(64)),
    sa.Column("confidence", sa.Float),
    sa.Column("topic", sa.String(64)),
    sa.Column("kind", sa.String(16)),
    sa.Column("verdict", sa.String(16)),
    sa.Column("departments", sa.Text, nullable=False, default="[]"),  # JSON list, lead department first
    sa.Column("reply_text", sa.Text, nullable=False),
    sa.Column("handoff_requested", sa.Boolean, nullable=False, default=False),
    sa.Column("input_mode", sa.String(16)),  # "voice" for a spoken message (WeChat's recognition); None: typed
    sa.Column("feedback", sa.String(16)),
    sa.Column("review_status", sa.String(16), nullable=False, default=UNREVIEWED, server_default=UNREVIEWED),
    sa.Column("corrected_intent", sa.String(64)),
    sa.Column("corrected_topic", sa.String(64)),
    sa.Column("corrected_by", sa.String(64)),
    sa.Column("corrected_at", sa.DateTime(timezone=True)),
    # The console filters by each of these and sorts by time; (sender_hash, timestamp) also serves sender look-ups.
    sa.Index("ix_turns_timestamp", "timestamp"),
    sa.Index("ix_turns_channel_timestamp", "channel", "timestamp"),
    sa.Index("ix_turns_topic_timestamp", "topic", "timestamp"),
    sa.Index("ix_turns_kind_timestamp", "kind", "timestamp"),
    sa.Index("ix_turns_review_status_timestamp", "review_status", "timestamp"),
    sa.Index("ix_turns_feedback_timestamp", "feedback", "timestamp"),
    sa.Index("ix_turns_confidence", "confidence"),
    sa.Index("ix_turns_sender_hash_timestamp", "sender_hash", "timestamp"),
)
_INSERT_TURNS = turns.insert()  # built once: it is run with every saved turn


def _short(value: Any, length: int) -> str | None:
    """A label cut to its column's length (PostgreSQL refuses longer values); None stays None."""
    return None if value is None else str(value)[:length]


def _new_turn(sender_hash: str, event: Any) -> dict[str, Any]:
    intent = event.intent or {}
    confidence = intent.get("confidence")
    return {
        "sender_hash": sender_hash,
        "channel": _short(event.input_channel or DEFAULT_CHANNEL, 32),
        "timestamp": dt.datetime.fromtimestamp(event.timestamp, dt.timezone.utc),
        "user_text": redact_text(event.text or ""),
        "intent": _short(intent.get("name"), 64),
        "confidence": float(confidence) if confidence is not None else None,
        "topic": None,
        "kind": None,
        "verdict": None,
        "departments": "[]",
        "reply_text": "",
        "handoff_requested": False,
        "input_mode": _short((getattr(event, "metadata", None) or {}).get("input_mode"), 16),
    }


def _finish(turn: dict[str, Any], texts: list[str], custom: dict[str, Any] | None) -> dict[str, Any]:
    turn["reply_text"] = redact_text("\n".join(texts))
    if custom:
        turn["topic"] = _short(custom.get("topic"), 64)
        turn["kind"] = _short(custom.get("kind"), 16)
        turn["verdict"] = _short(custom.get("verdict"), 16)
        departments = custom.get("departments") or []
        turn["departments"] = json.dumps([str(d) for d in departments], ensure_ascii=False)
        turn["handoff_requested"] = custom.get("kind") == "handoff"
    return turn


def turns_from_events(sender_id: str, events: Iterable[Any], salt: str) -> list[dict[str, Any]]:
    """Turn rows from Rasa events: each UserUttered with the BotUttered events up to the next UserUttered.

    The topic, kind, verdict and departments come from the last bot message carrying the machine-readable
    payload (``custom``); texts are redacted and the sender is kept only as its salted hash.
    """
    from rasa.shared.core.events import BotUttered, UserUttered

    sender_hash = hash_sender(sender_id, salt)
    rows: list[dict[str, Any]] = []
    turn: dict[str, Any] | None = None
    texts: list[str] = []
    custom: dict[str, Any] | None = None
    for event in events:
        if isinstance(event, UserUttered):
            if turn is not None:
                rows.append(_finish(turn, texts, custom))
            turn, texts, custom = _new_turn(sender_hash, event), [], None
        elif isinstance(event, BotUttered) and turn is not None:
            if event.text:
                texts.append(event.text)
            if isinstance(event.data.get("custom"), dict):
                custom = event.data["custom"]
    if turn is not None:
        rows.append(_finish(turn, texts, custom))
    return rows


def record_turns(database_url: str, rows: Sequence[dict[str, Any]]) -> int:
    """Store turn rows (as made by ``turns_from_events``) in a transaction of their own; returns how many."""
    with engine_for(database_url).begin() as connection:
        return insert_turns(connection, rows)


def insert_turns(connection: sa.engine.Connection, rows: Sequence[dict[str, Any]]) -> int:
    """Store turn rows in the caller's transaction (one multi-row INSERT); returns how many were stored."""
    if rows:
        connection.execute(_INSERT_TURNS, [dict(row) for row in rows])
    return len(rows)


def set_feedback(database_url: str, sender_hash: str, value: str) -> bool:
    """Rate the sender's latest answer or eligibility verdict; False when the sender has none stored."""
    if value not in FEEDBACK_VALUES:
        raise ValueError(f"feedback must be one of {', '.join(FEEDBACK_VALUES)}, not {value!r}")
    latest = (sa.select(turns.c.id)
              .where(turns.c.sender_hash == sender_hash, turns.c.kind.in_(RATED_KINDS))
              .order_by(turns.c.timestamp.desc(), turns.c.id.desc())
              .limit(1))
    with engine_for(database_url).begin() as connection:
        turn_id = connection.execute(latest).scalar()
        if turn_id is None:
            return False
        connection.execute(turns.update().where(turns.c.id == turn_id).values(feedback=value))
    return True


def cutoff(days: int) -> dt.datetime:
    """The moment ``days`` days ago (UTC); anything older is past its retention period."""
    if days < 1:
        raise ValueError(f"days must be at least 1, not {days}")
    return dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)


def delete_turns_older_than(database_url: str, days: int) -> int:
    """Delete turns older than ``days`` days; returns how many were deleted."""
    with engine_for(database_url).begin() as connection:
        return connection.execute(turns.delete().where(turns.c.timestamp < cutoff(days))).rowcount


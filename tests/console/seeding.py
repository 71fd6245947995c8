"""Turns and hand-off requests written straight into the console's database, as the assistant would store them."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import sqlalchemy as sa

from bot.storage.database import engine_for
from bot.storage.handoffs import handoff_requests
from bot.storage.turns import turns

_senders = itertools.count(1)


def new_sender() -> str:
    """A sender hash no other test uses (64 hex characters, like the real salted hashes)."""
    return f"{next(_senders):08x}".rjust(64, "c")


def turn(moment: dt.datetime, **values: Any) -> dict[str, Any]:
    row = {
        "sender_hash": new_sender(), "channel": "rest", "timestamp": moment, "user_text": "大学生创业有社保补贴吗",
        "intent": "student_startup_social_insurance", "confidence": 0.9, "topic": "student_startup_social_insurance",
        "kind": "answer", "verdict": None, "departments": ["省人社厅", "省财政厅"], "reply_text": "可以申请社保补贴。",
        "handoff_requested": False, "feedback": None, "review_status": "unreviewed",
    }
    row.update(values)
    row["departments"] = json.dumps(row["departments"], ensure_ascii=False)
    return row


def insert_turns(database_url: str, rows: list[dict[str, Any]]) -> list[int]:
    """Store the rows and return their ids, in the order given."""
    ids = []
    with engine_for(database_url).begin() as connection:
        for row in rows:
            ids.append(int(connection.execute(turns.insert().values(**row)).inserted_primary_key[0]))
    return ids


def stored_turn(database_url: str, turn_id: int) -> dict[str, Any]:
    with engine_for(database_url).connect() as connection:
        return dict(connection.execute(sa.select(turns).where(turns.c.id == turn_id)).one()._mapping)


def insert_handoff(database_url: str, created_at: dt.datetime, sender_hash: str, status: str = "open",
                   topic: str | None = "tax_incentives") -> int:
    with engine_for(database_url).begin() as connection:
        return int(connection.execute(handoff_requests.insert().values(
            created_at=created_at, sender_hash=sender_hash, channel="wechat", topic=topic, status=status,
        )).inserted_primary_key[0])


def handoff_status(database_url: str, request_id: int) -> str:
    with engine_for(database_url).connect() as connection:
        return connection.execute(sa.select(handoff_requests.c.status)
                                  .where(handoff_requests.c.id == request_id)).scalar_one()

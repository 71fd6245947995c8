"""Reading and reviewing turns: the keyset-paginated list, one conversation's transcript, corrections."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa

from bot.console.schema import MAX_ROW_ID
from bot.console.times import as_utc, utc_now
from bot.console.turn_filters import TurnFilter
from bot.storage.database import engine_for
from bot.storage.turns import turns

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_MICROSECOND = dt.timedelta(microseconds=1)


class CursorError(ValueError):
    """A page cursor that was not made by this module."""


@dataclass(frozen=True)
class Cursor:
    """A position in the (timestamp, id) order; written into page links as "<microseconds>-<id>"."""

    timestamp: dt.datetime
    id: int

    def __str__(self) -> str:
        return f"{(self.timestamp - _EPOCH) // _MICROSECOND}-{self.id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        micros, separator, turn_id = text.partition("-")
        if not (separator and micros.isascii() and micros.isdigit() and turn_id.isascii() and turn_id.isdigit()
                and len(text) <= 40 and int(turn_id) <= MAX_ROW_ID):  # isdigit alone accepts "²"
            raise CursorError(f"bad cursor {text!r}")
        try:
            return cls(_EPOCH + int(micros) * _MICROSECOND, int(turn_id))
        except OverflowError:  # beyond datetime's year 9999
            raise CursorError(f"bad cursor {text!r}") from None


@dataclass(frozen=True)
class TurnPage:
    rows: list[dict]
    older: Cursor | None  # link to the next (older) page: ?before=
    newer: Cursor | None  # link to the previous (newer) page: ?after=


def turn_row(row: sa.engine.Row) -> dict:
    """A turn as a plain dict: UTC-aware timestamp, departments as a list."""
    record = dict(row._mapping)
    record["timestamp"] = as_utc(record["timestamp"])
    if record.get("corrected_at") is not None:
        record["corrected_at"] = as_utc(record["corrected_at"])
    record["departments"] = _departments(record.get("departments"))
    return record


def _departments(stored: str | list | None) -> list[str]:
    if not stored:
        return []
    if isinstance(stored, list):
        return [str(name) for name in stored]
    try:
        value = json.loads(stored)
    except ValueError:
        return [stored]
    return [str(name) for name in value] if isinstance(value, list) else [str(value)]


def _cursor(row: dict) -> Cursor:
    return Cursor(row["timestamp"], row["id"])


def list_turns(database_url: str, turn_filter: TurnFilter, timezone: dt.timezone, page_size: int,
               before: Cursor | None = None, after: Cursor | None = None) -> TurnPage:
    """One page of turns matching the filter, newest first, keyset-paginated on (timestamp, id)."""
    position = sa.tuple_(turns.c.timestamp, turns.c.id)
    query = sa.select(turns).where(*turn_filter.conditions(turns, timezone)).limit(page_size + 1)
    if after is not None:
        query = query.where(position > sa.tuple_(sa.literal(after.timestamp, turns.c.timestamp.type),
                                                 sa.literal(after.id, turns.c.id.type)))
        query = query.order_by(turns.c.timestamp.asc(), turns.c.id.asc())
    else:
        if before is not None:
            query = query.where(position < sa.tuple_(sa.literal(before.timestamp, turns.c.timestamp.type),
                                                     sa.literal(before.id, turns.c.id.type)))
        query = query.order_by(turns.c.timestamp.desc(), turns.c.id.desc())
    with engine_for(database_url).connect() as connection:
        rows = [turn_row(row) for row in connection.execute(query)]
    more = len(rows) > page_size
    rows = rows[:page_size]
    if after is not None:
        rows.reverse()
        return TurnPage(rows, older=_cursor(rows[-1]) if rows else after,
                        newer=_cursor(rows[0]) if more and rows else None)
    return TurnPage(rows, older=_cursor(rows[-1]) if more else None,
                    newer=_cursor(rows[0]) if before is not None and rows else None)


def iterate_turns(database_url: str, turn_filter: TurnFilter, timezone: dt.timezone, batch_size: int = 1000):
    """Every matching turn, newest first, fetched in keyset batches (for exports of any size)."""
    before: Cursor | None = None
    while True:
        page = list_turns(database_url, turn_filter, timezone, batch_size, before=before)
        yield page.rows
        if page.older is None:
            return
        before = page.older


def transcript(database_url: str, sender_hash: str, limit: int, offset: int = 0) -> tuple[list[dict], int]:
    """One page of a conversation's turns (one sender), oldest first, and how many turns it has in all."""
    query = (sa.select(turns).where(turns.c.sender_hash == sender_hash)
             .order_by(turns.c.timestamp, turns.c.id).limit(limit).offset(offset))
    total = sa.select(sa.func.count()).select_from(turns).where(turns.c.sender_hash == sender_hash)
    with engine_for(database_url).connect() as connection:
        return [turn_row(row) for row in connection.execute(query)], connection.execute(total).scalar_one()


def position_in_conversation(database_url: str, sender_hash: str, turn_id: int) -> int | None:
    """How many turns of the conversation come before this one (None if it is not in the conversation)."""
    with engine_for(database_url).connect() as connection:
        row = connection.execute(sa.select(turns.c.timestamp).where(
            (turns.c.id == turn_id) & (turns.c.sender_hash == sender_hash))).first()
        if row is None:
            return None
        earlier = sa.tuple_(turns.c.timestamp, turns.c.id) < sa.tuple_(
            sa.literal(row.timestamp, turns.c.timestamp.type), sa.literal(turn_id, turns.c.id.type))
        return connection.execute(sa.select(sa.func.count()).select_from(turns).where(
            (turns.c.sender_hash == sender_hash) & earlier)).scalar_one()


def get_turn(database_url: str, turn_id: int) -> dict | None:
    with engine_for(database_url).connect() as connection:
        row = connection.execute(sa.select(turns).where(turns.c.id == turn_id)).first()
    return turn_row(row) if row else None


def correct_turn(database_url: str, turn_id: int, intent: str | None, topic: str | None, staff_name: str) -> None:
    """Store the reviewer's intent and topic for the user's message (None: no correction) and mark it reviewed."""
    with engine_for(database_url).begin() as connection:
        connection.execute(turns.update().where(turns.c.id == turn_id).values(
            corrected_intent=intent, corrected_topic=topic, corrected_by=staff_name,
            corrected_at=utc_now(), review_status="reviewed",
        ))


def mark_conversation_reviewed(database_url: str, sender_hash: str) -> int:
    """Mark every unreviewed turn of the conversation reviewed; returns how many changed."""
    with engine_for(database_url).begin() as connection:
        result = connection.execute(turns.update().where(
            (turns.c.sender_hash == sender_hash) & (turns.c.review_status == "unreviewed"),
        ).values(review_status="reviewed"))
        return int(result.rowcount or 0)


def corrections(database_url: str) -> list[dict]:
    """Turns whose intent a reviewer corrected, oldest correction first."""
    query = (sa.select(turns.c.id, turns.c.user_text, turns.c.corrected_intent, turns.c.corrected_topic)
             .where(turns.c.corrected_intent.isnot(None))
             .order_by(turns.c.corrected_at, turns.c.id))
    with engine_for(database_url).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]

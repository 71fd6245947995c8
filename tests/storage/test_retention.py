"""Retention: turns and Rasa's stored events older than N days go, newer ones and other records stay."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from bot.storage.database import engine_for
from bot.storage.handoffs import handoff_requests, open_handoffs, record_handoff
from bot.storage.retention import DEFAULT_RETENTION_DAYS, purge
from bot.storage.turns import record_turns, turns, turns_from_events
from tests.storage.events import turn

DAY = 86400
events_table = SQLTrackerStore.SQLEvent.__table__


def add_rasa_events(database_url: str, ages_in_days: list[float]) -> None:
    engine = engine_for(database_url)
    events_table.create(engine, checkfirst=True)
    with engine.begin() as connection:
        connection.execute(events_table.insert(), [
            {"sender_id": "s", "type_name": "user", "timestamp": time.time() - age * DAY, "intent_name": "greet",
             "action_name": None, "data": json.dumps({"event": "user"})} for age in ages_in_days])


def count(database_url: str, table: sa.Table) -> int:
    with engine_for(database_url).connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar()


def test_purge_deletes_old_turns_and_events_only(storage_url: str) -> None:
    record_turns(storage_url, turns_from_events("someone", [
        *turn("旧", "greet", 0.9, ["旧"], seconds_ago=400 * DAY),
        *turn("旧", "greet", 0.9, ["旧"], seconds_ago=181 * DAY),
        *turn("新", "greet", 0.9, ["新"], seconds_ago=179 * DAY),
        *turn("新", "greet", 0.9, ["新"]),
    ], "salt"))
    add_rasa_events(storage_url, [500, 181, 179, 0, 0])
    record_handoff(storage_url, "salt", "someone", "rest", None)  # not conversation data: kept
    assert purge(storage_url, DEFAULT_RETENTION_DAYS) == {"turns": 2, "events": 2}
    assert count(storage_url, turns) == 2 and count(storage_url, events_table) == 3
    assert purge(storage_url, DEFAULT_RETENTION_DAYS) == {"turns": 0, "events": 0}
    assert len(open_handoffs(storage_url)) == 1 and count(storage_url, handoff_requests) == 1


def test_purge_works_before_rasa_has_made_its_events_table(storage_url: str) -> None:
    record_turns(storage_url, turns_from_events("someone", [*turn("旧", "greet", 0.9, ["旧"], seconds_ago=40 * DAY)],
                                                "salt"))
    assert purge(storage_url, 30) == {"turns": 1, "events": 0}


def test_retention_needs_at_least_one_day(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        purge(sqlite_url, 0)

"""Retention: every table that holds conversation data loses its rows older than N days; newer rows and the
records kept for a reason stay; no table escapes the list."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from bot.channels.sms_gateways import LogGateway
from bot.console.accounts import create_staff
from bot.console.login_limits import record_attempt
from bot.console.sessions import start_session
from bot.storage.channel_state import (
    claim_message,
    is_replayed,
    record_undelivered,
    save_menu,
    set_sms_opt_out,
)
from bot.storage.database import engine_for
from bot.storage.handoffs import handoff_requests, open_handoffs, record_handoff
from bot.storage.retention import DEFAULT_RETENTION_DAYS, KEPT, PURGED, purge
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
    deleted = purge(storage_url, DEFAULT_RETENTION_DAYS)
    assert (deleted["turns"], deleted["events"], deleted["handoff_requests"]) == (2, 2, 0)
    assert count(storage_url, turns) == 2 and count(storage_url, events_table) == 3
    assert set(purge(storage_url, DEFAULT_RETENTION_DAYS).values()) == {0}
    assert len(open_handoffs(storage_url)) == 1 and count(storage_url, handoff_requests) == 1


def test_purge_works_before_rasa_has_made_its_events_table(storage_url: str) -> None:
    record_turns(storage_url, turns_from_events("someone", [*turn("旧", "greet", 0.9, ["旧"], seconds_ago=40 * DAY)],
                                                "salt"))
    deleted = purge(storage_url, 30)
    assert (deleted["turns"], deleted["events"]) == (1, 0)


def test_retention_needs_at_least_one_day(sqlite_url: str) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        purge(sqlite_url, 0)


def write_a_row_to_every_table(database_url: str) -> None:
    """One row in each table of the project database, written the way the assistant and the console write them."""
    record_turns(database_url, turns_from_events("someone", [*turn("你好", "greet", 0.9, ["你好"])], "salt"))
    add_rasa_events(database_url, [0])
    record_handoff(database_url, "salt", f"someone-{time.monotonic_ns()}", "rest", None)
    claim_message(database_url, "telegram", str(time.monotonic_ns()))
    is_replayed(database_url, "wechat", f"{time.time_ns()}:nonce:signature:", b"<xml/>")
    save_menu(database_url, "sms", f"hash-{time.monotonic_ns()}", ["/greet"])
    record_undelivered(database_url, "wechat", "hash", "timeout", "回复")
    asyncio.run(LogGateway(database_url, "salt").send("+8613912345678", "回复"))
    record_attempt(database_url, "reviewer", "127.0.0.1", False)
    staff_id = create_staff(database_url, f"staff{time.monotonic_ns() % 10**9}", "reviewer", "a long passphrase 1")
    start_session(database_url, staff_id, hours=8)
    set_sms_opt_out(database_url, f"hash-{time.monotonic_ns()}", True)


def test_every_table_is_either_purged_or_kept_for_a_stated_reason(storage_url: str) -> None:
    write_a_row_to_every_table(storage_url)
    tables = set(sa.inspect(engine_for(storage_url)).get_table_names())
    purged = {entry.table for entry in PURGED}
    assert not purged & set(KEPT)
    assert tables - purged - set(KEPT) == set(), "a table that retention neither purges nor keeps for a reason"
    assert purged - tables == set()  # no entry names a table that does not exist


def test_every_purged_table_loses_its_old_rows_and_keeps_the_new(storage_url: str) -> None:
    write_a_row_to_every_table(storage_url)
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=400)
    with engine_for(storage_url).begin() as connection:  # everything written so far becomes 400 days old
        for entry in PURGED:
            table = sa.table(entry.table, sa.column(entry.dated_by))
            connection.execute(table.update().values(
                {entry.dated_by: long_ago.timestamp() if entry.epoch_seconds else long_ago}))
    write_a_row_to_every_table(storage_url)
    purge(storage_url, DEFAULT_RETENTION_DAYS)
    for entry in PURGED:  # (some tables drop old rows on their own as well: sign-in attempts, sessions)
        table = sa.table(entry.table, sa.column(entry.dated_by))
        old = table.c[entry.dated_by] < (long_ago + dt.timedelta(days=1)).timestamp() if entry.epoch_seconds else (
            table.c[entry.dated_by] < long_ago + dt.timedelta(days=1))
        with engine_for(storage_url).connect() as connection:
            left = connection.execute(sa.select(sa.func.count()).select_from(table).where(old)).scalar()
        assert left == 0, f"{entry.table} kept rows past the retention period"
        assert count(storage_url, sa.table(entry.table)) >= 1, entry.table  # today's rows stay
    assert count(storage_url, sa.table("sms_opt_outs")) == 2 and count(storage_url, sa.table("audit_log")) == 0

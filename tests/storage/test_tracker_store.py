"""The tracker store keeps Rasa's dialogue state in DATABASE_URL and logs each completed turn exactly once."""

from __future__ import annotations

import asyncio
import copy as copy_module
import logging
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import read_endpoint_config

from bot.storage.database import engine_for
from bot.storage.handoffs import hash_sender
from bot.storage.redaction import ID_TOKEN, MOBILE_TOKEN
from bot.storage.tracker_store import ReviewedSQLTrackerStore, completed_turn_events
from bot.storage.turns import turns
from tests.storage.events import answer_payload, session_start, turn

PROJECT_DIR = Path(__file__).resolve().parents[2]
SALT = "tracker-store-salt"
SENDER = "+8613812345678"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(PROJECT_DIR / "domain.yml"))


@pytest.fixture
def store(storage_url: str, domain: Domain) -> ReviewedSQLTrackerStore:
    return ReviewedSQLTrackerStore(domain=domain, database_url=storage_url, salt=SALT)


def stored_turns(database_url: str) -> list[dict]:
    with engine_for(database_url).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.select(turns).order_by(turns.c.id))]


def save(store: TrackerStore, tracker: DialogueStateTracker) -> None:
    asyncio.run(store.save(tracker))


def retrieve(store: TrackerStore, sender: str = SENDER) -> DialogueStateTracker:
    tracker = asyncio.run(store.retrieve(sender))
    assert tracker is not None
    return tracker


def test_a_saved_turn_is_logged_once_redacted_with_the_sender_hashed(store: ReviewedSQLTrackerStore,
                                                                     storage_url: str, domain: Domain) -> None:
    tracker = DialogueStateTracker.from_events(SENDER, [
        *session_start(),
        *turn("我手机13812345678 大学生创业有社保补贴吗", "student_startup_social_insurance", 0.93,
              ["【大学生创业社保补贴】…"], answer_payload(), channel="sms"),
    ], domain.slots)
    save(store, tracker)
    [row] = stored_turns(storage_url)
    assert row["user_text"] == f"我手机{MOBILE_TOKEN} 大学生创业有社保补贴吗"
    assert row["sender_hash"] == hash_sender(SENDER, SALT)
    assert SENDER not in str(row) and "13812345678" not in str(row)
    assert (row["channel"], row["intent"], row["kind"]) == ("sms", "student_startup_social_insurance", "answer")

    tracker = retrieve(store)
    for event in turn("身份证号11010519491231002X 我符合吗", "check_eligibility", 0.88, ["好的"],
                      answer_payload(kind="eligibility"), channel="sms"):
        tracker.update(event)
    save(store, tracker)
    rows = stored_turns(storage_url)
    assert len(rows) == 2 and rows[0] == row
    assert rows[1]["user_text"] == f"身份证号{ID_TOKEN} 我符合吗"

    save(store, retrieve(store))  # nothing new
    assert len(stored_turns(storage_url)) == 2


def test_a_turn_still_in_progress_is_logged_when_it_ends(store: ReviewedSQLTrackerStore, storage_url: str,
                                                         domain: Domain) -> None:
    tracker = DialogueStateTracker.from_events(SENDER, [
        *session_start(), *turn("社保补贴", "student_startup_social_insurance", 0.9, ["第一段"], listen=False)],
        domain.slots)
    save(store, tracker)
    assert stored_turns(storage_url) == []
    tracker = retrieve(store)
    for event in turn("x", "greet", 0.9, [])[2:]:  # just the closing action_listen
        tracker.update(event)
    save(store, tracker)
    [row] = stored_turns(storage_url)
    assert row["user_text"] == "社保补贴" and row["reply_text"] == "第一段"


def stored_event_types(store: ReviewedSQLTrackerStore, sender: str = SENDER) -> list[str]:
    with store.session_scope() as session:
        return [row.type_name for row in store._event_query(session, sender, fetch_events_from_all_sessions=True)]


def test_saving_the_tracker_a_turn_read_stores_each_new_event_once_without_counting_again(
        store: ReviewedSQLTrackerStore, domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    first = [*session_start(), *turn("社保补贴", "student_startup_social_insurance", 0.9, ["第一段"])]
    save(store, DialogueStateTracker.from_events(SENDER, first, domain.slots))  # new: counted as Rasa does
    counts: list[str] = []
    original_query = store._event_query

    def counting_query(session: Any, sender_id: str, fetch_events_from_all_sessions: bool) -> Any:
        query = original_query(session, sender_id, fetch_events_from_all_sessions)
        original_count = query.count
        query.count = lambda: counts.append(sender_id) or original_count()
        return query

    monkeypatch.setattr(store, "_event_query", counting_query)
    tracker = retrieve(store)
    second = turn("我符合吗", "check_eligibility", 0.88, ["好的"])
    for event in second:
        tracker.update(event)
    save(store, tracker)
    assert counts == []  # the retrieved tracker knew how many events it was built from
    expected = [event.type_name for event in [*first, *second]]
    assert stored_event_types(store) == expected

    # A tracker this store did not hand out (a copy of the one it just did) is counted in the database.
    handed_out = retrieve(store)
    copy = copy_module.deepcopy(handed_out)
    third = turn("谢谢", "thank", 0.95, ["不客气"])
    for event in third:
        copy.update(event)
    save(store, copy)
    assert counts == [SENDER]
    assert stored_event_types(store) == [*expected, *(event.type_name for event in third)]


def test_completed_turn_events_include_a_turn_begun_before_the_new_events() -> None:
    first = turn("一", "greet", 0.9, ["a"])
    second = turn("二", "greet", 0.9, ["b"], listen=False)
    events = [*session_start(), *first, *second]
    start_of_second = 3 + len(first)
    assert completed_turn_events(events, len(events)) == []
    assert completed_turn_events(events, 0) == first[:-1]
    assert completed_turn_events(events, start_of_second) == []  # the second turn is still going on
    closing = turn("x", "greet", 0.9, [])[2:]
    assert completed_turn_events([*events, *closing], len(events)) == second


def test_a_failing_turn_log_does_not_lose_the_tracker(store: ReviewedSQLTrackerStore, storage_url: str,
                                                      domain: Domain, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: object) -> int:
        raise sa.exc.OperationalError("INSERT INTO turns", {}, Exception("disk full"))

    monkeypatch.setattr("bot.storage.tracker_store.record_turns", broken)
    tracker = DialogueStateTracker.from_events(SENDER, [*session_start(), *turn("你好", "greet", 0.9, ["你好！"])],
                                               domain.slots)
    with caplog.at_level(logging.ERROR, logger="bot.storage.tracker_store"):
        save(store, tracker)
    assert "could not log the conversation turns" in caplog.text
    assert [e.get("text") for e in retrieve(store).as_dialogue().as_dict()["events"] if e["event"] == "user"] == [
        "你好"]
    assert stored_turns(storage_url) == []


def test_dialogue_state_is_in_the_project_database(store: ReviewedSQLTrackerStore, storage_url: str,
                                                   domain: Domain) -> None:
    save(store, DialogueStateTracker.from_events(SENDER, [*session_start(), *turn("你好", "greet", 0.9, ["你好"])],
                                                 domain.slots))
    with engine_for(storage_url).connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(SQLTrackerStore.SQLEvent.__table__))
        assert count.scalar() > 0
    other = SQLTrackerStore(domain=domain, host=storage_url)  # plain Rasa reads the same conversation
    assert asyncio.run(other.retrieve(SENDER)) is not None


def test_endpoints_yml_configures_it_with_database_url_from_the_environment(
        sqlite_url: str, domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    config = read_endpoint_config(str(PROJECT_DIR / "endpoints.yml"), "tracker_store")
    created = TrackerStore.create(config, domain)
    assert isinstance(created, ReviewedSQLTrackerStore)
    assert created.database_url == sqlite_url and Path(sqlite_url.removeprefix("sqlite:///")).exists()


def test_a_value_error_inside_the_store_fails_the_call_without_stopping_the_server(
        store: ReviewedSQLTrackerStore) -> None:
    """Rasa's own session scope calls sys.exit on any ValueError (it assumes a missing schema)."""
    with pytest.raises(ValueError, match="bad sender"), store.session_scope():
        raise ValueError("bad sender")
    assert retrieve_or_none(store, "nobody-yet") is None  # the store still works afterwards


def retrieve_or_none(store: TrackerStore, sender: str) -> DialogueStateTracker | None:
    return asyncio.run(store.retrieve(sender))

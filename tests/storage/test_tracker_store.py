"""The tracker store keeps Rasa's dialogue state in DATABASE_URL and logs each completed turn exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import copy as copy_module
import json
import logging
from collections.abc import Iterator
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
from bot.storage.redaction import ID_TOKEN, MOBILE_TOKEN, id_check_character
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
        return [row.type_name for row in store._event_query(session, store.stored_key(sender),
                                                             fetch_events_from_all_sessions=True)]


@contextlib.contextmanager
def statements_run(engine: sa.engine.Engine) -> Iterator[list[str]]:
    """The SQL statements sent on ``engine`` inside the block (``COMMIT`` for each commit)."""
    sent: list[str] = []

    def on_execute(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(" ".join(statement.split()))

    def on_commit(_connection: Any) -> None:
        sent.append("COMMIT")

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    sa.event.listen(engine, "commit", on_commit)
    try:
        yield sent
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        sa.event.remove(engine, "commit", on_commit)


def test_saving_the_tracker_a_turn_read_writes_events_and_turns_in_one_transaction_without_counting(
        store: ReviewedSQLTrackerStore, storage_url: str, domain: Domain) -> None:
    first = [*session_start(), *turn("社保补贴", "student_startup_social_insurance", 0.9, ["第一段"])]
    with statements_run(store.engine) as sent:
        save(store, DialogueStateTracker.from_events(SENDER, first, domain.slots))
    assert sum("count(" in statement for statement in sent) == 1  # a new tracker: counted as Rasa does
    tracker = retrieve(store)
    second = turn("我符合吗", "check_eligibility", 0.88, ["好的"])
    for event in second:
        tracker.update(event)
    with statements_run(store.engine) as sent:
        save(store, tracker)
    writes = [statement.split(" (")[0] for statement in sent]
    assert writes == ["INSERT INTO events", "INSERT INTO turns", "COMMIT"]  # known count: no query
    expected = [event.type_name for event in [*first, *second]]
    assert stored_event_types(store) == expected
    assert [row["user_text"] for row in stored_turns(storage_url)] == ["社保补贴", "我符合吗"]

    # A tracker this store did not hand out (a copy of the one it just did) is counted in the database.
    copy = copy_module.deepcopy(retrieve(store))
    third = turn("谢谢", "thank", 0.95, ["不客气"])
    for event in third:
        copy.update(event)
    with statements_run(store.engine) as sent:
        save(store, copy)
    assert sum("count(" in statement for statement in sent) == 1
    assert stored_event_types(store) == [*expected, *(event.type_name for event in third)]
    assert [row["user_text"] for row in stored_turns(storage_url)] == ["社保补贴", "我符合吗", "谢谢"]


def test_it_reads_the_same_events_as_rasas_own_store(store: ReviewedSQLTrackerStore, domain: Domain) -> None:
    """Latest session and whole history, across two sessions, against Rasa's ORM queries on the same rows."""
    earlier = [*session_start(seconds_ago=7200), *turn("你好", "greet", 0.9, ["你好！"], seconds_ago=7200)]
    later = [*session_start(), *turn("社保补贴", "student_startup_social_insurance", 0.9, ["第一段"])]
    save(store, DialogueStateTracker.from_events(SENDER, [*earlier, *later], domain.slots))
    rasa = SQLTrackerStore(domain=domain, host=store.database_url) if store.engine.url.get_backend_name() == (
        "sqlite") else None
    ours_latest, ours_all = retrieve(store), asyncio.run(store.retrieve_full_tracker(SENDER))
    # The latest session begins at its session_started event (the action_session_start before it is earlier).
    assert [event.as_dict() for event in ours_latest.events] == [event.as_dict() for event in later[1:]]
    assert [event.as_dict() for event in ours_all.events] == [event.as_dict() for event in [*earlier, *later]]
    if rasa is not None:  # Rasa's own store reads the SQLite file of the URL
        key = store.stored_key(SENDER)  # the rows are keyed by the sender's hash
        assert list(asyncio.run(rasa.retrieve(key)).events) == list(ours_latest.events)
        assert list(asyncio.run(rasa.retrieve_full_tracker(key)).events) == list(ours_all.events)
    assert asyncio.run(store.retrieve("somebody else")) is None


def test_a_turn_on_postgresql_reads_outside_a_transaction_and_checks_no_connection(
        postgresql_url: str, domain: Domain, monkeypatch: pytest.MonkeyPatch) -> None:
    """One SELECT in autocommit mode (no BEGIN/ROLLBACK round trips), one transaction for the write, and no
    ``SELECT 1`` liveness check before either (a dead connection is handled when met: next test)."""
    store = ReviewedSQLTrackerStore(domain=domain, database_url=postgresql_url, salt=SALT)
    save(store, DialogueStateTracker.from_events(SENDER, [*session_start(), *turn("你好", "greet", 0.9, ["你好"])],
                                                 domain.slots))
    pings: list[object] = []
    monkeypatch.setattr(store.engine.dialect, "do_ping", lambda connection: pings.append(connection) or True)
    autocommit: dict[str, bool] = {}

    def on_execute(connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        autocommit[statement.split()[0]] = connection.connection.dbapi_connection.autocommit

    sa.event.listen(store.engine, "before_cursor_execute", on_execute)
    try:
        tracker = retrieve(store)
        for event in turn("谢谢", "thank", 0.95, ["不客气"]):
            tracker.update(event)
        save(store, tracker)
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", on_execute)
    assert autocommit == {"SELECT": True, "INSERT": False}
    assert pings == []
    assert [row["user_text"] for row in stored_turns(postgresql_url)] == ["你好", "谢谢"]


def terminate_pooled_connection(store: ReviewedSQLTrackerStore, database_url: str) -> None:
    """Kill, from another session, the server process of the connection the store's pool holds."""
    with store.engine.connect() as connection:
        backend = connection.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    with engine_for(database_url).connect() as killer:
        assert killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": backend}).scalar_one()


def test_a_connection_killed_by_the_database_is_replaced_without_failing_a_read_or_a_write(
        postgresql_url: str, domain: Domain, caplog: pytest.LogCaptureFixture) -> None:
    store = ReviewedSQLTrackerStore(domain=domain, database_url=postgresql_url, salt=SALT)
    first = [*session_start(), *turn("你好", "greet", 0.9, ["你好"])]
    save(store, DialogueStateTracker.from_events(SENDER, first, domain.slots))

    terminate_pooled_connection(store, postgresql_url)
    with caplog.at_level(logging.WARNING, logger="bot.storage.tracker_store"):
        tracker = retrieve(store)
    assert "reading again on a new one" in caplog.text
    assert [event.type_name for event in tracker.events] == [event.type_name for event in first[1:]]

    second = turn("社保补贴", "student_startup_social_insurance", 0.9, ["第一段"])
    for event in second:
        tracker.update(event)
    terminate_pooled_connection(store, postgresql_url)
    with caplog.at_level(logging.WARNING, logger="bot.storage.tracker_store"):
        save(store, tracker)
    assert "writing again on a new one" in caplog.text
    assert stored_event_types(store) == [event.type_name for event in [*first, *second]]  # each once
    assert [row["user_text"] for row in stored_turns(postgresql_url)] == ["你好", "社保补贴"]


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
                                                      domain: Domain, caplog: pytest.LogCaptureFixture) -> None:
    turns.drop(engine_for(storage_url))  # the turn log's INSERT fails in the database
    tracker = DialogueStateTracker.from_events(SENDER, [*session_start(), *turn("你好", "greet", 0.9, ["你好！"])],
                                               domain.slots)
    with caplog.at_level(logging.ERROR, logger="bot.storage.tracker_store"):
        save(store, tracker)
    assert "could not log the conversation turns" in caplog.text
    assert [e.get("text") for e in retrieve(store).as_dialogue().as_dict()["events"] if e["event"] == "user"] == [
        "你好"]
    assert stored_event_types(store) == [event.type_name for event in tracker.events]  # stored once


def test_dialogue_state_is_in_the_project_database(store: ReviewedSQLTrackerStore, storage_url: str,
                                                   domain: Domain) -> None:
    save(store, DialogueStateTracker.from_events(SENDER, [*session_start(), *turn("你好", "greet", 0.9, ["你好"])],
                                                 domain.slots))
    with engine_for(storage_url).connect() as connection:
        count = connection.execute(sa.select(sa.func.count()).select_from(SQLTrackerStore.SQLEvent.__table__))
        assert count.scalar() > 0
    other = SQLTrackerStore(domain=domain, host=storage_url)  # plain Rasa reads the same conversation
    assert asyncio.run(other.retrieve(store.stored_key(SENDER))) is not None
    assert asyncio.run(other.retrieve(SENDER)) is None  # never under the raw sender id


def test_nothing_personal_is_stored_in_clear_in_rasas_events(store: ReviewedSQLTrackerStore, storage_url: str,
                                                             domain: Domain) -> None:
    phone = "13912345678"
    id_number = "11010119900307451" + id_check_character("11010119900307451")
    sender = f"+86{phone}"
    text = (f"我叫王建国 我的手机{phone} 身份证{id_number} 邮箱 someone@example.com 座机0931-8123456 "
            "QQ 88776655 微信号 wjg_lanzhou 住张掖路123号3单元501室")
    save(store, DialogueStateTracker.from_events(sender, [*session_start(), *turn(text, "inform", 0.9, ["好的"])],
                                                 domain.slots))
    with engine_for(storage_url).connect() as connection:
        rows = connection.execute(sa.select(SQLTrackerStore.SQLEvent.__table__)).fetchall()
    stored = " ".join(str(value) for row in rows for value in row)
    for secret in (phone, id_number, "someone@example.com", sender, "王建国", "8123456", "88776655", "wjg_lanzhou",
                   "123号"):
        assert secret not in stored
    [said] = [json.loads(row.data)["text"] for row in rows if row.type_name == "user"]
    assert "[手机号]" in said and "[身份证号]" in said and "[邮箱]" in said
    back = retrieve(store, sender)
    assert back is not None and back.sender_id == sender  # read back under the raw id, in memory only


def test_an_answer_card_goes_out_with_the_reply_but_is_not_stored(store: ReviewedSQLTrackerStore,
                                                                   storage_url: str, domain: Domain) -> None:
    card = {"title": "大学生创业社保补贴", "quotes": ["……给予社会保险补贴"], "departments": [{"name": "省人社厅"}]}
    custom = {**answer_payload(), "aspect": "amount", "card": card}
    events = [*session_start(), *turn("社保补贴多少", "ask_policy", 0.9, ["短答"], custom=custom)]
    tracker = DialogueStateTracker.from_events(SENDER, events, domain.slots)
    [reply] = [event for event in tracker.events if event.type_name == "bot"]
    sent = reply.message()  # what Rasa hands to the output channel during the turn, before the save
    save(store, tracker)
    with engine_for(storage_url).connect() as connection:
        rows = connection.execute(sa.select(SQLTrackerStore.SQLEvent.__table__)).fetchall()
    [stored] = [json.loads(row.data)["data"]["custom"] for row in rows if row.type_name == "bot"]
    assert stored == answer_payload() | {"aspect": "amount"}  # everything but the card, as sent
    assert sent["custom"]["card"] == card  # the reply the channel sends keeps it
    assert reply.data["custom"] == stored  # the tracker in memory is now as stored (the next turn may reuse it)
    [read_back] = [event for event in retrieve(store).events if event.type_name == "bot"]
    assert "card" not in read_back.data["custom"] and read_back.text == "短答"


def started_conversation(store: ReviewedSQLTrackerStore, domain: Domain, sender: str = SENDER) -> DialogueStateTracker:
    """A conversation's first turn saved, and the tracker the second turn reads back (from the database: the
    first tracker also held the action_session_start before its session began)."""
    first = [*session_start(), *turn("社保补贴", "student_startup_social_insurance", 0.9, ["第一段"],
                                     custom=answer_payload() | {"card": {"title": "社保补贴"}})]
    save(store, DialogueStateTracker.from_events(sender, first, domain.slots))
    return retrieve(store, sender)


def test_the_next_turn_gets_the_saved_tracker_from_memory_after_one_count(store: ReviewedSQLTrackerStore,
                                                                          domain: Domain) -> None:
    tracker = started_conversation(store, domain)
    for event in turn("我符合吗", "check_eligibility", 0.88, ["好的"], custom=answer_payload(kind="eligibility")):
        tracker.update(event)
    save(store, tracker)
    with statements_run(store.engine) as sent:
        again = retrieve(store)
    assert again is tracker
    assert len(sent) == 1 and "count(" in sent[0]  # no event read back, nothing replayed
    with statements_run(store.engine) as sent:
        from_database = retrieve(store)  # handed out once: now read
    assert from_database is not tracker and any("SELECT events.data" in statement for statement in sent)
    assert [event.as_dict() for event in from_database.events] == [event.as_dict() for event in again.events]
    assert from_database.current_state() == again.current_state()


def test_a_conversation_another_process_wrote_to_is_read_from_the_database(
        store: ReviewedSQLTrackerStore, storage_url: str, domain: Domain) -> None:
    tracker = started_conversation(store, domain)
    save(store, tracker)  # kept in memory
    other_worker = ReviewedSQLTrackerStore(domain=domain, database_url=storage_url, salt=SALT)
    theirs = retrieve(other_worker)
    for event in turn("谢谢", "thank", 0.95, ["不客气"]):
        theirs.update(event)
    save(other_worker, theirs)
    ours = retrieve(store)
    assert ours is not tracker
    assert [event.get("text") for event in ours.as_dialogue().as_dict()["events"] if event["event"] == "user"] == [
        "社保补贴", "谢谢"]


def test_a_turn_with_personal_data_is_not_kept_in_memory(store: ReviewedSQLTrackerStore, domain: Domain) -> None:
    tracker = started_conversation(store, domain)
    for event in turn("我手机13812345678 能申请吗", "check_eligibility", 0.9, ["好的"]):
        tracker.update(event)
    save(store, tracker)
    back = retrieve(store)
    assert back is not tracker  # the stored text differs from the one in memory: read back, redacted
    [_, said] = [event.text for event in back.events if event.type_name == "user"]
    assert said == f"我手机{MOBILE_TOKEN} 能申请吗"


def test_no_tracker_is_kept_when_the_cache_is_off(sqlite_url: str, domain: Domain,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHUANGYE_TRACKER_CACHE", "0")
    store = ReviewedSQLTrackerStore(domain=domain, database_url=sqlite_url, salt=SALT)
    tracker = started_conversation(store, domain)
    save(store, tracker)
    assert len(store.cache) == 0 and retrieve(store) is not tracker


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


def test_the_migration_hashes_and_redacts_events_stored_before(storage_url: str, domain: Domain) -> None:
    """Rows written by a version that kept raw ids and text are converted in place by migration 0004."""
    from alembic import command

    from bot.storage.migrate import alembic_config, upgrade

    upgrade(storage_url)
    command.downgrade(alembic_config(storage_url), "0003")  # as before this version
    old = SQLTrackerStore(domain=domain, host=storage_url)  # plain Rasa: raw sender id, raw text
    sender, phone = "+8613800001111", "13800001111"
    asyncio.run(old.save(DialogueStateTracker.from_events(
        sender, [*session_start(), *turn(f"电话{phone}", "inform", 0.9, ["好的"])], domain.slots)))
    upgrade(storage_url)
    with engine_for(storage_url).connect() as connection:
        rows = connection.execute(sa.select(SQLTrackerStore.SQLEvent.__table__)).fetchall()
    stored = " ".join(str(value) for row in rows for value in row)
    assert phone not in stored and sender not in stored
    store = ReviewedSQLTrackerStore(domain=domain, database_url=storage_url)
    assert retrieve(store, sender).sender_id == sender  # the converted rows are found under the hash


def test_a_tracker_read_only_to_be_read_stays_for_the_next_turn(store: ReviewedSQLTrackerStore,
                                                                domain: Domain) -> None:
    tracker = started_conversation(store, domain)
    save(store, tracker)
    assert asyncio.run(store.retrieve_to_read(SENDER)) is tracker
    assert retrieve(store) is tracker  # still there for the turn
    assert asyncio.run(store.retrieve_to_read("somebody else")) is None

"""对话列表 and 对话详情 over HTTP: every filter, keyset pages, transcripts, corrections, review marks, audit."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from bot.console.schema import audit_log
from bot.storage.database import engine_for
from tests.console.client import link, transcript_turn_ids, turn_ids
from tests.console.conftest import REVIEWER, Console, at
from tests.console.seeding import insert_turns, new_sender, stored_turn, turn


def audit_rows(database_url: str, action: str) -> list[dict]:
    query = sa.select(audit_log).where(audit_log.c.action == action).order_by(audit_log.c.id)
    with engine_for(database_url).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


@pytest.fixture
def varied(console: Console, day: dt.date) -> dict[str, int]:
    """One turn per filter, all on ``day``, named by what sets it apart."""
    rows = {
        "plain": turn(at(day, 9)),
        "wechat": turn(at(day, 10), channel="wechat"),
        "tax": turn(at(day, 11), topic="tax_incentives", intent="tax_incentives"),
        "unsure": turn(at(day, 12), confidence=0.21, kind="clarify", topic=None, intent="nlu_fallback"),
        "elsewhere": turn(at(day, 13), kind="out_of_scope", topic=None, intent="out_of_scope", confidence=0.8),
        "human": turn(at(day, 14), kind="handoff", handoff_requested=True, intent="request_human"),
        "disliked": turn(at(day, 15), feedback="not_useful"),
        "liked": turn(at(day, 16), feedback="useful"),
        "done": turn(at(day, 17), review_status="reviewed"),
        "late_evening": turn(at(day, 23, 30)),  # 15:30 UTC: still ``day`` in Beijing
    }
    ids = insert_turns(console.database_url, list(rows.values()))
    return dict(zip(rows, ids, strict=True))


def listed(browser, day: dt.date, **filters: str) -> set[int]:
    query = urlencode({"date_from": day.isoformat(), "date_to": day.isoformat(), **filters})
    response = browser.get(f"/conversations?{query}")
    assert response.status_code == 200
    return set(turn_ids(response.text))


def test_each_filter_returns_exactly_its_turns(console: Console, day: dt.date, varied: dict[str, int]) -> None:
    browser = console.reviewer()
    assert listed(browser, day) == set(varied.values())
    assert listed(browser, day, channel="wechat") == {varied["wechat"]}
    assert listed(browser, day, topic="tax_incentives") == {varied["tax"]}
    assert listed(browser, day, confidence_below="0.5") == {varied["unsure"]}
    assert listed(browser, day, kind="out_of_scope") == {varied["elsewhere"]}
    assert listed(browser, day, kind="clarify") == {varied["unsure"]}
    assert listed(browser, day, handoff="1") == {varied["human"]}
    assert listed(browser, day, negative_feedback="1") == {varied["disliked"]}
    assert listed(browser, day, review_status="reviewed") == {varied["done"]}
    assert listed(browser, day, review_status="unreviewed") == set(varied.values()) - {varied["done"]}
    assert listed(browser, day, channel="wechat", topic="tax_incentives") == set()


def test_date_range_uses_beijing_days(console: Console, day: dt.date, varied: dict[str, int]) -> None:
    browser = console.reviewer()
    next_day = day + dt.timedelta(days=1)
    [early] = insert_turns(console.database_url, [turn(at(next_day, 0, 30))])  # 16:30 UTC on ``day``
    assert early not in listed(browser, day)
    assert early in listed(browser, next_day)
    only_from = browser.get(f"/conversations?date_from={day + dt.timedelta(days=1)}&date_to={next_day}")
    assert set(turn_ids(only_from.text)) & set(varied.values()) == set()


def test_bad_filter_values_are_refused(console: Console) -> None:
    browser = console.reviewer()
    for query in ("confidence_below=2", "confidence_below=abc", "date_from=2019-13-01", "kind=bogus",
                  "review_status=maybe", "before=not-a-cursor"):
        assert browser.get(f"/conversations?{query}").status_code == 400, query


def test_pages_follow_time_order_without_gaps_or_repeats(console: Console, day: dt.date) -> None:
    same_moment = at(day, 12)
    rows = [turn(at(day, 8) + dt.timedelta(minutes=n)) for n in range(70)]
    rows += [turn(same_moment) for _ in range(5)]  # ties on the timestamp are ordered by id
    ids = insert_turns(console.database_url, rows)
    browser = console.reviewer()
    query = f"date_from={day}&date_to={day}"
    first = browser.get(f"/conversations?{query}")
    first_ids = turn_ids(first.text)
    assert len(first_ids) == 50
    assert link(first.text, "page-newer") is None
    second = browser.get(link(first.text, "page-older"))
    second_ids = turn_ids(second.text)
    assert link(second.text, "page-older") is None
    expected = sorted(ids, key=lambda turn_id: (rows[ids.index(turn_id)]["timestamp"], turn_id), reverse=True)
    assert first_ids + second_ids == expected
    back = browser.get(link(second.text, "page-newer"))
    assert turn_ids(back.text) == first_ids
    assert link(back.text, "page-newer") is None


def test_transcript_shows_each_turn_and_is_audited(console: Console, day: dt.date) -> None:
    sender = new_sender()
    ids = insert_turns(console.database_url, [
        turn(at(day, 9), sender_hash=sender, user_text="休学创业学籍咋办", intent="student_leave_of_absence",
             topic="student_leave_of_absence", confidence=0.77, departments=["省教育厅"], verdict="eligible",
             kind="eligibility", reply_text="可以保留学籍。"),
        turn(at(day, 9, 1), sender_hash=sender, user_text="<script>alert(1)</script>", kind="out_of_scope",
             topic=None, intent="out_of_scope"),
    ])
    before = len(audit_rows(console.database_url, "view_conversation"))
    page = console.reviewer().get(f"/conversations/{sender}")
    assert page.status_code == 200
    assert transcript_turn_ids(page.text) == ids
    for text in ("休学创业学籍咋办", "student_leave_of_absence", "0.77", "省教育厅", "符合", "可以保留学籍。"):
        assert text in page.text
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    rows = audit_rows(console.database_url, "view_conversation")
    assert len(rows) == before + 1
    assert rows[-1]["staff_name"] == REVIEWER[0] and rows[-1]["target"] == sender
    assert console.reviewer().get(f"/conversations/{new_sender()}").status_code == 404


def test_list_views_are_audited_with_their_filters(console: Console, day: dt.date) -> None:
    console.reviewer().get(f"/conversations?topic=tax_incentives&date_from={day}")
    row = audit_rows(console.database_url, "list_turns")[-1]
    assert row["staff_name"] == REVIEWER[0]
    assert "topic=tax_incentives" in row["detail"] and f"date_from={day}" in row["detail"]


def test_correction_is_stored_marked_reviewed_and_audited(console: Console, day: dt.date) -> None:
    [turn_id] = insert_turns(console.database_url, [
        turn(at(day, 10), user_text="搞养殖的能减税不", intent="administrative_fees", topic="administrative_fees")])
    browser = console.reviewer()
    response = browser.post(f"/turns/{turn_id}/correction", {"intent": "ask_policy", "topic": "tax_incentives"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"?turn={turn_id}&notice=corrected#turn-{turn_id}")
    stored = stored_turn(console.database_url, turn_id)
    assert (stored["corrected_intent"], stored["corrected_topic"]) == ("ask_policy", "tax_incentives")
    assert stored["corrected_by"] == REVIEWER[0] and stored["corrected_at"] is not None
    assert stored["review_status"] == "reviewed"
    assert (stored["intent"], stored["topic"]) == ("administrative_fees", "administrative_fees")  # kept
    audit = audit_rows(console.database_url, "correct_turn")[-1]
    assert audit["target"] == f"turn {turn_id}" and "tax_incentives" in audit["detail"]
    page = browser.get(response.headers["Location"].split("#")[0])
    assert 'data-testid="notice"' in page.text
    assert 'data-testid="turn-corrected-intent">ask_policy<' in page.text


def test_correction_only_accepts_known_intents_and_topics(console: Console, day: dt.date) -> None:
    [turn_id] = insert_turns(console.database_url, [turn(at(day, 10))])
    browser = console.reviewer()
    assert browser.post(f"/turns/{turn_id}/correction", {"intent": "made_up", "topic": ""}).status_code == 400
    assert browser.post(f"/turns/{turn_id}/correction", {"intent": "", "topic": "made_up"}).status_code == 400
    assert browser.post("/turns/999999999/correction", {"intent": "greet", "topic": ""}).status_code == 404
    assert browser.post(f"/turns/{turn_id}/correction", {"intent": "greet", "topic": ""}).status_code == 303
    stored = stored_turn(console.database_url, turn_id)
    assert (stored["corrected_intent"], stored["corrected_topic"]) == ("greet", None)


def test_mark_whole_conversation_reviewed(console: Console, day: dt.date) -> None:
    sender = new_sender()
    ids = insert_turns(console.database_url, [turn(at(day, 9, n), sender_hash=sender) for n in range(3)])
    other = insert_turns(console.database_url, [turn(at(day, 9))])
    response = console.reviewer().post(f"/conversations/{sender}/reviewed")
    assert response.status_code == 303
    assert [stored_turn(console.database_url, turn_id)["review_status"] for turn_id in ids] == ["reviewed"] * 3
    assert stored_turn(console.database_url, other[0])["review_status"] == "unreviewed"
    assert audit_rows(console.database_url, "mark_reviewed")[-1]["detail"] == "3 turns"


def test_long_transcripts_are_paged_and_list_links_open_the_right_page(console: Console, day: dt.date) -> None:
    sender = new_sender()
    ids = insert_turns(console.database_url,
                       [turn(at(day, 8) + dt.timedelta(minutes=n), sender_hash=sender) for n in range(305)])
    browser = console.reviewer()
    first = browser.get(f"/conversations/{sender}")
    assert transcript_turn_ids(first.text) == ids[:300]
    last = browser.get(f"/conversations/{sender}?turn={ids[-1]}")
    assert transcript_turn_ids(last.text) == ids[300:]
    assert transcript_turn_ids(browser.get(link(last.text, "transcript-earlier")).text) == ids[:300]

"""人工请求队列 over HTTP: open requests oldest first; status open → in_progress → closed, audited; a waiting
person's contact shown on request, audited, deleted on closing."""

from __future__ import annotations

import datetime as dt
import itertools
import re

import sqlalchemy as sa

from bot.console.schema import audit_log
from bot.settings import load_settings
from bot.storage.database import engine_for
from bot.storage.handoffs import handoff_requests, record_handoff
from tests.console.conftest import REVIEWER, Console, at
from tests.console.seeding import handoff_status, insert_handoff, new_sender

_chat_ids = itertools.count(700_000_001)


def next_chat_id() -> int:
    return next(_chat_ids)


def queue_ids(page: str) -> list[int]:
    return [int(value) for value in re.findall(r'data-testid="handoff-row" data-handoff-id="(\d+)"', page)]


def test_queue_lists_open_requests_oldest_first(console: Console, day: dt.date) -> None:
    newer = insert_handoff(console.database_url, at(day, 12), new_sender())
    older = insert_handoff(console.database_url, at(day, 8), new_sender(), status="in_progress")
    closed = insert_handoff(console.database_url, at(day, 7), new_sender(), status="closed")
    page = console.reviewer().get("/handoffs")
    assert page.status_code == 200
    listed = [request_id for request_id in queue_ids(page.text) if request_id in (newer, older, closed)]
    assert listed == [older, newer]
    with_closed = console.reviewer().get("/handoffs?closed=1").text
    assert closed in queue_ids(with_closed)


def test_status_moves_along_and_each_change_is_audited(console: Console, day: dt.date) -> None:
    request_id = insert_handoff(console.database_url, at(day, 9), new_sender())
    browser = console.reviewer()
    response = browser.post(f"/handoffs/{request_id}/status", {"from": "open", "status": "in_progress"})
    assert response.status_code == 303
    assert handoff_status(console.database_url, request_id) == "in_progress"
    assert browser.post(f"/handoffs/{request_id}/status", {"from": "in_progress", "status": "closed"}
                        ).status_code == 303
    assert handoff_status(console.database_url, request_id) == "closed"
    assert request_id not in queue_ids(browser.get("/handoffs").text)
    with engine_for(console.database_url).connect() as connection:
        rows = connection.execute(sa.select(audit_log.c.staff_name, audit_log.c.detail).where(
            (audit_log.c.action == "handoff_status") & (audit_log.c.target == f"handoff {request_id}"))
            .order_by(audit_log.c.id)).all()
    assert [tuple(row) for row in rows] == [(REVIEWER[0], "open→in_progress"), (REVIEWER[0], "in_progress→closed")]


def test_stale_or_impossible_changes_are_refused(console: Console, day: dt.date) -> None:
    request_id = insert_handoff(console.database_url, at(day, 9), new_sender())
    browser = console.reviewer()
    assert browser.post(f"/handoffs/{request_id}/status", {"from": "in_progress", "status": "closed"}
                        ).status_code == 409  # someone else's view was out of date
    assert browser.post(f"/handoffs/{request_id}/status", {"from": "open", "status": "open"}).status_code == 409
    assert browser.post(f"/handoffs/{request_id}/status", {"from": "open", "status": "done"}).status_code == 400
    assert browser.post("/handoffs/999999999/status", {"from": "open", "status": "closed"}).status_code == 409
    assert handoff_status(console.database_url, request_id) == "open"


def test_staff_see_a_waiting_persons_contact_on_request_audited_and_it_is_gone_once_closed(
        console: Console) -> None:
    contact = f"telegram:{next_chat_id()}"
    request_id = record_handoff(console.database_url, "salt", contact, "telegram", None,
                                contact_key=load_settings().handoff_contact_key)  # the console's key (same machine)
    browser = console.reviewer()
    listing = browser.get("/handoffs").text
    assert contact.split(":")[1] not in listing  # not shown until asked for
    assert f'action="/handoffs/{request_id}/contact"' in listing
    assert browser.post(f"/handoffs/{request_id}/contact", csrf=False).status_code == 403
    shown = browser.post(f"/handoffs/{request_id}/contact")
    assert shown.status_code == 200 and contact.split(":")[1] in shown.text
    assert shown.headers["Cache-Control"] == "no-store"
    with engine_for(console.database_url).connect() as connection:
        audited = connection.execute(sa.select(audit_log.c.staff_name).where(
            (audit_log.c.action == "handoff_contact") & (audit_log.c.target == f"handoff {request_id}"))).all()
    assert [row.staff_name for row in audited] == [REVIEWER[0]]
    assert browser.post(f"/handoffs/{request_id}/status", {"from": "open", "status": "closed"}).status_code == 303
    with engine_for(console.database_url).connect() as connection:
        assert connection.execute(sa.select(handoff_requests.c.contact)
                                  .where(handoff_requests.c.id == request_id)).scalar() is None
    assert browser.post(f"/handoffs/{request_id}/contact").status_code == 404


def test_a_request_without_a_contact_offers_none(console: Console, day: dt.date) -> None:
    request_id = insert_handoff(console.database_url, at(day, 9), new_sender())
    browser = console.reviewer()
    assert f'action="/handoffs/{request_id}/contact"' not in browser.get("/handoffs").text
    assert browser.post(f"/handoffs/{request_id}/contact").status_code == 404

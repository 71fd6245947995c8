"""人工请求队列 over HTTP: open requests oldest first; status open → in_progress → closed, audited; a waiting
person's contact shown on request, audited, deleted on closing; staff answer on the person's own channel."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from bot.console.accounts import create_staff
from bot.console.schema import audit_log
from bot.settings import load_settings
from bot.storage.database import engine_for
from bot.storage.handoffs import handoff_requests, record_handoff
from tests.channels.conftest import telegram_responder
from tests.channels.fakes import RecordingAPI
from tests.console.conftest import REVIEWER, Console, at, running_console
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


# --- answering from the console on the person's channel -------------------------------------------------------


@dataclass(frozen=True)
class ReplyingConsole:
    console: Console
    telegram_api: RecordingAPI


@pytest.fixture(scope="module")
def replying_console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplyingConsole]:
    """A console whose installation has Telegram (a loopback Bot API) and SMS (the log gateway) configured."""
    database_url = f"sqlite:///{tmp_path_factory.mktemp('replying') / 'console.db'}"
    create_staff(database_url, REVIEWER[0], "reviewer", REVIEWER[1])
    api = RecordingAPI(telegram_responder).start()
    environment = {"TELEGRAM_BOT_TOKEN": "123:ABC", "TELEGRAM_API_BASE_URL": f"{api.url}/bot",
                   "SMS_WEBHOOK_SECRET": "sms-secret", "SMS_GATEWAY": "log"}
    try:
        with running_console(database_url, environment) as (port, _):
            yield ReplyingConsole(Console(f"http://127.0.0.1:{port}", database_url), api)
    finally:
        api.stop()


def test_staff_answer_a_waiting_person_on_their_channel_audited_and_the_request_moves_along(
        replying_console: ReplyingConsole) -> None:
    console, chat_id = replying_console.console, next_chat_id()
    request_id = record_handoff(console.database_url, "salt", f"telegram:{chat_id}", "telegram", "guarantee_loans",
                                contact_key=load_settings().handoff_contact_key)
    browser = console.reviewer()
    listing = browser.get("/handoffs").text
    assert f'action="/handoffs/{request_id}/reply"' in listing
    assert browser.post(f"/handoffs/{request_id}/reply", {"text": "您好"}, csrf=False).status_code == 403
    answer = "您好，创业担保贷款请到户籍地人社部门咨询，联系人电话13912345678。"
    sent = browser.post(f"/handoffs/{request_id}/reply", {"text": answer})
    assert sent.status_code == 303 and "notice=handoff_replied" in sent.headers["Location"]
    assert [(int(call["chat_id"]), call["text"]) for call in replying_console.telegram_api.calls_to("/sendMessage")
            if int(call["chat_id"]) == chat_id] == [(chat_id, "【创业助手·工作人员回复】" + answer)]
    assert handoff_status(console.database_url, request_id) == "in_progress"
    with engine_for(console.database_url).connect() as connection:
        audited = connection.execute(sa.select(audit_log.c.staff_name, audit_log.c.detail).where(
            (audit_log.c.action == "handoff_reply") & (audit_log.c.target == f"handoff {request_id}"))).all()
    assert [row.staff_name for row in audited] == [REVIEWER[0]]
    assert audited[0].detail.startswith("sent on telegram (1): 您好，创业担保贷款")
    assert "13912345678" not in audited[0].detail and str(chat_id) not in audited[0].detail


def test_a_refused_reply_keeps_what_staff_typed(replying_console: ReplyingConsole) -> None:
    console = replying_console.console
    browser = console.reviewer()
    rest = record_handoff(console.database_url, "salt", "rest:caller-1", "rest", None,
                          contact_key=load_settings().handoff_contact_key)
    assert f'action="/handoffs/{rest}/reply"' not in browser.get("/handoffs").text  # REST has no address to write to
    refused = browser.post(f"/handoffs/{rest}/reply", {"text": "请留个电话"})
    assert refused.status_code == 409 and "无法从控制台回复" in refused.text and "请留个电话" in refused.text
    sms = record_handoff(console.database_url, "salt", f"sms:+86139{next_chat_id() % 10**8:08d}", "sms", None,
                         contact_key=load_settings().handoff_contact_key)
    too_long = "好" * 501
    answer = browser.post(f"/handoffs/{sms}/reply", {"text": too_long})
    assert answer.status_code == 400 and too_long in answer.text
    assert browser.post(f"/handoffs/{sms}/reply", {"text": "  \u202e "}).status_code == 400
    assert handoff_status(console.database_url, sms) == "open"
    assert browser.post(f"/handoffs/{sms}/reply", {"text": "您好，请回复您所在的市州。"}).status_code == 303
    assert handoff_status(console.database_url, sms) == "in_progress"
    assert browser.post(f"/handoffs/{sms}/status", {"from": "in_progress", "status": "closed"}).status_code == 303
    assert browser.post(f"/handoffs/{sms}/reply", {"text": "还在吗"}).status_code == 404  # contact gone

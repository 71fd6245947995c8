"""The database goes away under a live assistant (PostgreSQL behind a loopback forwarder we switch off): channels
refuse to acknowledge (so the platform retries), /health says not ready at once, nothing is lost once it is back,
and the Telegram poller keeps the update unconfirmed."""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from telegram import Bot

from bot.channels.telegram_poll import Poller
from bot.storage.channel_state import inbound_messages, stored_message_id
from bot.storage.database import engine_for
from bot.storage.scratch_schema import postgresql_schema_url, throwaway_schema
from tests.channels.conftest import (
    SMS_WEBHOOK_SECRET,
    TELEGRAM_BOT_TOKEN,
    WECHAT_APP_ID,
    WECHAT_APP_SECRET,
    WECHAT_TOKEN,
    WeChatAPI,
)
from tests.channels.test_sms import post as post_json
from tests.channels.test_sms import signed_headers
from tests.channels.test_telegram import polling_api, text_update
from tests.channels.test_wechat import post as post_xml
from tests.channels.test_wechat import signed_query, text_xml
from tests.conftest import MODEL_PATH
from tests.resilience.servers import Servers
from tests.resilience.tcp_forwarder import TcpForwarder
from tests.storage.conftest import POSTGRESQL_SKIP_REASON

RETRIES = 10  # a platform retries a refused message; after an outage the first retry may still meet a dead
#              pooled connection, so allow a few


@pytest.fixture(scope="module")
def postgresql() -> Iterator[tuple[TcpForwarder, str]]:
    """A throwaway schema on TEST_DATABASE_URL, reached through a forwarder: (forwarder, database URL)."""
    base_url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base_url:
        pytest.skip(POSTGRESQL_SKIP_REASON)
    target = sa.engine.make_url(base_url)
    forwarder = TcpForwarder(target.host or "127.0.0.1", target.port or 5432)
    forwarder.up()
    forwarded = target.set(host="127.0.0.1", port=forwarder.port).render_as_string(hide_password=False)
    try:
        with throwaway_schema(base_url, prefix="chuangye_outage") as schema:
            yield forwarder, postgresql_schema_url(forwarded, schema)
    finally:
        forwarder.close()


@pytest.fixture(scope="module")
def servers(postgresql: tuple[TcpForwarder, str]) -> Iterator[Servers]:
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train`")
    wechat_api = WeChatAPI()
    wechat_api.api.start()
    running = Servers({
        "DATABASE_URL": postgresql[1],
        "WECHAT_TOKEN": WECHAT_TOKEN, "WECHAT_APP_ID": WECHAT_APP_ID, "WECHAT_APP_SECRET": WECHAT_APP_SECRET,
        "WECHAT_API_BASE_URL": f"{wechat_api.api.url}/cgi-bin/",
        "SMS_WEBHOOK_SECRET": SMS_WEBHOOK_SECRET, "SMS_GATEWAY": "log",
    })
    try:
        yield running.start()
    finally:
        running.stop()
        wechat_api.api.stop()


def send_wechat(servers: Servers, openid: str, text: str, msg_id: str) -> tuple[int, bytes]:
    body = text_xml(openid, text, msg_id).encode()
    return post_xml(f"{servers.base_url}/webhooks/wechat/webhook", signed_query(), body)


def send_sms(servers: Servers, phone: str, text: str, message_id: str) -> tuple[int, Any]:
    body = json.dumps({"message_id": message_id, "from": phone, "text": text}).encode()
    return post_json(f"{servers.base_url}/webhooks/sms/webhook", body, signed_headers(body))


def rest_status_of(servers: Servers, sender: str, text: str) -> int:
    try:
        servers.say(sender, text)
    except urllib.error.HTTPError as error:
        return error.code
    return 200


def until_accepted(send: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    """Deliver again the way a platform does after an error status, until it is accepted."""
    for _ in range(RETRIES):
        status, body = send()
        if status == 200:
            return status, body
        time.sleep(0.5)
    return status, body


def wait_until_ready(servers: Servers) -> None:
    for _ in range(40):
        if servers.health()[0] == 200:
            return
        time.sleep(0.5)
    pytest.fail("/health did not become ready after the database came back")


def test_database_outage_refuses_messages_and_loses_none(servers: Servers,
                                                         postgresql: tuple[TcpForwarder, str]) -> None:
    forwarder, _ = postgresql
    openid, phone = f"o-{uuid.uuid4().hex[:12]}", f"+86139{uuid.uuid4().int % 10**8:08d}"
    wechat_id, sms_id = str(uuid.uuid4().int)[:18], f"sms-{uuid.uuid4().hex[:10]}"
    assert servers.health()[0] == 200

    forwarder.down()
    try:
        started = time.monotonic()
        status, report = servers.health()
        health_seconds = time.monotonic() - started
        wechat_status, _ = send_wechat(servers, openid, "返乡创业有什么扶持", wechat_id)
        sms_status, _ = send_sms(servers, phone, "大学生创业有社保补贴吗", sms_id)
        rest_status = rest_status_of(servers, "outage-rest-user", "科研人员离岗创业有什么政策")
    finally:
        forwarder.up()
    print(f"\n/health during the outage: {status} {report} in {health_seconds:.2f} s; "
          f"WeChat {wechat_status}, SMS {sms_status}")
    assert (status, report["status"]) == (503, "not ready")
    assert report["checks"]["database"] != "ok" and report["checks"]["model"] == "ok"
    assert wechat_status == 503 and sms_status == 503  # both platforms deliver the message again later
    assert rest_status == 503  # not Rasa's "200 and an empty list" for a message that was not stored

    wait_until_ready(servers)
    wechat_status, wechat_reply = until_accepted(lambda: send_wechat(servers, openid, "返乡创业有什么扶持", wechat_id))
    sms_status, sms_reply = until_accepted(lambda: send_sms(servers, phone, "大学生创业有社保补贴吗", sms_id))
    assert wechat_status == 200 and "返乡" in wechat_reply.decode() and "四(四)" in wechat_reply.decode()
    assert sms_status == 200 and sms_reply["replies"] >= 1
    for channel, sender in (("wechat", openid), ("sms", phone)):
        assert len(servers.stored_turns(sender, channel)) == 1  # stored once: not lost, not doubled by the retries


def test_telegram_polling_keeps_the_update_unconfirmed_while_the_database_is_down(
        assistant: Any, postgresql: tuple[TcpForwarder, str]) -> None:
    forwarder, database_url = postgresql
    engine_for(database_url)  # tables exist before the outage, as in a running deployment
    update_id, chat_id = uuid.uuid4().int % 10**9, uuid.uuid4().int % 10**9
    events: list[tuple] = []
    api = polling_api(text_update(update_id, chat_id, "大学生创业有社保补贴吗"), events)

    async def polling() -> tuple[list[bool], int | None, list[bool], int | None]:
        bot = Bot(TELEGRAM_BOT_TOKEN, base_url=f"{api.url}/bot")
        poller = Poller(bot, assistant, database_url)
        try:
            forwarder.down()
            try:
                during = [await poller.poll_once(timeout=0) for _ in range(2)]
            finally:
                forwarder.up()
            offset_during = poller.offset
            after = [await poller.poll_once(timeout=0) for _ in range(RETRIES)]
            return during, offset_during, after, poller.offset
        finally:
            await bot.shutdown()

    try:
        during, offset_during, after, offset_after = asyncio.run(polling())
    finally:
        api.stop()
    assert during == [False, False] and offset_during is None  # fetched again, never confirmed
    assert [call["chat_id"] for call in api.calls_to("/sendMessage")] == [str(chat_id)]  # answered once, after
    assert True in after and offset_after == update_id + 1
    with engine_for(database_url).connect() as connection:
        claimed = connection.execute(sa.select(sa.func.count()).select_from(inbound_messages).where(
            inbound_messages.c.message_id == stored_message_id("telegram", str(update_id)))).scalar()
    assert claimed == 1

"""A staff member's answer sent on the person's own channel: real python-telegram-bot and wechatpy clients against
loopback stand-ins of their APIs, the SMS log gateway against the test database."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools

import pytest

from bot.channels.base import sender_hash
from bot.channels.outbound import (
    STAFF_REPLY_LIMIT,
    DeliveryFailed,
    NotDeliverable,
    OptedOut,
    can_deliver,
    send_staff_reply,
    staff_message,
)
from bot.channels.render import sms_segments
from bot.channels.sms_gateways import outbox
from bot.settings import Settings, SmsSettings, TelegramSettings, WeChatSettings, load_settings
from bot.storage.channel_state import set_sms_opt_out
from bot.storage.handoffs import hash_sender
from tests.channels.conftest import WeChatAPI, telegram_responder
from tests.channels.fakes import RecordingAPI

_ids = itertools.count(880_000_001)


def settings_with(**channels: object) -> Settings:
    return dataclasses.replace(load_settings(), **{"wechat": None, "telegram": None, "sms": None, **channels})


def test_the_person_sees_the_answer_comes_from_staff_in_the_language_it_is_written_in() -> None:
    assert staff_message("  您好，社保补贴请到户籍地人社部门申请。 ").startswith("【创业助手·工作人员回复】您好")
    assert staff_message("Hello, please ask the provincial finance office.").startswith(
        "[Startup Assistant · reply from our staff] Hello")


def test_telegram_reply_goes_to_the_chat_with_python_telegram_bot() -> None:
    api = RecordingAPI(telegram_responder).start()
    chat_id = next(_ids)
    settings = settings_with(telegram=TelegramSettings("123:ABC", None, f"{api.url}/bot"))
    try:
        delivery = asyncio.run(send_staff_reply(f"telegram:{chat_id}", "您好，请带身份证去人社局。", settings))
    finally:
        api.stop()
    sent = api.calls_to("/sendMessage")
    assert [(int(call["chat_id"]), call["text"]) for call in sent] == [
        (chat_id, "【创业助手·工作人员回复】您好，请带身份证去人社局。")]
    assert (delivery.channel, delivery.messages) == ("telegram", 1)


def test_telegram_refusal_is_a_failed_delivery() -> None:
    def blocked(path: str, params: dict) -> tuple[int, dict]:
        if path.endswith("/sendMessage"):
            return 403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}
        return telegram_responder(path, params)

    api = RecordingAPI(blocked).start()
    settings = settings_with(telegram=TelegramSettings("123:ABC", None, f"{api.url}/bot"))
    try:
        with pytest.raises(DeliveryFailed, match="blocked"):
            asyncio.run(send_staff_reply(f"telegram:{next(_ids)}", "您好", settings))
    finally:
        api.stop()


def test_wechat_reply_is_a_customer_service_message_and_its_refusal_is_reported() -> None:
    wechat = WeChatAPI()
    wechat.api.start()
    openid = f"oStaffReply{next(_ids)}"
    settings = settings_with(wechat=WeChatSettings("token", "wx-outbound-app", "secret", None,
                                                   f"{wechat.api.url}/cgi-bin/"))
    try:
        delivery = asyncio.run(send_staff_reply(f"wechat:{openid}", "您好，材料清单请问区人社局。", settings))
        wechat.send_errcode = 45015  # more than 48 hours since the person last wrote
        with pytest.raises(DeliveryFailed, match="45015"):
            asyncio.run(send_staff_reply(f"wechat:{openid}", "还在吗？", settings))
    finally:
        wechat.api.stop()
    sent = wechat.api.calls_to("/message/custom/send")
    assert sent[0]["touser"] == openid and sent[0]["msgtype"] == "text"
    assert sent[0]["text"]["content"] == "【创业助手·工作人员回复】您好，材料清单请问区人社局。"
    assert delivery.messages == 1


def test_sms_reply_is_split_into_parts_of_at_most_three_segments(database_url: str) -> None:
    phone = f"+86139{next(_ids) % 100_000_000:08d}"
    settings = settings_with(database_url=database_url, sms=SmsSettings("secret", "log", None, 3, None))
    long_answer = "您好。" + "社保补贴按文件规定办理，具体标准请问当地人社部门。" * 12
    delivery = asyncio.run(send_staff_reply(f"sms:{phone}", long_answer[:STAFF_REPLY_LIMIT], settings))
    rows = outbox(database_url, hash_sender(phone, settings.sender_hash_salt))
    assert delivery.messages == len(rows) >= 2
    assert all(row["segments"] <= 3 for row in rows)
    assert rows[0]["text"].startswith("【创业助手·工作人员回复】")
    assert sum(sms_segments(row["text"]) for row in rows) == sum(row["segments"] for row in rows)


def test_nothing_is_sent_to_a_number_that_unsubscribed(database_url: str) -> None:
    phone = f"+86139{next(_ids) % 100_000_000:08d}"
    settings = settings_with(database_url=database_url, sms=SmsSettings("secret", "log", None, 3, None))
    set_sms_opt_out(database_url, sender_hash(phone), True)
    with pytest.raises(OptedOut):
        asyncio.run(send_staff_reply(f"sms:{phone}", "您好", settings))
    assert outbox(database_url, hash_sender(phone, settings.sender_hash_salt)) == []


def test_rest_and_unconfigured_channels_cannot_be_written_to() -> None:
    settings = settings_with(telegram=TelegramSettings("123:ABC", None, None))
    assert can_deliver("telegram:1", settings)
    for contact in ("rest:someone", "wechat:oABC", "sms:+8613900000000", "telegram:", "carrier:1", ""):
        with pytest.raises(NotDeliverable):
            asyncio.run(send_staff_reply(contact, "您好", settings))

"""The SMS bridge: signatures, limits and formats of the three inbound webhooks, opt-out, dedupe, segments,
the outgoing gateways, and whole turns through the live assistant (real model, SMS_GATEWAY=log)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import itertools
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
import sqlalchemy as sa

from bot.channels.base import MAX_BODY_BYTES, sender_hash
from bot.channels.render import Button, ChannelReply, render_sms, sms_segments, ucs2_length
from bot.channels.sms import (
    OPT_IN_CONFIRMATION,
    OPT_OUT_CONFIRMATION,
    InboundSms,
    SmsInput,
    called_url,
    message_key,
    opt_command,
    twilio_signature,
    url_variants,
)
from bot.channels.sms_gateways import HttpGateway, LogGateway, SmsDeliveryError, gateway_for, outbox
from bot.settings import Settings, SmsSettings, load_settings
from bot.storage.channel_state import claim_message, inbound_messages, stored_message_id, undelivered
from bot.storage.database import engine_for
from bot.storage.handoffs import hash_sender
from tests.channels.conftest import SMS_WEBHOOK_SECRET, TWILIO_AUTH_TOKEN, LiveAssistant, free_port
from tests.channels.fakes import RecordingAPI

MAX_SEGMENTS = 3  # SMS_MAX_SEGMENTS is not set by the live fixture: the default
_numbers = itertools.count(1)


def new_phone() -> str:
    return f"+86138{next(_numbers):08d}"


def new_id(prefix: str = "m") -> str:
    return f"{prefix}-{next(_numbers)}-test"


# --- helpers: requests signed the way each gateway signs them ----------------------------------------------


def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode(errors="replace")


def signed_headers(body: bytes, secret: str = SMS_WEBHOOK_SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json",
            "X-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}


def send_generic(live: LiveAssistant, phone: str, text: str, message_id: str | None = None) -> tuple[int, Any]:
    body = json.dumps({"message_id": message_id or new_id(), "from": phone, "text": text}).encode()
    return post(live.webhook("sms"), body, signed_headers(body))


def documented_twilio_signature(token: str, url: str, params: dict[str, str]) -> str:
    """Written from Twilio's documentation, independently of the channel: URL + sorted name/value pairs."""
    data = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def twilio_url(live: LiveAssistant) -> str:
    return f"{live.base_url}/webhooks/sms/twilio"


def aliyun_url(live: LiveAssistant) -> str:
    return f"{live.base_url}/webhooks/sms/aliyun"


def outbox_texts(live: LiveAssistant, phone: str) -> list[str]:
    return [row["text"] for row in outbox(live.database_url, sender_hash(phone))]


def inbound_seen(live: LiveAssistant, key: str) -> bool:
    query = sa.select(inbound_messages.c.message_id).where(
        (inbound_messages.c.channel == "sms") & (inbound_messages.c.message_id == stored_message_id("sms", key)))
    with engine_for(live.database_url).connect() as connection:
        return connection.execute(query).first() is not None


# --- segment counting and rendering -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "segments"), [
    ("字" * 70, 1), ("字" * 71, 2), ("字" * 134, 2), ("字" * 135, 3), ("a" * 160, 1), ("a" * 161, 2), ("", 1),
    ("字" * 69 + "😀", 2),  # 71 UTF-16 units: the emoji takes two
    ("字" * 68 + "😀", 1),
])
def test_sms_segment_boundaries(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


def test_emoji_counts_as_two_units() -> None:
    assert ucs2_length("😀") == 2
    assert ucs2_length("返乡😀") == 4


@pytest.mark.parametrize("max_segments", [1, 2, 3])
def test_rendered_sms_respect_the_segment_cap_and_drop_nothing(max_segments: int) -> None:
    sentence = "返乡创业可以到县里的返乡创业园咨询。"
    reply = ChannelReply(texts=[sentence * 30], buttons=[Button("找哪个部门？", "/ask_department")])
    pieces = render_sms(reply, max_segments)
    assert len(pieces) > 1
    assert all(sms_segments(piece) <= max_segments for piece in pieces)
    assert "".join(pieces).count("返乡创业园") == 30
    assert pieces[-1].endswith("回1找哪个部门？")


# --- signatures and commands ------------------------------------------------------------------------------


def test_twilio_signature_matches_twilios_documented_example() -> None:
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+12349013030", "Digits": "1234",
              "From": "+12349013030", "To": "+18005551212"}
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert twilio_signature("12345", url, list(params.items())) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert documented_twilio_signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_twilio_url_variants_cover_the_port_forms() -> None:
    assert set(url_variants("https://sms.example.org/webhooks/sms/twilio")) == {
        "https://sms.example.org/webhooks/sms/twilio", "https://sms.example.org:443/webhooks/sms/twilio"}
    assert "http://127.0.0.1/x" in url_variants("http://127.0.0.1:8080/x")


@pytest.mark.parametrize("text", ["退订", "TD", "td", "T", "t", "STOP", "stop", "Unsubscribe", "ＴＤ", "ｔｄ",
                                  "  退订 ", "\tＳＴＯＰ\n"])
def test_opt_out_words(text: str) -> None:
    assert opt_command(text) == "out"


@pytest.mark.parametrize("text", ["开通", "START", "start", " ＳＴＡＲＴ "])
def test_opt_in_words(text: str) -> None:
    assert opt_command(text) == "in"


@pytest.mark.parametrize("text", ["我想退订", "TDD", "STOP IT", "1", "", "返乡创业有什么扶持"])
def test_other_text_is_no_command(text: str) -> None:
    assert opt_command(text) is None


# --- the outgoing gateways --------------------------------------------------------------------------------


def sms_settings(gateway: str, gateway_url: str | None = None) -> Settings:
    return dataclasses.replace(load_settings(), wechat=None, telegram=None,
                               sms=SmsSettings("secret", gateway, gateway_url, 3, None))


def test_gateway_configuration() -> None:
    assert isinstance(gateway_for(sms_settings("log")), LogGateway)
    assert isinstance(gateway_for(sms_settings("http", "http://127.0.0.1:9/sms")), HttpGateway)
    with pytest.raises(ValueError, match="SMS_GATEWAY_URL"):
        gateway_for(sms_settings("http"))
    with pytest.raises(ValueError, match="unknown"):
        gateway_for(sms_settings("carrier-pigeon"))


def test_log_gateway_stores_the_hash_and_the_segment_count(database_url: str) -> None:
    phone = new_phone()
    asyncio.run(LogGateway(database_url, "salt").send(phone, "字" * 71))
    rows = outbox(database_url, hash_sender(phone, "salt"))
    assert [(row["text"], row["segments"]) for row in rows] == [("字" * 71, 2)]
    assert phone not in json.dumps([row["sender_hash"] for row in rows])


def test_http_gateway_posts_to_and_text() -> None:
    api = RecordingAPI(lambda path, params: (200, {"ok": True})).start()
    try:
        asyncio.run(HttpGateway(f"{api.url}/send").send("+8613800000000", "你好"))
    finally:
        api.stop()
    assert api.calls == [("/send", {"to": "+8613800000000", "text": "你好"})]


def test_http_gateway_refusal_and_unreachable_gateway_raise() -> None:
    api = RecordingAPI(lambda path, params: (503, {"ok": False})).start()
    try:
        with pytest.raises(SmsDeliveryError, match="503"):
            asyncio.run(HttpGateway(f"{api.url}/send").send("+8613800000000", "你好"))
    finally:
        api.stop()
    with pytest.raises(SmsDeliveryError, match="unreachable"):
        asyncio.run(HttpGateway(f"http://127.0.0.1:{free_port()}/send", timeout_seconds=2).send("+86", "x"))


# --- failures inside the channel (no live server: a stand-in assistant and gateway) -------------------------


class RefusingGateway:
    async def send(self, phone_number: str, text: str) -> None:
        raise SmsDeliveryError("gateway answered HTTP 503")


async def assistant_says_hello(message: Any) -> None:
    await message.output_channel.send_text_message(message.sender_id, "你好。")


async def assistant_crashes(message: Any) -> None:
    raise RuntimeError("the model is not loaded")


def test_a_failed_turn_releases_the_message_id_for_the_retry(database_url: str) -> None:
    channel = SmsInput(sms_settings("log"))
    message = InboundSms(message_key("webhook", new_id("crash")), new_phone(), "返乡创业有什么扶持")
    with pytest.raises(RuntimeError):
        asyncio.run(channel.process(message, assistant_crashes))
    assert claim_message(database_url, "sms", message.key)  # released: the retry is processed


def test_an_undelivered_reply_is_recorded_not_lost(database_url: str) -> None:
    channel = SmsInput(sms_settings("log"), gateway=RefusingGateway())
    phone = new_phone()
    message = InboundSms(message_key("webhook", new_id("refused")), phone, "你好")
    assert asyncio.run(channel.process(message, assistant_says_hello)) == 0
    rows = [row for row in undelivered(database_url, "sms") if row["sender_hash"] == sender_hash(phone)]
    assert [(row["text"], row["error"]) for row in rows] == [("你好。", "gateway answered HTTP 503")]


# --- refused requests: nothing stored ---------------------------------------------------------------------


@pytest.mark.parametrize("signature", [None, "", "00" * 32, "not hex at all", "ｆｆ"])
def test_generic_webhook_without_a_valid_signature_is_refused(live_assistant: LiveAssistant,
                                                              signature: str | None) -> None:
    phone, message_id = new_phone(), new_id()
    body = json.dumps({"message_id": message_id, "from": phone, "text": "返乡创业有什么扶持"}).encode()
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Signature"] = signature.encode().decode("latin-1")
    status, _ = post(live_assistant.webhook("sms"), body, headers)
    assert status == 403
    assert outbox_texts(live_assistant, phone) == []
    assert not inbound_seen(live_assistant, message_key("webhook", message_id))


def test_signature_with_another_secret_is_refused(live_assistant: LiveAssistant) -> None:
    phone, message_id = new_phone(), new_id()
    body = json.dumps({"message_id": message_id, "from": phone, "text": "你好"}).encode()
    status, _ = post(live_assistant.webhook("sms"), body, signed_headers(body, secret="someone-else"))
    assert status == 403
    assert outbox_texts(live_assistant, phone) == []
    assert not inbound_seen(live_assistant, message_key("webhook", message_id))


def test_aliyun_without_a_valid_signature_is_refused(live_assistant: LiveAssistant) -> None:
    phone = new_phone()
    body = json.dumps([{"phone_number": phone, "content": "你好", "sequence_id": 424242}]).encode()
    status, _ = post(aliyun_url(live_assistant), body, {"Content-Type": "application/json", "X-Signature": "ab"})
    assert status == 403
    assert outbox_texts(live_assistant, phone) == []
    assert not inbound_seen(live_assistant, message_key("aliyun", "424242"))


@pytest.mark.parametrize("body", [
    b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'"text"', b"null", b"{}",
    b'{"message_id": "x-1", "from": "+8613800000000"}',  # no text
    b'{"message_id": "x-2", "from": "not a number", "text": "hi"}',
    b'{"message_id": "x-3", "from": "+86\\ud800", "text": "hi"}',  # a lone surrogate in the number
    b'{"message_id": "\\u0000bad", "from": "+8613800000000", "text": "hi"}',
    b'{"message_id": true, "from": "+8613800000000", "text": "hi"}',
    b"[" * 20000 + b"]" * 20000,
])
def test_malformed_generic_payload_is_400(live_assistant: LiveAssistant, body: bytes) -> None:
    status, _ = post(live_assistant.webhook("sms"), body, signed_headers(body))
    assert status == 400


@pytest.mark.parametrize("body", [
    b"{", b"[1]", b'[{"phone_number": "+8613800000000", "content": "hi"}]',
    b'{"phone_number": "+8613800000000", "sequence_id": 5}',
])
def test_malformed_aliyun_payload_is_400(live_assistant: LiveAssistant, body: bytes) -> None:
    status, _ = post(aliyun_url(live_assistant), body, signed_headers(body))
    assert status == 400


@pytest.mark.parametrize("body", [b"From=%2B8613800000000&Body=\xff\xfe", b"Body=hi&&&=&=="])
def test_malformed_twilio_form_is_400(live_assistant: LiveAssistant, body: bytes) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "c2lnbmF0dXJl"}
    status, _ = post(twilio_url(live_assistant), body, headers)
    assert status == 400


@pytest.mark.parametrize("path", ["webhook", "twilio", "aliyun"])
def test_body_over_64_kb_is_413(live_assistant: LiveAssistant, path: str) -> None:
    body = json.dumps({"message_id": new_id(), "from": new_phone(), "text": "字" * MAX_BODY_BYTES}).encode()
    status, _ = post(f"{live_assistant.base_url}/webhooks/sms/{path}", body, signed_headers(body))
    assert status == 413


# --- Twilio -----------------------------------------------------------------------------------------------


def twilio_form(phone: str, text: str, sid: str) -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": phone, "To": "+8610690000", "Body": text,
            "NumMedia": "0"}


def test_twilio_message_with_a_valid_signature_gets_a_reply(live_assistant: LiveAssistant) -> None:
    phone, sid = new_phone(), "SM" + "1" * 32
    params = twilio_form(phone, "返乡创业有什么扶持", sid)
    url = twilio_url(live_assistant)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": documented_twilio_signature(TWILIO_AUTH_TOKEN, url, params)}
    status, answer = post(url, urllib.parse.urlencode(params).encode(), headers)
    assert status == 200
    assert answer["ok"] is True and answer["replies"] >= 1
    assert len(outbox_texts(live_assistant, phone)) == answer["replies"]
    assert inbound_seen(live_assistant, message_key("twilio", sid))


def test_twilio_signature_over_the_public_url_behind_a_proxy(live_assistant: LiveAssistant) -> None:
    phone = new_phone()
    params = twilio_form(phone, "你好", "SM" + "2" * 32)
    public = "https://sms.example.org/webhooks/sms/twilio"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-Proto": "https",
               "X-Forwarded-Host": "sms.example.org",
               "X-Twilio-Signature": documented_twilio_signature(TWILIO_AUTH_TOKEN, public, params)}
    status, answer = post(twilio_url(live_assistant), urllib.parse.urlencode(params).encode(), headers)
    assert status == 200 and answer["replies"] >= 1


@pytest.mark.parametrize("signature", [None, "", "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", "wrong-url"])
def test_twilio_without_a_valid_signature_is_refused(live_assistant: LiveAssistant, signature: str | None) -> None:
    phone, sid = new_phone(), "SM" + new_id().replace("-", "")
    params = twilio_form(phone, "返乡创业有什么扶持", sid)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature == "wrong-url":  # signed for another address: a replay to this one
        signature = documented_twilio_signature(TWILIO_AUTH_TOKEN, "https://elsewhere.example/sms", params)
    if signature is not None:
        headers["X-Twilio-Signature"] = signature
    status, _ = post(twilio_url(live_assistant), urllib.parse.urlencode(params).encode(), headers)
    assert status == 403
    assert outbox_texts(live_assistant, phone) == []
    assert not inbound_seen(live_assistant, message_key("twilio", sid))


# --- Aliyun -----------------------------------------------------------------------------------------------


def test_aliyun_upstream_batch_gets_replies_and_the_acknowledgement(live_assistant: LiveAssistant) -> None:
    first, second = new_phone(), new_phone()
    batch = [
        {"phone_number": first, "content": "返乡创业有什么扶持", "send_time": "2024-05-01 10:00:00",
         "sign_name": "创业助手", "dest_code": "1234", "sequence_id": 900001},
        {"phone_number": second, "content": "退订", "send_time": "2024-05-01 10:00:01",
         "sign_name": "创业助手", "dest_code": "1234", "sequence_id": 900002},
    ]
    body = json.dumps(batch, ensure_ascii=False).encode()
    status, answer = post(aliyun_url(live_assistant), body, signed_headers(body))
    assert status == 200
    assert answer["ok"] is True and answer["code"] == 0
    assert answer["replies"] == len(outbox_texts(live_assistant, first)) + 1
    assert outbox_texts(live_assistant, second) == [OPT_OUT_CONFIRMATION]
    again_status, again = post(aliyun_url(live_assistant), body, signed_headers(body))  # Aliyun's retry
    assert again_status == 200 and again["replies"] == 0


def test_aliyun_single_object_is_accepted(live_assistant: LiveAssistant) -> None:
    phone = new_phone()
    body = json.dumps({"phone_number": phone, "content": "你好", "sequence_id": "900003"}).encode()
    status, answer = post(aliyun_url(live_assistant), body, signed_headers(body))
    assert status == 200 and answer["replies"] >= 1


# --- whole turns through the live assistant ---------------------------------------------------------------


def test_rural_question_is_answered_in_capped_sms(live_assistant: LiveAssistant) -> None:
    phone = new_phone()
    status, answer = send_generic(live_assistant, phone, "俺想回村开个网店有啥扶持")
    assert status == 200 and answer["ok"] is True
    rows = outbox(live_assistant.database_url, sender_hash(phone))
    assert answer["replies"] == len(rows) >= 1
    assert any("返乡" in row["text"] or "农村" in row["text"] for row in rows)
    assert all(row["segments"] == sms_segments(row["text"]) <= MAX_SEGMENTS for row in rows)
    assert all(ucs2_length(ch) == 1 for row in rows for ch in row["text"])  # plain text: no emoji, no ⚠
    assert "回1" in rows[-1]["text"]  # the numbered menu


def test_numbered_reply_runs_the_first_buttons_payload(live_assistant: LiveAssistant) -> None:
    phone = new_phone()
    send_generic(live_assistant, phone, "俺想回村开个网店有啥扶持")
    menu = outbox_texts(live_assistant, phone)[-1]
    assert "回2哪个部门" in menu
    before = len(outbox_texts(live_assistant, phone))
    status, answer = send_generic(live_assistant, phone, "2")
    assert status == 200 and answer["replies"] >= 1
    department_reply = "".join(outbox_texts(live_assistant, phone)[before:])
    assert "牵头" in department_reply and "省人社厅" in department_reply


def test_duplicate_message_id_is_processed_once(live_assistant: LiveAssistant) -> None:
    phone, message_id = new_phone(), new_id("dup")
    first_status, first = send_generic(live_assistant, phone, "你好", message_id)
    count = len(outbox_texts(live_assistant, phone))
    second_status, second = send_generic(live_assistant, phone, "你好", message_id)
    assert first_status == second_status == 200
    assert first["replies"] == count >= 1
    assert second == {"ok": True, "replies": 0}
    assert len(outbox_texts(live_assistant, phone)) == count


def test_opt_out_then_silence_until_opt_in(live_assistant: LiveAssistant) -> None:
    phone = new_phone()
    assert send_generic(live_assistant, phone, "退订")[1] == {"ok": True, "replies": 1}
    assert outbox_texts(live_assistant, phone) == [OPT_OUT_CONFIRMATION]
    for text in ("返乡创业有什么扶持", "1", "退订", "STOP"):
        assert send_generic(live_assistant, phone, text) == (200, {"ok": True, "replies": 0})
    assert outbox_texts(live_assistant, phone) == [OPT_OUT_CONFIRMATION]
    assert send_generic(live_assistant, phone, "开通")[1] == {"ok": True, "replies": 1}
    assert outbox_texts(live_assistant, phone) == [OPT_OUT_CONFIRMATION, OPT_IN_CONFIRMATION]
    status, answer = send_generic(live_assistant, phone, "返乡创业有什么扶持")
    assert status == 200 and answer["replies"] >= 1
    assert len(outbox_texts(live_assistant, phone)) == 2 + answer["replies"]


@pytest.mark.parametrize("word", ["ＴＤ", " td ", "Unsubscribe"])
def test_other_opt_out_forms(live_assistant: LiveAssistant, word: str) -> None:
    phone = new_phone()
    assert send_generic(live_assistant, phone, word)[1] == {"ok": True, "replies": 1}
    assert send_generic(live_assistant, phone, "你好")[1] == {"ok": True, "replies": 0}
    assert outbox_texts(live_assistant, phone) == [OPT_OUT_CONFIRMATION]


@pytest.mark.parametrize("text", [
    pytest.param("😀😀😀", id="emoji-only"), pytest.param("返乡创业😀有什么扶持", id="emoji-in-question"),
    pytest.param("\x00\x07\x1b[31m", id="control-characters"), pytest.param("\u200b", id="zero-width-space"),
    pytest.param("\ud800返乡\udfff", id="lone-surrogates"), pytest.param("\ud83d", id="half-an-emoji"),
    pytest.param("", id="empty"), pytest.param("   ", id="blank"), pytest.param("字" * 5000, id="very-long"),
])
def test_odd_text_never_fails(live_assistant: LiveAssistant, text: str) -> None:
    phone = new_phone()
    status, answer = send_generic(live_assistant, phone, text)  # json.dumps escapes lone surrogates as \udxxx
    assert status == 200 and answer["ok"] is True
    rows = outbox(live_assistant.database_url, sender_hash(phone))
    assert answer["replies"] == len(rows)
    assert all(row["segments"] <= MAX_SEGMENTS for row in rows)


def test_odd_text_over_twilio_never_fails(live_assistant: LiveAssistant) -> None:
    phone = new_phone()
    sid, number = b"SM" + b"9" * 32, urllib.parse.quote(phone).encode()
    body = b"MessageSid=" + sid + b"&From=" + number + b"&Body=%ED%A0%80%00%F0%9F%98%80"  # lone surrogate, NUL, emoji
    params = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
    url = twilio_url(live_assistant)
    headers = {"Content-Type": "application/x-www-form-urlencoded",
               "X-Twilio-Signature": documented_twilio_signature(TWILIO_AUTH_TOKEN, url, dict(params))}
    status, answer = post(url, body, headers)
    assert status == 200 and answer["ok"] is True


@pytest.mark.parametrize(("trust", "expected"), [
    (False, "http://127.0.0.1:5005/webhooks/sms/twilio?a=1"),  # forwarded headers are anyone's to send
    (True, "https://sms.example.org/webhooks/sms/twilio?a=1"),  # behind a reverse proxy that sets them
])
def test_forwarded_host_names_the_signed_url_only_behind_a_trusted_proxy(trust: bool, expected: str) -> None:
    headers = {"x-forwarded-proto": "https", "x-forwarded-host": "sms.example.org, evil.example"}
    assert called_url("http", "127.0.0.1:5005", "/webhooks/sms/twilio", "a=1", headers, trust) == expected


def test_an_english_sms_with_typographic_quotes_is_still_gsm_text() -> None:
    reply = ChannelReply(texts=["Ask me, for example “Is there a start-up loan guarantee?” – or ‘human’."])
    [sms] = render_sms(reply, 3)
    assert sms == "Ask me, for example \"Is there a start-up loan guarantee?\" - or 'human'."
    assert sms_segments(sms) == 1  # GSM: 160 a segment
    [chinese] = render_sms(ChannelReply(texts=["比如“返乡创业有什么扶持”"]), 3)
    assert chinese == "比如“返乡创业有什么扶持”"  # Chinese is UCS-2 anyway: its quotes stay

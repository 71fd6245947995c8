"""Garbage on every public endpoint, over real HTTP on loopback: a 4xx (or, where stated, the normal answer),
never a 500, never a ``200`` that silently drops the message; the endpoint answers a normal request right
after; the Rasa server's memory stays flat over a few hundred garbage requests.

Signed channels get their garbage correctly signed (WeChat URL signature, the AES envelope and its
msg_signature, Telegram's secret header, the SMS HMACs, Twilio's URL signature), so it reaches the parser.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import random
import socket
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.channels.rest import MAX_MESSAGE_CHARS, MAX_METADATA_DEPTH, MAX_SENDER_CHARS
from bot.channels.sms import twilio_signature
from bot.http_framing import refuse_bad_framing
from bot.server import HOST
from tests.channels.conftest import (
    SMS_WEBHOOK_SECRET,
    TELEGRAM_WEBHOOK_SECRET,
    TWILIO_AUTH_TOKEN,
    WECHAT_AES_KEY,
    WECHAT_APP_ID,
    WECHAT_TOKEN,
)
from tests.console.client import Browser, csrf_in
from tests.resilience.conftest import (
    CONSOLE_ADMIN,
    Answer,
    GarbageConsole,
    GarbageServer,
    rss_kb,
    send,
)

CRYPTO = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID)
_counter = itertools.count(1)
_random = random.Random(20151212)  # the plan's date: the same garbage on every run
RANDOM_BYTES = _random.randbytes(4096)
KB = 1024


def unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:8]}"


# --- garbage that does not depend on the endpoint -----------------------------------------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol "lol">'
    + b"".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">'.encode() for i in range(1, 10))
    + b"]><xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o-bomb]]></FromUserName>"
    b"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&lol9;</Content>"
    b"<MsgId>1</MsgId></xml>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[o-xxe]]></FromUserName>"
    b"<CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content>&xxe;</Content>"
    b"<MsgId>2</MsgId></xml>"
)
REMOTE_DTD = b'<?xml version="1.0"?><!doctype xml SYSTEM "http://127.0.0.1:9/evil.dtd"><xml><Content>x</Content></xml>'
DEEP_JSON_PARSED = b"[" * 60_000  # under the 64 KB limit: it reaches the JSON parser
DEEP_JSON_100K = b"[" * 100_000  # the classic 100 000 levels: over 64 KB, refused before parsing


# --- the endpoints ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Endpoint:
    """How to address one webhook: ``prepare`` signs a body (and wraps it where the channel encrypts);
    ``message`` is a well-formed message whose text is the given raw bytes; ``check_normal`` asserts the
    answer to a normal message."""

    name: str
    prepare: Callable[[GarbageServer, bytes], Request]
    message: Callable[[bytes], bytes]
    check_normal: Callable[[Answer], None]


def _wechat_query(**extra: str) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), uuid.uuid4().hex[:10]
    signer = WeChatSigner()
    signer.add_data(WECHAT_TOKEN, timestamp, nonce)
    return {"signature": signer.signature, "timestamp": timestamp, "nonce": nonce, **extra}


def _wechat_plain(_: GarbageServer, body: bytes) -> Request:
    query = urllib.parse.urlencode(_wechat_query())
    return Request(f"/webhooks/wechat/webhook?{query}", {"Content-Type": "text/xml"}, body)


def _wechat_aes(_: GarbageServer, body: bytes) -> Request:
    """The body encrypted and signed as WeChat does in safe mode: it is what the parser gets after decrypting."""
    query = _wechat_query(encrypt_type="aes")
    envelope = CRYPTO.encrypt_message(body, query["nonce"], query["timestamp"])
    query["msg_signature"] = xmltodict.parse(envelope)["xml"]["MsgSignature"]
    return Request(f"/webhooks/wechat/webhook?{urllib.parse.urlencode(query)}", {"Content-Type": "text/xml"},
                   envelope.encode())


def _wechat_aes_envelope(_: GarbageServer, body: bytes) -> Request:
    """Safe mode with the garbage as the envelope itself (what an attacker without the AES key can send)."""
    query = _wechat_query(encrypt_type="aes", msg_signature="0" * 40)
    return Request(f"/webhooks/wechat/webhook?{urllib.parse.urlencode(query)}", {"Content-Type": "text/xml"}, body)


def _wechat_message(text: bytes) -> bytes:
    return (b"<xml><ToUserName><![CDATA[gh_chuangye]]></ToUserName><FromUserName><![CDATA["
            + unique("o").encode() + b"]]></FromUserName><CreateTime>" + str(int(time.time())).encode()
            + b"</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[" + text
            + b"]]></Content><MsgId>" + str(uuid.uuid4().int)[:18].encode() + b"</MsgId></xml>")


def _wechat_answered(answer: Answer) -> None:
    assert answer.status == 200, answer
    if answer.body == b"success":
        return  # a slow turn: the reply goes out through the customer-service API
    reply = xmltodict.parse(answer.body)["xml"]
    if "Encrypt" in reply:
        plain = CRYPTO.decrypt_message(answer.body, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])
        reply = xmltodict.parse(plain)["xml"]
    assert reply["Content"].strip(), answer


def _rest(_: GarbageServer, body: bytes) -> Request:
    return Request("/webhooks/rest/webhook", {"Content-Type": "application/json"}, body)


def _rest_message(text: bytes) -> bytes:
    return b'{"sender": "' + unique("rest").encode() + b'", "message": "' + text + b'"}'


def _rest_answered(answer: Answer) -> None:
    assert answer.status == 200, answer
    messages = json.loads(answer.body)
    assert any(message.get("text") for message in messages), answer  # not Rasa's "200 []" for a lost turn


def _telegram(_: GarbageServer, body: bytes) -> Request:
    return Request("/webhooks/telegram/webhook",
                   {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET},
                   body)


def _telegram_message(text: bytes) -> bytes:
    number = 8_000_000 + next(_counter)
    return (b'{"update_id": %d, "message": {"message_id": %d, "date": %d, "chat": {"id": %d, "type": "private"},'
            b' "from": {"id": %d, "is_bot": false, "first_name": "t"}, "text": "%s"}}'
            % (number, number, int(time.time()), number, number, text))


def _telegram_answered(answer: Answer) -> None:
    assert (answer.status, answer.body) == (200, b"ok"), answer


def _sms_signed(path: str) -> Callable[[GarbageServer, bytes], Request]:
    def prepare(_: GarbageServer, body: bytes) -> Request:
        signature = hmac.new(SMS_WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        return Request(path, {"Content-Type": "application/json", "X-Signature": signature}, body)

    return prepare


def _sms_message(text: bytes) -> bytes:
    return (b'{"message_id": "' + unique("m").encode() + b'", "from": "+86138' + str(next(_counter) % 10**8)
            .zfill(8).encode() + b'", "text": "' + text + b'"}')


def _aliyun_message(text: bytes) -> bytes:
    return (b'[{"sequence_id": ' + str(9_000_000 + next(_counter)).encode() + b', "phone_number": "139'
            + str(next(_counter) % 10**8).zfill(8).encode() + b'", "content": "' + text + b'"}]')


def _sms_answered(answer: Answer) -> None:
    assert answer.status == 200, answer
    reply = json.loads(answer.body)
    assert reply["ok"] is True and reply["replies"] >= 1, answer


def _twilio(server: GarbageServer, body: bytes) -> Request:
    """Signed over the URL and the form's parameters when the body is a form (else over the URL alone)."""
    path = "/webhooks/sms/twilio"
    try:
        params = urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except ValueError:
        params = []
    signature = twilio_signature(TWILIO_AUTH_TOKEN, f"http://{HOST}:{server.port}{path}", params)
    return Request(path, {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
                   body)


def _twilio_message(text: bytes) -> bytes:
    return (b"MessageSid=SM" + uuid.uuid4().hex.encode() + b"&From=%2B86137" + str(next(_counter) % 10**8)
            .zfill(8).encode() + b"&Body=" + text)


ENDPOINTS = {endpoint.name: endpoint for endpoint in [
    Endpoint("rest", _rest, _rest_message, _rest_answered),
    Endpoint("wechat-aes", _wechat_aes, _wechat_message, _wechat_answered),
    Endpoint("wechat-aes-envelope", _wechat_aes_envelope, _wechat_message, lambda answer: None),
    Endpoint("telegram", _telegram, _telegram_message, _telegram_answered),
    Endpoint("sms", _sms_signed("/webhooks/sms/webhook"), _sms_message, _sms_answered),
    Endpoint("sms-aliyun", _sms_signed("/webhooks/sms/aliyun"), _aliyun_message, _sms_answered),
    Endpoint("sms-twilio", _twilio, _twilio_message, _sms_answered),
]}
NORMAL_TEXT = {"sms-twilio": b"%E4%BD%A0%E5%A5%BD"}  # 你好, form-encoded


def normal_body(endpoint: Endpoint) -> bytes:
    return endpoint.message(NORMAL_TEXT.get(endpoint.name, "你好".encode()))


def post(server: GarbageServer, endpoint: Endpoint, body: bytes, **options: Any) -> Answer:
    """``body`` prepared for the endpoint (signed, encrypted); ``options`` as for ``send``, extra ``headers``."""
    request = endpoint.prepare(server, body)
    headers = {**request.headers, **options.pop("headers", {})}
    return send(server.port, "POST", request.target, request.body, headers, **options)


def assert_normal_request_answered(server: GarbageServer, endpoint: Endpoint) -> None:
    if endpoint.name == "wechat-aes-envelope":
        endpoint = ENDPOINTS["wechat-aes"]  # same URL; this variant has no "normal" form of its own
    endpoint.check_normal(post(server, endpoint, normal_body(endpoint)))


# --- the matrix: endpoint × kind of garbage ----------------------------------------------------------------


@dataclass(frozen=True)
class Garbage:
    """A body (made for the endpoint), how to send it, and the statuses that are correct for it."""

    body: Callable[[Endpoint], bytes]
    expected: frozenset[int | None]
    options: Callable[[Endpoint], dict[str, Any]] = lambda endpoint: {}
    why: str = ""


def _fixed(body: bytes) -> Callable[[Endpoint], bytes]:
    return lambda endpoint: body


BAD_REQUEST = frozenset({400})
GARBAGE: dict[str, Garbage] = {
    "random-bytes": Garbage(_fixed(RANDOM_BYTES), BAD_REQUEST, why="neither JSON, XML nor a form"),
    "empty-body": Garbage(_fixed(b""), BAD_REQUEST, why="a webhook call always carries a message"),
    "over-64KB": Garbage(lambda e: e.message(b"a" * 70 * KB), frozenset({413}),
                         why="the channels' limit, refused by declared length before parsing"),
    "over-1MB": Garbage(lambda e: e.message(b"a" * 1536 * KB), frozenset({413}),
                        options=lambda e: {"head_first": True}, why="Sanic's limit, refused before the body is read"),
    "declared-over-1MB": Garbage(_fixed(b"{}"), frozenset({413}), options=lambda e: {"content_length": "9999999"},
                                 why="Sanic refuses by the declared length without waiting for the body"),
    "length-shorter-than-body": Garbage(lambda e: normal_body(e), frozenset({400, 403}),
                                        options=lambda e: {"content_length": "12"},
                                        why="the first 12 bytes are all the server may read: a truncated "
                                            "message (400), or a signature that no longer matches (403)"),
    "negative-length": Garbage(_fixed(b"{}"), BAD_REQUEST, options=lambda e: {"content_length": "-5"},
                               why="Sanic 21.12 spun forever on this (server hung); refused by the framing guard"),
    "non-numeric-length": Garbage(_fixed(b"{}"), BAD_REQUEST, options=lambda e: {"content_length": "12abc"},
                                  why="Sanic's int() raised: a 500 before the framing guard"),
    "two-lengths": Garbage(_fixed(b"{}"), BAD_REQUEST,
                           options=lambda e: {"content_length": "2", "headers": {"Content-Length": "200"}},
                           why="ambiguous framing (request smuggling)"),
    "length-and-chunked": Garbage(lambda e: b"2\r\n{}\r\n0\r\n\r\n", BAD_REQUEST,
                                  options=lambda e: {"headers": {"Transfer-Encoding": "chunked"}},
                                  why="ambiguous framing (request smuggling)"),
    "bad-chunked": Garbage(_fixed(b"zz\r\n{}\r\n0\r\n\r\n"), BAD_REQUEST,
                           options=lambda e: {"content_length": None, "headers": {"Transfer-Encoding": "chunked"}},
                           why="a chunk size that is not hexadecimal"),
    "unknown-transfer-encoding": Garbage(_fixed(b"{}"), BAD_REQUEST,
                                         options=lambda e: {"content_length": None,
                                                            "headers": {"Transfer-Encoding": "gzip"}},
                                         why="no length at all: Sanic failed with a 500 before the framing guard"),
    "deep-json": Garbage(_fixed(DEEP_JSON_PARSED), BAD_REQUEST, why="60 000 levels of [ reach the parser"),
    "deep-json-100k": Garbage(_fixed(DEEP_JSON_100K), frozenset({413}), why="100 000 levels: over 64 KB"),
    "invalid-utf8": Garbage(lambda e: e.message(b"\xff\xfe\xc3\x28\xed\xa0\x80"), BAD_REQUEST,
                            why="a well-formed message whose text is not UTF-8: the platforms only send UTF-8, "
                                "so it is forged or corrupt; answering U+FFFD garbage would hide that"),
    "billion-laughs": Garbage(_fixed(BILLION_LAUGHS), BAD_REQUEST, why="entity expansion: never parsed"),
    "external-entity": Garbage(_fixed(EXTERNAL_ENTITY), BAD_REQUEST, why="XXE: never parsed"),
    "remote-dtd": Garbage(_fixed(REMOTE_DTD), BAD_REQUEST, why="a DTD fetched from elsewhere: never parsed"),
    "huge-header": Garbage(lambda e: normal_body(e), frozenset({413}),
                           options=lambda e: {"headers": {"X-Padding": "a" * 20 * KB}},
                           why="Sanic's 16 KB limit on the request head"),
    "many-headers": Garbage(lambda e: normal_body(e), frozenset({413}),
                            options=lambda e: {"headers": {f"X-H{i}": "v" * 10 for i in range(2000)}},
                            why="Sanic's 16 KB limit on the request head"),
}
# Where a channel gives a different answer than the table above, and why it is the correct one. (Twilio needs
# none: its signature covers the form's fields, so a body that is no form gets its 400 from the form parser,
# and an empty form, signed like any other, lacks MessageSid: 400.)
OVERRIDES: dict[tuple[str, str], frozenset[int | None]] = {
    # SMS: the signature covers the raw body, so a truncated body fails it (403) before parsing.
    ("sms", "length-shorter-than-body"): frozenset({403}),
    ("sms-aliyun", "length-shorter-than-body"): frozenset({403}),
    # Safe mode: the envelope of a body cut short is not XML (400).
    ("wechat-aes", "length-shorter-than-body"): BAD_REQUEST,
    # An envelope that is random bytes has no message signature to check: 400; a well-formed message that
    # is not encrypted has a wrong one: 403.
    ("wechat-aes-envelope", "invalid-utf8"): frozenset({400, 403}),
    # Encryption and base64 make 60 KB of plaintext an 80 KB envelope: over the limit before decrypting.
    ("wechat-aes", "deep-json"): frozenset({413}),
}
# Garbage that makes no sense for a kind of endpoint (the body would not be garbage there).
SKIPPED = {("wechat-aes-envelope", "length-shorter-than-body")}

MATRIX = [(endpoint, kind) for endpoint in ENDPOINTS for kind in GARBAGE if (endpoint, kind) not in SKIPPED]


@pytest.mark.parametrize(("endpoint_name", "kind"), MATRIX, ids=[f"{e}-{k}" for e, k in MATRIX])
def test_garbage_gets_a_4xx_and_the_endpoint_keeps_working(garbage_server: GarbageServer, endpoint_name: str,
                                                         kind: str) -> None:
    endpoint, garbage = ENDPOINTS[endpoint_name], GARBAGE[kind]
    answer = post(garbage_server, endpoint, garbage.body(endpoint), **garbage.options(endpoint))
    expected = OVERRIDES.get((endpoint_name, kind), garbage.expected)
    assert answer.status in expected, f"{kind} ({garbage.why}): got {answer}"
    assert_normal_request_answered(garbage_server, endpoint)


@pytest.mark.parametrize("endpoint_name", [name for name in ENDPOINTS if name != "wechat-aes-envelope"])
def test_a_wrong_content_type_does_not_lose_the_message(garbage_server: GarbageServer, endpoint_name: str) -> None:
    """The channels read the body as what the platform sends, whatever the declared type: README's curl
    example posts REST JSON as a form, and no platform varies its type. So the message is answered (200 with
    the reply), neither refused nor dropped."""
    endpoint = ENDPOINTS[endpoint_name]
    for content_type in ("text/plain; charset=gbk", "multipart/form-data; boundary=nothing", "image/png"):
        endpoint.check_normal(post(garbage_server, endpoint, normal_body(endpoint),
                                   headers={"Content-Type": content_type}))


def test_a_body_that_never_arrives_blocks_nobody(garbage_server: GarbageServer) -> None:
    """Clients that declare 50 KB and send 100 bytes hold a connection until Sanic's request timeout (the
    server cannot know they lied): no answer yet, and everybody else is answered meanwhile."""
    stalled = []
    for _ in range(20):
        connection = socket.create_connection((HOST, garbage_server.port), timeout=10)
        connection.sendall(b"POST /webhooks/rest/webhook HTTP/1.1\r\nHost: x\r\nContent-Length: 51200\r\n\r\n"
                           + b"{" * 100)
        stalled.append(connection)
    try:
        started = time.monotonic()
        for endpoint in ("rest", "telegram", "sms"):
            assert_normal_request_answered(garbage_server, ENDPOINTS[endpoint])
        assert time.monotonic() - started < 30
        stalled[0].settimeout(0.5)
        with pytest.raises(TimeoutError):
            stalled[0].recv(1)  # still waiting for the body: no answer, no error
    finally:
        for connection in stalled:
            connection.close()
    assert_normal_request_answered(garbage_server, ENDPOINTS["rest"])


# --- REST: what Rasa's RestInput mishandled ----------------------------------------------------------------


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _nested(depth: int) -> object:
    value: object = "leaf"
    for _ in range(depth - 1):
        value = {"a": value}
    return value


REST_REFUSED = {
    # Rasa answered 500 (AttributeError on .get) for a body that is not an object.
    "array": b"[1, 2]", "string": b'"hi"', "number": b"42", "null": b"null", "true": b"true",
    # Rasa answered 200 in the shared conversation "default" (no sender) or as str(sender).
    "no-sender": _json({"message": "你好"}),
    "sender-number": _json({"sender": 7, "message": "你好"}),
    "sender-object": _json({"sender": {"a": 1}, "message": "你好"}),
    "sender-empty": _json({"sender": "", "message": "你好"}),
    "sender-blank": _json({"sender": "  ", "message": "你好"}),
    "sender-control": _json({"sender": "a\u0000b", "message": "你好"}),
    "sender-too-long": _json({"sender": "s" * (MAX_SENDER_CHARS + 1), "message": "你好"}),
    # Rasa's SQL tracker store turned the UnicodeEncodeError into sys.exit: the whole server stopped.
    "sender-lone-surrogate": b'{"sender": "\\udcff", "message": "hi"}',
    # Rasa answered 200 [] (the turn failed and the error was swallowed): the message was lost.
    "no-message": _json({"sender": "s"}),
    "message-null": _json({"sender": "s", "message": None}),
    "message-number": _json({"sender": "s", "message": 5}),
    "message-list": _json({"sender": "s", "message": ["你好"]}),
    "message-empty": _json({"sender": "s", "message": ""}),
    "message-blank": _json({"sender": "s", "message": " \n\t "}),
    "message-lone-surrogate": b'{"sender": "s", "message": "\\ud800 hi"}',
    # 200 000 characters held Rasa's event loop for minutes (NLU cost grows with the length).
    "message-too-long": _json({"sender": "s", "message": "字" * (MAX_MESSAGE_CHARS + 1)}),
    "metadata-list": _json({"sender": "s", "message": "你好", "metadata": [1]}),
    "metadata-string": _json({"sender": "s", "message": "你好", "metadata": "x"}),
    "metadata-too-deep": _json({"sender": "s", "message": "你好", "metadata": _nested(MAX_METADATA_DEPTH + 1)}),
    "metadata-900-deep": b'{"sender": "s", "message": "hi", "metadata": ' + b'{"a": ' * 900 + b"1" + b"}" * 901,
    "metadata-lone-surrogate": b'{"sender": "s", "message": "hi", "metadata": {"\\udfff": 1}}',
    "input-channel-list": _json({"sender": "s", "message": "你好", "input_channel": [1]}),
    "nan": b'{"sender": "s", "message": "hi", "metadata": {"x": NaN}}',
    "trailing-garbage": _json({"sender": "s", "message": "你好"}) + b"}",
    "utf16": _json({"sender": "s", "message": "你好"}).decode().encode("utf-16"),
}


@pytest.mark.parametrize("case", sorted(REST_REFUSED))
def test_malformed_rest_requests_get_a_400_that_says_why(garbage_server: GarbageServer, case: str) -> None:
    answer = post(garbage_server, ENDPOINTS["rest"], REST_REFUSED[case])
    assert answer.status == 400, answer
    assert answer.header("content-type") == "application/json"
    reply = json.loads(answer.body)
    assert reply["error"] == "bad_request" and reply["message"], reply
    assert_normal_request_answered(garbage_server, ENDPOINTS["rest"])


@pytest.mark.parametrize("body", [
    _json({"sender": unique("edge"), "message": "大学生创业有社保补贴吗。" + "补" * (MAX_MESSAGE_CHARS - 12)}),
    _json({"sender": "s" * (MAX_SENDER_CHARS - 8) + uuid.uuid4().hex[:8], "message": "你好"}),
    _json({"sender": unique("edge"), "message": "你好", "metadata": _nested(MAX_METADATA_DEPTH)}),
    _json({"sender": unique("edge"), "message": "你好", "metadata": None, "input_channel": "rest"}),
    _json({"sender": unique("edge"), "message": "控制\x01字符\x7f 和 😀"}),
], ids=["longest-message", "longest-sender", "deepest-metadata", "null-metadata", "odd-characters"])
def test_requests_at_the_limits_are_answered_as_before(garbage_server: GarbageServer, body: bytes) -> None:
    _rest_answered(post(garbage_server, ENDPOINTS["rest"], body))


def test_streamed_rest_answers_still_work(garbage_server: GarbageServer) -> None:
    answer = send(garbage_server.port, "POST", "/webhooks/rest/webhook?stream=true",
                  _json({"sender": unique("stream"), "message": "你好"}), {"Content-Type": "application/json"})
    assert answer.status == 200, answer
    assert b'"text"' in answer.body


# --- channel-specific garbage --------------------------------------------------------------------------------

TELEGRAM_REFUSED = {
    "update-id-missing": _json({"message": {"text": "hi"}}),
    "update-id-string": _json({"update_id": "1", "message": {"text": "hi"}}),
    "message-without-chat": _json({"update_id": 424242, "message": {"message_id": 1, "date": 0, "text": "hi"}}),
    "message-is-a-list": _json({"update_id": 424243, "message": [1, 2]}),
    "nested-900-deep": b'{"update_id": 424244, "message": ' + b"[" * 900 + b"]" * 900 + b"}",
    "text-not-a-string": _json({"update_id": 424245, "message": {
        "message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": 5}}),
    "callback-data-not-a-string": _json({"update_id": 424246, "callback_query": {
        "id": "q", "from": {"id": 5, "is_bot": False, "first_name": "t"}, "chat_instance": "c", "data": {"a": 1}}}),
}


@pytest.mark.parametrize("case", sorted(TELEGRAM_REFUSED))
def test_malformed_telegram_updates_get_a_400(garbage_server: GarbageServer, case: str) -> None:
    answer = post(garbage_server, ENDPOINTS["telegram"], TELEGRAM_REFUSED[case])
    assert answer.status == 400, answer  # a 500 would make Telegram resend the poisoned update forever
    assert_normal_request_answered(garbage_server, ENDPOINTS["telegram"])


def test_telegram_garbage_without_the_secret_is_refused_first(garbage_server: GarbageServer) -> None:
    for secret in ("", "wrong", "\udcff"):
        answer = send(garbage_server.port, "POST", "/webhooks/telegram/webhook", RANDOM_BYTES,
                      {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {})
        assert answer.status == 403, answer


WECHAT_REFUSED = {
    "no-msgtype": b"<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName></xml>",
    "msgid-not-a-number": _wechat_message(b"hi").replace(b"<MsgId>", b"<MsgId>abc"),
    "createtime-not-a-number": (b"<xml><ToUserName>a</ToUserName><FromUserName>o-t</FromUserName>"
                                b"<CreateTime>yesterday</CreateTime><MsgType>event</MsgType>"
                                b"<Event>subscribe</Event></xml>"),
    "content-is-markup": _wechat_message(b"x").replace(b"<Content><![CDATA[x]]></Content>",
                                                       b"<Content><a>1</a><b>2</b></Content>"),
    "no-sender": b"<xml><ToUserName>a</ToUserName><MsgType>text</MsgType><Content>hi</Content><MsgId>9</MsgId></xml>",
    "character-reference-to-a-surrogate": _wechat_message(b"x").replace(b"<![CDATA[x]]>", b"&#xD800;"),
    "utf16-with-bom": _wechat_message(b"hi").decode().encode("utf-16"),
}


@pytest.mark.parametrize("case", sorted(WECHAT_REFUSED))
def test_malformed_wechat_messages_get_a_400(garbage_server: GarbageServer, case: str) -> None:
    answer = post(garbage_server, ENDPOINTS["wechat-aes"], WECHAT_REFUSED[case])
    assert answer.status == 400, answer
    assert_normal_request_answered(garbage_server, ENDPOINTS["wechat-aes"])


@pytest.mark.parametrize("body", [_wechat_message("你好".encode()), RANDOM_BYTES, *WECHAT_REFUSED.values()],
                         ids=["message", "random-bytes", *WECHAT_REFUSED])
def test_a_plaintext_post_in_safe_mode_is_refused_whatever_it_holds(garbage_server: GarbageServer,
                                                                    body: bytes) -> None:
    """The server has an AES key (safe mode): WeChat then encrypts every message, so a plaintext POST, however
    well signed, is a downgrade and never reaches the parser."""
    request = _wechat_plain(garbage_server, body)
    answer = send(garbage_server.port, "POST", request.target, body, request.headers)
    assert answer.status == 403, answer
    assert_normal_request_answered(garbage_server, ENDPOINTS["wechat-aes"])


@pytest.mark.parametrize("query", [
    "", "signature=x", "signature=" + "0" * 40 + "&timestamp=1&nonce=1&echostr=e",
    "echostr=" + "e" * 8000, "timestamp=%FF%FE&nonce=%00&signature=%ZZ", "a=" + "%" * 3000,
])
def test_wechat_verification_with_garbage_queries_is_refused(garbage_server: GarbageServer, query: str) -> None:
    answer = send(garbage_server.port, "GET", f"/webhooks/wechat/webhook?{query}")
    assert answer.status == 403, answer  # nothing echoed without a valid signature


# Raw non-ASCII bytes in the request target (URLs are ASCII; clients percent-encode): Sanic 21.12 cannot build
# a request object for them (its error page fails the same way), logs the error and closes the connection
# without an answer. No handler runs and the server carries on: that is the best Sanic allows, so "no answer"
# is accepted for these, a 5xx never.
RAW_BYTES_TARGET_ANSWERS = (None, 400)


def test_wechat_verification_with_raw_bytes_in_the_query_is_refused(garbage_server: GarbageServer) -> None:
    answer = send(garbage_server.port, "GET", b"/webhooks/wechat/webhook?signature=\xff\xfe&echostr=\xc3\x28")
    assert answer.status in RAW_BYTES_TARGET_ANSWERS, answer
    _assert_healthy(garbage_server, "/webhooks/wechat/")


# Not here: percent-escapes that are not UTF-8 in a Twilio form (Body=%FF%FE). They are read as U+FFFD and the
# message is answered, as tests/channels/test_sms.py::test_odd_text_over_twilio_never_fails requires (Twilio
# signs the decoded fields, so the text is what Twilio sent); raw bytes that are not UTF-8 get a 400.
SMS_REFUSED = {
    ("sms", "not-an-object"): b"[1]",
    ("sms", "from-not-a-number"): b'{"message_id": "m1", "from": "<script>", "text": "hi"}',
    ("sms", "message-id-too-long"): b'{"message_id": "' + b"m" * 200 + b'", "from": "+8613800000000", "text": "hi"}',
    ("sms", "text-not-a-string"): b'{"message_id": "m2", "from": "+8613800000000", "text": {"a": 1}}',
    ("sms", "message-id-bool"): b'{"message_id": true, "from": "+8613800000000", "text": "hi"}',
    ("sms-aliyun", "list-of-garbage"): b'[1, "x", null]',
    ("sms-aliyun", "one-bad-of-two"): (b'[{"sequence_id": 1, "phone_number": "13900000000", "content": "hi"},'
                                       b' {"sequence_id": 2, "phone_number": "x", "content": "hi"}]'),
    ("sms-twilio", "no-sid"): b"From=%2B8613700000000&Body=hi",
    ("sms-twilio", "not-a-form"): b"{json: true}",
}


@pytest.mark.parametrize(("endpoint_name", "case"), sorted(SMS_REFUSED))
def test_malformed_sms_gateway_calls_get_a_400(garbage_server: GarbageServer, endpoint_name: str,
                                               case: str) -> None:
    answer = post(garbage_server, ENDPOINTS[endpoint_name], SMS_REFUSED[(endpoint_name, case)])
    assert answer.status == 400, answer
    assert_normal_request_answered(garbage_server, ENDPOINTS[endpoint_name])


@pytest.mark.parametrize("endpoint_name", ["sms", "sms-aliyun", "sms-twilio"])
def test_sms_garbage_with_a_bad_signature_is_refused_first(garbage_server: GarbageServer,
                                                           endpoint_name: str) -> None:
    """403 before the body is parsed (Twilio's signature covers the form's fields, so its garbage here is a
    form: a body that is no form at all gets its 400 from the form parser first)."""
    body = b"MessageSid=SM1&From=1&Body=x" if endpoint_name == "sms-twilio" else RANDOM_BYTES[:300]
    request = ENDPOINTS[endpoint_name].prepare(garbage_server, body)
    for signature in ("", "0" * 64, "\udcff", "ä" * 64):
        headers = {name: value for name, value in request.headers.items() if "signature" not in name.lower()}
        if signature:
            headers["X-Twilio-Signature" if endpoint_name == "sms-twilio" else "X-Signature"] = signature
        assert send(garbage_server.port, "POST", request.target, body, headers).status == 403


# --- health routes, the Rasa root, the request line -------------------------------------------------------

HEALTH_ROUTES = ["/", "/health", "/webhooks/rest/", "/webhooks/wechat/", "/webhooks/telegram/", "/webhooks/sms/"]


def _assert_healthy(server: GarbageServer, path: str) -> None:
    answer = send(server.port, "GET", path)
    assert answer.status == 200, answer
    if path == "/":  # Rasa's root no longer names its version (bot/rasa_entry.py)
        assert json.loads(answer.body) == {"status": "ok"} and b"rasa" not in answer.body.lower()
    elif path == "/health":
        assert json.loads(answer.body)["status"] == "ready"
    else:
        assert json.loads(answer.body) == {"status": "ok"}


@pytest.mark.parametrize("path", HEALTH_ROUTES)
def test_health_routes_shrug_off_garbage(garbage_server: GarbageServer, path: str) -> None:
    port = garbage_server.port
    # Only GET is served: anything posted is refused by method, whatever it carries.
    for body in (RANDOM_BYTES, DEEP_JSON_PARSED, BILLION_LAUGHS, b""):
        assert send(port, "POST", path, body).status == 405
    # A GET's body and query are ignored (the health answer does not depend on them): 200 is right.
    assert send(port, "GET", path, RANDOM_BYTES).status == 200
    assert send(port, "GET", f"{path}?{'a=%FF&' * 1000}").status == 200
    assert send(port, "GET", path, headers={"X-Padding": "a" * 20 * KB}).status == 413
    assert send(port, "GET", f"{path}?{'a' * 20 * KB}").status == 413
    assert send(port, "GET", path, b"{}", content_length="-1").status == 400
    _assert_healthy(garbage_server, path)


@pytest.mark.parametrize("raw", [
    RANDOM_BYTES[:300] + b"\r\n\r\n",
    b"GET /\r\n\r\n",  # HTTP/0.9
    b"GET / HTTP/9.9\r\n\r\n",
    b"\r\n\r\n",
    b"GET / HTTP/1.1\r\nno colon here\r\n\r\n",
    b"POST /webhooks/rest/webhook HTTP/1.1\r\nExpect: 999-nonsense\r\nContent-Length: 2\r\n\r\n{}",
])
def test_garbage_request_lines_get_a_4xx(garbage_server: GarbageServer, raw: bytes) -> None:
    with socket.create_connection((HOST, garbage_server.port), timeout=30) as connection:
        connection.sendall(raw)
        answer = connection.recv(65536)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None
    assert status is not None and 400 <= status < 500, answer[:200]
    _assert_healthy(garbage_server, "/")


# --- the staff console -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    cookie: str
    csrf_token: str


@pytest.fixture(scope="module")
def signed_in(garbage_console: GarbageConsole) -> SignedIn:
    browser = Browser(garbage_console.base_url)
    assert browser.login(*CONSOLE_ADMIN).status_code == 303
    cookie = "; ".join(f"{name}={value}" for name, value in browser.http.cookies.items())
    return SignedIn(cookie, browser.csrf_token)


def _console_healthy(console: GarbageConsole) -> None:
    answer = send(console.port, "GET", "/healthz")
    assert (answer.status, answer.body) == (200, b"ok"), answer
    page = requests.get(f"{console.base_url}/login", timeout=30)
    assert page.status_code == 200 and csrf_in(page.text)


FORM = "application/x-www-form-urlencoded"
CONSOLE_LOGIN_GARBAGE = {
    # Without the double-submit cookie and a matching field the login form is refused (CSRF): 403.
    "random-bytes": (RANDOM_BYTES, FORM, 403),
    "empty": (b"", FORM, 403),
    "invalid-utf8-form": (b"csrf_token=\xff\xfe&name=\xc3\x28&password=x", FORM, 403),
    "multipart-garbage": (RANDOM_BYTES[:500], "multipart/form-data; boundary=zzz", 403),
    "multipart-no-boundary": (b"--x\r\n\r\n", "multipart/form-data", 403),
    "json": (b'{"name": "garbage-admin", "password": "x"}', "application/json", 403),
    "billion-laughs": (BILLION_LAUGHS, "text/xml", 403),
    "deep-json": (DEEP_JSON_PARSED, "application/json", 403),
    "over-256KB": (b"name=" + b"a" * 300 * KB, FORM, 413),  # the console's limit (forms only)
}


@pytest.mark.parametrize("case", sorted(CONSOLE_LOGIN_GARBAGE))
def test_console_login_refuses_garbage(garbage_console: GarbageConsole, case: str) -> None:
    body, content_type, status = CONSOLE_LOGIN_GARBAGE[case]
    answer = send(garbage_console.port, "POST", "/login", body, {"Content-Type": content_type},
                  head_first=len(body) > 256 * KB)
    assert answer.status == status, answer
    _console_healthy(garbage_console)


@pytest.mark.parametrize(("length", "headers"), [
    ("-5", {}), ("5abc", {}), ("2", {"Content-Length": "2"}), ("2", {"Transfer-Encoding": "chunked"}),
    (None, {"Transfer-Encoding": "gzip"}),
])
def test_console_refuses_malformed_framing(garbage_console: GarbageConsole, length: str | None,
                                           headers: dict[str, str]) -> None:
    """The console is a Sanic app too: the same guard (before it, "-5" hung the console for good)."""
    for method, path in (("POST", "/login"), ("GET", "/healthz")):
        answer = send(garbage_console.port, method, path, b"{}", headers, content_length=length)
        assert answer.status == 400, (method, path, answer)
    _console_healthy(garbage_console)


@pytest.mark.parametrize(("head", "refused"), [
    (b"POST / HTTP/1.1\r\nContent-Length: 12", False),
    (b"POST / HTTP/1.1\r\ncontent-length:0", False),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked", False),
    (b"GET / HTTP/1.1\r\nHost: x", False),
    (b"POST / HTTP/1.1\r\nContent-Length: -5", True),
    (b"POST / HTTP/1.1\r\nContent-Length: +5", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 5, 5", True),
    (b"POST / HTTP/1.1\r\nContent-Length: ", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 1234567890123456789", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nCONTENT-LENGTH: 5", True),
    (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked", True),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: Chunked", True),
    (b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked", True),
])
def test_the_framing_guard(head: bytes, refused: bool) -> None:
    if refused:
        with pytest.raises(ValueError):
            refuse_bad_framing(head)
    else:
        refuse_bad_framing(head)


@pytest.mark.parametrize("cookie", [
    "chuangye_console=\udcff\udcfe", "chuangye_console_login=\udcc3(", "chuangye_console=" + "a" * 8000,
    "=;;;=;", "chuangye_console=\"unterminated",
])
def test_console_garbage_cookies_are_no_session(garbage_console: GarbageConsole, cookie: str) -> None:
    """A cookie that is no session token is simply no session: the sign-in redirect, the login form."""
    answer = send(garbage_console.port, "GET", "/conversations", headers={"Cookie": cookie, "Accept": "text/html"})
    assert answer.status == 303 and answer.header("location").startswith("/login"), answer
    assert send(garbage_console.port, "GET", "/login", headers={"Cookie": cookie}).status == 200
    answer = send(garbage_console.port, "POST", "/login", b"csrf_token=x&name=a&password=b",
                  {"Cookie": cookie, "Content-Type": FORM})
    assert answer.status == 403, answer
    _console_healthy(garbage_console)


@pytest.mark.parametrize("target", [
    "/login?next=//evil.example/", "/login?next=%2F%5Cevil.example", "/login?next=" + "a" * 8000,
    "/login?next=%FF%00", "/healthz?" + "x=%ZZ&" * 500,
])
def test_console_public_pages_with_garbage_queries(garbage_console: GarbageConsole, target: str) -> None:
    answer = send(garbage_console.port, "GET", target)
    assert answer.status == 200, answer  # the page itself; the query only names where to go after signing in
    assert b"evil.example" not in answer.body  # never an external target


def test_console_raw_bytes_in_the_target(garbage_console: GarbageConsole) -> None:
    assert send(garbage_console.port, "GET", b"/login?next=\xff\xfe").status in RAW_BYTES_TARGET_ANSWERS
    _console_healthy(garbage_console)


AUTHENTICATED_POSTS = ["/logout", "/handoffs/1/status", "/turns/1/correction", "/conversations/abc/reviewed",
                       "/admin/staff", "/admin/staff/1/disabled"]


@pytest.mark.parametrize("path", AUTHENTICATED_POSTS)
def test_console_posts_with_garbage_fail_the_csrf_check(garbage_console: GarbageConsole, signed_in: SignedIn,
                                                        path: str) -> None:
    cookie = {"Cookie": signed_in.cookie}
    for body, content_type in ((RANDOM_BYTES, FORM), (b"", FORM), (b"csrf_token=\xff\xfe", FORM),
                               (b"csrf_token=" + b"a" * 100 * KB, FORM), (DEEP_JSON_PARSED, "application/json"),
                               (RANDOM_BYTES[:500], "multipart/form-data; boundary=zzz"),
                               (b"csrf_token=" + signed_in.csrf_token.encode() + b"x", FORM)):
        answer = send(garbage_console.port, "POST", path, body, {**cookie, "Content-Type": content_type})
        assert answer.status == 403 and b"csrf" in answer.body, (body[:40], answer)
    # Without a session nobody gets as far as the CSRF check: 401 for a script.
    assert send(garbage_console.port, "POST", path, RANDOM_BYTES, {"Content-Type": FORM}).status == 401
    _console_healthy(garbage_console)


@pytest.mark.parametrize(("path", "form", "status"), [
    ("/handoffs/99999999999999999999999/status", "from=open&status=closed", 404),
    ("/turns/99999999999999999999999/correction", "intent=greet", 404),
    ("/admin/staff/99999999999999999999999/disabled", "disabled=1", 404),
    ("/handoffs/1/status", "from=%00&status=" + "x" * 5000, 400),
    ("/turns/1/correction", "intent=%FF%FE&topic=" + "\u0000" * 10, 400),
    ("/admin/staff", "name=%00%01&role=god&password=", 400),
])
def test_console_posts_with_a_valid_token_and_garbage_fields(garbage_console: GarbageConsole, signed_in: SignedIn,
                                                            path: str, form: str, status: int) -> None:
    body = f"csrf_token={signed_in.csrf_token}&{form}".encode()
    answer = send(garbage_console.port, "POST", path, body, {"Cookie": signed_in.cookie, "Content-Type": FORM})
    assert answer.status == status, answer
    _console_healthy(garbage_console)


@pytest.mark.parametrize("query", [
    "/conversations?date_from=0001-01-01", "/conversations?date_to=9999-12-31",
    "/conversations?before=99999999999999999999999999999999-1", "/conversations?after=1-99999999999999999999999",
    "/conversations/abc?page=99999999999999999999999", "/conversations/abc?turn=99999999999999999999999",
    "/admin/audit?before=99999999999999999999999", "/admin/audit?before=%C2%B2",  # "²" is a digit to isdigit()
    "/exports/turns.csv?date_to=9999-12-31", "/dashboard?date_to=0001-01-01", "/dashboard?date_to=9999-12-31",
    "/dashboard?date_from=0001-01-01&date_to=0001-01-02",
])
def test_console_pages_with_out_of_range_arguments(garbage_console: GarbageConsole, signed_in: SignedIn,
                                                   query: str) -> None:
    answer = send(garbage_console.port, "GET", query, headers={"Cookie": signed_in.cookie})
    assert answer.status in (400, 404), answer  # a bad argument (400) or nothing there (404), never a 500
    _console_healthy(garbage_console)


# --- memory ------------------------------------------------------------------------------------------------
# Sanic keeps each closed connection's protocol object (its buffers, up to the 16 KB request head) alive for
# about 15 s after the connection closes (GRACEFUL_SHUTDOWN_TIMEOUT, through a pending abort timer), so during
# a burst the server's memory grows with the connections of the last 15 s and is then freed and reused:
# measured with continuous garbage at 300-400 requests/s, the Rasa server grew by 47 MB in 30 s and stayed
# there (later +100 MB when the rate rose, flat for the next minute). So the memory is read after a warm-up
# burst and a pause longer than that window: the measured burst of the same size can reuse the warm-up's
# memory, and what it keeps beyond that is a leak.
SANIC_CONNECTION_HOLD_SECONDS = 15 + 2
MEMORY_ROUNDS = 4  # × one request of every kind to every endpoint, plus the REST refusals: ~750 requests
RASA_GROWTH_LIMIT_KB = 8 * KB  # a leak of 11 KB per request (a body kept) shows; the server holds ~0.9 GB
CONSOLE_ROUNDS = 20  # 300 requests
CONSOLE_GROWTH_LIMIT_KB = 2 * KB


def _garbage_round(server: GarbageServer) -> int:
    """One garbage request of every kind to every endpoint (plus the REST refusals and plaintext WeChat posts in
    safe mode); how many were sent."""
    sent = 0
    for endpoint_name, kind in MATRIX:
        endpoint, garbage = ENDPOINTS[endpoint_name], GARBAGE[kind]
        answer = post(server, endpoint, garbage.body(endpoint), **garbage.options(endpoint))
        assert answer.status is not None and 400 <= answer.status < 500, (endpoint_name, kind, answer)
        sent += 1
    for body in REST_REFUSED.values():
        assert post(server, ENDPOINTS["rest"], body).status == 400
        sent += 1
    for body in (RANDOM_BYTES, *WECHAT_REFUSED.values()):  # plaintext in safe mode: refused before parsing
        request = _wechat_plain(server, body)
        assert send(server.port, "POST", request.target, body, request.headers).status == 403
        sent += 1
    return sent


def _console_garbage_round(console: GarbageConsole, signed_in: SignedIn) -> int:
    for body, content_type, status in CONSOLE_LOGIN_GARBAGE.values():
        assert send(console.port, "POST", "/login", body, {"Content-Type": content_type},
                    head_first=len(body) > 256 * KB).status == status
    for path in AUTHENTICATED_POSTS:
        assert send(console.port, "POST", path, RANDOM_BYTES, {"Cookie": signed_in.cookie,
                                                               "Content-Type": FORM}).status == 403
    return len(CONSOLE_LOGIN_GARBAGE) + len(AUTHENTICATED_POSTS)


def test_memory_stays_flat_under_garbage(garbage_server: GarbageServer, garbage_console: GarbageConsole,
                                         signed_in: SignedIn) -> None:
    for _ in range(10):  # the first turns allocate caches (model, lexicons, database connections)
        assert_normal_request_answered(garbage_server, ENDPOINTS["rest"])
    for _ in range(MEMORY_ROUNDS):
        _garbage_round(garbage_server)
    for _ in range(CONSOLE_ROUNDS):
        _console_garbage_round(garbage_console, signed_in)
    time.sleep(SANIC_CONNECTION_HOLD_SECONDS)
    rasa_before, console_before = rss_kb(garbage_server.rasa_pid), rss_kb(garbage_console.pid)
    sent = sum(_garbage_round(garbage_server) for _ in range(MEMORY_ROUNDS))
    console_sent = sum(_console_garbage_round(garbage_console, signed_in) for _ in range(CONSOLE_ROUNDS))
    rasa_after, console_after = rss_kb(garbage_server.rasa_pid), rss_kb(garbage_console.pid)
    print(f"\nRasa server VmRSS {rasa_before / KB:.1f} MB -> {rasa_after / KB:.1f} MB over {sent} garbage requests; "
          f"console {console_before / KB:.1f} MB -> {console_after / KB:.1f} MB over {console_sent}")
    assert sent >= 700 and console_sent >= 300
    assert rasa_after - rasa_before < RASA_GROWTH_LIMIT_KB, f"Rasa server: {rasa_before} kB -> {rasa_after} kB"
    assert console_after - console_before < CONSOLE_GROWTH_LIMIT_KB, f"console: {console_before} -> {console_after}"
    for endpoint in ENDPOINTS:
        assert_normal_request_answered(garbage_server, ENDPOINTS[endpoint])
    _console_healthy(garbage_console)

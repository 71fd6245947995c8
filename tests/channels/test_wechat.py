"""The WeChat channel, end to end: requests signed and encrypted with wechatpy's own crypto, real assistant."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import sqlalchemy as sa
import xmltodict
from wechatpy.crypto import WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.channels.base import MAX_MESSAGE_CHARS, conversation_id
from bot.channels.wechat import WeChatInput, cdata_safe
from bot.settings import WeChatSettings, load_settings
from bot.storage.channel_state import inbound_messages, stored_message_id, undelivered
from bot.storage.database import engine_for
from bot.storage.handoffs import hash_sender
from bot.storage.turns import turns
from tests.channels.conftest import WECHAT_AES_KEY, WECHAT_APP_ID, WECHAT_APP_SECRET, WECHAT_TOKEN

OFFICIAL_ACCOUNT = "gh_chuangye"
crypto = WeChatCrypto(WECHAT_TOKEN, WECHAT_AES_KEY, WECHAT_APP_ID)


def signed_query(timestamp: int | None = None, **extra: str) -> dict[str, str]:
    timestamp = int(time.time()) if timestamp is None else timestamp
    nonce = uuid.uuid4().hex[:10]
    signer = WeChatSigner()
    signer.add_data(WECHAT_TOKEN, str(timestamp), nonce)
    return {"signature": signer.signature, "timestamp": str(timestamp), "nonce": nonce, **extra}


def text_xml(openid: str, content: str, msg_id: str | None = None) -> str:
    msg_id = msg_id or str(uuid.uuid4().int)[:18]
    return (f"<xml><ToUserName><![CDATA[{OFFICIAL_ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id}</MsgId></xml>")


def event_xml(openid: str, event: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{OFFICIAL_ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event></xml>")


def post(url: str, query: dict[str, str], body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(f"{url}?{urllib.parse.urlencode(query)}", data=body,
                                     headers={"Content-Type": "text/xml"})
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def send(url: str, xml: str | bytes) -> tuple[int, bytes]:
    """POST ``xml`` as WeChat does in safe mode (the assistant under test has an AES key): encrypted and signed; a
    passive reply comes back decrypted."""
    query = signed_query(encrypt_type="aes")
    encrypted = crypto.encrypt_message(xml, query["nonce"], query["timestamp"])
    query["msg_signature"] = xmltodict.parse(encrypted)["xml"]["MsgSignature"]
    status, body = post(url, query, encrypted.encode())
    if status == 200 and body not in (b"", b"success"):
        reply = xmltodict.parse(body)["xml"]
        assert "Encrypt" in reply and "Content" not in reply  # never a plaintext reply in safe mode
        body = crypto.decrypt_message(body, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"]).encode()
    return status, body


def reply_content(live, openid: str, status: int, body: bytes, sends_before: int) -> str:
    """The text the user got: the passive reply, or (after ~4 s) the customer-service messages."""
    assert status == 200
    if body and body != b"success":
        return xmltodict.parse(body)["xml"]["Content"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sends = live.wechat_api.api.calls_to("/message/custom/send")[sends_before:]
        mine = [call for call in sends if call.get("touser") == openid]
        if mine:
            return "\n".join(call["text"]["content"] for call in mine)
        time.sleep(0.2)
    raise AssertionError("no reply was delivered")


def say(live, openid: str, content: str, msg_id: str | None = None) -> str:
    sends_before = len(live.wechat_api.api.calls_to("/message/custom/send"))
    status, body = send(live.webhook("wechat"), text_xml(openid, content, msg_id).encode())
    return reply_content(live, openid, status, body, sends_before)


def seen(database_url: str, msg_id: str) -> bool:
    query = sa.select(inbound_messages).where(inbound_messages.c.message_id == stored_message_id("wechat", msg_id))
    with engine_for(database_url).connect() as connection:
        return connection.execute(query).first() is not None


def test_server_verification_echoes_echostr_only_with_a_valid_signature(live_assistant) -> None:
    query = signed_query(echostr="echo-12345")
    with urllib.request.urlopen(f"{live_assistant.webhook('wechat')}?{urllib.parse.urlencode(query)}") as answer:
        assert answer.read() == b"echo-12345"
    query["signature"] = "0" * 40
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{live_assistant.webhook('wechat')}?{urllib.parse.urlencode(query)}")
    assert refused.value.code == 403


def test_plaintext_question_gets_the_answer_with_a_numbered_menu(live_assistant) -> None:
    openid = f"o-{uuid.uuid4().hex[:12]}"
    text = say(live_assistant, openid, "大学生创业有社保补贴吗")
    assert "三(四)2" in text
    assert "1. 详细" in text and "2. 我符合吗" in text and "4. 原文" in text
    source = say(live_assistant, openid, "4")  # the number picks the button
    assert "按相关政策给予3年的社会保险补贴" in source


def test_safe_mode_request_and_reply_are_encrypted(live_assistant) -> None:
    openid = f"o-{uuid.uuid4().hex[:12]}"
    query = signed_query(encrypt_type="aes")
    encrypted = crypto.encrypt_message(text_xml(openid, "休学创业学籍能保留吗"), query["nonce"], query["timestamp"])
    query["msg_signature"] = xmltodict.parse(encrypted)["xml"]["MsgSignature"]
    sends_before = len(live_assistant.wechat_api.api.calls_to("/message/custom/send"))
    status, body = post(live_assistant.webhook("wechat"), query, encrypted.encode())
    assert status == 200
    if body != b"success":
        reply = xmltodict.parse(body)["xml"]
        assert "Encrypt" in reply and "Content" not in reply
        plain = crypto.decrypt_message(body, reply["MsgSignature"], reply["TimeStamp"], reply["Nonce"])
        body = plain.encode()
    assert "休学" in reply_content(live_assistant, openid, status, body, sends_before)


def test_a_plaintext_message_is_refused_in_safe_mode_and_nothing_is_stored(live_assistant) -> None:
    msg_id = str(uuid.uuid4().int)[:18]
    status, _ = post(live_assistant.webhook("wechat"), signed_query(), text_xml("o-plain", "你好", msg_id).encode())
    assert status == 403 and not seen(live_assistant.database_url, msg_id)


def test_signature_parameters_used_again_with_another_body_are_refused(live_assistant) -> None:
    url, query = live_assistant.webhook("wechat"), signed_query(encrypt_type="aes")
    first = crypto.encrypt_message(text_xml("o-replay", "你好"), query["nonce"], query["timestamp"])
    query["msg_signature"] = xmltodict.parse(first)["xml"]["MsgSignature"]
    assert post(url, query, first.encode())[0] == 200
    assert post(url, query, first.encode())[0] == 200  # the same request again: WeChat's retry, answered
    other_id = str(uuid.uuid4().int)[:18]
    other = crypto.encrypt_message(text_xml("o-victim", "转人工", other_id), query["nonce"], query["timestamp"])
    # Someone else's body under the captured parameters: refused (in safe mode its message signature would not
    # match either; in plaintext mode the remembered parameters are what refuses it).
    assert post(url, query, other.encode())[0] == 403
    assert not seen(live_assistant.database_url, other_id)


def test_wrong_message_signature_in_safe_mode_is_refused(live_assistant) -> None:
    query = signed_query(encrypt_type="aes")
    encrypted = crypto.encrypt_message(text_xml("o-x", "你好"), query["nonce"], query["timestamp"])
    query["msg_signature"] = "f" * 40
    assert post(live_assistant.webhook("wechat"), query, encrypted.encode())[0] == 403


def test_bad_signature_is_refused_and_nothing_is_stored(live_assistant) -> None:
    msg_id = str(uuid.uuid4().int)[:18]
    query = signed_query()
    query["signature"] = "1" * 40
    status, _ = post(live_assistant.webhook("wechat"), query, text_xml("o-y", "你好", msg_id).encode())
    assert status == 403
    assert not seen(live_assistant.database_url, msg_id)


def test_replayed_old_request_is_refused(live_assistant) -> None:
    query = signed_query(timestamp=int(time.time()) - 3600)
    assert post(live_assistant.webhook("wechat"), query, text_xml("o-z", "你好").encode())[0] == 403


@pytest.mark.parametrize(("body", "status"), [
    (b"<xml><ToUserName>broken", 400),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     b"<xml><Content>&lol2;</Content></xml>", 400),
    (b'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>', 400),
    (b"<xml>" + b"a" * (70 * 1024) + b"</xml>", 413),
    (b"\xff\xfe\x00garbage", 400),
])
def test_bad_bodies_get_a_clear_4xx(live_assistant, body: bytes, status: int) -> None:
    assert send(live_assistant.webhook("wechat"), body)[0] == status


def test_retries_of_one_message_run_one_turn_and_get_one_reply(live_assistant) -> None:
    openid = f"o-{uuid.uuid4().hex[:12]}"
    msg_id = str(uuid.uuid4().int)[:18]
    body = text_xml(openid, "返乡创业有什么扶持", msg_id).encode()
    sends_before = len(live_assistant.wechat_api.api.calls_to("/message/custom/send"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        answers = list(pool.map(lambda _: send(live_assistant.webhook("wechat"), body), range(3)))
    assert all(status == 200 for status, _ in answers)
    passive = [xmltodict.parse(content)["xml"]["Content"] for _, content in answers
               if content not in (b"success", b"")]
    assert len(passive) <= 1
    time.sleep(6)  # a slow turn, or the rest of a long reply, arrives through the API: give it time
    sends = [c["text"]["content"] for c in live_assistant.wechat_api.api.calls_to("/message/custom/send")[sends_before:]
             if c.get("touser") == openid]
    everything = "\n".join(passive + sends)
    assert everything.count("回复数字选择") == 1  # one turn, one reply (possibly in several parts)
    hashed = hash_sender(conversation_id("wechat", openid), load_settings().sender_hash_salt)
    with engine_for(live_assistant.database_url).connect() as connection:
        stored = connection.execute(sa.select(turns.c.user_text).where(turns.c.sender_hash == hashed)).scalars()
        assert list(stored) == ["返乡创业有什么扶持"]  # and one stored turn


def test_subscribe_gets_a_welcome_and_an_image_gets_a_please_type(live_assistant) -> None:
    status, body = send(live_assistant.webhook("wechat"), event_xml("o-new", "subscribe").encode())
    assert status == 200 and "欢迎关注创业助手" in xmltodict.parse(body)["xml"]["Content"]
    image = text_xml("o-img", "x").replace("<![CDATA[text]]>", "<![CDATA[image]]>").replace(
        "<Content><![CDATA[x]]></Content>", "<PicUrl><![CDATA[http://example.invalid/a.jpg]]></PicUrl>")
    status, body = send(live_assistant.webhook("wechat"), image.encode())
    assert status == 200 and "文字" in xmltodict.parse(body)["xml"]["Content"]


def voice_xml(openid: str, recognition: str | None) -> str:
    recognised = f"<Recognition><![CDATA[{recognition}]]></Recognition>" if recognition is not None else ""
    return (f"<xml><ToUserName><![CDATA[{OFFICIAL_ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
            f"<MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[media-1]]></MediaId>"
            f"<Format><![CDATA[amr]]></Format>{recognised}<MsgId>{str(uuid.uuid4().int)[:18]}</MsgId></xml>")


def test_a_voice_message_with_recognition_is_answered_and_logged_as_voice(live_assistant) -> None:
    openid = f"o-{uuid.uuid4().hex[:12]}"
    sends_before = len(live_assistant.wechat_api.api.calls_to("/message/custom/send"))
    voice = voice_xml(openid, "返乡创业有啥扶持。").encode()
    status, body = send(live_assistant.webhook("wechat"), voice)
    text = reply_content(live_assistant, openid, status, body, sends_before)
    assert "返乡" in text and "四(四)" in text
    hashed = hash_sender(conversation_id("wechat", openid), load_settings().sender_hash_salt)
    with engine_for(live_assistant.database_url).connect() as connection:
        row = connection.execute(sa.select(turns.c.user_text, turns.c.input_mode)
                                 .where(turns.c.sender_hash == hashed)).one()
    assert row.user_text == "返乡创业有啥扶持。" and row.input_mode == "voice"


@pytest.mark.parametrize("openid", ["o]]><x>evil</x><![CDATA[", "o pen id", "o\u202eid", "x" * 65])
def test_a_sender_that_is_not_an_openid_is_refused(live_assistant, openid: str) -> None:
    msg_id = str(uuid.uuid4().int)[:18]
    status, _ = send(live_assistant.webhook("wechat"), text_xml(openid, "你好", msg_id))
    assert status == 400 and not seen(live_assistant.database_url, msg_id)


def test_a_voice_message_without_recognition_asks_for_text(live_assistant) -> None:
    status, body = send(live_assistant.webhook("wechat"), voice_xml("o-voice", None).encode())
    assert status == 200 and "语音暂时还听不了" in xmltodict.parse(body)["xml"]["Content"]


@pytest.mark.parametrize("content", ["😀😀 创业补贴？", "控制\x01字符\x7f", "孤立\udcff代理", "]]>"])
def test_odd_text_never_causes_a_server_error(live_assistant, content: str) -> None:
    body = text_xml(f"o-{uuid.uuid4().hex[:8]}", content).encode("utf-8", errors="surrogatepass")
    status, _ = send(live_assistant.webhook("wechat"), body)
    assert status < 500


def test_cdata_terminator_in_reply_text_keeps_the_xml_valid() -> None:
    text = "看这里]]><b>不是标签</b>"
    xml = f"<xml><Content><![CDATA[{cdata_safe(text)}]]></Content></xml>"
    assert xmltodict.parse(xml)["xml"]["Content"] == text


def test_undeliverable_message_is_recorded_not_retried(live_assistant) -> None:
    live_assistant.wechat_api.send_errcode = 45015  # outside the 48-hour window
    try:
        channel = WeChatInput(WeChatSettings(WECHAT_TOKEN, WECHAT_APP_ID, WECHAT_APP_SECRET, None,
                                             f"{live_assistant.wechat_api.api.url}/cgi-bin/"))
        before = len(live_assistant.wechat_api.api.calls_to("/message/custom/send"))
        asyncio.run(channel._send("o-gone", ["第一段", "第二段"]))
    finally:
        live_assistant.wechat_api.send_errcode = 0
    assert len(live_assistant.wechat_api.api.calls_to("/message/custom/send")) == before + 1
    rows = undelivered(live_assistant.database_url, "wechat")
    assert any("45015" in row["error"] and row["text"] == "第一段" for row in rows)


def test_an_overlong_message_is_answered_with_a_request_to_split_it_and_not_run(live_assistant) -> None:
    openid = f"o-{uuid.uuid4().hex[:12]}"
    long_question = "大学生创业有社保补贴吗" * 200  # 2 200 characters, under the 64 KB body limit
    status, body = send(live_assistant.webhook("wechat"), text_xml(openid, long_question).encode())
    assert status == 200 and "消息太长" in xmltodict.parse(body)["xml"]["Content"]
    hashed = hash_sender(conversation_id("wechat", openid), load_settings().sender_hash_salt)
    with engine_for(live_assistant.database_url).connect() as connection:
        stored = connection.execute(sa.select(turns.c.id).where(turns.c.sender_hash == hashed)).all()
    assert stored == []  # no turn ran


def test_a_message_at_the_limit_is_still_answered(live_assistant) -> None:
    question = "大学生创业有社保补贴吗？"
    text = question + "。" * (MAX_MESSAGE_CHARS - len(question))
    status, body = send(live_assistant.webhook("wechat"),
                        text_xml(f"o-{uuid.uuid4().hex[:12]}", text).encode())
    assert status == 200 and "消息太长" not in body.decode()


def test_processes_of_one_deployment_share_one_access_token_through_redis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two clients as two worker processes would build them: the second reads the first one's token from Redis
    instead of fetching one (which would make WeChat retire the first)."""
    import redis

    from bot.channels.wechat import api_client
    from tests.channels.conftest import WeChatAPI

    prefix = f"wxtest{uuid.uuid4().hex[:8]}"
    client = redis.Redis(host="127.0.0.1", port=6379, db=1, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379: the shared-token test needs one")
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
    wechat_api = WeChatAPI()
    wechat_api.api.start()
    try:
        base_url = f"{wechat_api.api.url}/cgi-bin/"
        first, second = (api_client.__wrapped__(WECHAT_APP_ID, WECHAT_APP_SECRET, base_url) for _ in range(2))
        assert first is not second
        assert first.access_token == second.access_token == "FAKE-ACCESS-TOKEN"
        assert [path for path, _ in wechat_api.api.calls if path.endswith("/token")] == ["/cgi-bin/token"]
        ttl = client.ttl(f"{prefix}:wechat:{WECHAT_APP_ID}_access_token")
        assert 0 < ttl <= 7200  # expires with the token
    finally:
        wechat_api.api.stop()
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)
        client.close()


def test_without_a_shared_redis_the_token_stays_in_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    from wechatpy.session.memorystorage import MemoryStorage

    from bot.channels.wechat import api_client, token_storage

    monkeypatch.delenv("REDIS_HOST", raising=False)
    assert token_storage() is None
    assert isinstance(api_client.__wrapped__(WECHAT_APP_ID, WECHAT_APP_SECRET, None).session, MemoryStorage)

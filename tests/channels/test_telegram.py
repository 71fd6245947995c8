"""The Telegram channel: webhook refusals (secret, size, JSON), whole turns through the live assistant (text,
button presses, duplicates, odd characters, stickers), the reply sender (splitting, keyboards, flood control)
and long polling's offset, which is confirmed only after the turn is stored."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from rasa.core.channels.channel import UserMessage
from telegram import Bot, CallbackQuery, Chat, Message, PhotoSize, Sticker, Update, User, Voice

from bot.channels.base import MAX_BODY_BYTES, run_turn
from bot.channels.render import Button, ChannelReply
from bot.channels.telegram import CALLBACK_DATA_LIMIT, NON_TEXT_REPLY, TelegramInput, render_telegram, send_reply
from bot.channels.telegram_poll import Poller, poll
from bot.settings import TelegramSettings, load_settings
from bot.storage.channel_state import claim_message, inbound_messages, stored_message_id, undelivered
from bot.storage.database import engine_for
from tests.channels.conftest import TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, LiveAssistant, telegram_responder
from tests.channels.fakes import RecordingAPI, Responder

SOCIAL_INSURANCE = "student_startup_social_insurance"
_ids = itertools.count(7_100_001)


def new_id() -> int:
    return next(_ids)


# --- updates built from PTB's own objects -------------------------------------------------------------------


def _message(chat_id: int, **content: Any) -> Message:
    return Message(new_id(), dt.datetime.now(dt.timezone.utc), Chat(chat_id, Chat.PRIVATE),
                   from_user=User(chat_id, "测试用户", False), **content)


def text_update(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    return Update(update_id, message=_message(chat_id, text=text)).to_dict()


def callback_update(update_id: int, chat_id: int, data: str, query_id: str) -> dict[str, Any]:
    query = CallbackQuery(query_id, User(chat_id, "测试用户", False), "chat-instance",
                          message=_message(chat_id, text="上一条回复"), data=data)
    return Update(update_id, callback_query=query).to_dict()


NON_TEXT = {
    "sticker": {"sticker": Sticker("sticker-file", "sticker-unique", 512, 512, False, False, Sticker.REGULAR,
                                   emoji="👍")},
    "photo": {"photo": (PhotoSize("photo-file", "photo-unique", 640, 480),)},
    "voice": {"voice": Voice("voice-file", "voice-unique", 3)},
}


# --- talking to the live webhook ----------------------------------------------------------------------------


def post(url: str, body: bytes, secret: str | None = TELEGRAM_WEBHOOK_SECRET) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def post_update(live: LiveAssistant, update: dict[str, Any], secret: str | None = TELEGRAM_WEBHOOK_SECRET
                ) -> tuple[int, str]:
    return post(live.webhook("telegram"), json.dumps(update).encode(), secret)


def sent_to(live: LiveAssistant, chat_id: int) -> list[dict[str, Any]]:
    return [call for call in live.telegram_api.calls_to("/sendMessage") if call.get("chat_id") == str(chat_id)]


def wait_for(condition: Callable[[], Any], timeout: float = 60.0) -> Any:
    """Replies leave after the webhook has answered: wait for them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    return condition()


def replies_to(live: LiveAssistant, chat_id: int, count: int = 1) -> list[dict[str, Any]]:
    calls = wait_for(lambda: len(sent_to(live, chat_id)) >= count and sent_to(live, chat_id))
    assert calls, f"no sendMessage to chat {chat_id}"
    return calls


def keyboard(call: dict[str, Any]) -> list[list[dict[str, Any]]]:
    return json.loads(call["reply_markup"])["inline_keyboard"] if call.get("reply_markup") else []


def claimed(live: LiveAssistant, update_id: int) -> bool:
    query = sa.select(inbound_messages.c.message_id).where(
        (inbound_messages.c.channel == "telegram")
        & (inbound_messages.c.message_id == stored_message_id("telegram", str(update_id))))
    with engine_for(live.database_url).connect() as connection:
        return connection.execute(query).first() is not None


# --- refusals: nothing is stored, nothing is sent -----------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", TELEGRAM_WEBHOOK_SECRET + "x", "密码"])
def test_wrong_or_missing_secret_is_forbidden_and_nothing_stored(live_assistant: LiveAssistant,
                                                                 secret: str | None) -> None:
    update_id, chat_id = new_id(), new_id()
    headers_secret = secret.encode().decode("latin-1") if secret else secret
    status, _ = post_update(live_assistant, text_update(update_id, chat_id, "大学生创业有社保补贴吗"), headers_secret)
    assert status == 403
    time.sleep(0.5)
    assert not claimed(live_assistant, update_id)
    assert sent_to(live_assistant, chat_id) == []


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"text"', b'{"message": {}}',
                                  b'{"update_id": "7"}', b'{"update_id": 7, "message": "hello"}',
                                  b"\xff\xfe\x00garbage"])
def test_malformed_update_is_a_bad_request(live_assistant: LiveAssistant, body: bytes) -> None:
    status, _ = post(live_assistant.webhook("telegram"), body)
    assert status == 400


def test_body_over_64_kb_is_refused(live_assistant: LiveAssistant) -> None:
    update_id = new_id()
    update = text_update(update_id, new_id(), "创" * (MAX_BODY_BYTES // 3 + 10))
    body = json.dumps(update, ensure_ascii=False).encode()
    assert len(body) > MAX_BODY_BYTES
    status, _ = post(live_assistant.webhook("telegram"), body)
    assert status == 413
    assert not claimed(live_assistant, update_id)


# --- whole turns through the live assistant -----------------------------------------------------------------


def test_text_message_gets_the_answer_with_an_inline_keyboard(live_assistant: LiveAssistant) -> None:
    update_id, chat_id = new_id(), new_id()
    status, _ = post_update(live_assistant, text_update(update_id, chat_id, "大学生创业有社保补贴吗"))
    assert status == 200
    assert claimed(live_assistant, update_id)
    [call] = replies_to(live_assistant, chat_id)
    assert "三(四)2" in call["text"]
    rows = keyboard(call)
    assert rows and all(len(row) == 1 for row in rows)
    payloads = [row[0]["callback_data"] for row in rows]
    assert f'/ask_department{{"topic":"{SOCIAL_INSURANCE}"}}' in payloads
    assert all(row[0]["text"] for row in rows)


def test_button_press_runs_its_payload_and_answers_the_callback(live_assistant: LiveAssistant) -> None:
    update_id, chat_id, query_id = new_id(), new_id(), f"query-{new_id()}"
    payload = f'/ask_department{{"topic":"{SOCIAL_INSURANCE}"}}'
    status, _ = post_update(live_assistant, callback_update(update_id, chat_id, payload, query_id))
    assert status == 200
    answered = [call for call in live_assistant.telegram_api.calls_to("/answerCallbackQuery")
                if call.get("callback_query_id") == query_id]
    assert len(answered) == 1
    [call] = replies_to(live_assistant, chat_id)
    assert "省教育厅" in call["text"]


def test_same_update_twice_is_answered_once(live_assistant: LiveAssistant) -> None:
    update_id, chat_id = new_id(), new_id()
    update = text_update(update_id, chat_id, "大学生创业有社保补贴吗")
    assert post_update(live_assistant, update) == (200, "ok")
    assert post_update(live_assistant, update) == (200, "duplicate")
    replies_to(live_assistant, chat_id)
    time.sleep(1.0)
    assert len(sent_to(live_assistant, chat_id)) == 1


@pytest.mark.parametrize("text", [
    "😀🎉 大学生创业有社保补贴吗？👍🏽",
    "大学生\x00创业\x07有社保\x1b[31m补贴吗\u202e",
    "大学生创业\ud800有社保补贴\udfff吗",
    "\ud83d",
    "\x00\x01\x02",
    "👨‍👩‍👧‍👦" * 50,
])
def test_emoji_control_characters_and_lone_surrogates_never_fail(live_assistant: LiveAssistant,
                                                                  text: str) -> None:
    chat_id = new_id()
    status, _ = post_update(live_assistant, text_update(new_id(), chat_id, text))
    assert status == 200
    [call] = replies_to(live_assistant, chat_id)
    assert call["text"]


@pytest.mark.parametrize("kind", sorted(NON_TEXT))
def test_sticker_photo_or_voice_gets_a_polite_request_for_text(live_assistant: LiveAssistant, kind: str) -> None:
    chat_id = new_id()
    update = Update(new_id(), message=_message(chat_id, **NON_TEXT[kind])).to_dict()
    assert post_update(live_assistant, update)[0] == 200
    [call] = replies_to(live_assistant, chat_id)
    assert call["text"] == NON_TEXT_REPLY
    assert "请输入文字问题" in call["text"]


def test_start_command_is_greeted(live_assistant: LiveAssistant) -> None:
    chat_id = new_id()
    assert post_update(live_assistant, text_update(new_id(), chat_id, "/start"))[0] == 200
    [call] = replies_to(live_assistant, chat_id)
    assert call["text"]


def test_updates_the_assistant_ignores_are_acknowledged(live_assistant: LiveAssistant) -> None:
    chat_id = new_id()
    edited = Update(new_id(), edited_message=_message(chat_id, text="改过的")).to_dict()
    assert post_update(live_assistant, edited)[0] == 200
    time.sleep(0.5)
    assert sent_to(live_assistant, chat_id) == []


def test_a_failed_turn_releases_the_update_for_telegrams_retry(database_url: str) -> None:
    """The 500 makes Telegram send the update again; the released claim lets the retry run the turn."""
    api = RecordingAPI(telegram_responder).start()
    channel = TelegramInput(TelegramSettings(TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET, f"{api.url}/bot"))
    update_id, chat_id = new_id(), new_id()
    update = Update.de_json(text_update(update_id, chat_id, "你好"), channel.bot)

    async def broken(message: UserMessage) -> None:
        raise RuntimeError("the model server is down")

    async def working(message: UserMessage) -> None:
        await message.output_channel.send_response(message.sender_id, {"text": "你好！"})

    async def delivery() -> list[int]:
        statuses = [(await channel._handle(update, broken)).status, (await channel._handle(update, working)).status]
        await channel._deliveries.wait(10)
        await channel.bot.shutdown()
        return statuses

    try:
        assert asyncio.run(delivery()) == [500, 200]
    finally:
        api.stop()
    assert not claim_message(database_url, "telegram", str(update_id))  # claimed by the retry
    assert [call["text"] for call in api.calls_to("/sendMessage")] == ["你好！"]


# --- the reply sender, against a recording Bot API ----------------------------------------------------------


@pytest.fixture
def bot_api() -> Iterator[Callable[[Responder], tuple[RecordingAPI, Bot]]]:
    """A loopback Bot API with the given responder, and PTB's Bot pointed at it."""
    started: list[RecordingAPI] = []

    def start(responder: Responder = telegram_responder) -> tuple[RecordingAPI, Bot]:
        api = RecordingAPI(responder).start()
        started.append(api)
        return api, Bot(TELEGRAM_BOT_TOKEN, base_url=f"{api.url}/bot")

    yield start
    for api in started:
        api.stop()


def send(bot: Bot, chat_id: int, reply: ChannelReply) -> bool:
    async def sending() -> bool:
        try:
            return await send_reply(bot, chat_id, reply)
        finally:
            await bot.shutdown()

    return asyncio.run(sending())


def test_long_reply_is_split_into_two_messages_with_nothing_lost(bot_api, database_url: str) -> None:
    api, bot = bot_api()
    sentences = [f"第{number}条：高校毕业生在甘肃创办小微企业可以申请补贴。" for number in range(1, 400)]
    text = "".join(sentences)[:5000]
    assert len(text) == 5000
    buttons = [Button("我符合吗？", f'/check_eligibility{{"topic":"{SOCIAL_INSURANCE}"}}')]
    assert send(bot, 42, ChannelReply(texts=[text], buttons=buttons))
    calls = api.calls_to("/sendMessage")
    assert len(calls) == 2
    assert "".join(call["text"] for call in calls) == text
    assert all(len(call["text"]) <= 4096 for call in calls)
    assert "reply_markup" not in calls[0]
    assert keyboard(calls[1])[0][0]["callback_data"] == buttons[0].payload


def test_payload_too_long_for_callback_data_becomes_a_numbered_menu() -> None:
    long_payload = "/check_eligibility" + json.dumps({"topic": "x" * CALLBACK_DATA_LIMIT})
    reply = ChannelReply(texts=["请选择："], buttons=[Button("甲", long_payload), Button("乙", "/greet")])
    [(text, markup)] = render_telegram(reply)
    assert markup is None
    assert "1. 甲" in text and "2. 乙" in text


def test_a_number_then_picks_the_long_payload(database_url: str) -> None:
    """The numbered fallback works because run_turn stores the menu and maps the number back."""
    long_payload = "/check_eligibility" + json.dumps({"topic": "y" * CALLBACK_DATA_LIMIT})
    heard: list[str] = []

    async def assistant(message: UserMessage) -> None:
        heard.append(message.text)
        await message.output_channel.send_response(message.sender_id, {
            "text": "请选择：", "buttons": [{"title": "甲", "payload": long_payload}]})

    async def two_turns() -> None:
        await run_turn(assistant, "telegram", "7099999", "你好")
        await run_turn(assistant, "telegram", "7099999", "1")

    asyncio.run(two_turns())
    assert heard == ["你好", long_payload]


def test_emoji_count_twice_towards_the_limit() -> None:
    parts = render_telegram(ChannelReply(texts=["😀" * 3000]))
    assert len(parts) == 2
    assert "".join(text for text, _ in parts) == "😀" * 3000


class FloodControl:
    """Answers sendMessage with 429 and retry_after ``times`` times, then as the Bot API does."""

    def __init__(self, times: int, retry_after: int) -> None:
        self.times = times
        self.retry_after = retry_after

    def __call__(self, path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if path.endswith("/sendMessage") and self.times > 0:
            self.times -= 1
            return 429, {"ok": False, "error_code": 429,
                         "description": f"Too Many Requests: retry after {self.retry_after}",
                         "parameters": {"retry_after": self.retry_after}}
        return telegram_responder(path, params)


def test_retry_after_is_honoured_then_the_message_is_delivered(bot_api, database_url: str) -> None:
    api, bot = bot_api(FloodControl(times=1, retry_after=1))
    started = time.monotonic()
    assert send(bot, 43, ChannelReply(texts=["政策问答"]))
    assert time.monotonic() - started >= 1.0
    calls = api.calls_to("/sendMessage")
    assert [call["text"] for call in calls] == ["政策问答", "政策问答"]


def test_flood_wait_too_long_is_recorded_undelivered(bot_api, database_url: str) -> None:
    api, bot = bot_api(FloodControl(times=1, retry_after=3600))
    started = time.monotonic()
    assert not send(bot, 44, ChannelReply(texts=["等不及的回复"]))
    assert time.monotonic() - started < 5
    assert len(api.calls_to("/sendMessage")) == 1
    assert any(row["text"] == "等不及的回复" and "RetryAfter" in row["error"]
               for row in undelivered(database_url, "telegram"))


# --- long polling -------------------------------------------------------------------------------------------


class RecordingAssistant:
    """The real assistant, noting when each turn has been stored; ``fail`` turns raise first."""

    def __init__(self, inner: Any, events: list[tuple], fail: int = 0) -> None:
        self.inner = inner
        self.events = events
        self.fail = fail

    async def handle(self, text: str, sender: str) -> Any:
        if self.fail > 0:
            self.fail -= 1
            self.events.append(("turn failed", text))
            raise RuntimeError("the assistant is not available")
        reply = await self.inner.handle(text, sender)
        self.events.append(("turn stored", text))
        return reply


def polling_api(update: dict[str, Any], events: list[tuple]) -> RecordingAPI:
    """A Bot API serving ``update`` to getUpdates until an offset past it confirms it."""

    def respond(path: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = path.rsplit("/", 1)[-1]
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            events.append(("getUpdates", offset))
            return 200, {"ok": True, "result": [update] if offset <= update["update_id"] else []}
        events.append((method,))
        return telegram_responder(path, params)

    return RecordingAPI(respond).start()


def run_polls(api: RecordingAPI, assistant: Any, database_url: str, iterations: int) -> tuple[Poller, list[bool]]:
    async def polling() -> tuple[Poller, list[bool]]:
        bot = Bot(TELEGRAM_BOT_TOKEN, base_url=f"{api.url}/bot")
        poller = Poller(bot, assistant, database_url)
        try:
            return poller, [await poller.poll_once(timeout=0) for _ in range(iterations)]
        finally:
            await bot.shutdown()

    return asyncio.run(polling())


def test_polling_confirms_the_offset_only_after_the_turn(assistant, database_url: str) -> None:
    update_id, chat_id = new_id(), new_id()
    events: list[tuple] = []
    api = polling_api(text_update(update_id, chat_id, "大学生创业有社保补贴吗"), events)
    try:
        poller, results = run_polls(api, RecordingAssistant(assistant, events), database_url, iterations=2)
    finally:
        api.stop()
    assert results == [True, True]
    assert poller.offset == update_id + 1
    assert events == [("getUpdates", 0), ("turn stored", "大学生创业有社保补贴吗"), ("sendMessage",),
                      ("getUpdates", update_id + 1)]
    [call] = api.calls_to("/sendMessage")
    assert call["chat_id"] == str(chat_id) and "三(四)2" in call["text"]
    assert keyboard(call)


def test_polling_fetches_a_failed_update_again(assistant, database_url: str) -> None:
    update_id, chat_id = new_id(), new_id()
    events: list[tuple] = []
    api = polling_api(text_update(update_id, chat_id, "大学生创业有社保补贴吗"), events)
    try:
        poller, results = run_polls(api, RecordingAssistant(assistant, events, fail=1), database_url,
                                    iterations=3)
    finally:
        api.stop()
    assert results == [False, True, True]
    assert poller.offset == update_id + 1
    assert events == [("getUpdates", 0), ("turn failed", "大学生创业有社保补贴吗"),
                      ("getUpdates", 0), ("turn stored", "大学生创业有社保补贴吗"), ("sendMessage",),
                      ("getUpdates", update_id + 1)]
    assert len(api.calls_to("/sendMessage")) == 1


def test_polling_button_press_and_numbered_menu(assistant, database_url: str) -> None:
    """A callback query is answered and its payload runs; the keyboard's menu is stored for numbers."""
    update_id, chat_id = new_id(), new_id()
    events: list[tuple] = []
    payload = f'/ask_department{{"topic":"{SOCIAL_INSURANCE}"}}'
    api = polling_api(callback_update(update_id, chat_id, payload, "poll-query"), events)
    try:
        run_polls(api, RecordingAssistant(assistant, events), database_url, iterations=1)
    finally:
        api.stop()
    assert events[:3] == [("getUpdates", 0), ("answerCallbackQuery",), ("turn stored", payload)]
    [call] = api.calls_to("/sendMessage")
    assert "省教育厅" in call["text"]


def test_polling_without_telegram_settings_says_so() -> None:
    assert poll(dataclasses.replace(load_settings(), telegram=None)) == 2

"""Telegram: the webhook connector served at /webhooks/telegram/webhook, and the reply sender it shares with
long polling (bot/channels/telegram_poll.py).

Telegram resends an update until it gets a 2xx answer, so each ``update_id`` is claimed once in the database
before its turn runs and released when the turn fails (the 500 makes Telegram retry). The turn runs before
the answer; the reply is then sent in the background with PTB's ``Bot``, so a slow Bot API or a flood-control
wait never holds up the webhook. A reply that cannot be delivered is recorded (``undelivered_messages``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import json
import logging
import warnings
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import InputChannel
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from bot.channels.base import BadRequest, OnNewMessage, checked_body, clean_text, run_turn, sender_hash
from bot.channels.render import TELEGRAM_TEXT_LIMIT, ChannelReply, numbered_menu, split_text, ucs2_length
from bot.settings import TelegramSettings, load_settings
from bot.storage.availability import StorageUnavailable
from bot.storage.channel_state import claim_message, record_undelivered, release_message

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CALLBACK_DATA_LIMIT = 64  # bytes: Telegram refuses a button whose callback_data is longer
NON_TEXT_REPLY = "抱歉，我只能看懂文字。请输入文字问题，例如：大学生创业有社保补贴吗？"
BUTTONS_ONLY_PROMPT = "请选择："
# Telegram's own commands, said in the assistant's words.
COMMANDS = {"/start": "/greet", "/help": "/ask_capabilities"}
SEND_ATTEMPTS = 3  # the first try and two more after a flood-control wait
MAX_RETRY_WAIT_SECONDS = 30.0  # longer waits are not worth holding a reply for: it is recorded as undelivered
SHUTDOWN_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Incoming:
    """What one update asks of the assistant: a text (``None`` for a sticker, photo, voice…) in a chat."""

    update_id: int
    chat_id: int
    text: str | None
    callback_query_id: str | None = None


def make_bot(settings: TelegramSettings) -> Bot:
    """PTB's Bot for the Bot API, or for a self-hosted one (its base URL ends in "/bot")."""
    if settings.api_base_url:
        return Bot(settings.bot_token, base_url=settings.api_base_url)
    return Bot(settings.bot_token)


def incoming_message(update: Update) -> Incoming | None:
    """A new message or a button press; ``None`` for what the assistant ignores (edits, service messages…)."""
    query = update.callback_query
    if query is not None:
        if query.data is None:
            return None
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        return Incoming(update.update_id, chat_id, query.data, query.id)
    message = update.message
    if message is None:
        return None
    if message.text is not None:
        return Incoming(update.update_id, message.chat.id, message.text)
    if message.effective_attachment is not None:
        return Incoming(update.update_id, message.chat.id, None)
    return None


def well_typed(incoming: Incoming) -> bool:
    """The fields the assistant reads have the types the Bot API gives them (PTB's de_json does not check)."""
    return (type(incoming.chat_id) is int and (incoming.text is None or isinstance(incoming.text, str))
            and (incoming.callback_query_id is None or isinstance(incoming.callback_query_id, str)))


def turn_text(incoming: Incoming) -> str | None:
    """The text for the assistant, or ``None`` when there is none to answer (not text, or nothing printable)."""
    if incoming.text is None:
        return None
    text = clean_text(incoming.text)
    if not text:
        return None
    command = text.split(maxsplit=1)[0].split("@", 1)[0].lower()
    return COMMANDS.get(command, text)


def render_telegram(reply: ChannelReply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """Messages of at most 4096 UTF-16 units, the keyboard on the last one.

    Buttons become an inline keyboard (one per row) when every payload fits in callback_data; otherwise the
    reply ends with the numbered menu, which run_turn maps back when the user answers with a number.
    """
    buttons = reply.buttons
    keyboard = None
    text = reply.text
    if buttons and all(0 < len(button.payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT for button in buttons):
        keyboard = InlineKeyboardMarkup(
            [[InlineKeyboardButton(button.title or button.payload, callback_data=button.payload)]
             for button in buttons])
        text = text or BUTTONS_ONLY_PROMPT
    elif buttons:
        menu = numbered_menu(buttons, reply.language)
        text = f"{text}\n\n{menu}" if text else menu
    parts = split_text(text, TELEGRAM_TEXT_LIMIT, ucs2_length)
    return [(part, keyboard if index == len(parts) - 1 else None) for index, part in enumerate(parts)]


def retry_seconds(error: RetryAfter) -> float:
    """Seconds to wait (PTB gives an int or, with PTB_TIMEDELTA set, a timedelta; the int form warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def _send_with_retry(bot: Bot, chat_id: int, text: str, keyboard: InlineKeyboardMarkup | None) -> None:
    """One message; on flood control wait as long as Telegram asks, then try again (at most twice)."""
    for attempt in range(1, SEND_ATTEMPTS + 1):
        try:
            await bot.send_message(chat_id, text, reply_markup=keyboard)
            return
        except RetryAfter as error:
            wait = retry_seconds(error)
            if attempt == SEND_ATTEMPTS or wait > MAX_RETRY_WAIT_SECONDS:
                raise
            logger.info("Telegram flood control: retrying in %.1f s (attempt %d)", wait, attempt)
            await asyncio.sleep(wait)


async def send_reply(bot: Bot, chat_id: int, reply: ChannelReply) -> bool:
    """Send the reply; True when all of it arrived, else what is left is recorded as undelivered."""
    messages = render_telegram(reply)
    for index, (text, keyboard) in enumerate(messages):
        try:
            await _send_with_retry(bot, chat_id, text, keyboard)
        except TelegramError as error:
            logger.warning("Telegram reply not delivered (%s: %s)", type(error).__name__, error)
            rest = "\n".join(part for part, _ in messages[index:])
            record_undelivered(load_settings().database_url, CHANNEL, sender_hash(str(chat_id)),
                               f"{type(error).__name__}: {error}", rest)
            return False
    return True


async def answer_callback(bot: Bot, callback_query_id: str) -> None:
    """Stop the button's spinner; a query too old to answer is no reason to drop the turn."""
    try:
        await bot.answer_callback_query(callback_query_id)
    except TelegramError as error:
        logger.info("callback query not answered (%s: %s)", type(error).__name__, error)


class _Deliveries:
    """Replies sent after the webhook has answered; one chat's replies leave in the order of its turns."""

    def __init__(self) -> None:
        self._last_by_chat: dict[int, asyncio.Task] = {}
        self._running: set[asyncio.Task] = set()

    def send(self, bot: Bot, chat_id: int, reply: ChannelReply) -> None:
        previous = self._last_by_chat.get(chat_id)
        task = asyncio.create_task(self._send_after(previous, bot, chat_id, reply))
        self._last_by_chat[chat_id] = task
        self._running.add(task)
        task.add_done_callback(lambda done: self._forget(chat_id, done))

    async def _send_after(self, previous: asyncio.Task | None, bot: Bot, chat_id: int,
                          reply: ChannelReply) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        try:
            await send_reply(bot, chat_id, reply)
        except Exception:  # a background task: nobody else would see the error
            logger.exception("sending a Telegram reply failed")

    def _forget(self, chat_id: int, task: asyncio.Task) -> None:
        self._running.discard(task)
        if self._last_by_chat.get(chat_id) is task:
            del self._last_by_chat[chat_id]

    async def wait(self, timeout: float) -> None:
        if self._running:
            await asyncio.wait(set(self._running), timeout=timeout)


class TelegramInput(InputChannel):
    """The Telegram webhook; the token and the webhook secret come from the environment, not credentials."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = load_settings().telegram
        if settings is None or not settings.webhook_secret:
            raise RasaException("the Telegram channel needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET")
        return cls(settings)

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self._bot: Bot | None = None  # made on first use, inside the server's event loop
        self._deliveries = _Deliveries()

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            self._bot = make_bot(self.settings)
        return self._bot

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        telegram_webhook = Blueprint("chuangye_telegram", __name__)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                self._check_secret(request)
                update = self._parse(checked_body(request))
            except BadRequest as refused:
                return refused.response()
            try:
                return await self._handle(update, on_new_message)
            except StorageUnavailable as unavailable:  # 503: Telegram delivers the update again later
                logger.warning("database unavailable: Telegram update %s not acknowledged", update.update_id)
                return unavailable.response()

        @telegram_webhook.listener("before_server_stop")
        async def finish(*_: Any) -> None:
            await self._deliveries.wait(SHUTDOWN_WAIT_SECONDS)
            if self._bot is not None:
                await self._bot.shutdown()

        return telegram_webhook

    def _check_secret(self, request: Request) -> None:
        """The secret_token given to setWebhook, compared in constant time."""
        given = (request.headers.get(SECRET_HEADER) or "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self.settings.webhook_secret.encode("utf-8")):
            raise BadRequest(403, "forbidden")

    def _parse(self, body: bytes) -> Update:
        """The update; BadRequest(400) for what the Bot API does not send (checked before anything is stored:
        a 500 would make Telegram resend a poisoned update for a day)."""
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as error:  # RecursionError: JSON nested deeper than the parser's stack
            raise BadRequest(400, "malformed JSON") from error
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            raise BadRequest(400, "not a Telegram update")
        try:
            update = Update.de_json(data, self.bot)
            incoming = incoming_message(update)  # a message without a chat fails here (AttributeError)
        except Exception as error:  # PTB raises whatever the malformed field causes (KeyError, TypeError…)
            raise BadRequest(400, "not a Telegram update") from error
        if incoming is not None and not well_typed(incoming):
            raise BadRequest(400, "not a Telegram update")
        return update

    async def _handle(self, update: Update, on_new_message: OnNewMessage) -> HTTPResponse:
        incoming = incoming_message(update)
        if incoming is None:
            return response.text("ignored")
        database_url = load_settings().database_url
        update_key = str(incoming.update_id)
        if not claim_message(database_url, CHANNEL, update_key):
            logger.info("Telegram update %s already handled", incoming.update_id)
            return response.text("duplicate")
        try:
            reply = await self._turn(incoming, on_new_message)
        except Exception:
            release_message(database_url, CHANNEL, update_key)
            logger.exception("Telegram update %s failed; released for Telegram's retry", incoming.update_id)
            return response.text("turn failed", status=500)
        self._deliveries.send(self.bot, incoming.chat_id, reply)
        return response.text("ok")

    async def _turn(self, incoming: Incoming, on_new_message: OnNewMessage) -> ChannelReply:
        if incoming.callback_query_id is not None:
            await answer_callback(self.bot, incoming.callback_query_id)
        text = turn_text(incoming)
        if text is None:
            return ChannelReply(texts=[NON_TEXT_REPLY])
        return await run_turn(on_new_message, CHANNEL, str(incoming.chat_id), text,
                              {"telegram_update_id": incoming.update_id})

"""``chuangye telegram-poll``: Telegram by long polling, for a deployment without a public HTTPS address.

The assistant runs in this process (bot.assistant.Assistant); replies go out with the webhook's sender, and a
bare number picks from the last numbered menu exactly as on the webhook (the same stored menus).

Updates are fetched with ``Bot.get_updates`` in a loop of our own rather than PTB's ``Application``: its
updater confirms a batch (the next getUpdates carries offset = last id + 1) as soon as it has fetched it,
while the handlers may still be running, so an update whose turn fails or is cut short by a restart would
be lost. Here the offset moves past an update only once its turn has been stored (or after it failed
``MAX_ATTEMPTS`` times), and the inbound_messages claim makes an update Telegram sends again run once.

Telegram refuses getUpdates while a webhook is set, so starting the poller removes the webhook (as PTB's
``run_polling`` does); ``setWebhook`` again to go back to the webhook.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import Counter

from telegram import Bot, Update
from telegram.error import Conflict, NetworkError, RetryAfter, TelegramError

from bot.assistant import Assistant
from bot.channels.base import sender_hash, too_long_reply
from bot.channels.render import ChannelReply
from bot.channels.telegram import (
    CHANNEL,
    NON_TEXT_REPLY,
    Incoming,
    answer_callback,
    incoming_message,
    make_bot,
    retry_seconds,
    send_reply,
    turn_text,
)
from bot.settings import Settings
from bot.storage.availability import StorageUnavailable, watch_storage
from bot.storage.channel_state import claim_message, menu_choice, release_message, save_menu

logger = logging.getLogger(__name__)

POLL_TIMEOUT_SECONDS = 30  # how long Telegram holds a getUpdates open when there is nothing new
ALLOWED_UPDATES = ["message", "callback_query"]
MAX_ATTEMPTS = 3  # turns of one update that fail before it is skipped (so one bad update cannot block all)
RETRY_PAUSE_SECONDS = 5.0


class Poller:
    """Fetches updates and runs their turns; ``offset`` is the first update id not yet stored."""

    def __init__(self, bot: Bot, assistant: Assistant, database_url: str) -> None:
        self.bot = bot
        self.assistant = assistant
        self.database_url = database_url
        self.offset: int | None = None
        self._failures: Counter[int] = Counter()

    async def poll_once(self, timeout: int = POLL_TIMEOUT_SECONDS) -> bool:
        """One getUpdates (which confirms every update before ``offset``) and the turns of what it returns.

        False when a turn failed: the offset stays before that update, so the next call fetches it again.
        """
        updates = await self.bot.get_updates(offset=self.offset, timeout=timeout, allowed_updates=ALLOWED_UPDATES)
        for update in updates:
            if not await self.process(update):
                return False
            self.offset = update.update_id + 1
        return True

    async def confirm(self) -> None:
        """Tell Telegram what has been stored, e.g. before stopping (nothing is fetched for good)."""
        if self.offset is not None:
            await self.bot.get_updates(offset=self.offset, timeout=0, limit=1, allowed_updates=ALLOWED_UPDATES)

    async def process(self, update: Update) -> bool:
        """Run one update's turn and send the reply; False when the turn failed and should be tried again."""
        incoming = incoming_message(update)
        if incoming is None:
            return True
        update_key = str(update.update_id)
        try:
            if not claim_message(self.database_url, CHANNEL, update_key):
                logger.info("Telegram update %s already handled", update.update_id)
                return True
        except StorageUnavailable:
            logger.warning("database unavailable: Telegram update %s stays unconfirmed", update.update_id)
            return False
        try:
            reply = await self.turn(incoming)
        except StorageUnavailable:
            # Not counted as a failure of the update: it waits, unconfirmed, until the database is back.
            logger.warning("database unavailable: Telegram update %s stays unconfirmed", update.update_id)
            self._release(update_key)
            return False
        except Exception:
            self._release(update_key)
            return self._failed(update.update_id)
        await send_reply(self.bot, incoming.chat_id, reply)
        return True

    def _release(self, update_key: str) -> None:
        try:
            release_message(self.database_url, CHANNEL, update_key)
        except StorageUnavailable:
            logger.error("could not release Telegram update %s; it is skipped when fetched again", update_key)

    def _failed(self, update_id: int) -> bool:
        self._failures[update_id] += 1
        if self._failures[update_id] >= MAX_ATTEMPTS:
            logger.exception("Telegram update %s failed %d times; skipped", update_id, MAX_ATTEMPTS)
            del self._failures[update_id]
            return True
        logger.exception("Telegram update %s failed; it will be fetched again", update_id)
        return False

    async def turn(self, incoming: Incoming) -> ChannelReply:
        """The assistant's reply, with the numbered menu read and stored as run_turn does on the webhook."""
        if incoming.callback_query_id is not None:
            await answer_callback(self.bot, incoming.callback_query_id)
        text = turn_text(incoming)
        if text is None:
            return ChannelReply(texts=[NON_TEXT_REPLY])
        refused = too_long_reply(text)  # as run_turn on the webhook: not run, asked for in shorter parts
        if refused is not None:
            return refused
        sender = str(incoming.chat_id)
        hashed = sender_hash(sender)
        text = menu_choice(self.database_url, CHANNEL, hashed, text) or text
        with watch_storage() as storage:
            result = await self.assistant.handle(text, sender)
        storage.raise_if_failed()
        reply = ChannelReply.from_messages(result.messages)
        save_menu(self.database_url, CHANNEL, hashed, [button.payload for button in reply.buttons])
        return reply


async def run(poller: Poller) -> None:
    """Poll until cancelled; network trouble and flood control only pause it."""
    try:
        while True:
            try:
                if not await poller.poll_once():
                    await asyncio.sleep(RETRY_PAUSE_SECONDS)
            except RetryAfter as error:
                logger.warning("Telegram flood control on getUpdates: %s", error)
                await asyncio.sleep(retry_seconds(error))
            except Conflict as error:  # another poller, or a webhook set again meanwhile
                logger.error("Telegram refused getUpdates: %s", error)
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
            except NetworkError as error:
                logger.warning("Telegram unreachable (%s); retrying", error)
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
    finally:
        try:
            await poller.confirm()
        except TelegramError as error:
            logger.info("offset not confirmed on stop (%s); stored updates are skipped next time", error)


async def _serve(settings: Settings, assistant: Assistant) -> None:
    assert settings.telegram is not None
    task = asyncio.current_task()
    if task is not None:
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with make_bot(settings.telegram) as bot:  # initialize() checks the token with getMe
        await bot.delete_webhook(drop_pending_updates=False)
        logger.info("polling Telegram as @%s", bot.username)
        print(f"创业助手 Telegram 轮询已启动 (@{bot.username})，Ctrl-C 停止。", flush=True)
        await run(Poller(bot, assistant, settings.database_url))


def poll(settings: Settings) -> int:
    """``chuangye telegram-poll``: answer Telegram by long polling until Ctrl-C or SIGTERM; the exit code."""
    if settings.telegram is None:
        logger.error("Telegram polling needs TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET to be set")
        return 2
    from bot.storage.tracker_store import ReviewedSQLTrackerStore

    # Conversations and the turn log in DATABASE_URL, as on the webhook (a restart resumes them).
    assistant = Assistant(settings.model_path, tracker_store=ReviewedSQLTrackerStore())
    try:
        asyncio.run(_serve(settings, assistant))
    except (KeyboardInterrupt, asyncio.CancelledError):
        pass
    except TelegramError as error:
        logger.error("Telegram polling stopped: %s", error)
        return 1
    return 0

"""Messages the assistant did not write: a staff member's answer to a hand-off, sent on the person's own channel.

The console holds only the decrypted conversation id of a waiting request ("telegram:123…", "wechat:o6_b…",
"sms:+86139…"); this module turns it into a send on that platform with the same clients the channels use
(python-telegram-bot's Bot, wechatpy's customer-service API, the configured SMS gateway). A REST caller has no
address the server can write to, so a request from REST cannot be answered this way: staff reveal the contact
instead.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram.error import TelegramError
from wechatpy.exceptions import WeChatClientException

from bot.channels.base import sender_hash
from bot.channels.render import (
    SMS_MULTIPART_SEGMENT,
    TELEGRAM_TEXT_LIMIT,
    WECHAT_TEXT_LIMIT,
    channel_messages,
    split_text,
    ucs2_length,
)
from bot.channels.sms_gateways import SmsDeliveryError, gateway_for
from bot.channels.telegram import make_bot
from bot.channels.wechat import SEND_TIMEOUT_SECONDS, api_client
from bot.settings import Settings
from bot.storage.channel_state import is_sms_opted_out
from nlu.language import detect_language

STAFF_REPLY_LIMIT = 500  # characters a staff member may send at once: one WeChat message, a few SMS
SMS_PART_SEGMENTS = 3  # an SMS part of a long staff reply: at most three segments, like the assistant's own
CHANNELS = ("telegram", "wechat", "sms")


class NotDeliverable(ValueError):
    """The person's channel cannot be written to from here (REST, or the channel is not configured)."""


class OptedOut(NotDeliverable):
    """The person unsubscribed from SMS (退订): nothing more may be sent to the number until they opt in again."""


class DeliveryFailed(RuntimeError):
    """The platform refused the message or could not be reached; nothing was sent (or only its first part)."""


@dataclass(frozen=True)
class Delivery:
    channel: str
    messages: int  # how many platform messages carried the text


def staff_message(text: str) -> str:
    """The text as the person receives it: marked as a staff member's, in the language the staff member wrote."""
    language = "en" if detect_language(text) == "en" else "zh"
    return channel_messages(language)["staff_reply"].format(text=text.strip())


def deliverable_channels(settings: Settings) -> tuple[str, ...]:
    """The channels this installation can write to (their credentials are set)."""
    return tuple(channel for channel in CHANNELS if getattr(settings, channel) is not None)


def can_deliver(contact: str, settings: Settings) -> bool:
    """Whether a reply to this conversation id can be sent from this installation."""
    return contact.partition(":")[0] in deliverable_channels(settings)


async def send_staff_reply(contact: str, text: str, settings: Settings) -> Delivery:
    """Send ``text`` (already checked by the caller) to the conversation ``contact`` names."""
    channel, _, platform_id = contact.partition(":")
    if not can_deliver(contact, settings) or not platform_id:
        raise NotDeliverable(f"no way to write to a {channel or 'unknown'} conversation from here")
    message = staff_message(text)
    if channel == "telegram":
        return Delivery(channel, await _telegram(settings, platform_id, message))
    if channel == "wechat":
        return Delivery(channel, await _wechat(settings, platform_id, message))
    return Delivery(channel, await _sms(settings, platform_id, message))


async def _telegram(settings: Settings, chat_id: str, message: str) -> int:
    assert settings.telegram is not None
    parts = split_text(message, TELEGRAM_TEXT_LIMIT)
    try:
        async with make_bot(settings.telegram) as bot:
            for part in parts:
                await bot.send_message(int(chat_id), part)
    except (TelegramError, ValueError) as error:
        raise DeliveryFailed(f"Telegram: {type(error).__name__}: {error}") from error
    return len(parts)


async def _wechat(settings: Settings, openid: str, message: str) -> int:
    """WeChat's customer-service API: accepted only within 48 hours of the person's last message."""
    wechat = settings.wechat
    assert wechat is not None
    client = api_client(wechat.app_id, wechat.app_secret, wechat.api_base_url)
    parts = split_text(message, WECHAT_TEXT_LIMIT)
    loop = asyncio.get_running_loop()
    try:
        for part in parts:
            await asyncio.wait_for(loop.run_in_executor(None, client.message.send_text, openid, part),
                                   SEND_TIMEOUT_SECONDS)
    except WeChatClientException as error:
        raise DeliveryFailed(f"WeChat errcode {error.errcode}: {error.errmsg}") from error
    except (asyncio.TimeoutError, OSError) as error:
        raise DeliveryFailed(f"WeChat unreachable: {error!r}") from error
    return len(parts)


async def _sms(settings: Settings, phone: str, message: str) -> int:
    """As few SMS as the text needs, each of at most three segments, split between sentences."""
    if is_sms_opted_out(settings.database_url, sender_hash(phone)):
        raise OptedOut("the number unsubscribed from SMS")
    parts = split_text(message, SMS_MULTIPART_SEGMENT * SMS_PART_SEGMENTS, ucs2_length)
    gateway = gateway_for(settings)
    try:
        for part in parts:
            await gateway.send(phone, part)
    except SmsDeliveryError as error:
        raise DeliveryFailed(f"SMS: {error}") from error
    return len(parts)

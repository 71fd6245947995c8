"""What every channel connector does the same way: body limits, the numbered menu, running one turn."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic.request import Request

from bot.channels.payloads import as_user_text
from bot.channels.rate_limit import sender_limiter
from bot.channels.render import ChannelReply, channel_messages
from bot.errors import BadRequest
from bot.settings import load_settings, sender_hash_salt
from bot.storage.availability import watch_storage
from bot.storage.channel_state import menu_choice, save_menu
from bot.storage.handoffs import hash_sender

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
# Longest message run as a turn (a question, even one pasted from a document): the NLU cost grows with the length,
# and a 64 KB message would hold the server for seconds. Longer ones get a "please split it" reply instead.
MAX_MESSAGE_CHARS = 2000

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def checked_body(request: Request) -> bytes:
    """The raw body, refused with 413 when it is over 64 KB (by its declared length first, before parsing)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise BadRequest(413, "request body too large")
    body = request.body or b""
    if len(body) > MAX_BODY_BYTES:
        raise BadRequest(413, "request body too large")
    return body


def reject_xml_doctype(body: bytes) -> None:
    """No legitimate platform message declares a DOCTYPE or entities: refuse them (XXE, entity expansion)."""
    upper = body.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise BadRequest(400, "XML with a DOCTYPE is not accepted")


def sender_hash(sender_id: str) -> str:
    return hash_sender(sender_id, sender_hash_salt())


def clean_text(text: str) -> str:
    """Control characters and lone surrogates out (they break XML and databases), whitespace trimmed."""
    kept = (ch for ch in text if (ch in "\n\t" or ch.isprintable()) and not 0xD800 <= ord(ch) <= 0xDFFF)
    return "".join(kept).strip()


def too_long_reply(text: str) -> ChannelReply | None:
    """The "please split it" reply for a message over MAX_MESSAGE_CHARS (not run as a turn); None otherwise."""
    if len(text) <= MAX_MESSAGE_CHARS:
        return None
    return ChannelReply(texts=[wording_for(text)["too_long"].format(limit=MAX_MESSAGE_CHARS)])


def wording_for(text: str) -> dict[str, Any]:
    """The channel wording in the language of the message it answers (Chinese unless it reads as English)."""
    from nlu.language import detect_language

    return channel_messages(detect_language(text) or "zh")


# Channels where every reply is paid for (per SMS segment).
PAID_CHANNELS = ("sms",)


def too_fast_reply(text: str) -> ChannelReply:
    """The "please slow down" reply to a message over the sender's rate limit (not run as a turn)."""
    rate = sender_limiter().rate
    return ChannelReply(texts=[wording_for(text)["too_fast"].format(limit=rate.limit, seconds=rate.window_seconds)])


# Channels whose ids the platform vouches for. A conversation is keyed by channel and id, so the same id on another
# channel (or a REST caller naming it) is another conversation; REST refuses senders that begin with these.
VOUCHED_CHANNELS = ("wechat", "telegram", "sms")


def conversation_id(channel: str, sender_id: str) -> str:
    """The conversation's id for Rasa: "sms:+8613912345678" (stored only as its salted hash)."""
    return f"{channel}:{sender_id}"


async def run_turn(on_new_message: OnNewMessage, channel: str, sender_id: str, text: str,
                   metadata: dict[str, Any] | None = None) -> ChannelReply:
    """One user turn through the assistant; a bare number picks the button it names in the last menu.

    A message over ``MAX_MESSAGE_CHARS`` is not run: the reply asks for it in shorter parts.
    Raises ``StorageUnavailable`` (a 503 ``BadRequest``) when the database is down: nothing is acknowledged.
    """
    text = clean_text(text)
    refused = too_long_reply(text)
    if refused is not None:
        return refused
    over = sender_limiter().over_by(sender_hash(conversation_id(channel, sender_id)))
    if over:  # an SMS costs the sender and us: the "slow down" goes once per window there
        return too_fast_reply(text) if over == 1 or channel not in PAID_CHANNELS else ChannelReply(texts=[])
    database_url = load_settings().database_url
    hashed = sender_hash(sender_id)
    text = menu_choice(database_url, channel, hashed, text) or as_user_text(text)
    collector = CollectingOutputChannel()
    with watch_storage() as storage:
        await on_new_message(UserMessage(text, collector, conversation_id(channel, sender_id), input_channel=channel,
                                         metadata=metadata))
    storage.raise_if_failed()  # the reply was made but the turn not stored: refuse (503), the platform retries
    reply = ChannelReply.from_messages(collector.messages)
    save_menu(database_url, channel, hashed, [button.payload for button in reply.buttons])
    return reply

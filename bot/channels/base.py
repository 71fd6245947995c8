"""What every channel connector does the same way: body limits, the numbered menu, running one turn."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from sanic import response
from sanic.request import Request

from bot.channels.render import ChannelReply
from bot.settings import load_settings
from bot.storage.channel_state import menu_choice, save_menu
from bot.storage.handoffs import hash_sender

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


class BadRequest(Exception):
    """The request must be refused with ``status``; nothing has been stored."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> response.HTTPResponse:
        return response.text(self.reason, status=self.status)


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
    return hash_sender(sender_id, load_settings().sender_hash_salt)


def clean_text(text: str) -> str:
    """Control characters and lone surrogates out (they break XML and databases), whitespace trimmed."""
    kept = (ch for ch in text if (ch in "\n\t" or ch.isprintable()) and not 0xD800 <= ord(ch) <= 0xDFFF)
    return "".join(kept).strip()


async def run_turn(on_new_message: OnNewMessage, channel: str, sender_id: str, text: str,
                   metadata: dict[str, Any] | None = None) -> ChannelReply:
    """One user turn through the assistant; a bare number picks the button it names in the last menu."""
    database_url = load_settings().database_url
    hashed = sender_hash(sender_id)
    text = clean_text(text)
    text = menu_choice(database_url, channel, hashed, text) or text
    collector = CollectingOutputChannel()
    await on_new_message(UserMessage(text, collector, sender_id, input_channel=channel, metadata=metadata))
    reply = ChannelReply.from_messages(collector.messages)
    save_menu(database_url, channel, hashed, [button.payload for button in reply.buttons])
    return reply

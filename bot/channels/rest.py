"""Rasa's REST channel (same name "rest", same URL /webhooks/rest/webhook) with the request checked first.

Rasa's own ``RestInput`` reads ``request.json`` and passes whatever it finds on: a body that is empty or not a
JSON object gives a 500, a missing ``sender`` merges the caller into the shared conversation "default", a
``message`` that is not a string is swallowed into ``200 []``, nested metadata fails in the tracker store, a
lone surrogate in ``sender`` makes the SQL tracker store exit the whole server (Rasa turns any ValueError in
its session scope into ``sys.exit``), and a 600 KB message holds the event loop for minutes. Here the body must
be at most 64 KB of UTF-8 JSON: an object with a non-empty printable string ``sender`` (at most 255
characters), a non-blank string ``message`` of at most 2000 characters, optionally a ``metadata`` object (at
most 32 levels deep) and a string ``input_channel``; anything else is answered ``400`` (``413`` for a body
over 64 KB) with ``{"error", "message"}`` saying what is wrong, before Rasa sees it. Good requests are handled
by Rasa's code unchanged.

The blueprint also installs the guard against malformed HTTP framing (``bot.http_framing``: Sanic 21.12
answers it with a 500 or, for a negative Content-Length, an endless busy loop that stops the server) for the
whole Rasa server; "rest" is always on, so every channel is covered.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import (
    MAX_BODY_BYTES,
    MAX_MESSAGE_CHARS,
    VOUCHED_CHANNELS,
    clean_text,
    conversation_id,
    sender_hash,
)
from bot.channels.payloads import as_user_text
from bot.channels.rate_limit import sender_limiter
from bot.http_framing import install_framing_guard
from bot.settings import Settings, load_settings
from bot.storage.availability import begin_watch

MAX_SENDER_CHARS = 255  # Rasa's SQL tracker store keeps sender_id in a VARCHAR(255)
MAX_INPUT_CHANNEL_CHARS = 64
MAX_METADATA_DEPTH = 32  # deeper metadata fails when the tracker is copied or serialised (RecursionError)


class RestRequestError(Exception):
    """The request is refused with ``status``; ``reason`` tells the caller what to change."""

    def __init__(self, status: int, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.headers = headers

    def response(self) -> HTTPResponse:
        error = {413: "too_large", 401: "unauthorized", 403: "forbidden", 429: "too_many_requests"}.get(
            self.status, "bad_request")
        return response.json({"error": error, "message": self.reason}, status=self.status, headers=self.headers,
                             dumps=lambda data: json.dumps(data, ensure_ascii=False))


def _check_text(value: str, field: str) -> None:
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise RestRequestError(400, f"{field} contains a lone surrogate (\\ud800-\\udfff): not valid Unicode text")


def _check_metadata(metadata: Any) -> None:
    """An object, at most MAX_METADATA_DEPTH levels deep, with no lone surrogate in any key or string."""
    if not isinstance(metadata, dict):
        raise RestRequestError(400, '"metadata" must be a JSON object')
    stack: list[tuple[Any, int]] = [(metadata, 1)]
    while stack:  # iterative: a recursive walk is what deep nesting is meant to break
        value, depth = stack.pop()
        if depth > MAX_METADATA_DEPTH:
            raise RestRequestError(400, f'"metadata" is nested deeper than {MAX_METADATA_DEPTH} levels')
        if isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, '"metadata"')
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text(value, '"metadata"')


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_rest_request(body: bytes) -> dict[str, Any]:
    """The request object when ``body`` is a valid REST message, else RestRequestError (400 or 413)."""
    if len(body) > MAX_BODY_BYTES:
        raise RestRequestError(413, f"request body over {MAX_BODY_BYTES // 1024} KB")
    if not body.strip():
        raise RestRequestError(400, 'empty body: send a JSON object {"sender": "...", "message": "..."}')
    try:
        payload = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise RestRequestError(400, "the body is not UTF-8") from None
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise RestRequestError(400, "the body is not valid JSON") from None
    if not isinstance(payload, dict):
        raise RestRequestError(400, 'the body must be a JSON object {"sender": "...", "message": "..."}')
    sender = payload.get("sender")
    if not isinstance(sender, str) or not sender.strip():
        raise RestRequestError(400, '"sender" must be a non-empty string')
    if len(sender) > MAX_SENDER_CHARS or not sender.isprintable():
        raise RestRequestError(400, f'"sender" must be at most {MAX_SENDER_CHARS} printable characters')
    if sender.split(":", 1)[0].strip().lower() in VOUCHED_CHANNELS:
        raise RestRequestError(400, '"sender" may not begin with a channel name: those conversations belong to '
                                    "the users the platforms vouch for")
    message = payload.get("message")
    if not isinstance(message, str) or not message.strip():
        raise RestRequestError(400, '"message" must be a non-empty string')
    if len(message) > MAX_MESSAGE_CHARS:
        raise RestRequestError(400, f'"message" is longer than {MAX_MESSAGE_CHARS} characters')
    _check_text(message, '"message"')
    if payload.get("metadata") is not None:
        _check_metadata(payload["metadata"])
    channel = payload.get("input_channel")
    if channel is not None and (not isinstance(channel, str) or len(channel) > MAX_INPUT_CHANNEL_CHARS
                                or not channel.isprintable()):
        raise RestRequestError(400, f'"input_channel" must be a string of at most {MAX_INPUT_CHANNEL_CHARS} '
                                    "printable characters")
    return payload


def check_access(settings: Settings, authorization: str | None) -> None:
    """RestRequestError unless the caller may use REST: anyone in development; with REST_API_TOKEN set, only a
    caller that sends it as a bearer token (401 otherwise); in the production profile without a token, nobody
    (403: REST is off there, since it shares the front address with the channels)."""
    if settings.rest_token:
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                                  settings.rest_token.encode()):
            raise RestRequestError(401, 'send the REST token as "Authorization: Bearer <REST_API_TOKEN>"',
                                   {"WWW-Authenticate": "Bearer"})
    elif settings.rest_requires_token:
        raise RestRequestError(403, "REST is off in the production profile; set REST_API_TOKEN to turn it on")


class RestInput(RasaRestInput):
    """Rasa's REST channel under its own name and URL, refusing malformed requests before Rasa reads them.

    Configured as ``bot.channels.rest.RestInput:`` in place of ``rest:`` in the credentials file.
    """

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = super().blueprint(on_new_message)
        settings = load_settings()

        @webhook.middleware("request")
        async def validate(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None  # the health route
            try:
                check_access(settings, request.headers.get("authorization"))
                payload = parse_rest_request(request.body or b"")
            except RestRequestError as refused:
                return refused.response()
            if sender_limiter().over_by(sender_hash(conversation_id(self.name(), payload["sender"]))):
                rate = sender_limiter().rate
                return RestRequestError(429, f"more than {rate.limit} messages in {rate.window_seconds} s from "
                                             "this sender; send it again shortly",
                                        {"Retry-After": str(rate.window_seconds)}).response()
            # Control and format characters out (U+202E would turn the text around in the console), then only the
            # assistant's own button payloads skip the NLU.
            text = clean_text(payload["message"])
            if not text:
                return RestRequestError(400, '"message" has no printable text').response()
            payload["message"] = as_user_text(text)
            payload["input_channel"] = self.name()  # set by the server, never by the caller
            request.parsed_json = payload  # what Rasa's handler reads as request.json
            request.ctx.storage_watch = begin_watch()  # the handler runs in this task: it sees the watch
            return None

        @webhook.middleware("response")
        async def refuse_unstored(request: Request, _: HTTPResponse) -> HTTPResponse | None:
            """Rasa's handler answers 200 even when the turn could not be stored: answer 503 instead."""
            watch = getattr(request.ctx, "storage_watch", None)
            if watch is not None and watch.errors:
                return response.json({"error": "storage_unavailable",
                                      "message": "the message was not stored; send it again later"}, status=503)
            return None

        # Registered on the blueprint, the guard checks every request the Rasa server reads (all channels).
        install_framing_guard(webhook)
        return webhook

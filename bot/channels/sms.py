"""SMS bridge: inbound webhooks from SMS gateways, replies sent through the configured outgoing gateway.

Three inbound formats, all under /webhooks/sms/:

* ``/webhook``: generic JSON ``{"message_id", "from", "text"}``, HMAC-SHA256 of the raw body (hex) in
  ``X-Signature``, keyed with SMS_WEBHOOK_SECRET;
* ``/twilio``: Twilio form posts (``From``, ``Body``, ``MessageSid``) verified with ``X-Twilio-Signature``;
* ``/aliyun``: Aliyun 短信上行 JSON (an object or a list of them), signed like the generic webhook.

Every request is checked in the same order: size (413), signature (403), format (400); only then is anything
stored. Opt-out words are handled here, before the assistant: an opted-out number gets nothing but the
confirmation of its opt-out.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import unicodedata
import urllib.parse
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request

from bot.channels.base import BadRequest, OnNewMessage, checked_body, clean_text, run_turn, sender_hash
from bot.channels.render import render_sms
from bot.channels.sms_gateways import SmsDeliveryError, SmsGateway, gateway_for
from bot.settings import Settings, load_settings
from bot.storage.availability import StorageUnavailable
from bot.storage.channel_state import (
    claim_message,
    is_sms_opted_out,
    record_undelivered,
    release_message,
    set_sms_opt_out,
)

logger = logging.getLogger(__name__)

OPT_OUT_WORDS = frozenset({"退订", "TD", "T", "STOP", "UNSUBSCRIBE"})
OPT_IN_WORDS = frozenset({"开通", "START"})
OPT_OUT_CONFIRMATION = "已退订，今后不再发送短信。回复“开通”可重新订阅。"
OPT_IN_CONFIRMATION = "已重新开通创业助手短信，直接发文字提问即可。回复“退订”可停止接收。"

_PHONE = re.compile(r"\+?[0-9]{3,20}")
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_.:@+-]{1,100}")
_PHONE_SEPARATORS = str.maketrans("", "", " -()")


@dataclass(frozen=True)
class InboundSms:
    key: str  # the gateway's message id, prefixed with the gateway: the dedupe key
    phone_number: str
    text: str


def message_key(source: str, message_id: str) -> str:
    """The dedupe key: ids of different gateways may collide (Aliyun numbers its messages)."""
    return f"{source}:{message_id}"


# --- signatures -------------------------------------------------------------------------------------------


def body_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_body_signature(secret: str, body: bytes, provided: str | None) -> None:
    """X-Signature: hex HMAC-SHA256 of the raw body; raises BadRequest(403)."""
    provided = (provided or "").strip().lower()
    if not provided or not provided.isascii() or not hmac.compare_digest(body_signature(secret, body), provided):
        raise BadRequest(403, "invalid signature")


def twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]]) -> str:
    """Twilio's algorithm: the URL, then each parameter name + value sorted by name (values sorted too),
    HMAC-SHA1 with the auth token, base64."""
    names = sorted({name for name, _ in params})
    signed = url + "".join(name + value for name in names
                           for value in sorted({v for n, v in params if n == name}))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def public_url(request: Request, trust_forwarded: bool) -> str:
    """The URL the gateway called (what Twilio signs)."""
    return called_url(request.scheme, request.host, request.path, request.query_string, request.headers,
                      trust_forwarded)


def called_url(scheme: str, host: str, path: str, query_string: str, headers: Mapping[str, str],
               trust_forwarded: bool) -> str:
    """The URL as the caller addressed it. Behind a reverse proxy (``trust_forwarded``: SMS_TRUST_FORWARDED set)
    X-Forwarded-Proto/Host name the public scheme and host; otherwise they are ignored, since anyone can send
    them and a signature made for another address must not be accepted here."""
    if trust_forwarded:
        scheme = _first(headers.get("x-forwarded-proto")) or scheme
        host = _first(headers.get("x-forwarded-host")) or host
    query = f"?{query_string}" if query_string else ""
    return f"{scheme}://{host}{path}{query}"


def _first(header: str | None) -> str:
    return (header or "").split(",")[0].strip()


def url_variants(url: str) -> list[str]:
    """The URL as called, without its port and with the default port: Twilio signs either form."""
    parts = urllib.parse.urlsplit(url)
    hostname = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    default_port = 443 if parts.scheme == "https" else 80
    variants = [url, parts._replace(netloc=hostname).geturl()]
    if not parts.port:
        variants.append(parts._replace(netloc=f"{hostname}:{default_port}").geturl())
    return variants


def verify_twilio_signature(auth_token: str, url: str, params: list[tuple[str, str]], provided: str) -> None:
    provided = provided.strip()
    if not provided.isascii() or not any(
            hmac.compare_digest(twilio_signature(auth_token, candidate, params), provided)
            for candidate in url_variants(url)):
        raise BadRequest(403, "invalid Twilio signature")


# --- parsing ----------------------------------------------------------------------------------------------


def parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise BadRequest(400, "malformed JSON") from None


def parse_form(body: bytes) -> list[tuple[str, str]]:
    try:
        return urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    except ValueError:  # includes UnicodeDecodeError
        raise BadRequest(400, "malformed form") from None


def phone_number(value: Any) -> str:
    """A phone number as the gateway wrote it, minus spaces and dashes; anything else is refused (400)."""
    number = value.translate(_PHONE_SEPARATORS) if isinstance(value, str) else ""
    if not _PHONE.fullmatch(number):
        raise BadRequest(400, "missing or malformed phone number")
    return number


def gateway_message_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not _MESSAGE_ID.fullmatch(value):
        raise BadRequest(400, "missing or malformed message id")
    return value


def message_text(value: Any) -> str:
    if not isinstance(value, str):
        raise BadRequest(400, "missing message text")
    return value


def generic_message(body: bytes) -> list[InboundSms]:
    payload = parse_json(body)
    if not isinstance(payload, dict):
        raise BadRequest(400, "expected a JSON object")
    return [InboundSms(message_key("webhook", gateway_message_id(payload.get("message_id"))),
                       phone_number(payload.get("from")), message_text(payload.get("text")))]


def aliyun_messages(body: bytes) -> list[InboundSms]:
    """Aliyun pushes 上行 messages as a JSON list (one object is accepted too)."""
    payload = parse_json(body)
    items = payload if isinstance(payload, list) else [payload]
    if not all(isinstance(item, dict) for item in items):
        raise BadRequest(400, "expected JSON objects")
    return [InboundSms(message_key("aliyun", gateway_message_id(item.get("sequence_id"))),
                       phone_number(item.get("phone_number")), message_text(item.get("content")))
            for item in items]


def twilio_message(params: list[tuple[str, str]]) -> list[InboundSms]:
    fields = dict(params)
    return [InboundSms(message_key("twilio", gateway_message_id(fields.get("MessageSid"))),
                       phone_number(fields.get("From")), message_text(fields.get("Body", "")))]


def opt_command(text: str) -> str | None:
    """"out" for 退订/TD/T/STOP/UNSUBSCRIBE, "in" for 开通/START (full-width and any case too), else None."""
    word = unicodedata.normalize("NFKC", text).strip().upper()
    if word in OPT_OUT_WORDS:
        return "out"
    if word in OPT_IN_WORDS:
        return "in"
    return None


# --- the channel ------------------------------------------------------------------------------------------


class SmsInput(InputChannel):
    """Served at /webhooks/sms/{webhook,twilio,aliyun}; secrets come from the environment (SMS_*, TWILIO_*)."""

    @classmethod
    def name(cls) -> str:
        return "sms"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = load_settings()
        if settings.sms is None:
            cls.raise_missing_credentials_exception()
        return cls(settings)

    def __init__(self, settings: Settings, gateway: SmsGateway | None = None) -> None:
        if settings.sms is None:
            raise ValueError("SMS is not enabled: SMS_WEBHOOK_SECRET is not set")
        self.settings = settings
        self.sms = settings.sms
        self.gateway = gateway or gateway_for(settings)

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("sms_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> response.HTTPResponse:
            return await self._handle(request, on_new_message, self._generic)

        @webhook.route("/twilio", methods=["POST"])
        async def receive_twilio(request: Request) -> response.HTTPResponse:
            return await self._handle(request, on_new_message, self._twilio)

        @webhook.route("/aliyun", methods=["POST"])
        async def receive_aliyun(request: Request) -> response.HTTPResponse:
            # Aliyun's push takes {"code": 0} as the acknowledgement and retries otherwise.
            return await self._handle(request, on_new_message, self._aliyun, {"code": 0, "msg": "接收成功"})

        return webhook

    # Each reader checks the signature before it parses, and returns the messages in the request.

    def _generic(self, request: Request, body: bytes) -> list[InboundSms]:
        verify_body_signature(self.sms.webhook_secret, body, request.headers.get("x-signature"))
        return generic_message(body)

    def _aliyun(self, request: Request, body: bytes) -> list[InboundSms]:
        verify_body_signature(self.sms.webhook_secret, body, request.headers.get("x-signature"))
        return aliyun_messages(body)

    def _twilio(self, request: Request, body: bytes) -> list[InboundSms]:
        provided = request.headers.get("x-twilio-signature")
        if not self.sms.twilio_auth_token:
            raise BadRequest(403, "Twilio webhook not configured: TWILIO_AUTH_TOKEN is not set")
        if not provided:
            raise BadRequest(403, "missing Twilio signature")
        params = parse_form(body)
        verify_twilio_signature(self.sms.twilio_auth_token, public_url(request, self.sms.trust_forwarded), params,
                                provided)
        return twilio_message(params)

    async def _handle(self, request: Request, on_new_message: OnNewMessage,
                      read: Callable[[Request, bytes], list[InboundSms]],
                      acknowledgement: dict[str, Any] | None = None) -> response.HTTPResponse:
        try:
            messages = read(request, checked_body(request))
        except BadRequest as refused:
            logger.info("SMS webhook %s refused: %s", request.path, refused.reason)
            return refused.response()
        replies = 0
        for message in messages:
            try:
                replies += await self.process(message, on_new_message)
            except StorageUnavailable as unavailable:  # 503: the gateway delivers the message again later
                logger.warning("database unavailable: SMS message %s not acknowledged", message.key)
                return response.json({"ok": False, "replies": replies, "error": unavailable.reason},
                                     status=unavailable.status)
            except Exception:
                logger.exception("SMS turn for message %s failed", message.key)
                return response.json({"ok": False, "replies": replies}, status=500)
        return response.json({"ok": True, "replies": replies, **(acknowledgement or {})})

    async def process(self, message: InboundSms, on_new_message: OnNewMessage) -> int:
        """Answer a message unless its id was seen before; returns the number of SMS sent.

        A failed turn releases the id, so the gateway's retry of the request is answered.
        """
        database_url = self.settings.database_url
        if not claim_message(database_url, "sms", message.key):
            logger.info("SMS message %s already processed", message.key)
            return 0
        try:
            return await self._answer(message, on_new_message)
        except Exception:
            release_message(database_url, "sms", message.key)
            raise

    async def _answer(self, message: InboundSms, on_new_message: OnNewMessage) -> int:
        """The number of SMS sent in answer: opt-out words first, nothing at all to an opted-out number."""
        database_url = self.settings.database_url
        hashed = sender_hash(message.phone_number)
        text = clean_text(message.text)
        command = opt_command(text)
        opted_out = is_sms_opted_out(database_url, hashed)
        if command == "in":
            set_sms_opt_out(database_url, hashed, False)
            return await self._send(message.phone_number, hashed, [OPT_IN_CONFIRMATION])
        if opted_out:
            return 0  # a repeated 退订 included: the confirmation was sent once
        if command == "out":
            set_sms_opt_out(database_url, hashed, True)
            return await self._send(message.phone_number, hashed, [OPT_OUT_CONFIRMATION])
        if not text:
            return 0  # nothing readable (only control characters, say): no turn, no reply
        reply = await run_turn(on_new_message, "sms", message.phone_number, text, {"sms_key": message.key})
        texts = [piece for piece in render_sms(reply, self.sms.max_segments) if piece.strip()]
        return await self._send(message.phone_number, hashed, texts)

    async def _send(self, phone: str, hashed: str, texts: list[str]) -> int:
        """Send each text; the first refusal is recorded with the rest, which are not attempted."""
        for sent, text in enumerate(texts):
            try:
                await self.gateway.send(phone, text)
            except SmsDeliveryError as error:
                logger.warning("SMS to %s… not delivered: %s", hashed[:8], error)
                for unsent in texts[sent:]:
                    record_undelivered(self.settings.database_url, "sms", hashed, str(error), unsent)
                return sent
        return len(texts)

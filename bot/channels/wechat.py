"""WeChat Official Account channel (wechatpy): signature first, then decrypt, then parse; passive or async reply.

WeChat waits 5 s for a passive reply and retries the same message three times. A turn that is ready within
about 4 s is answered passively; otherwise the request is answered ``success`` and the reply goes out through
the customer-service message API when it is ready. Message ids are persisted, so a retry never runs a turn twice.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request
from wechatpy import parse_message
from wechatpy.client import WeChatClient
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException, WeChatClientException
from wechatpy.replies import TextReply
from wechatpy.session import SessionStorage
from wechatpy.session.redisstorage import RedisStorage
from wechatpy.utils import check_signature

from bot.channels.base import (
    BadRequest,
    OnNewMessage,
    channel_messages,
    checked_body,
    reject_xml_doctype,
    run_turn,
    sender_hash,
)
from bot.channels.render import render_wechat
from bot.channels.replays import is_replayed
from bot.settings import WeChatSettings, load_settings
from bot.storage.channel_state import claim_message, record_undelivered, release_message

logger = logging.getLogger(__name__)

PASSIVE_REPLY_SECONDS = 4.0  # WeChat gives up after 5 s
# What WeChat sends as FromUserName: an openid of letters, digits, "-" and "_" (28 characters today).
OPENID = re.compile(r"[A-Za-z0-9_-]{1,64}")
TIMESTAMP_WINDOW_SECONDS = 300  # older or future-dated requests are replays
SEND_TIMEOUT_SECONDS = 10.0
VOICE = "voice"
NON_TEXT_TYPES = {"image", "voice", "video", "shortvideo", "location", "link", "file"}


class ApiClient(WeChatClient):
    """wechatpy's client, with the token endpoint under the same base URL as the other calls.

    (wechatpy hard-codes https://api.weixin.qq.com for the token; a proxy or a test double needs both moved.)
    """

    def fetch_access_token(self) -> dict:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={"grant_type": "client_credential", "appid": self.appid, "secret": self.secret},
        )


@functools.lru_cache(maxsize=2)
def api_client(app_id: str, app_secret: str, api_base_url: str | None) -> WeChatClient:
    """One client per process: it keeps the access token (``token_storage``) and renews it only when it expires."""
    client = ApiClient(app_id, app_secret, session=token_storage(), timeout=SEND_TIMEOUT_SECONDS)
    if api_base_url:
        client.API_BASE_URL = api_base_url
    return client


def token_storage() -> SessionStorage | None:
    """Where the access token is kept: in Redis when the deployment shares one (``REDIS_HOST`` set, as in the
    production profile), otherwise in this process (wechatpy's memory storage).

    WeChat invalidates an official account's previous token a few minutes after issuing a new one, so processes
    that each fetched their own (several replicas, several workers) would keep making each other's tokens stale.
    Shared through Redis (wechatpy's ``RedisStorage``, under ``REDIS_KEY_PREFIX:wechat``, expiring with the token),
    one process fetches and the others read it.
    """
    from bot.prod import shared_redis

    shared = shared_redis()
    if shared is None:
        return None
    client, prefix = shared
    return RedisStorage(client, prefix=f"{prefix}:wechat")


def cdata_safe(text: str) -> str:
    """Text placed in a CDATA section: a literal "]]>" would end it early, so split it across two sections."""
    return text.replace("]]>", "]]]]><![CDATA[>")


def verify_request(settings: WeChatSettings, args: dict[str, str]) -> None:
    """The URL signature (both modes) and the timestamp window; raises BadRequest(403)."""
    signature, timestamp, nonce = args.get("signature", ""), args.get("timestamp", ""), args.get("nonce", "")
    try:
        check_signature(settings.token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise BadRequest(403, "invalid signature") from None
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TIMESTAMP_WINDOW_SECONDS:
        raise BadRequest(403, "timestamp outside the accepted window")


def message_key(message: Any) -> str:
    """MsgId for messages; FromUserName + CreateTime for events (they have no MsgId)."""
    if getattr(message, "id", None):
        return str(message.id)
    return f"{message.source}:{int(message.create_time.timestamp())}"


def read_message(xml: str) -> tuple[Any, str]:
    """The parsed message and its dedupe key; BadRequest(400) for anything WeChat does not send.

    wechatpy converts fields (MsgId, CreateTime) only when they are read and does not check the others, so
    the key is computed here and the fields a turn reads are checked before anything is stored.
    """
    try:
        message = parse_message(xml)  # None for an empty body
        key = message_key(message)
    except Exception as error:  # expat, xmltodict, KeyError, ValueError (MsgId "abc"), AttributeError (None)
        raise BadRequest(400, "malformed XML") from error
    if not isinstance(message.source, str) or not message.source.strip():
        raise BadRequest(400, "message without a sender (FromUserName)")
    if not OPENID.fullmatch(message.source):  # it goes back into the reply's XML: "]]>" would end its CDATA
        raise BadRequest(400, "FromUserName is not an openid (letters, digits, '-' and '_')")
    if message.type == "text" and not isinstance(message.content, (str, type(None))):
        raise BadRequest(400, "text message whose Content is not text")
    return message, key


class WeChatInput(InputChannel):
    """Served at /webhooks/wechat/webhook; credentials come from the environment (WECHAT_*)."""

    @classmethod
    def name(cls) -> str:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        settings = load_settings().wechat
        if settings is None:
            cls.raise_missing_credentials_exception()
        return cls(settings)

    def __init__(self, settings: WeChatSettings) -> None:
        self.settings = settings
        self.crypto = WeChatCrypto(settings.token, settings.aes_key, settings.app_id) if settings.aes_key else None
        self._background: set[asyncio.Task] = set()

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("wechat_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> response.HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> response.HTTPResponse:
            try:
                verify_request(self.settings, {k: request.args.get(k, "") for k in request.args})
            except BadRequest as refused:
                return refused.response()
            return response.text(request.args.get("echostr", ""))

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> response.HTTPResponse:
            try:
                return await self._receive(request, on_new_message)
            except BadRequest as refused:
                return refused.response()

        return webhook

    async def _receive(self, request: Request, on_new_message: OnNewMessage) -> response.HTTPResponse:
        body = checked_body(request)
        args = {key: request.args.get(key, "") for key in request.args}
        verify_request(self.settings, args)
        database_url = load_settings().database_url
        signature = ":".join(args.get(name, "") for name in ("timestamp", "nonce", "signature", "msg_signature"))
        if is_replayed(database_url, "wechat", signature, body, TIMESTAMP_WINDOW_SECONDS):
            raise BadRequest(403, "these signature parameters were already used with another message")
        xml = self._decrypt(body, args)
        reject_xml_doctype(xml.encode())
        message, key = read_message(xml)
        if not claim_message(database_url, "wechat", key):
            return response.text("success")  # a retry of a message already being (or been) answered
        try:
            text = self._user_text(message)
        except Exception:
            release_message(database_url, "wechat", key)
            raise
        if text is None:
            return self._reply(message, self._canned(message), args)
        metadata = {"wechat_msg_id": key}
        if message.type == "voice":
            metadata["input_mode"] = VOICE  # the turn log shows it was spoken: recognition errors are not typos
        task = asyncio.create_task(run_turn(on_new_message, "wechat", message.source, text, metadata))
        done, _ = await asyncio.wait({task}, timeout=PASSIVE_REPLY_SECONDS)
        if task in done:
            try:
                pieces = render_wechat(task.result())
            except Exception:
                release_message(database_url, "wechat", key)  # let WeChat's retry run the turn again
                logger.exception("WeChat turn failed")
                return response.text("", status=500)
            if len(pieces) > 1:
                self._deliver_later(message.source, pieces[1:])
            return self._reply(message, pieces[0], args)
        self._background.add(task)
        task.add_done_callback(functools.partial(self._turn_finished, message.source, key))
        return response.text("success")

    def _decrypt(self, body: bytes, args: dict[str, str]) -> str:
        """The message XML: decrypted in safe mode (WECHAT_AES_KEY set), where a plaintext POST is refused: it could
        only come from someone who skipped the encryption, not from WeChat."""
        if args.get("encrypt_type") != "aes":
            if self.crypto is not None:
                raise BadRequest(403, "plaintext message refused: safe mode accepts encrypted messages only")
            try:
                return body.decode("utf-8")  # WeChat sends UTF-8 only: other bytes are forged or corrupt
            except UnicodeDecodeError:
                raise BadRequest(400, "the body is not UTF-8") from None
        if self.crypto is None:
            raise BadRequest(400, "encrypted message but no WECHAT_AES_KEY configured")
        reject_xml_doctype(body)
        try:
            return self.crypto.decrypt_message(body, args.get("msg_signature", ""), args["timestamp"], args["nonce"])
        except (InvalidSignatureException, InvalidAppIdException):
            raise BadRequest(403, "invalid message signature") from None
        except Exception as error:
            raise BadRequest(400, "malformed encrypted message") from error

    @staticmethod
    def _user_text(message: Any) -> str | None:
        """The text to run a turn with: typed text, or the speech recognition WeChat delivers with a voice message
        (when the official account has it switched on); None when the message gets a canned reply instead."""
        if message.type == "text":
            return message.content or ""
        if message.type == "voice":
            return (getattr(message, "recognition", None) or "").strip() or None
        return None

    @staticmethod
    def _canned(message: Any) -> str:
        wording = channel_messages()
        if message.type == "event" and getattr(message, "event", "") == "subscribe":
            return wording["welcome"]
        if message.type == "voice":
            return wording["voice_unreadable"]
        return wording["text_only"] if message.type in NON_TEXT_TYPES else ""

    def _reply(self, message: Any, text: str, args: dict[str, str]) -> response.HTTPResponse:
        if not text:
            return response.text("success")
        xml = TextReply(content=cdata_safe(text), message=message).render()
        if self.crypto is not None and args.get("encrypt_type") == "aes":
            xml = self.crypto.encrypt_message(xml, args["nonce"], args["timestamp"])
        return response.text(xml, content_type="application/xml")

    def _turn_finished(self, openid: str, key: str, task: asyncio.Task) -> None:
        self._background.discard(task)
        if task.cancelled() or task.exception() is not None:
            logger.error("WeChat turn for message %s failed: %s", key, task.exception())
            return
        self._deliver_later(openid, render_wechat(task.result()))

    def _deliver_later(self, openid: str, pieces: list[str]) -> None:
        delivery = asyncio.create_task(self._send(openid, pieces))
        self._background.add(delivery)
        delivery.add_done_callback(self._background.discard)

    async def _send(self, openid: str, pieces: list[str]) -> None:
        """Customer-service messages, off the event loop; failures are recorded, never retried forever."""
        settings = load_settings()
        client = api_client(self.settings.app_id, self.settings.app_secret, self.settings.api_base_url)
        loop = asyncio.get_running_loop()
        for piece in pieces:
            try:
                await asyncio.wait_for(
                    loop.run_in_executor(None, client.message.send_text, openid, piece), SEND_TIMEOUT_SECONDS)
            except (WeChatClientException, asyncio.TimeoutError, OSError) as error:
                code = getattr(error, "errcode", None)
                logger.warning("WeChat customer-service message not delivered (errcode %s)", code)
                record_undelivered(settings.database_url, "wechat", sender_hash(openid),
                                   f"errcode {code}: {error}" if code else repr(error), piece)
                return

"""Outgoing SMS: a ``log`` gateway that stores each message in ``sms_outbox`` (testing, development) and an
``http`` gateway that POSTs ``{"to", "text"}`` to the provider adapter at SMS_GATEWAY_URL (production).

This module is imported by ``engine_for`` to register its table, so it stays light: aiohttp is imported only
when the HTTP gateway sends.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Protocol

import sqlalchemy as sa

from bot.channels.render import sms_segments
from bot.settings import Settings
from bot.storage.database import engine_for, metadata
from bot.storage.handoffs import hash_sender
from bot.storage.redaction import redact

logger = logging.getLogger(__name__)

SEND_TIMEOUT_SECONDS = 10.0

sms_outbox = sa.Table(
    "sms_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_hash", sa.String(64), nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("segments", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


class SmsDeliveryError(Exception):
    """The gateway did not accept the message; the caller records it as undelivered."""


class SmsGateway(Protocol):
    async def send(self, phone_number: str, text: str) -> None:
        """Send one SMS; raises SmsDeliveryError when the gateway refuses it or cannot be reached."""


class LogGateway:
    """Stores each message instead of sending it; rows hold the sender hash, never the phone number, and the text
    redacted like every stored text (the segment count is the sent text's)."""

    def __init__(self, database_url: str, salt: str) -> None:
        self.database_url = database_url
        self.salt = salt

    async def send(self, phone_number: str, text: str) -> None:
        with engine_for(self.database_url).begin() as connection:
            connection.execute(sms_outbox.insert().values(
                sender_hash=hash_sender(phone_number, self.salt), text=redact(text), segments=sms_segments(text),
                created_at=dt.datetime.now(dt.timezone.utc)))


class HttpGateway:
    """POSTs JSON ``{"to": phone, "text": text}`` to the provider adapter; any 2xx answer means accepted."""

    def __init__(self, url: str, timeout_seconds: float = SEND_TIMEOUT_SECONDS) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds

    async def send(self, phone_number: str, text: str) -> None:
        import aiohttp  # only the sending process needs it (see the module docstring)

        timeout = aiohttp.ClientTimeout(total=self.timeout_seconds)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, \
                    session.post(self.url, json={"to": phone_number, "text": text}) as answer:
                if not 200 <= answer.status < 300:
                    raise SmsDeliveryError(f"gateway answered HTTP {answer.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise SmsDeliveryError(f"gateway unreachable: {error!r}") from error


def gateway_for(settings: Settings) -> SmsGateway:
    """The gateway SMS_GATEWAY names; a misconfiguration fails when the channel starts, not on the first SMS."""
    sms = settings.sms
    if sms is None:
        raise ValueError("SMS is not enabled: SMS_WEBHOOK_SECRET is not set")
    if sms.gateway == "log":
        return LogGateway(settings.database_url, settings.sender_hash_salt)
    if sms.gateway == "http":
        if not sms.gateway_url:
            raise ValueError("SMS_GATEWAY=http needs SMS_GATEWAY_URL")
        return HttpGateway(sms.gateway_url)
    raise ValueError(f"unknown SMS_GATEWAY {sms.gateway!r}: use 'log' or 'http'")


def outbox(database_url: str, sender_hash: str) -> list[dict]:
    """The messages the log gateway stored for one sender, oldest first."""
    query = (sa.select(sms_outbox).where(sms_outbox.c.sender_hash == sender_hash)
             .order_by(sms_outbox.c.id))
    with engine_for(database_url).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]

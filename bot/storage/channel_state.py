"""What the channels must remember across requests and processes: seen message ids, the last numbered menu,
SMS opt-outs and replies that could not be delivered."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.settings import load_settings
from bot.storage.availability import refused_when_unavailable
from bot.storage.database import engine_for, metadata
from bot.storage.handoffs import hash_sender
from bot.storage.redaction import redact

inbound_messages = sa.Table(
    "inbound_messages",
    metadata,
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("message_id", sa.String(128), primary_key=True),  # salted hash: see ``stored_message_id``
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

channel_menus = sa.Table(
    "channel_menus",
    metadata,
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("sender_hash", sa.String(64), primary_key=True),
    sa.Column("payloads", sa.Text, nullable=False),  # JSON list, button 1 first
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

sms_opt_outs = sa.Table(
    "sms_opt_outs",
    metadata,
    sa.Column("sender_hash", sa.String(64), primary_key=True),
    sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
)

undelivered_messages = sa.Table(
    "undelivered_messages",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("channel", sa.String(16), nullable=False),
    sa.Column("sender_hash", sa.String(64), nullable=False),
    sa.Column("error", sa.String(255), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
)


# Signature parameters a platform request came with (timestamp, nonce, signature), remembered so that they cannot be
# used again with another body within the timestamp window (a replay); the same body again is a platform's retry.
signed_requests = sa.Table(
    "signed_requests",
    metadata,
    sa.Column("channel", sa.String(16), primary_key=True),
    sa.Column("signature_hash", sa.String(64), primary_key=True),  # sha256 of the parameters
    sa.Column("body_hash", sa.String(64), nullable=False),  # sha256 of the body they signed
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def stored_message_id(channel: str, message_id: str) -> str:
    """What ``inbound_messages`` keeps of a platform message id: its salted hash.

    Most ids say nothing about a person (WeChat's MsgId, Telegram's update id), but a WeChat event has none and is
    known by its sender's openid and time, so no id is stored as received.
    """
    return hash_sender(f"{channel}:{message_id}", load_settings().sender_hash_salt)


@refused_when_unavailable
def claim_message(database_url: str, channel: str, message_id: str) -> bool:
    """True the first time a platform message id is seen; False for a retry or duplicate."""
    try:
        with engine_for(database_url).begin() as connection:
            connection.execute(inbound_messages.insert().values(
                channel=channel, message_id=stored_message_id(channel, message_id), received_at=_now()))
        return True
    except IntegrityError:
        return False


@refused_when_unavailable
def is_replayed(database_url: str, channel: str, signature: str, body: bytes) -> bool:
    """True when ``signature`` (a request's signature parameters, joined) was seen before with another body.

    The first use is remembered; the same parameters with the same body (the platform sending a request again
    after a timeout) are not a replay.
    """
    signature_hash = hashlib.sha256(signature.encode()).hexdigest()
    body_hash = hashlib.sha256(body).hexdigest()
    try:
        with engine_for(database_url).begin() as connection:
            connection.execute(signed_requests.insert().values(
                channel=channel, signature_hash=signature_hash, body_hash=body_hash, seen_at=_now()))
        return False
    except IntegrityError:
        query = sa.select(signed_requests.c.body_hash).where(
            (signed_requests.c.channel == channel) & (signed_requests.c.signature_hash == signature_hash))
        with engine_for(database_url).connect() as connection:
            return connection.execute(query).scalar() != body_hash


@refused_when_unavailable
def release_message(database_url: str, channel: str, message_id: str) -> None:
    """Forget a claimed id when its turn failed, so the platform's retry is processed."""
    with engine_for(database_url).begin() as connection:
        connection.execute(inbound_messages.delete().where(
            (inbound_messages.c.channel == channel)
            & (inbound_messages.c.message_id == stored_message_id(channel, message_id))))


@refused_when_unavailable
def save_menu(database_url: str, channel: str, sender_hash: str, payloads: list[str]) -> None:
    """Remember the numbered choices just sent, so a reply "2" means the second one."""
    with engine_for(database_url).begin() as connection:
        connection.execute(channel_menus.delete().where(
            (channel_menus.c.channel == channel) & (channel_menus.c.sender_hash == sender_hash)))
        if payloads:
            connection.execute(channel_menus.insert().values(
                channel=channel, sender_hash=sender_hash, payloads=json.dumps(payloads), updated_at=_now()))


@refused_when_unavailable
def menu_choice(database_url: str, channel: str, sender_hash: str, text: str) -> str | None:
    """The payload a bare number names in the last menu sent to this sender, or None."""
    choice = text.strip()
    if not choice.isdigit():
        return None
    query = sa.select(channel_menus.c.payloads).where(
        (channel_menus.c.channel == channel) & (channel_menus.c.sender_hash == sender_hash))
    with engine_for(database_url).connect() as connection:
        stored = connection.execute(query).scalar()
    if stored is None:
        return None
    payloads = json.loads(stored)
    index = int(choice) - 1
    return payloads[index] if 0 <= index < len(payloads) else None


@refused_when_unavailable
def set_sms_opt_out(database_url: str, sender_hash: str, opted_out: bool) -> None:
    with engine_for(database_url).begin() as connection:
        connection.execute(sms_opt_outs.delete().where(sms_opt_outs.c.sender_hash == sender_hash))
        if opted_out:
            connection.execute(sms_opt_outs.insert().values(sender_hash=sender_hash, opted_out_at=_now()))


@refused_when_unavailable
def is_sms_opted_out(database_url: str, sender_hash: str) -> bool:
    query = sa.select(sms_opt_outs.c.sender_hash).where(sms_opt_outs.c.sender_hash == sender_hash)
    with engine_for(database_url).connect() as connection:
        return connection.execute(query).first() is not None


def record_undelivered(database_url: str, channel: str, sender_hash: str, error: str, text: str) -> None:
    """Keep a reply that could not be delivered, redacted like every stored text (a reply may repeat what the
    user wrote), for staff to follow up."""
    with engine_for(database_url).begin() as connection:
        connection.execute(undelivered_messages.insert().values(
            channel=channel, sender_hash=sender_hash, error=redact(error)[:255], text=redact(text),
            failed_at=_now()))


def undelivered(database_url: str, channel: str) -> list[dict]:
    query = sa.select(undelivered_messages).where(undelivered_messages.c.channel == channel)
    with engine_for(database_url).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]

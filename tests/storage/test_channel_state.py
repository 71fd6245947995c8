"""Tests for bot/storage/channel_state.py: seen message ids and signature parameters, kept only as hashes."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from bot.storage.channel_state import (
    claim_message,
    inbound_messages,
    is_replayed,
    release_message,
    signed_requests,
)
from bot.storage.database import engine_for


def stored_values(database_url: str, table: sa.Table) -> str:
    with engine_for(database_url).connect() as connection:
        return " ".join(str(value) for row in connection.execute(sa.select(table)) for value in row)


def test_a_message_id_is_claimed_once_released_on_failure_and_stored_only_hashed(storage_url: str) -> None:
    event_key = f"oOpenIdOfAWeChatUser{uuid.uuid4().hex[:8]}:1733400000"  # an event: sender and time
    assert claim_message(storage_url, "wechat", event_key)
    assert not claim_message(storage_url, "wechat", event_key)  # a retry
    assert claim_message(storage_url, "telegram", event_key)  # another channel's id space
    release_message(storage_url, "wechat", event_key)
    assert claim_message(storage_url, "wechat", event_key)
    assert "oOpenIdOfAWeChatUser" not in stored_values(storage_url, inbound_messages)


def test_signature_parameters_with_another_body_are_a_replay_with_the_same_body_a_retry(storage_url: str) -> None:
    parameters = f"1733400000:{uuid.uuid4().hex[:10]}:{'a' * 40}:"
    assert not is_replayed(storage_url, "wechat", parameters, b"<xml>first</xml>")
    assert not is_replayed(storage_url, "wechat", parameters, b"<xml>first</xml>")  # the platform's retry
    assert is_replayed(storage_url, "wechat", parameters, b"<xml>forged</xml>")
    assert not is_replayed(storage_url, "sms", parameters, b"<xml>forged</xml>")  # per channel
    assert "first" not in stored_values(storage_url, signed_requests)
    assert parameters.split(":")[1] not in stored_values(storage_url, signed_requests)

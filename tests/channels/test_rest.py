"""Tests for bot/channels/rest.py: a REST caller cannot take over a conversation of a channel's user."""

from __future__ import annotations

import json

import pytest

from bot.channels.base import conversation_id
from bot.channels.rest import RestRequestError, parse_rest_request


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize("sender", ["sms:+8613912345678", "wechat:o-abc", "Telegram:12345", " sms :x"])
def test_a_sender_in_a_channels_namespace_is_refused(sender: str) -> None:
    with pytest.raises(RestRequestError) as refused:
        parse_rest_request(body(sender=sender, message="你好"))
    assert refused.value.status == 400


def test_the_same_number_over_rest_is_another_conversation() -> None:
    phone = "+8613912345678"
    assert parse_rest_request(body(sender=phone, message="你好"))["sender"] == phone
    assert conversation_id("sms", phone) != phone  # the SMS user's conversation is "sms:+86…"

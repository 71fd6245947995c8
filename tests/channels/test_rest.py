"""Tests for bot/channels/rest.py: a REST caller cannot take over a conversation of a channel's user, and needs
the token where one is set (REST is off in the production profile without one)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from bot.channels.base import conversation_id
from bot.channels.rest import RestRequestError, check_access, parse_rest_request
from bot.settings import Settings, load_settings


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


def settings_with(**values: object) -> Settings:
    return dataclasses.replace(load_settings(), **values)


def test_without_a_token_rest_is_open_in_development_and_off_in_production() -> None:
    check_access(settings_with(rest_token=None, rest_requires_token=False), None)  # development: no error
    with pytest.raises(RestRequestError) as off:
        check_access(settings_with(rest_token=None, rest_requires_token=True), "Bearer anything")
    assert off.value.status == 403 and "REST_API_TOKEN" in off.value.reason


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer wrong-token", "Basic s3cret-token",
                                           "s3cret-token", "Bearer s3cret-token-and-more"])
def test_with_a_token_only_its_bearer_gets_in(authorization: str | None) -> None:
    settings = settings_with(rest_token="s3cret-token", rest_requires_token=True)
    with pytest.raises(RestRequestError) as refused:
        check_access(settings, authorization)
    assert refused.value.status == 401
    assert refused.value.response().headers["WWW-Authenticate"] == "Bearer"
    check_access(settings, "Bearer s3cret-token")
    check_access(settings, "bearer  s3cret-token ")  # the scheme is case-insensitive, spaces are trimmed

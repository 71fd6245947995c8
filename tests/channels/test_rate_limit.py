"""Tests for bot/channels/rate_limit.py and its use in every channel's turn: a sender over the limit gets a short
"slow down" (once per window on paid SMS) and no turn runs."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
import redis

from bot.channels import base
from bot.channels.base import conversation_id, run_turn, sender_hash
from bot.channels.rate_limit import MemoryCounter, RateLimit, RedisCounter, SenderLimiter, sender_limiter
from bot.prod import redis_connection, redis_environment


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_sender_over_the_limit_is_refused_until_the_next_window_and_others_are_not() -> None:
    clock = Clock()
    limiter = SenderLimiter(RateLimit(3, 60), MemoryCounter(), clock)
    assert [limiter.over_by("a") for _ in range(5)] == [0, 0, 0, 1, 2]
    assert limiter.over_by("b") == 0  # another conversation
    clock.now += 60
    assert limiter.over_by("a") == 0


def test_memory_counters_forget_the_oldest_senders_beyond_their_bound() -> None:
    counter = MemoryCounter(max_keys=2)
    for key in ("a", "b", "c"):
        counter.count(key, 0, 60)
    assert counter.count("a", 0, 60) == 1  # "a" was forgotten: counted afresh


@pytest.mark.parametrize("value", ["20", "x/60", "0/60", "5/0", "5/60/1", ""])
def test_a_malformed_setting_is_a_clear_error(value: str) -> None:
    with pytest.raises(ValueError, match="SENDER_RATE_LIMIT"):
        RateLimit.parse(value)


def test_an_unavailable_counter_lets_messages_through() -> None:
    class Down:
        def count(self, key: str, window_index: int, window_seconds: int) -> int:
            raise ConnectionError("redis is down")

    assert SenderLimiter(RateLimit(1, 60), Down()).over_by("a") == 0


def redis_or_skip():
    """The project's client for the test Redis (TEST_REDIS_HOST / TEST_REDIS_PORT, default 127.0.0.1:6379)."""
    values = redis_environment({"REDIS_HOST": os.environ.get("TEST_REDIS_HOST", "127.0.0.1"),
                                "REDIS_PORT": os.environ.get("TEST_REDIS_PORT", "6379")})
    client = redis_connection(values)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis at {values['REDIS_HOST']}:{values['REDIS_PORT']} ({error})")
    return client


def test_processes_sharing_redis_share_the_count() -> None:
    client, prefix = redis_or_skip(), f"ratetest{uuid.uuid4().hex[:8]}"
    first, second = (SenderLimiter(RateLimit(3, 60), RedisCounter(client, prefix)) for _ in range(2))
    try:
        assert [first.over_by("h"), second.over_by("h"), first.over_by("h"), second.over_by("h")] == [0, 0, 0, 1]
        assert all(0 < client.ttl(key) <= 120 for key in client.scan_iter(f"{prefix}:rate:*"))
    finally:
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


@pytest.fixture
def limit_of_two(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SENDER_RATE_LIMIT", "2/3600")
    monkeypatch.delenv("REDIS_HOST", raising=False)
    sender_limiter.cache_clear()
    yield
    sender_limiter.cache_clear()


async def never_called(message) -> None:
    raise AssertionError("a message over the limit must not run a turn")


@pytest.mark.parametrize(("channel", "again"), [("sms", []), ("wechat", None), ("telegram", None)])
def test_over_the_limit_no_turn_runs_and_sms_says_slow_down_once(limit_of_two, channel: str, again) -> None:
    sender = f"+86139{uuid.uuid4().int % 10**8:08d}"
    for _ in range(2):  # the sender's two messages of the window, as run_turn counts them
        assert sender_limiter().over_by(sender_hash(conversation_id(channel, sender))) == 0
    first = asyncio.run(run_turn(never_called, channel, sender, "大学生创业有社保补贴吗"))
    assert "稍等" in first.text and "2" in first.text
    second = asyncio.run(run_turn(never_called, channel, sender, "大学生创业有社保补贴吗"))
    assert second.texts == (again if again is not None else first.texts)
    assert channel not in base.PAID_CHANNELS or second.texts == []

"""Per-sender rate limits on every channel.

A conversation (channel and sender) gets at most ``limit`` messages answered per ``window`` seconds
(SENDER_RATE_LIMIT, "20/60" by default: more than a person types). Beyond that the reply is a short "please slow
down" and no turn runs: no NLU, no storage, no hand-off request. The count is kept under the conversation's salted
hash (no raw id leaves the process), per fixed window: in this process's memory, or in Redis when REDIS_HOST is
set (the production profile, where every worker and replica must share the count). If Redis cannot be reached
the message is let through: a rate limit must not take the assistant down.
"""

from __future__ import annotations

import collections
import functools
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)

DEFAULT_LIMIT = "20/60"
MAX_REMEMBERED_SENDERS = 100_000  # memory counters: the oldest are forgotten beyond this


@dataclass(frozen=True)
class RateLimit:
    limit: int
    window_seconds: int

    @classmethod
    def parse(cls, value: str) -> RateLimit:
        """"20/60": 20 messages per 60 seconds."""
        try:
            limit, window = (int(part) for part in value.split("/"))
        except ValueError:
            raise ValueError(f"SENDER_RATE_LIMIT must look like 20/60 (messages/seconds), not {value!r}") from None
        if limit < 1 or window < 1:
            raise ValueError(f"SENDER_RATE_LIMIT needs at least 1 message per at least 1 second, not {value!r}")
        return cls(limit, window)


class Counter(Protocol):
    def count(self, key: str, window_index: int, window_seconds: int) -> int:
        """Count one more message for ``key`` in window ``window_index``; the count so far, this one included."""


class MemoryCounter:
    """Counts in this process (the development profile: one process)."""

    def __init__(self, max_keys: int = MAX_REMEMBERED_SENDERS) -> None:
        self._counts: collections.OrderedDict[str, tuple[int, int]] = collections.OrderedDict()
        self._max_keys = max_keys

    def count(self, key: str, window_index: int, window_seconds: int) -> int:
        index, so_far = self._counts.pop(key, (window_index, 0))
        so_far = so_far + 1 if index == window_index else 1
        self._counts[key] = (window_index, so_far)
        while len(self._counts) > self._max_keys:
            self._counts.popitem(last=False)
        return so_far


class RedisCounter:
    """Counts in Redis, shared by every process of the deployment; keys expire after two windows."""

    def __init__(self, client: object, prefix: str) -> None:
        self._client = client
        self._prefix = prefix

    def count(self, key: str, window_index: int, window_seconds: int) -> int:
        name = f"{self._prefix}:rate:{key}:{window_index}"
        pipeline = self._client.pipeline()
        pipeline.incr(name)
        pipeline.expire(name, 2 * window_seconds)
        return int(pipeline.execute()[0])


class SenderLimiter:
    def __init__(self, rate: RateLimit, counter: Counter, clock: Callable[[], float] = time.time) -> None:
        self.rate = rate
        self._counter = counter
        self._clock = clock

    def over_by(self, conversation_hash: str) -> int:
        """Count a message of this conversation: 0 while within the limit of the current window, else how far
        over it this message is (1 for the first one refused)."""
        window_index = int(self._clock() // self.rate.window_seconds)
        try:
            so_far = self._counter.count(conversation_hash, window_index, self.rate.window_seconds)
        except Exception:  # Redis down or slow: let the message through rather than refuse everyone
            logger.warning("the rate-limit counter is unavailable; message let through", exc_info=True)
            return 0
        return max(0, so_far - self.rate.limit)


@functools.lru_cache(maxsize=1)
def sender_limiter() -> SenderLimiter:
    """The process's limiter, from SENDER_RATE_LIMIT and (for the shared counter) REDIS_HOST."""
    from bot.prod import shared_redis

    rate = RateLimit.parse(os.environ.get("SENDER_RATE_LIMIT", "").strip() or DEFAULT_LIMIT)
    shared = shared_redis()
    return SenderLimiter(rate, MemoryCounter() if shared is None else RedisCounter(*shared))

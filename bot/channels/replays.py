"""Signature parameters used once: a signed WeChat request (timestamp, nonce, signature) cannot be sent again with
another body while its timestamp is still accepted.

The first use is remembered for twice the timestamp window (a timestamp is accepted that far either side of now).
In the production profile (REDIS_HOST set) every worker and replica shares the memory in Redis, one key per use
that expires by itself; otherwise, and whenever Redis cannot be reached, the database keeps it
(``bot.storage.channel_state.is_replayed``, purged by retention). The same parameters with the same body are the
platform's own retry, not a replay.
"""

from __future__ import annotations

import functools
import hashlib
import logging

from bot.storage import channel_state

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def _shared_store() -> tuple[object, str] | None:
    from bot.prod import shared_redis

    return shared_redis()


def is_replayed(database_url: str, channel: str, signature: str, body: bytes, window_seconds: int) -> bool:
    """True when ``signature`` was already used with another body within ``2 × window_seconds``."""
    shared = _shared_store()
    if shared is None:
        return channel_state.is_replayed(database_url, channel, signature, body)
    client, prefix = shared
    key = f"{prefix}:signed:{channel}:{hashlib.sha256(signature.encode()).hexdigest()}"
    body_hash = hashlib.sha256(body).hexdigest()
    try:
        if client.set(key, body_hash, nx=True, ex=2 * window_seconds):  # type: ignore[attr-defined]
            return False
        seen = client.get(key)  # type: ignore[attr-defined]
    except Exception:  # Redis down or slow: the database remembers instead
        logger.warning("Redis is unavailable for the replay check; using the database", exc_info=True)
        return channel_state.is_replayed(database_url, channel, signature, body)
    return seen is not None and seen.decode() != body_hash

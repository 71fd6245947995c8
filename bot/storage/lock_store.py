"""Rasa's lock stores, polling every 50 ms instead of every second.

Rasa serialises the messages of one conversation with a ticket lock; a message that finds the lock taken sleeps
``wait_time_in_seconds`` (1 s, hard-coded by the agent) before it looks again. A burst of ten messages from one
user then takes about ten seconds however fast each turn is, past WeChat's five-second window. These subclasses
only shorten that sleep: tickets, order and lifetimes are Rasa's.

endpoints.yml: ``lock_store: {type: bot.storage.lock_store.PromptInMemoryLockStore}`` (one process);
endpoints.prod.yml: ``lock_store: {type: bot.storage.lock_store.PromptRedisLockStore, url: …, port: …}``
(several Rasa processes share the locks).
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

POLL_SECONDS = 0.05


class PromptInMemoryLockStore(InMemoryLockStore):
    """In-process locks (a single Rasa server process)."""

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        super().__init__()

    def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = POLL_SECONDS) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(conversation_id, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS))


class PromptRedisLockStore(RedisLockStore):
    """Locks in Redis, shared by every Rasa server process of the deployment."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = POLL_SECONDS) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(conversation_id, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS))

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

import json
import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

POLL_SECONDS = 0.05


class SharedLocksNeeded(RuntimeError):
    """Several Rasa worker processes were asked for, with locks that live in one process."""


class PromptInMemoryLockStore(InMemoryLockStore):
    """In-process locks (a single Rasa server process).

    Rasa lets any custom lock store run with several Sanic workers (``SANIC_WORKERS``), but these locks would
    then not be shared: two messages of one user could run at once in two processes and one of them be lost.
    So this store refuses to start there, and says what to use instead.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None) -> None:
        workers = os.environ.get("SANIC_WORKERS", "1").strip() or "1"
        if workers != "1":
            raise SharedLocksNeeded(
                f"SANIC_WORKERS={workers} needs locks shared by the worker processes: use the production profile "
                "(endpoints.prod.yml, Redis; `chuangye serve-prod --workers N`) or unset SANIC_WORKERS")
        super().__init__()

    def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = POLL_SECONDS) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(conversation_id, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS))


class PromptRedisLockStore(RedisLockStore):
    """Locks in Redis, shared by every Rasa server process of the deployment.

    Rasa's ``RedisLockStore`` changes a lock in three steps (GET, change in Python, SET). With two replicas taking
    messages of the same user at once, both can draw the same ticket, or one can delete a lock the other has just
    joined (a ``LockError``, and the message is dropped). Here each change is one optimistic Redis transaction
    (WATCH the key, read, MULTI/SET or DEL, EXEC; redis-py retries when another process changed the key).
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: float = POLL_SECONDS) -> AbstractAsyncContextManager[TicketLock]:
        return super().lock(conversation_id, lock_lifetime, min(wait_time_in_seconds, POLL_SECONDS))

    def _change(self, conversation_id: str,
                change: Callable[[TicketLock | None], tuple[TicketLock | None, Any]]) -> Any:
        """Apply ``change`` (stored lock or None → new lock or None to delete, result) atomically."""
        key = self.key_prefix + conversation_id
        result: list[Any] = []

        def transaction(pipe: Any) -> None:
            raw = pipe.get(key)
            stored = TicketLock.from_dict(json.loads(raw)) if raw else None
            updated, value = change(stored)
            result[:] = [value]
            pipe.multi()
            if updated is None:
                pipe.delete(key)
            else:
                pipe.set(key, updated.dumps())

        self.red.transaction(transaction, key)
        return result[0]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def draw(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, draw)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def expire(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish the ticket, and delete the lock in the same transaction when nobody else waits."""
        def finish_and_drop(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, finish_and_drop)

"""Rasa's lock stores, polling every 50 ms instead of every second.

Rasa serialises the messages of one conversation with a ticket lock; a message that finds the lock taken sleeps
``wait_time_in_seconds`` (1 s, hard-coded by the agent) before it looks again. A burst of ten messages from one
user then takes about ten seconds however fast each turn is, past WeChat's five-second window. These subclasses
only shorten that sleep: tickets, order and lifetimes are Rasa's.

endpoints.yml: ``lock_store: {type: bot.storage.lock_store.PromptInMemoryLockStore}`` (one process);
endpoints.prod.yml: ``lock_store: {type: bot.storage.lock_store.PromptRedisLockStore, url: …, port: …}``
(several Rasa processes share the locks), which also needs fewer Redis round trips than Rasa's.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
from collections.abc import AsyncIterator, Callable
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
    joined (a ``LockError``, and the message is dropped). Here every change is a compare-and-set: a short Lua script
    writes the new value only if the key still holds the value the change was computed from, and otherwise returns
    the value it holds now, from which the change is computed again. The ticket logic stays Rasa's, in Python.

    Round trips per message: Rasa's lock costs seven (issue a ticket, look at the lock, finish, look again, delete).
    Here a message with nobody else in line costs two: the ticket is drawn assuming no lock exists (the usual case)
    and it is known at once whether that ticket is first in line; finishing assumes the lock still holds what was
    written then. A wrong guess costs one more round trip. The key expires with its last ticket, so a lock left by
    a process that died mid-turn does not stay in Redis.
    """

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self._compare_and_set = self.red.register_script(COMPARE_AND_SET)

    @contextlib.asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = POLL_SECONDS) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock (``LockStore.lock``), without re-reading a lock this message has just written."""
        try:
            ticket, written = self._change(conversation_id, _draw(conversation_id, lock_lifetime), NO_LOCK)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        try:
            lock = _parse(written)
            if lock is None or lock.is_locked(ticket):  # someone else is first in line: wait as Rasa does
                written = None
                lock = await self._acquire_lock(conversation_id, ticket, min(wait_time_in_seconds, POLL_SECONDS))
            yield lock
        finally:
            self._change(conversation_id, _finish(ticket), written)

    def _change(self, conversation_id: str, change: Change, guess: str | None = None) -> tuple[Any, str]:
        """Apply ``change`` (stored lock or None → new lock or None to delete, result) atomically.

        ``guess``: the value the key most likely holds (``NO_LOCK``: none), which saves reading it first.
        Returns the change's result and the value written.
        """
        key = self.key_prefix + conversation_id
        current = self._read(key) if guess is None else guess
        while True:
            updated, result = change(_parse(current))
            if updated is None or not updated.tickets:  # no ticket left: no lock
                new, milliseconds = NO_LOCK, 0
            else:
                new, milliseconds = updated.dumps(), _lifetime_ms(updated)
            changed, *now = self._compare_and_set(keys=[key], args=[current, new, milliseconds])
            if changed:
                return result, new
            current = _text(now[0])

    def _read(self, key: str) -> str:
        return _text(self.red.get(key) or NO_LOCK)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        try:
            return self._change(conversation_id, _draw(conversation_id, lock_lifetime))[0]
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def expire(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, expire)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        self._change(conversation_id, _finish(ticket_number))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Finish the ticket; the lock is deleted in the same change when nobody else waits (``_change`` deletes a
        lock with no ticket left), so this is ``finish_serving`` itself."""
        self.finish_serving(conversation_id, ticket_number)


# KEYS[1]: a conversation's lock. ARGV[1]: the value it must still hold ('' = no lock); ARGV[2]: its new value
# ('' = delete it); ARGV[3]: milliseconds until it expires. Returns {1} when written, else {0, the value it holds}.
COMPARE_AND_SET = """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then
  return {0, current}
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
else
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
end
return {1}
"""
NO_LOCK = ""
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Any]]


def _parse(serialised: str) -> TicketLock | None:
    return TicketLock.from_dict(json.loads(serialised)) if serialised else None


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _lifetime_ms(lock: TicketLock) -> int:
    """Until the lock's last ticket expires (at least 1 ms; Redis refuses 0)."""
    return max(1, math.ceil(1000 * (max(ticket.expires for ticket in lock.tickets) - time.time())))


def _draw(conversation_id: str, lock_lifetime: float) -> Change:
    def draw(lock: TicketLock | None) -> tuple[TicketLock, int]:
        lock = lock or TicketLock(conversation_id)
        return lock, lock.issue_ticket(lock_lifetime)

    return draw


def _finish(ticket_number: int) -> Change:
    def finish(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
        if lock is not None:
            lock.remove_ticket_for(ticket_number)
        return lock, None  # deleted when no ticket is left

    return finish

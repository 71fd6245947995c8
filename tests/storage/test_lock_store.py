"""The Redis lock store against a real Redis server (TEST_REDIS_HOST / TEST_REDIS_PORT, default 127.0.0.1:6379).

Each test uses a key prefix of its own and deletes its keys afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from typing import ClassVar

import pytest
import redis
from rasa.core.lock import TicketLock

from bot.storage.lock_store import PromptRedisLockStore


@pytest.fixture()
def store() -> Iterator[PromptRedisLockStore]:
    host, port = os.environ.get("TEST_REDIS_HOST", "127.0.0.1"), int(os.environ.get("TEST_REDIS_PORT", "6379"))
    try:
        redis.Redis(host=host, port=port, socket_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {host}:{port} ({error}): the lock store tests need it")
    lock_store = PromptRedisLockStore(host=host, port=port, db=1, key_prefix=f"locktest{uuid.uuid4().hex[:12]}")
    yield lock_store
    for key in lock_store.red.scan_iter(f"{lock_store.key_prefix}*"):
        lock_store.red.delete(key)


class CountingConnection(redis.Connection):
    """Records the name of every command sent, one at a time or in a pipeline (from the RESP bytes)."""

    commands: ClassVar[list[str]] = []

    def send_packed_command(self, command: bytes | list[bytes], check_health: bool = True) -> None:
        packed = command if isinstance(command, bytes) else b"".join(command)
        CountingConnection.commands += [name.decode().upper()
                                        for name in re.findall(rb"\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n", packed)]
        super().send_packed_command(command, check_health)


def stored(store: PromptRedisLockStore, conversation_id: str) -> dict | None:
    raw = store.red.get(store.key_prefix + conversation_id)
    return json.loads(raw) if raw else None


def test_a_message_with_nobody_in_line_costs_two_round_trips_and_leaves_no_key(
        store: PromptRedisLockStore) -> None:
    store.red.connection_pool.connection_class = CountingConnection
    store.red.connection_pool.disconnect()
    looked_at: list[tuple[dict | None, int]] = []

    async def one_message(conversation_id: str) -> None:
        async with store.lock(conversation_id) as lock:
            assert not lock.is_locked(0)
            looked_at.append((stored(store, conversation_id), store.red.pttl(store.key_prefix + conversation_id)))

    asyncio.run(one_message("warm-up"))  # the script is loaded into Redis once
    CountingConnection.commands.clear()
    asyncio.run(one_message("alone"))
    lock_commands = [command for command in CountingConnection.commands if command not in ("GET", "PTTL")]
    assert lock_commands == ["EVALSHA", "EVALSHA"]
    held, milliseconds_left = looked_at[-1]
    assert [json.loads(ticket)["number"] for ticket in held["tickets"]] == [0]  # held while the message runs
    assert 0 < milliseconds_left <= 60_000  # and expires with its ticket
    assert stored(store, "alone") is None


def test_the_second_message_waits_for_the_first_and_tickets_follow_arrival(store: PromptRedisLockStore) -> None:
    order: list[str] = []

    async def message(name: str, hold_seconds: float) -> None:
        async with store.lock("user") as lock:
            order.append(f"{name} in")
            await asyncio.sleep(hold_seconds)
            order.append(f"{name} out")
            assert lock is not None

    async def both() -> None:
        first = asyncio.create_task(message("first", 0.2))
        await asyncio.sleep(0.02)  # the first has its ticket
        await asyncio.gather(first, message("second", 0))

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
    assert stored(store, "user") is None


def test_a_lock_written_by_rasas_own_store_is_read_and_joined(store: PromptRedisLockStore) -> None:
    """The stored format is Rasa's: a lock another process left is taken into account, not overwritten."""
    existing = TicketLock("shared")
    existing.issue_ticket(60)  # ticket 0, held by someone else
    store.red.set(store.key_prefix + "shared", existing.dumps())
    assert store.issue_ticket("shared") == 1
    assert [json.loads(ticket)["number"] for ticket in stored(store, "shared")["tickets"]] == [0, 1]
    store.cleanup("shared", 1)
    assert [json.loads(ticket)["number"] for ticket in stored(store, "shared")["tickets"]] == [0]
    store.cleanup("shared", 0)
    assert stored(store, "shared") is None


def test_an_expired_ticket_left_by_a_dead_process_does_not_block(store: PromptRedisLockStore) -> None:
    dead = TicketLock("orphan")
    dead.issue_ticket(-1)  # already expired
    store.red.set(store.key_prefix + "orphan", dead.dumps())

    async def message() -> int:
        async with store.lock("orphan") as lock:
            return lock.now_serving

    assert asyncio.run(asyncio.wait_for(message(), timeout=5)) == 0  # the expired ticket was dropped
    assert stored(store, "orphan") is None


def test_concurrent_tickets_from_many_clients_are_all_different(store: PromptRedisLockStore) -> None:
    """Eight clients (own connections) draw tickets on one key at once: no ticket is drawn twice or lost."""
    clients = [PromptRedisLockStore(host=store.red.connection_pool.connection_kwargs["host"],
                                    port=store.red.connection_pool.connection_kwargs["port"], db=1,
                                    key_prefix=store.key_prefix.split(":")[0]) for _ in range(8)]
    drawn: list[int] = []
    start = threading.Barrier(len(clients))

    def draw(client: PromptRedisLockStore) -> None:
        start.wait()
        for _ in range(25):
            drawn.append(client.issue_ticket("busy", lock_lifetime=60))

    threads = [threading.Thread(target=draw, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(drawn) == list(range(200))
    assert len(stored(store, "busy")["tickets"]) == 200

    def finish(client: PromptRedisLockStore, numbers: list[int]) -> None:
        start.wait()
        for number in numbers:
            client.cleanup("busy", number)

    threads = [threading.Thread(target=finish, args=(client, list(range(index, 200, 8))))
               for index, client in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stored(store, "busy") is None  # every ticket removed, then the key


def test_a_change_that_lost_a_race_is_computed_again_from_the_new_value(store: PromptRedisLockStore) -> None:
    """The guessed value (no lock) is wrong: the script refuses, and the ticket is drawn on what is stored."""
    other = TicketLock("raced")
    other.issue_ticket(60)
    other.issue_ticket(60)
    store.red.set(store.key_prefix + "raced", other.dumps())
    ticket, written = store._change("raced", lambda lock: (lock or TicketLock("raced"), None), guess="")
    assert ticket is None and json.loads(written) == json.loads(other.dumps())


def test_a_holder_that_died_is_waited_for_only_until_its_ticket_expires(store: PromptRedisLockStore) -> None:
    holder = TicketLock("slow")
    holder.issue_ticket(0.3)  # a process took the lock, then died
    store.red.set(store.key_prefix + "slow", holder.dumps())

    async def message() -> tuple[int, float]:
        started = time.monotonic()
        async with store.lock("slow") as lock:
            return lock.now_serving, time.monotonic() - started

    serving, waited = asyncio.run(asyncio.wait_for(message(), timeout=5))
    assert serving == 1 and waited >= 0.25
    assert stored(store, "slow") is None

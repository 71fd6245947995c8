"""Tests for bot/console/web/hashing.py: password checks in their own small pool, with a bounded queue."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.console.web.hashing import HashingPool, PoolFull


def test_checks_beyond_the_queue_limit_are_refused_at_once_and_the_pool_recovers() -> None:
    release = threading.Event()
    running: list[str] = []

    def check(name: str) -> str:
        running.append(threading.current_thread().name)
        release.wait(timeout=10)
        return name

    async def scenario() -> tuple[list[object], str]:
        pool = HashingPool(workers=2, queue_limit=4)
        try:
            waiting = [asyncio.create_task(pool.run(check, f"user{n}")) for n in range(4)]
            await asyncio.sleep(0.1)
            with pytest.raises(PoolFull):
                await pool.run(check, "one too many")
            assert len(running) == 2  # two workers: the other two wait in the queue
            release.set()
            done = await asyncio.gather(*waiting)
            return done, await pool.run(check, "after")  # room again
        finally:
            pool.shutdown()

    done, after = asyncio.run(scenario())
    assert done == ["user0", "user1", "user2", "user3"] and after == "after"
    assert all(name.startswith("password-check") for name in running)  # never the default thread pool

"""Password checks in a small pool of their own, with a bounded queue.

argon2id takes ~64 MiB and tens of milliseconds per check by design. Run on the thread pool the database queries
use, 40 sign-ins at once took the console from 62 MB to 456 MB and stalled every staff page for seconds. Here at
most ``WORKERS`` checks run at a time and at most ``QUEUE_LIMIT`` wait; beyond that the caller gets PoolFull (the
sign-in answers 503, try again shortly) instead of a growing queue.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")

WORKERS = 2
QUEUE_LIMIT = 8  # checks waiting or running at once, at most


class PoolFull(RuntimeError):
    """Too many password checks are already waiting."""


class HashingPool:
    def __init__(self, workers: int = WORKERS, queue_limit: int = QUEUE_LIMIT) -> None:
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="password-check")
        self._queue_limit = queue_limit
        self._pending = 0  # changed on the event loop only

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        if self._pending >= self._queue_limit:
            raise PoolFull(f"{self._pending} password checks are already waiting")
        self._pending += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(function, *args))
        finally:
            self._pending -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

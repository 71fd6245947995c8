"""Whether the database took this turn: a channel must not acknowledge a message that was not stored.

Rasa wraps every tracker store in ``FailSafeTrackerStore``, which logs a database error and carries on with an
in-memory tracker: the user would get a reply while the message is lost. So the tracker store reports each failure
here as well, and the code running the turn (``watch_storage``) refuses the request with 503 afterwards, so the
platform (WeChat, SMS gateway, Telegram) delivers the message again once the database is back.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from bot.errors import BadRequest

# What a database that is down, restarting or out of connections raises (not a constraint violation or a bug).
UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, PoolTimeoutError, OSError)

Function = TypeVar("Function", bound=Callable[..., Any])


class StorageUnavailable(BadRequest):
    """The database could not be reached: answered 503, so the sender retries; nothing was acknowledged."""

    def __init__(self, reason: str = "storage temporarily unavailable, retry later") -> None:
        super().__init__(503, reason)


@dataclass
class StorageWatch:
    """The storage failures seen while one turn ran."""

    errors: list[BaseException] = field(default_factory=list)

    def raise_if_failed(self) -> None:
        if self.errors:
            raise StorageUnavailable() from self.errors[0]


_current_watch: ContextVar[StorageWatch | None] = ContextVar("chuangye_storage_watch", default=None)


@contextlib.contextmanager
def watch_storage() -> Iterator[StorageWatch]:
    """Collect the tracker store's failures during the block (same task, or tasks it starts)."""
    watch = StorageWatch()
    token = _current_watch.set(watch)
    try:
        yield watch
    finally:
        _current_watch.reset(token)


def begin_watch() -> StorageWatch:
    """Watch the rest of the current task (e.g. one HTTP request's handling); for code that has no ``with``."""
    watch = StorageWatch()
    _current_watch.set(watch)
    return watch


def report_storage_failure(error: BaseException) -> None:
    """Called by the tracker store when a read or write fails; a no-op outside ``watch_storage``."""
    watch = _current_watch.get()
    if watch is not None:
        watch.errors.append(error)


def failed_in_this_turn() -> bool:
    """True when storage already failed in the running turn (e.g. the tracker could not be read)."""
    watch = _current_watch.get()
    return watch is not None and bool(watch.errors)


def refused_when_unavailable(function: Function) -> Function:
    """Turn a database outage inside ``function`` into ``StorageUnavailable`` (503 for the channels)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except UNAVAILABLE_ERRORS as error:
            raise StorageUnavailable() from error

    return wrapper  # type: ignore[return-value]

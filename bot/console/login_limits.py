"""Login rate limiting: too many failures for one name or one address within a window → refuse (429)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.console.schema import login_attempts
from bot.console.times import utc_now
from bot.storage.database import engine_for


def is_limited(database_url: str, name: str, remote: str, max_failures: int, window_minutes: int) -> bool:
    """True when ``name`` or ``remote`` already has ``max_failures`` failed logins within the window."""
    since = utc_now() - dt.timedelta(minutes=window_minutes)
    failures = (login_attempts.c.success == sa.false()) & (login_attempts.c.at >= since)
    count = sa.select(sa.func.count()).select_from(login_attempts)
    with engine_for(database_url).connect() as connection:
        by_name = connection.execute(count.where(failures & (login_attempts.c.name == name))).scalar_one()
        if by_name >= max_failures:
            return True
        by_remote = connection.execute(count.where(failures & (login_attempts.c.remote == remote))).scalar_one()
    return by_remote >= max_failures


def record_attempt(database_url: str, name: str, remote: str, success: bool) -> None:
    """Store the attempt; attempts older than a day are dropped on the way (the window is minutes)."""
    now = utc_now()
    with engine_for(database_url).begin() as connection:
        connection.execute(login_attempts.delete().where(login_attempts.c.at < now - dt.timedelta(days=1)))
        connection.execute(login_attempts.insert().values(name=name[:64], remote=remote[:64], at=now,
                                                          success=success))

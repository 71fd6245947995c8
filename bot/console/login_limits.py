"""Login rate limiting: too many failures for one name or one address within a window → refuse (429).

An attempt is written down as a failure *before* its password is checked, in a transaction that counts the
failures before it and that other claims wait for, and it may be checked only if fewer than ``max_failures``
failures of its name and of its address are in the window. So the limit holds when many attempts arrive at once:
they cannot all read "no failures yet" and all go on to check a password. A successful check turns its row into a
success.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from bot.console.schema import login_attempts
from bot.console.times import utc_now
from bot.storage.database import engine_for

KEEP_ATTEMPTS = dt.timedelta(days=1)  # older attempts are dropped on the way (the window is minutes)


def claim_attempt(database_url: str, name: str, remote: str, max_failures: int, window_minutes: int) -> int | None:
    """Write the attempt down as a failure and return its id, or None (nothing kept) when it is over the limit:
    ``max_failures`` earlier failures within the window for ``name`` or for ``remote``.

    Claims are serialised, so concurrent attempts count each other: SQLite lets one writing transaction in at a
    time (the insert comes first), and on PostgreSQL the transaction locks the table against other claims
    (sign-ins are rare; reads are not blocked).
    """
    now = utc_now()
    name, remote = name[:64], remote[:64]
    since = now - dt.timedelta(minutes=window_minutes)
    with engine_for(database_url).begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE"))
        connection.execute(login_attempts.delete().where(login_attempts.c.at < now - KEEP_ATTEMPTS))
        attempt_id = int(connection.execute(login_attempts.insert().values(
            name=name, remote=remote, at=now, success=False)).inserted_primary_key[0])
        earlier_failures = sa.select(sa.func.count()).select_from(login_attempts).where(
            (login_attempts.c.success == sa.false()) & (login_attempts.c.at >= since)
            & (login_attempts.c.id != attempt_id))
        over = any(connection.execute(earlier_failures.where(column == value)).scalar_one() >= max_failures
                   for column, value in ((login_attempts.c.name, name), (login_attempts.c.remote, remote)))
        if over:  # a refused attempt is not kept: it does not lengthen the lock
            connection.execute(login_attempts.delete().where(login_attempts.c.id == attempt_id))
            return None
    return attempt_id


def mark_success(database_url: str, attempt_id: int) -> None:
    with engine_for(database_url).begin() as connection:
        connection.execute(login_attempts.update().where(login_attempts.c.id == attempt_id).values(success=True))


def forget_attempt(database_url: str, attempt_id: int) -> None:
    """Remove a claimed attempt whose password was never checked (the server was too busy): it does not count."""
    with engine_for(database_url).begin() as connection:
        connection.execute(login_attempts.delete().where(login_attempts.c.id == attempt_id))


def record_attempt(database_url: str, name: str, remote: str, success: bool) -> None:
    """Write down a finished attempt (for scripts and tests; sign-in uses ``claim_attempt``)."""
    with engine_for(database_url).begin() as connection:
        connection.execute(login_attempts.insert().values(name=name[:64], remote=remote[:64], at=utc_now(),
                                                          success=success))

"""Staff sessions: a random cookie token stored only as its hash, with an expiry and a CSRF token."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from bot.console.accounts import StaffMember
from bot.console.schema import staff, staff_sessions
from bot.console.times import as_utc, utc_now
from bot.storage.database import engine_for


@dataclass(frozen=True)
class Session:
    token_hash: str
    csrf_token: str
    expires_at: dt.datetime
    member: StaffMember


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(database_url: str, staff_id: int, hours: float) -> str:
    """Store a new session and return the token for the cookie (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = utc_now()
    with engine_for(database_url).begin() as connection:
        connection.execute(staff_sessions.delete().where(staff_sessions.c.expires_at < now))
        connection.execute(staff_sessions.insert().values(
            token_hash=hash_token(token), staff_id=staff_id, csrf_token=secrets.token_urlsafe(32),
            created_at=now, expires_at=now + dt.timedelta(hours=hours),
        ))
    return token


def find_session(database_url: str, token: str) -> Session | None:
    """The live session of an enabled account for this cookie token, or None."""
    query = (sa.select(staff_sessions.c.token_hash, staff_sessions.c.csrf_token, staff_sessions.c.expires_at,
                       staff.c.id, staff.c.name, staff.c.role, staff.c.disabled, staff.c.created_at)
             .join(staff, staff.c.id == staff_sessions.c.staff_id)
             .where(staff_sessions.c.token_hash == hash_token(token)))
    with engine_for(database_url).connect() as connection:
        row = connection.execute(query).first()
    if row is None or row.disabled or as_utc(row.expires_at) <= utc_now():
        return None
    member = StaffMember(row.id, row.name, row.role, bool(row.disabled), as_utc(row.created_at))
    return Session(row.token_hash, row.csrf_token, as_utc(row.expires_at), member)


def end_session(database_url: str, token_hash: str) -> None:
    with engine_for(database_url).begin() as connection:
        connection.execute(staff_sessions.delete().where(staff_sessions.c.token_hash == token_hash))


def csrf_matches(expected: str, given: str | None) -> bool:
    return bool(given) and secrets.compare_digest(expected.encode(), given.encode())

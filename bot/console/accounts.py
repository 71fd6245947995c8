"""Staff accounts: argon2id password hashes, creation, lookup at login, listing and disabling."""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.console.schema import ROLES, staff, staff_sessions
from bot.console.times import as_utc, utc_now
from bot.storage.database import engine_for

NAME_PATTERN = re.compile(r"^[\w.@-]{2,64}$")
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """An account cannot be created or changed as asked; ``code`` names the reason (texts.yml words it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class StaffMember:
    id: int
    name: str
    role: str
    disabled: bool
    created_at: dt.datetime

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@functools.lru_cache(maxsize=1)
def password_hasher() -> PasswordHasher:
    """argon2id with the library's RFC 9106 low-memory profile (64 MiB, 3 passes)."""
    return PasswordHasher()


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verified against when the name is unknown, so both cases take the same time.
    return password_hasher().hash("chuangye-console-no-such-account")


def _member(row: sa.engine.Row) -> StaffMember:
    return StaffMember(row.id, row.name, row.role, bool(row.disabled), as_utc(row.created_at))


def validate_new_account(name: str, role: str, password: str) -> None:
    if not NAME_PATTERN.match(name):
        raise AccountError("bad_name", "name: 2–64 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise AccountError("bad_role", f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError("short_password", f"password: at least {MIN_PASSWORD_LENGTH} characters")


def create_staff(database_url: str, name: str, role: str, password: str) -> int:
    """Add an account (argon2id hash of ``password``) and return its id; AccountError if it cannot be added."""
    validate_new_account(name, role, password)
    password_hash = password_hasher().hash(password)
    with engine_for(database_url).begin() as connection:
        if connection.execute(sa.select(staff.c.id).where(staff.c.name == name)).first():
            raise AccountError("duplicate_name", f"an account named {name!r} already exists")
        result = connection.execute(staff.insert().values(
            name=name, role=role, password_hash=password_hash,
            created_at=utc_now(), disabled=False,
        ))
        return int(result.inserted_primary_key[0])


def authenticate(database_url: str, name: str, password: str) -> StaffMember | None:
    """The enabled account with this name and password, or None (same work whether or not the name exists)."""
    with engine_for(database_url).connect() as connection:
        row = connection.execute(sa.select(staff).where(staff.c.name == name)).first()
    hasher = password_hasher()
    try:
        hasher.verify(row.password_hash if row else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None or row.disabled:
        return None
    if hasher.check_needs_rehash(row.password_hash):
        with engine_for(database_url).begin() as connection:
            connection.execute(staff.update().where(staff.c.id == row.id)
                               .values(password_hash=hasher.hash(password)))
    return _member(row)


def list_staff(database_url: str) -> list[StaffMember]:
    with engine_for(database_url).connect() as connection:
        return [_member(row) for row in connection.execute(sa.select(staff).order_by(staff.c.name))]


def get_staff(database_url: str, staff_id: int) -> StaffMember | None:
    with engine_for(database_url).connect() as connection:
        row = connection.execute(sa.select(staff).where(staff.c.id == staff_id)).first()
    return _member(row) if row else None


def set_disabled(database_url: str, staff_id: int, disabled: bool) -> StaffMember:
    """Disable (and sign out everywhere) or re-enable an account; the last enabled admin cannot be disabled."""
    with engine_for(database_url).begin() as connection:
        row = connection.execute(sa.select(staff).where(staff.c.id == staff_id)).first()
        if row is None:
            raise AccountError("no_such_account", f"no account with id {staff_id}")
        if disabled and row.role == "admin" and not row.disabled:
            admins = connection.execute(sa.select(sa.func.count()).select_from(staff).where(
                (staff.c.role == "admin") & (staff.c.disabled == sa.false()))).scalar_one()
            if admins <= 1:
                raise AccountError("last_admin", "the last enabled admin cannot be disabled")
        connection.execute(staff.update().where(staff.c.id == staff_id).values(disabled=disabled))
        if disabled:
            connection.execute(staff_sessions.delete().where(staff_sessions.c.staff_id == staff_id))
        row = connection.execute(sa.select(staff).where(staff.c.id == staff_id)).first()
    return _member(row)

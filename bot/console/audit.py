"""The audit log: who looked at or changed what, and when (conversation views and exports included)."""

from __future__ import annotations

import sqlalchemy as sa

from bot.console.schema import audit_log
from bot.console.times import as_utc, utc_now
from bot.storage.database import engine_for


def record(database_url: str, staff_name: str, action: str, target: str | None = None,
           detail: str | None = None) -> None:
    with engine_for(database_url).begin() as connection:
        connection.execute(audit_log.insert().values(
            at=utc_now(), staff_name=staff_name, action=action,
            target=None if target is None else target[:128], detail=detail,
        ))


def recent(database_url: str, limit: int, before_id: int | None = None, staff_name: str | None = None,
           action: str | None = None) -> list[dict]:
    """Rows newest first, ``limit`` at most, older than ``before_id`` when given (keyset on the id)."""
    query = sa.select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(audit_log.c.id < before_id)
    if staff_name:
        query = query.where(audit_log.c.staff_name == staff_name)
    if action:
        query = query.where(audit_log.c.action == action)
    with engine_for(database_url).connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        row["at"] = as_utc(row["at"])
    return rows

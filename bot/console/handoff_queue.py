"""The queue of people who asked for a human: open and in-progress requests, oldest first, and their status."""

from __future__ import annotations

import sqlalchemy as sa

from bot.console.times import as_utc
from bot.storage.contacts import unseal
from bot.storage.database import engine_for
from bot.storage.handoffs import handoff_requests

STATUSES = ("open", "in_progress", "closed")
# open → in_progress → closed; a request closed or taken by mistake can be put back.
TRANSITIONS = {
    "open": ("in_progress", "closed"),
    "in_progress": ("closed", "open"),
    "closed": ("open",),
}


class NoContact(LookupError):
    """The request does not exist, is closed, or has no contact stored."""


def reveal_contact(database_url: str, request_id: int, key: str) -> str:
    """The conversation id of a waiting request, decrypted (the caller audits it)."""
    query = sa.select(handoff_requests.c.contact).where(
        (handoff_requests.c.id == request_id) & handoff_requests.c.status.in_(("open", "in_progress")))
    with engine_for(database_url).connect() as connection:
        token = connection.execute(query).scalar()
    if not token:
        raise NoContact(f"request {request_id} has no contact to show")
    return unseal(token, key)


class TransitionError(ValueError):
    """The request does not exist or its current status cannot change to the one asked for."""


def queue(database_url: str, statuses: tuple[str, ...] = ("open", "in_progress"), limit: int = 500) -> list[dict]:
    """Requests in these statuses, oldest first."""
    query = (sa.select(handoff_requests).where(handoff_requests.c.status.in_(statuses))
             .order_by(handoff_requests.c.created_at, handoff_requests.c.id).limit(limit))
    with engine_for(database_url).connect() as connection:
        rows = [dict(row._mapping) for row in connection.execute(query)]
    for row in rows:
        row["created_at"] = as_utc(row["created_at"])
        row["has_contact"] = bool(row.pop("contact"))  # the token itself never leaves this module
    return rows


def change_status(database_url: str, request_id: int, expected: str, new: str) -> None:
    """Move a request from ``expected`` to ``new``; refused if someone changed it meanwhile."""
    if new not in TRANSITIONS.get(expected, ()):
        raise TransitionError(f"{expected} → {new} is not allowed")
    # A closed request forgets its contact: it is kept only while someone is waiting for an answer.
    values = {"status": new, **({"contact": None} if new == "closed" else {})}
    with engine_for(database_url).begin() as connection:
        result = connection.execute(handoff_requests.update().where(
            (handoff_requests.c.id == request_id) & (handoff_requests.c.status == expected),
        ).values(**values))
        if result.rowcount != 1:
            raise TransitionError(f"request {request_id} is not {expected}")

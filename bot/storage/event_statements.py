"""The SQL statements of the tracker store, built once (Rasa rebuilds an ORM query on every call).

They read and count the same rows as ``SQLTrackerStore._event_query``: a conversation's events ordered by id,
either all of them or those of its latest session (events at or after its latest ``session_started``; all events
when it has none). Execute them with ``{"sender_id": ...}``.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from rasa.shared.core.events import SessionStarted

SENDER = "sender_id"


@dataclass(frozen=True)
class EventStatements:
    latest_session_data: sa.sql.Select  # the JSON of each event of the latest session, in order
    all_sessions_data: sa.sql.Select  # the JSON of each event of every session, in order
    latest_session_count: sa.sql.Select  # how many events the latest session has stored
    insert: sa.sql.Insert  # one row per new event (a list of parameter dicts: one multi-row INSERT)


def event_statements(events: sa.Table) -> EventStatements:
    sender = sa.bindparam(SENDER, type_=events.c.sender_id.type)
    session_start = (
        sa.select(sa.func.max(events.c.timestamp).label("session_start"))
        .where(events.c.sender_id == sender, events.c.type_name == SessionStarted.type_name)
        .subquery()
    )
    in_latest_session = sa.and_(
        events.c.sender_id == sender,
        sa.or_(events.c.timestamp >= session_start.c.session_start, session_start.c.session_start.is_(None)),
    )
    return EventStatements(
        latest_session_data=sa.select(events.c.data).where(in_latest_session).order_by(events.c.id),
        all_sessions_data=sa.select(events.c.data).where(events.c.sender_id == sender).order_by(events.c.id),
        latest_session_count=sa.select(sa.func.count()).select_from(events).where(in_latest_session),
        insert=events.insert(),
    )

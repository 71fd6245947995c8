"""Rasa's SQL tracker store on DATABASE_URL that also logs each completed turn for review (``turns``).

Configured in endpoints.yml (``tracker_store: {type: bot.storage.tracker_store.ReviewedSQLTrackerStore}``).
The dialogue state matters more than the log: when writing turns fails, the error is logged and the tracker is
saved all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot.settings import load_settings
from bot.storage.database import engine_for, ensure_sqlite_directory
from bot.storage.turns import record_turns, turns_from_events

logger = logging.getLogger(__name__)

ACTION_LISTEN = "action_listen"


def completed_turn_events(events: Sequence[Event], first_new: int) -> list[Event]:
    """The events of the turns that the events from index ``first_new`` on complete.

    A turn (a user message and the bot's replies) is complete when the assistant listens again or the next user
    message arrives. A turn that began before ``first_new`` but ends after it is included whole; a turn still
    in progress at the end is left for a later save.
    """
    selected: list[Event] = []
    start: int | None = None
    for index, event in enumerate(events):
        closes = isinstance(event, UserUttered) or (
            isinstance(event, ActionExecuted) and event.action_name == ACTION_LISTEN)
        if start is not None and closes:
            if index >= first_new:
                selected.extend(events[start:index])
            start = None
        if isinstance(event, UserUttered):
            start = index
    return selected


class ReviewedSQLTrackerStore(SQLTrackerStore):
    """Dialogue state in the project database (PostgreSQL or SQLite), plus one ``turns`` row per user turn."""

    def __init__(self, domain: Any = None, host: str | None = None, event_broker: Any = None,
                 database_url: str | None = None, salt: str | None = None, **kwargs: Any) -> None:
        # ``host`` is the endpoint's url, which Rasa always passes: unused, the database is DATABASE_URL.
        settings = load_settings()
        self.database_url = database_url or settings.database_url
        self.salt = salt or settings.sender_hash_salt
        url = make_url(self.database_url)
        ensure_sqlite_directory(self.database_url)
        super().__init__(domain=domain, dialect=url.drivername, host=url.host, port=url.port, db=url.database,
                         username=url.username, password=url.password, event_broker=event_broker,
                         query=dict(url.query) or None, **kwargs)
        try:
            engine_for(self.database_url)  # migrations now, so a broken schema shows at start-up
        except Exception:
            logger.exception("could not bring the project tables up to date; turns are not logged until it works")

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the tracker as Rasa does, then log the turns its new events complete."""
        try:
            with self.session_scope() as session:
                already_stored = self._event_query(session, tracker.sender_id,
                                                   fetch_events_from_all_sessions=False).count()
        except Exception:
            logger.exception("could not count stored events; this save logs no turns")
            already_stored = None
        await super().save(tracker)
        if already_stored is not None:
            self._log_turns(tracker, already_stored)

    def _log_turns(self, tracker: DialogueStateTracker, already_stored: int) -> None:
        try:
            events = completed_turn_events(list(tracker.events), already_stored)
            record_turns(self.database_url, turns_from_events(tracker.sender_id, events, self.salt))
        except Exception:
            logger.exception("could not log the conversation turns; the tracker itself was saved")

"""Rasa's SQL tracker store on DATABASE_URL that also logs each completed turn for review (``turns``).

Configured in endpoints.yml (``tracker_store: {type: bot.storage.tracker_store.ReviewedSQLTrackerStore}``).
The dialogue state matters more than the log: when writing turns fails, the error is logged and the tracker is
saved all the same.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bot.runtime import install_rasa_adjustments
from bot.settings import load_settings
from bot.storage.availability import StorageUnavailable, failed_in_this_turn, report_storage_failure
from bot.storage.database import engine_for, engine_options, ensure_sqlite_directory, use_sqlite_wal
from bot.storage.turns import record_turns, turns_from_events

logger = logging.getLogger(__name__)

ACTION_LISTEN = "action_listen"
# Set by ``retrieve`` on the tracker it returns: (its id, how many stored events of the session it was built from).
STORED_EVENTS_ATTRIBUTE = "_chuangye_stored_events"


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
        install_rasa_adjustments()  # every Rasa server using this store loads it before the model
        settings = load_settings()
        self.database_url = database_url or settings.database_url
        self.salt = salt or settings.sender_hash_salt
        url = make_url(self.database_url)
        ensure_sqlite_directory(self.database_url)
        super().__init__(domain=domain, dialect=url.drivername, host=url.host, port=url.port, db=url.database,
                         username=url.username, password=url.password, event_broker=event_broker,
                         query=dict(url.query) or None, **kwargs)
        # Rasa's engine has no liveness check: after a database restart, every pooled connection would fail
        # once. The same engine with ``engine_options`` (pool_pre_ping on a server) replaces dead connections.
        self.engine.dispose()
        self.engine = sa.create_engine(self.engine.url, **create_engine_kwargs(self.engine.url),
                                       **engine_options(self.engine.url))
        use_sqlite_wal(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine)
        # Saves of one conversation never overlap (Rasa's lock store), so one slot per sender is enough.
        self._stored_before: dict[str, int] = {}
        try:
            engine_for(self.database_url)  # migrations now, so a broken schema shows at start-up
        except Exception:
            logger.exception("could not bring the project tables up to date; turns are not logged until it works")

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Any]:
        """Rasa's session scope, without its ``sys.exit`` on any ``ValueError``.

        Rasa reads every ValueError inside a session as "the PostgreSQL schema is missing" and exits the server;
        a sender id with a lone surrogate or a NUL byte raises one, so one bad request would stop the assistant.
        Here the error goes to the caller (the request fails, the server stays up).
        """
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """Rasa's retrieve; a failure is also reported to the running turn (see ``bot.storage.availability``).

        The number of stored events the tracker was built from is kept on the tracker object itself, so that
        saving it at the end of the turn need not count them again in the database (see ``_additional_events``).
        """
        try:
            tracker = await super().retrieve(sender_id)
        except Exception as error:
            report_storage_failure(error)
            raise
        if tracker is not None:
            setattr(tracker, STORED_EVENTS_ATTRIBUTE, (id(tracker), len(tracker.events)))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the tracker as Rasa does, then log the turns its new events complete.

        Not when this turn could not read the stored tracker: Rasa then ran it on a blank one, and saving that
        would write a conversation that never happened (the channel refuses the message and it comes again).
        """
        if failed_in_this_turn():
            raise StorageUnavailable("the stored conversation could not be read; not saving a blank one")
        try:
            await self._store_new_events(tracker)
        except Exception as error:
            self._stored_before.pop(tracker.sender_id, None)
            report_storage_failure(error)
            raise
        already_stored = self._stored_before.pop(tracker.sender_id, None)
        if already_stored is not None:
            self._log_turns(tracker, already_stored)

    async def _store_new_events(self, tracker: DialogueStateTracker) -> None:
        """Rasa's ``SQLTrackerStore.save``, with one multi-row INSERT instead of an ORM object per event.

        The same rows in the same order (ids ascending, as Rasa's retrieve sorts them), the same event stream.
        """
        await self.stream_events(tracker)
        with self.session_scope() as session:
            rows = []
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                rows.append({"sender_id": tracker.sender_id, "type_name": event.type_name,
                             "timestamp": data.get("timestamp"),
                             "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                             "action_name": data.get("name"), "data": json.dumps(data)})
            if rows:
                session.execute(self.SQLEvent.__table__.insert(), rows)
            session.commit()

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's ``_retrieve``, reading only the events' JSON column (no ORM object per stored event)."""
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions)
            events = [json.loads(data) for (data,) in query.with_entities(self.SQLEvent.data)]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Event]:
        """The events not stored yet; how many were stored is kept for the turn log.

        Rasa counts the stored events of the current session with a query. When this very tracker object was
        read by ``retrieve`` in this turn, that count is the number of events it was built from (the same query,
        and Rasa's lock keeps other processes from writing this conversation in between), so the query is
        skipped. Any other tracker (a new conversation, one built elsewhere) is counted as Rasa does.
        """
        # Used once (after this save the count changes); a copy of the tracker (another id) is counted again.
        owner, stored = tracker.__dict__.pop(STORED_EVENTS_ATTRIBUTE, (None, None))
        if owner != id(tracker):
            stored = self._event_query(session, tracker.sender_id, fetch_events_from_all_sessions=False).count()
        self._stored_before[tracker.sender_id] = stored
        return itertools.islice(tracker.events, stored, len(tracker.events))

    def _log_turns(self, tracker: DialogueStateTracker, already_stored: int) -> None:
        try:
            events = completed_turn_events(list(tracker.events), already_stored)
            record_turns(self.database_url, turns_from_events(tracker.sender_id, events, self.salt))
        except Exception:
            logger.exception("could not log the conversation turns; the tracker itself was saved")

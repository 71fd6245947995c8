"""Rasa's SQL tracker store on DATABASE_URL that also logs each completed turn for review (``turns``).

Configured in endpoints.yml (``tracker_store: {type: bot.storage.tracker_store.ReviewedSQLTrackerStore}``).
Rasa's tables and rows, read and written with statements built once (``bot.storage.event_statements``); a turn's
events and its turn log are written in one transaction. The dialogue state matters more than the log: when
writing turns fails, the error is logged and the events are saved all the same. The tracker saved at the end of a
turn is handed to the conversation's next turn from memory when the database shows it unchanged
(``bot.storage.tracker_cache``).
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker

from bot.runtime import install_rasa_adjustments
from bot.settings import load_settings
from bot.storage.availability import StorageUnavailable, failed_in_this_turn, report_storage_failure
from bot.storage.database import (
    engine_for,
    engine_options,
    ensure_sqlite_directory,
    is_dead_connection,
    use_sqlite_wal,
)
from bot.storage.event_statements import SENDER, event_statements
from bot.storage.handoffs import hash_sender
from bot.storage.redaction import redacted, warm_up
from bot.storage.tracker_cache import TrackerCache
from bot.storage.turns import insert_turns, turns_from_events

logger = logging.getLogger(__name__)

ACTION_LISTEN = "action_listen"
# Payload fields of a reply that are not stored with the conversation (see ``without_reply_extras``).
REPLY_ONLY_FIELDS = ("card", "detail")  # the answer card; the whole verdict under a short SMS one
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
        # once. Here a read or write that finds its connection dead is run once more on a new one (see
        # ``_retrieve`` and ``save``); checking every connection before use would cost a round trip each time.
        self.engine.dispose()
        self.engine = sa.create_engine(self.engine.url, **create_engine_kwargs(self.engine.url),
                                       **engine_options(self.engine.url, pre_ping=False))
        use_sqlite_wal(self.engine)
        self.sessionmaker = sessionmaker(bind=self.engine)
        self._statements = event_statements(self.SQLEvent.__table__)
        # A database server reads outside a transaction (see ``_retrieve``); SQLite starts none for a SELECT.
        self._read_options = {} if url.get_backend_name() == "sqlite" else {"isolation_level": "AUTOCOMMIT"}
        self.cache = TrackerCache(settings.tracker_cache_size)
        warm_up()  # redaction's tagger and place names, before the first conversation is saved
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
        """Rasa's retrieve, or the tracker the conversation's previous turn saved when the database still holds
        just its events (``bot.storage.tracker_cache``); a failure is also reported to the running turn (see
        ``bot.storage.availability``).

        The number of stored events the tracker was built from is kept on the tracker object itself, so that
        saving it at the end of the turn need not count them again in the database (see ``_additional_events``).
        """
        try:
            tracker = self._take_if_current(sender_id)
            if tracker is None:
                tracker = await super().retrieve(sender_id)
        except Exception as error:
            report_storage_failure(error)
            raise
        if tracker is not None:
            setattr(tracker, STORED_EVENTS_ATTRIBUTE, (id(tracker), len(tracker.events)))
        return tracker

    async def retrieve_to_read(self, sender_id: str) -> DialogueStateTracker | None:
        """``retrieve`` for a caller that only reads the tracker: one kept in memory stays there for the
        conversation's next turn (``bot.assistant`` reads the reply's intent this way after each turn)."""
        tracker = self._take_if_current(sender_id)
        if tracker is not None:
            self.cache.put(sender_id, tracker)
            return tracker
        return await self.retrieve(sender_id)

    def _take_if_current(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker kept in memory for the conversation (taken out of the cache) when the database still holds
        just its events, else None."""
        cached = self.cache.take(sender_id)
        if cached is not None and self._stored_count(sender_id) == cached.events:
            return cached.tracker
        return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Save the tracker's new events as Rasa does and, in the same transaction, the turns they complete.

        Not when this turn could not read the stored tracker: Rasa then ran it on a blank one, and saving that
        would write a conversation that never happened (the channel refuses the message and it comes again).
        """
        if failed_in_this_turn():
            raise StorageUnavailable("the stored conversation could not be read; not saving a blank one")
        stored = self._count_read_in_this_turn(tracker)
        self.cache.discard(tracker.sender_id)
        try:
            await self.stream_events(tracker)  # Rasa's event broker, if one is configured
            try:
                stored_as_is = self._write_on_a_live_connection(tracker, stored, with_turns=True)
            except _TurnLogFailed as failure:
                # The dialogue state matters more than the log: store the events alone.
                stored_as_is = self._write_on_a_live_connection(tracker, stored, with_turns=False)
                logger.error("could not log the conversation turns; the tracker itself was saved",
                             exc_info=failure.__cause__)
        except Exception as error:
            report_storage_failure(error)
            raise
        if stored_as_is:
            self.cache.put(tracker.sender_id, tracker)

    def _write_on_a_live_connection(self, tracker: DialogueStateTracker, stored: int | None,
                                    with_turns: bool) -> bool:
        """``_write``, once more on a new connection when its connection was found dead before the commit (the
        transaction then never reached the database). A commit whose answer was lost is not repeated."""
        try:
            return self._write(tracker, stored, with_turns)
        except _DeadBeforeCommit as dead:
            logger.warning("the database connection was gone (%s); writing again on a new one", dead.__cause__)
            try:
                return self._write(tracker, stored, with_turns)
            except _DeadBeforeCommit as again:
                raise again.__cause__ from None

    def _write(self, tracker: DialogueStateTracker, stored: int | None, with_turns: bool) -> bool:
        """One transaction: the events not stored yet (one multi-row INSERT, ids ascending in event order, as
        Rasa's ``SQLTrackerStore.save`` stores them one ORM object at a time) and the turns they complete.

        Returns whether the new events were stored exactly as the tracker holds them (no personal data taken
        out), so that reading the conversation back would rebuild this same tracker.
        """
        events = list(tracker.events)
        with self.engine.begin() as connection:
            try:
                key = self.stored_key(tracker.sender_id)
                if stored is None:  # Rasa counts the stored events of the latest session
                    stored = connection.execute(self._statements.latest_session_count, {SENDER: key}).scalar_one()
                rows: list[dict[str, Any]] = []
                stored_as_is = True
                for event in events[stored:]:
                    row, as_is = _event_row(key, event)
                    rows.append(row)
                    stored_as_is = stored_as_is and as_is
                if rows:
                    connection.execute(self._statements.insert, rows)
                if with_turns:
                    try:
                        insert_turns(connection, turns_from_events(
                            tracker.sender_id, completed_turn_events(events, stored), self.salt))
                    except Exception as error:
                        if is_dead_connection(error):
                            raise
                        raise _TurnLogFailed from error
            except sa.exc.DBAPIError as error:
                if is_dead_connection(error):
                    raise _DeadBeforeCommit from error
                raise
        return stored_as_is

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        """Rasa's ``_retrieve`` with a statement built once, reading only the events' JSON column.

        On a database server the read runs outside a transaction (autocommit: no BEGIN and ROLLBACK round trips
        around one SELECT, which sees the same committed rows), and once more on a new connection if its
        connection was found dead.
        """
        statement = (self._statements.all_sessions_data if fetch_events_from_all_sessions
                     else self._statements.latest_session_data)
        rows = self._read_on_a_live_connection(statement, sender_id)
        events = [json.loads(data) for data in rows]
        if self.domain and events:
            return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        return None

    def _stored_count(self, sender_id: str) -> int:
        """How many events of the conversation's latest session the database holds."""
        (count,) = self._read_on_a_live_connection(self._statements.latest_session_count, sender_id)
        return count

    def _read_on_a_live_connection(self, statement: sa.sql.Select, sender_id: str) -> list[Any]:
        """The first column of the statement's rows; once more on a new connection if its connection was dead."""
        try:
            return self._read(statement, sender_id)
        except sa.exc.DBAPIError as error:
            if not is_dead_connection(error):
                raise
            logger.warning("the database connection was gone (%s); reading again on a new one", error)
            return self._read(statement, sender_id)

    def _read(self, statement: sa.sql.Select, sender_id: str) -> list[Any]:
        with self.engine.connect().execution_options(**self._read_options) as connection:
            return list(connection.execute(statement, {SENDER: self.stored_key(sender_id)}).scalars())

    def stored_key(self, sender_id: str) -> str:
        """What the ``events`` table keeps instead of the platform's sender id (an openid, a phone number): its
        salted hash, the ``sender_hash`` of the turn log. The raw id stays in memory for the turn's reply."""
        return hash_sender(sender_id, self.salt)

    @staticmethod
    def _count_read_in_this_turn(tracker: DialogueStateTracker) -> int | None:
        """How many stored events this very tracker object was built from by ``retrieve``, else None.

        Rasa counts the stored events of the current session with a query before saving. For the tracker that
        ``retrieve`` returned in this turn the count is known (the same rows, and Rasa's lock keeps other
        processes from writing this conversation in between), so the query is skipped. Used once (after the save
        the count changes); a copy of the tracker (another id), a new conversation or a tracker built elsewhere
        is counted as Rasa does.
        """
        owner, stored = tracker.__dict__.pop(STORED_EVENTS_ATTRIBUTE, (None, None))
        return stored if owner == id(tracker) else None


def without_reply_extras(data: dict[str, Any]) -> dict[str, Any]:
    """A bot event's data without the parts of its payload that only the reply itself needs.

    The answer card (``custom.card``) is the knowledge base's entry for the topic and aspect the payload names:
    the reply carries it, the stored conversation need not. Kept, it would copy the knowledge base into every
    conversation, and every later turn would read it back, send it to the action server and store it again.
    """
    custom = (data.get("data") or {}).get("custom") if data.get("event") == "bot" else None
    if not isinstance(custom, dict) or not any(key in custom for key in REPLY_ONLY_FIELDS):
        return data
    kept = {key: value for key, value in custom.items() if key not in REPLY_ONLY_FIELDS}
    return {**data, "data": {**data["data"], "custom": kept}}


class _TurnLogFailed(Exception):
    """Storing the turn log failed (its cause attached); the events can still be stored without it."""


class _DeadBeforeCommit(Exception):
    """A statement of the write found its connection gone (cause attached): nothing of it was committed."""


def _event_row(sender_key: str, event: Event) -> tuple[dict[str, Any], bool]:
    """The ``events`` row Rasa's ``SQLTrackerStore`` writes for ``event``, keyed by the sender's hash and with
    personal data redacted from every text in it (the message, its parse data, slots, replies); and whether the
    event in memory now holds exactly the stored data.

    A reply's extras (``without_reply_extras``) leave the event in memory too, once stored: the reply has already
    been handed to the output channel, and later turns of this process then see the conversation as stored.
    What redaction changes stays in memory until the turn ends (the reply may quote it) and makes the answer False.
    """
    live = event.as_dict()
    kept = without_reply_extras(live)
    if kept is not live and isinstance(event, BotUttered):
        event.data = kept["data"]  # a new dict: the reply already handed to the channel keeps its own
    data = redacted(kept)
    row = {"sender_id": sender_key, "type_name": event.type_name, "timestamp": data.get("timestamp"),
           "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
           "action_name": data.get("name"), "data": json.dumps(data)}
    return row, data is kept

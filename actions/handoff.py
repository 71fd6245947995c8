"""A person asked for a human: record the request for staff and say what happens next."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.answer import ActionAnswerDepartment, leave_check_events
from actions.common import HANDOFF, current_topic, messages, payload, reply_language
from bot.settings import load_settings
from bot.storage.handoffs import record_handoff

logger = logging.getLogger(__name__)


def asks_for_contact_details(tracker: Tracker, language: str) -> bool:
    """A phone or address question that does not ask for a person in so many words."""
    if next(tracker.get_latest_entity_values("aspect"), None) != "contact":
        return False
    text = (tracker.latest_message.get("text") or "").lower()
    return not any(word in text for word in messages(language)["handoff"]["person_words"])


class ActionHandoff(Action):
    """Stores an open hand-off request (the sender as a salted hash, the contact encrypted) and confirms it."""

    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        if asks_for_contact_details(tracker, language):  # "人社厅电话多少" asks for a number, not for a person
            return await ActionAnswerDepartment().run(dispatcher, tracker, domain)
        wording = messages(language)["handoff"]
        settings = load_settings()
        topic = current_topic(tracker)
        channel = tracker.get_latest_input_channel() or "unknown"
        try:
            request_id = record_handoff(settings.database_url, settings.sender_hash_salt, tracker.sender_id,
                                        channel, topic.id if topic else None, settings.handoff_contact_key)
        except SQLAlchemyError:
            logger.exception("could not store a hand-off request")
            dispatcher.utter_message(text=wording["failed"], json_message=payload(HANDOFF, topic))
            return leave_check_events(tracker)
        office = topic.lead_department if topic else wording["office_fallback"]
        dispatcher.utter_message(text=wording["recorded"].format(request_id=request_id, office=office),
                                 json_message=payload(HANDOFF, topic))
        return leave_check_events(tracker)

"""有用 / 没用: the user rates the latest answer or verdict; the rating goes on that turn for the review console.

Buttons send ``/feedback{"feedback":"useful"}`` (or ``"not_useful"``); a typed reply classified as the
``feedback`` intent (SMS, WeChat: "有用", "没解决问题", "👍") is read with the word lists of messages.yml.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.common import CHITCHAT, intent_payload, messages, payload, reply_language
from bot.settings import load_settings
from bot.storage.handoffs import hash_sender
from bot.storage.turns import FEEDBACK_VALUES, NOT_USEFUL, USEFUL, set_feedback

logger = logging.getLogger(__name__)

FEEDBACK_INTENT = "feedback"
FEEDBACK_ENTITY = "feedback"


def feedback_buttons(language: str = "zh") -> list[dict[str, str]]:
    """The 有用 / 没用 buttons to offer under an answer or a verdict."""
    labels = messages(language)["feedback"]["buttons"]
    return [{"title": labels[value], "payload": intent_payload(FEEDBACK_INTENT, **{FEEDBACK_ENTITY: value})}
            for value in (USEFUL, NOT_USEFUL)]


def value_from_text(text: str) -> str | None:
    """"useful" / "not_useful" for a typed rating; "没有用" is checked before "有用", which it contains."""
    lowered = text.lower()
    for value in (NOT_USEFUL, USEFUL):
        for language in ("zh", "en"):
            if any(word in lowered for word in messages(language)["feedback"]["words"][value]):
                return value
    return None


def feedback_value(tracker: Tracker) -> str | None:
    """The rating in the latest message: the button's entity first, else the words typed."""
    entity = next(tracker.get_latest_entity_values(FEEDBACK_ENTITY), None)
    if entity in FEEDBACK_VALUES:
        return entity
    return value_from_text(tracker.latest_message.get("text") or "")


class ActionFeedback(Action):
    """Stores the rating on the sender's latest answer (sender as its salted hash) and thanks the user."""

    def name(self) -> str:
        return "action_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        wording = messages(language)["feedback"]
        value = feedback_value(tracker)
        if value is None:
            dispatcher.utter_message(text=wording["ask"], buttons=feedback_buttons(language),
                                     json_message=payload(CHITCHAT))
            return []
        settings = load_settings()
        try:
            stored = set_feedback(settings.database_url, hash_sender(tracker.sender_id, settings.sender_hash_salt),
                                  value)
            if not stored:
                logger.info("feedback %s with no rated answer to attach it to", value)
        except SQLAlchemyError:
            logger.exception("could not store feedback")
        dispatcher.utter_message(text=wording[f"thanks_{value}"], json_message=payload(CHITCHAT))
        return []

"""Low confidence and out-of-scope questions: ask which topic was meant, or say plainly it is not covered."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import CLARIFY, OUT_OF_SCOPE, kb, messages, payload, reply_language, topic_buttons

MAX_CHOICES = 3
# A topic this unlikely is not worth offering as a choice.
MIN_CHOICE_CONFIDENCE = 0.05


def likely_topics(tracker: Tracker) -> list[str]:
    """The policy topics the topic classifier ranked highest for the latest message."""
    topics = kb().topics
    ranking = tracker.latest_message.get("topic_ranking") or []
    return [entry["name"] for entry in ranking
            if entry.get("name") in topics and entry.get("confidence", 0) >= MIN_CHOICE_CONFIDENCE][:MAX_CHOICES]


class ActionClarify(Action):
    """Offers the most likely topics as buttons instead of guessing."""

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        wording = messages(language)["clarify"]
        choices = likely_topics(tracker)
        if not choices:
            dispatcher.utter_message(text=wording["rephrase"], json_message=payload(CLARIFY, tracker=tracker))
            return []
        buttons = [*topic_buttons(choices, language), {"title": wording["none_of_these"], "payload": "/out_of_scope"}]
        dispatcher.utter_message(text=wording["question"], buttons=buttons, json_message=payload(CLARIFY,
                                                                                                tracker=tracker))
        return []


class ActionOutOfScope(Action):
    """Says the question is outside the document and what the assistant does cover.

    Another region's own measures get their own sentence: this assistant covers Gansu's 2015 plan only.
    """

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        wording = messages(reply_language(tracker))
        region = next(tracker.get_latest_entity_values("other_region"), None)
        text = wording["other_region"].format(region=region) if region else wording["out_of_scope"]
        data = payload(OUT_OF_SCOPE, tracker=tracker)
        if region:
            data["other_region"] = region
        dispatcher.utter_message(text=text, json_message=data)
        return []

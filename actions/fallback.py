"""Low confidence and out-of-scope questions: a follow-up on the measure under discussion is answered; otherwise
ask which topic was meant, or say plainly it is not covered."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import answer_topic
from actions.common import (
    CHITCHAT,
    CLARIFY,
    OUT_OF_SCOPE,
    likely_topics,
    messages,
    payload,
    reply_language,
    topic_buttons,
)
from actions.context import followup_topic
from actions.eligibility import ActionTakeFacts, situation_in_message


class ActionClarify(Action):
    """Offers the most likely topics as buttons instead of guessing."""

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        topic = followup_topic(tracker)
        if topic is not None:
            return answer_topic(dispatcher, tracker, topic)
        if situation_in_message(tracker):  # "兰交大应届毕业生 有残疾证 想问下有啥政策": facts, read as such
            return await ActionTakeFacts().run(dispatcher, tracker, domain)
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
        region = next(tracker.get_latest_entity_values("other_region"), None)
        topic = None if region else followup_topic(tracker)
        if topic is not None:  # "要交啥材料" after an answer: about that measure, not out of scope
            return answer_topic(dispatcher, tracker, topic)
        in_check = tracker.get_slot("topic") or tracker.get_slot("screening")
        if not region and in_check and situation_in_message(tracker):  # "说错了 是西北师大" after a verdict
            return await ActionTakeFacts().run(dispatcher, tracker, domain)
        wording = messages(reply_language(tracker))
        text = wording["other_region"].format(region=region) if region else wording["out_of_scope"]
        data = payload(OUT_OF_SCOPE, tracker=tracker)
        if region:
            data["other_region"] = region
        dispatcher.utter_message(text=text, json_message=data)
        return []


class ActionChitchat(Action):
    """Small talk gets the assistant's introduction; a follow-up on the measure under discussion that the act
    classifier took for small talk ("那以后呢") is answered for that measure."""

    def name(self) -> str:
        return "action_chitchat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        topic = followup_topic(tracker)
        if topic is not None:
            return answer_topic(dispatcher, tracker, topic)
        dispatcher.utter_message(text=messages(reply_language(tracker))["chitchat"],
                                 json_message=payload(CHITCHAT, tracker=tracker))
        return []

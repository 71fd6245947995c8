"""Low confidence and out-of-scope questions: a follow-up on the measure under discussion is answered; otherwise
ask which topic was meant, or say plainly it is not covered."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import (
    answer_department_contact,
    answer_topic,
    asks_only_an_aspect,
    offer_topics,
    requested_aspect,
)
from actions.common import (
    CHITCHAT,
    CLARIFY,
    MEASURE_QUESTION_ACTS,
    OUT_OF_SCOPE,
    asks_a_question,
    department_in_message,
    likely_topics,
    messages,
    payload,
    reply_language,
    topic_in_message,
)
from actions.context import NAMED_CONFIDENCE, asks_about_something_else, followup_topic, topic_confidence
from actions.eligibility import ActionTakeFacts, situation_in_message


def answer_followup(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType] | None:
    """The answer on the measure under discussion when the message is a follow-up on it, else None."""
    topic = followup_topic(tracker)
    return None if topic is None else answer_topic(dispatcher, tracker, topic)


class ActionClarify(Action):
    """Offers the most likely topics as buttons instead of guessing."""

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        answered = answer_followup(dispatcher, tracker)
        if answered is not None:
            return answered
        named = topic_in_message(tracker)
        if named is not None and (torn_between_questions_about_it(tracker) or asks_about_it(tracker)):
            return answer_topic(dispatcher, tracker, named)
        if situation_in_message(tracker):  # "兰交大应届毕业生 有残疾证 想问下有啥政策": facts, read as such
            return await ActionTakeFacts().run(dispatcher, tracker, domain)
        choices = likely_topics(tracker)
        if not choices:
            dispatcher.utter_message(text=messages(reply_language(tracker))["clarify"]["rephrase"],
                                     json_message=payload(CLARIFY, tracker=tracker))
            return []
        offer_topics(dispatcher, tracker, choices)
        return []


# When the act classifier hesitates only between acts that ask about a measure and the topic is clear, the answer
# on the topic serves either (it starts the check for an eligibility question).
TOPIC_ANSWERING_ACTS = (*MEASURE_QUESTION_ACTS, "check_eligibility")


def two_likeliest_acts(tracker: Tracker) -> list[str | None]:
    """The act classifier's two first acts, the fallback left out."""
    return [entry.get("name") for entry in tracker.latest_message.get("intent_ranking") or []
            if entry.get("name") != "nlu_fallback"][:2]


def torn_between_questions_about_it(tracker: Tracker) -> bool:
    """The fallback came from two close acts that both ask about the measure the message clearly names
    ("我手机138… 大学生创业有社保补贴吗": asking, or checking?), not from a message nobody could read."""
    acts = two_likeliest_acts(tracker)
    return len(acts) == 2 and all(act in TOPIC_ANSWERING_ACTS for act in acts) and topic_confidence(tracker) >= (
        NAMED_CONFIDENCE)


def asks_about_it(tracker: Tracker) -> bool:
    """A question ("我是做碳纤维的 该去哪个园区": facts, then where to go) about the measure the message clearly
    names, which the act classifier found as likely to be facts as a question: the answer on the measure, which
    uses the facts, not a screening of every measure on them."""
    acts = two_likeliest_acts(tracker)
    reading = tracker.latest_message.get("aspect") or {}
    asking = reading.get("name") not in (None, "overview") or asks_a_question(
        tracker.latest_message.get("text") or "", reply_language(tracker))
    return asking and any(act in TOPIC_ANSWERING_ACTS for act in acts) and topic_confidence(tracker) >= (
        NAMED_CONFIDENCE)


class ActionOutOfScope(Action):
    """Says the question is outside the document and what the assistant does cover.

    Another region's own measures get their own sentence: this assistant covers Gansu's 2015 plan only.
    """

    def name(self) -> str:
        return "action_out_of_scope"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        region = next(tracker.get_latest_entity_values("other_region"), None)
        answered = None if region else answer_followup(dispatcher, tracker)
        if answered is not None:  # "要交啥材料" after an answer: about that measure, not out of scope
            return answered
        in_check = tracker.get_slot("topic") or tracker.get_slot("screening")
        if not region and in_check and situation_in_message(tracker) and not asks_about_something_else(tracker):
            return await ActionTakeFacts().run(dispatcher, tracker, domain)  # "说错了 是西北师大" after a verdict
        department = department_in_message(tracker) if not region else None
        if department is not None and requested_aspect(tracker) == "contact":
            # "the labour bureau's phone number": a department of the plan, whatever the act classifier saw
            return answer_department_contact(dispatcher, tracker, department)
        if not region and not in_check and asks_only_an_aspect(tracker):
            # "补贴啥时候发" as a first message: an aspect of some measure, which one is not said
            return await ActionClarify().run(dispatcher, tracker, domain)
        language = reply_language(tracker)
        wording = messages(language)
        text = (wording["other_region"].format(region=place_name(region, language)) if region
                else wording["out_of_scope"])
        data = payload(OUT_OF_SCOPE, tracker=tracker)
        if region:
            data["other_region"] = region
        dispatcher.utter_message(text=text, json_message=data)
        return []


def place_name(region: str, language: str) -> str:
    """A place as written in a sentence: English names capitalised ("shanghai" → "Shanghai", "xi'an" → "Xi'an")."""
    if language != "en":
        return region
    return " ".join(word[:1].upper() + word[1:] for word in region.split())


class ActionChitchat(Action):
    """Small talk gets the assistant's introduction; a follow-up on the measure under discussion that the act
    classifier took for small talk ("那以后呢") is answered for that measure."""

    def name(self) -> str:
        return "action_chitchat"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        answered = answer_followup(dispatcher, tracker)
        if answered is not None:
            return answered
        dispatcher.utter_message(text=messages(reply_language(tracker))["chitchat"],
                                 json_message=payload(CHITCHAT, tracker=tracker))
        return []

"""Answers a policy question from the knowledge base: the plain summary, departments and the source."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    ANSWER,
    CLARIFY,
    FORM_NAME,
    current_topic,
    departments_sentence,
    facts_in_latest_message,
    kb,
    known_facts,
    messages,
    next_step_buttons,
    payload,
    reply_language,
    supporting_departments,
    topic_buttons,
    topic_in_message,
)
from actions.eligibility import send_verdict
from actions.fallback import likely_topics
from actions.feedback import feedback_buttons
from policy_kb.engine import NEED_MORE_INFO, evaluate, has_rules
from policy_kb.models import Topic
from policy_kb.parks import find_parks
from policy_kb.translations import department_name, topic_text

PARK_TOPICS = ("demonstration_parks", "university_science_parks")
COMMON_TOPICS = ["student_startup_social_insurance", "startup_guarantee_loan", "rural_returnee_startup",
                 "tax_incentives", "business_registration"]


def topic_answer_text(topic: Topic, user_text: str = "", language: str = "zh") -> str:
    """The full answer: summary, benefits, who, status notes, what the document does not say, departments."""
    wording = messages(language)["answer"]
    items, listed = messages(language)["item_separator"], messages(language)["list_separator"]
    text = topic_text(topic, language)
    lines = [wording["heading"].format(title=text.title, section=topic.section, section_title=text.section_title),
             text.summary]
    if topic.id in PARK_TOPICS and user_text:
        parks = find_parks(user_text, kb().parks)
        if parks:
            lines.append(wording["parks_found"])
            lines.extend(wording["park_line"].format(name=p.name, city=p.city, industries="、".join(p.industries))
                         for p in parks)
    if text.benefits:
        lines.append(wording["benefits"] + items.join(text.benefits))
    if text.who:
        lines.append(wording["who"] + items.join(text.who))
    lines.extend(wording["status_note"].format(note=note) for note in text.status_notes)
    if text.not_in_document:
        lines.append(wording["not_in_document"].format(items=listed.join(text.not_in_document)))
    lines.append(departments_sentence(topic, language))
    lines.append(wording["source"].format(citation=kb().document.citation, section=topic.section))
    return "\n".join(lines)


def asks_about_eligibility(text: str, language: str = "zh") -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in messages(language)["eligibility_markers"])


def leave_check_events(tracker: Tracker) -> list[EventType]:
    """Switching topic mid-check ends the check (the facts given so far are kept)."""
    if tracker.active_loop.get("name") == FORM_NAME:
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("requested_fact", None)]
    return []


class ActionAnswerTopic(Action):
    """Answers the topic the message names, else the topic being discussed (a follow-up such as "多少钱").

    With neither, it offers the likeliest topics. An eligibility-style question goes straight into the check.
    """

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        topic = current_topic(tracker)
        if topic is None:
            return ask_which_topic(dispatcher, tracker)
        return answer_topic(dispatcher, tracker, topic)


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, topic: Topic) -> list[EventType]:
    """The answer on ``topic`` with the facts of the message kept; a "do I qualify" question starts the check."""
    language = reply_language(tracker)
    events = leave_check_events(tracker) if topic_in_message(tracker) else []
    events.append(SlotSet("topic", topic.id))
    facts = {**known_facts(tracker), **facts_in_latest_message(tracker)}
    events.append(SlotSet("facts", facts))
    text = tracker.latest_message.get("text") or ""
    can_check = has_rules(topic.id)
    if can_check and asks_about_eligibility(text, language):
        result = evaluate(topic.id, facts)
        if result.verdict == NEED_MORE_INFO:
            dispatcher.utter_message(text=topic_text(topic, language).summary,
                                     json_message=payload(ANSWER, topic, tracker=tracker))
            return [*events, FollowupAction(FORM_NAME)]
        send_verdict(dispatcher, topic, result, tracker)
        return events
    buttons = [*next_step_buttons(topic, can_check, language), *feedback_buttons(language)]
    dispatcher.utter_message(text=topic_answer_text(topic, text, language), buttons=buttons,
                             json_message=payload(ANSWER, topic, tracker=tracker))
    return events


def ask_which_topic(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """No topic named and none under discussion: the likeliest topics as buttons, or a request to rephrase."""
    language = reply_language(tracker)
    wording = messages(language)["clarify"]
    choices = likely_topics(tracker) or COMMON_TOPICS
    buttons = [*topic_buttons(choices, language), {"title": wording["none_of_these"], "payload": "/out_of_scope"}]
    dispatcher.utter_message(text=wording["question"], buttons=buttons, json_message=payload(CLARIFY, tracker=tracker))
    return []


class ActionAnswerDepartment(Action):
    """Names the lead department and the others that share the work, with contact details when configured."""

    def name(self) -> str:
        return "action_answer_department"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        wording = messages(language)["department"]
        topic = current_topic(tracker)
        if topic is None:
            dispatcher.utter_message(text=wording["no_topic"],
                                     buttons=topic_buttons(COMMON_TOPICS, language, "ask_department"),
                                     json_message=payload(ANSWER, tracker=tracker))
            return []
        lead = kb().department(topic.lead_department)
        others = supporting_departments(topic, language)
        lead_full = lead.full if lead else topic.lead_department
        lines = [wording["answer"].format(
            title=topic_text(topic, language).title, lead=department_name(topic.lead_department, language),
            lead_full=lead_full, others_sentence=wording["others"].format(others=others) if others
            else wording["no_others"],
        )]
        contact = lead.contact if lead else None
        details = [value for value in (contact.phone, contact.address, contact.website, contact.office_hours)
                   if value] if contact else []
        if details:
            lines.append(wording["contact"].format(short=topic.lead_department, details="；".join(details)))
        else:
            lines.append(wording["no_contact"].format(lead=topic.lead_department))
        lines.append(wording["joint_meeting"])
        lines.append(messages(language)["answer"]["source"].format(citation=kb().document.citation,
                                                                   section=topic.section))
        dispatcher.utter_message(text="\n".join(lines), json_message=payload(ANSWER, topic, tracker=tracker))
        return [*leave_check_events(tracker), SlotSet("topic", topic.id)]


class ActionShowSource(Action):
    """Quotes the document's own sentences for the topic, with section and date."""

    def name(self) -> str:
        return "action_show_source"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        wording = messages(language)["source"]
        citation = kb().document.citation
        topic = current_topic(tracker)
        if topic is None:
            dispatcher.utter_message(text=wording["no_topic"].format(citation=citation),
                                     buttons=topic_buttons(COMMON_TOPICS, language, "show_source"),
                                     json_message=payload(ANSWER, tracker=tracker))
            return []
        text = topic_text(topic, language)
        lines = [wording["heading"].format(title=text.title, citation=citation, section=topic.section,
                                           section_title=text.section_title)]
        lines.extend(wording["quote"].format(quote=quote) for quote in topic.quotes)
        dispatcher.utter_message(text="\n".join(lines), json_message=payload(ANSWER, topic, tracker=tracker))
        return [*leave_check_events(tracker), SlotSet("topic", topic.id)]

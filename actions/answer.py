"""Answers a policy question from the knowledge base: the plain summary, departments and the source."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    ANSWER,
    FORM_NAME,
    current_topic,
    departments_sentence,
    facts_in_latest_message,
    kb,
    known_facts,
    messages,
    next_step_buttons,
    payload,
    topic_buttons,
)
from actions.eligibility import send_verdict
from actions.feedback import feedback_buttons
from policy_kb.engine import NEED_MORE_INFO, evaluate, has_rules
from policy_kb.models import Topic
from policy_kb.parks import find_parks

PARK_TOPICS = ("demonstration_parks", "university_science_parks")
COMMON_TOPICS = ["student_startup_social_insurance", "startup_guarantee_loan", "rural_returnee_startup",
                 "tax_incentives", "business_registration"]


def topic_answer_text(topic: Topic, user_text: str = "") -> str:
    """The full answer: summary, benefits, who, status notes, what the document does not say, departments."""
    wording = messages()["answer"]
    lines = [wording["heading"].format(title=topic.title, section=topic.section, section_title=topic.section_title),
             topic.summary]
    if topic.id in PARK_TOPICS and user_text:
        parks = find_parks(user_text, kb().parks)
        if parks:
            lines.append(wording["parks_found"])
            lines.extend(wording["park_line"].format(name=p.name, city=p.city, industries="、".join(p.industries))
                         for p in parks)
    if topic.benefits:
        lines.append(wording["benefits"] + "；".join(topic.benefits))
    if topic.who:
        lines.append(wording["who"] + "；".join(topic.who))
    lines.extend(wording["status_note"].format(note=note.note) for note in topic.status_notes)
    if topic.not_in_document:
        lines.append(wording["not_in_document"].format(items="、".join(topic.not_in_document)))
    lines.append(departments_sentence(topic))
    lines.append(wording["source"].format(citation=kb().document.citation, section=topic.section))
    return "\n".join(lines)


def asks_about_eligibility(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in messages()["eligibility_markers"])


def leave_check_events(tracker: Tracker) -> list[EventType]:
    """Switching topic mid-check ends the check (the facts given so far are kept)."""
    if tracker.active_loop.get("name") == FORM_NAME:
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("requested_fact", None)]
    return []


class ActionAnswerTopic(Action):
    """Answers the topic the NLU recognised; an eligibility-style question goes straight into the check."""

    def name(self) -> str:
        return "action_answer_topic"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        intent = tracker.latest_message.get("intent", {}).get("name")
        topic = kb().topics.get(intent)
        if topic is None:
            return []
        events = leave_check_events(tracker)
        events.append(SlotSet("topic", topic.id))
        facts = {**known_facts(tracker), **facts_in_latest_message(tracker)}
        events.append(SlotSet("facts", facts))
        text = tracker.latest_message.get("text") or ""
        can_check = has_rules(topic.id)
        if can_check and asks_about_eligibility(text):
            result = evaluate(topic.id, facts)
            if result.verdict == NEED_MORE_INFO:
                dispatcher.utter_message(text=topic.summary, json_message=payload(ANSWER, topic))
                return [*events, FollowupAction(FORM_NAME)]
            send_verdict(dispatcher, topic, result)
            return events
        buttons = [*next_step_buttons(topic, can_check), *feedback_buttons()]
        dispatcher.utter_message(text=topic_answer_text(topic, text), buttons=buttons,
                                 json_message=payload(ANSWER, topic))
        return events


class ActionAnswerDepartment(Action):
    """Names the lead department and the others that share the work, with contact details when configured."""

    def name(self) -> str:
        return "action_answer_department"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        wording = messages()["department"]
        topic = current_topic(tracker)
        if topic is None:
            dispatcher.utter_message(text=wording["no_topic"], buttons=topic_buttons(COMMON_TOPICS),
                                     json_message=payload(ANSWER))
            return []
        lead = kb().department(topic.lead_department)
        others = "、".join(topic.supporting_departments)
        lines = [wording["answer"].format(
            title=topic.title, lead=topic.lead_department, lead_full=lead.full if lead else topic.lead_department,
            others_sentence=wording["others"].format(others=others) if others else wording["no_others"],
        )]
        contact = lead.contact if lead else None
        details = [value for value in (contact.phone, contact.address, contact.website, contact.office_hours)
                   if value] if contact else []
        if details:
            lines.append(wording["contact"].format(short=topic.lead_department, details="；".join(details)))
        else:
            lines.append(wording["no_contact"].format(lead=topic.lead_department))
        lines.append(wording["joint_meeting"])
        lines.append(messages()["answer"]["source"].format(citation=kb().document.citation, section=topic.section))
        dispatcher.utter_message(text="\n".join(lines), json_message=payload(ANSWER, topic))
        return [*leave_check_events(tracker), SlotSet("topic", topic.id)]


class ActionShowSource(Action):
    """Quotes the document's own sentences for the topic, with section and date."""

    def name(self) -> str:
        return "action_show_source"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        wording = messages()["source"]
        citation = kb().document.citation
        topic = current_topic(tracker)
        if topic is None:
            dispatcher.utter_message(text=wording["no_topic"].format(citation=citation),
                                     buttons=topic_buttons(COMMON_TOPICS), json_message=payload(ANSWER))
            return []
        lines = [wording["heading"].format(title=topic.title, citation=citation, section=topic.section,
                                           section_title=topic.section_title)]
        lines.extend(wording["quote"].format(quote=quote) for quote in topic.quotes)
        dispatcher.utter_message(text="\n".join(lines), json_message=payload(ANSWER, topic))
        return [*leave_check_events(tracker), SlotSet("topic", topic.id)]

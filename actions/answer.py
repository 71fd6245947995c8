"""Answers a policy question from the knowledge base: the aspect asked, the departments, the source."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    ANSWER,
    CLARIFY,
    ELIGIBILITY,
    FORM_NAME,
    current_topic,
    department_in_message,
    facts_in_latest_message,
    intent_payload,
    kb,
    known_facts,
    last_reply,
    likely_topics,
    messages,
    next_step_buttons,
    payload,
    reply_language,
    says_any,
    topic_buttons,
    topic_in_message,
)
from actions.context import NAMED_CONFIDENCE, is_hypothetical, names_detail_of, topic_confidence, topic_of_turn
from actions.eligibility import (
    asks_about_eligibility,
    brief_replies,
    corrected_facts,
    evaluate_focus,
    send_verdict,
    situation_in_message,
)
from actions.feedback import feedback_buttons
from actions.replies import (
    FULL,
    LEVEL_DETAIL,
    LEVEL_FIRST,
    LEVEL_POINTER,
    OVERVIEW,
    card_data,
    department_reference,
    detail_answer,
    first_answer,
    hotline_sentence,
    plan_answer,
    pointer_answer,
    sms_detail_answer,
)
from nlu.aspects import aspect_topics
from policy_kb.engine import NEED_MORE_INFO, has_rules
from policy_kb.inference import merge_facts
from policy_kb.models import Topic
from policy_kb.translations import aspect_texts, topic_text

COMMON_TOPICS = ["student_startup_social_insurance", "startup_guarantee_loan", "rural_returnee_startup",
                 "tax_incentives", "business_registration"]


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
        topic = topic_of_turn(tracker)
        if topic is None or (asks_what_the_plan_is(tracker) and topic_confidence(tracker) < NAMED_CONFIDENCE):
            return ask_which_topic(dispatcher, tracker)  # "双创是啥意思": the plan's outline, not a guessed measure
        department = asks_a_named_departments_contact(tracker, topic)
        if department is not None:
            return answer_department_contact(dispatcher, tracker, department)
        return answer_topic(dispatcher, tracker, topic)


def answer_topic(dispatcher: CollectingDispatcher, tracker: Tracker, topic: Topic,
                 aspect: str | None = None) -> list[EventType]:
    """The answer on ``topic`` for the aspect asked, at the next level of detail when the same question comes again.

    The facts of the message are kept; a "do I qualify" question starts the check instead.
    """
    language = reply_language(tracker)
    named = topic_in_message(tracker)
    events = leave_check_events(tracker) if named is not None and named.id == topic.id else []
    events.append(SlotSet("topic", topic.id))
    if tracker.get_slot("topic") != topic.id:
        events.extend([SlotSet("rule", None), SlotSet("screening", False)])  # a new topic: no measure in focus yet
    known, stated = known_facts(tracker), facts_in_latest_message(tracker)
    text = tracker.latest_message.get("text") or ""
    if not stated and last_reply_was_verdict_on(tracker, topic) and asks_what_if(tracker):
        # "占35%呢" / "要是50个人呢" right after a verdict: the verdict with that number instead
        stated = corrected_facts(text, known)
    facts = merge_facts(known, stated)
    events.append(SlotSet("facts", facts))
    can_check = has_rules(topic.id)
    if can_check and ((asks_about_eligibility(text, language) and not asks_only_an_aspect(tracker))
                      or situation_in_message(tracker, topic)
                      or contradicts(known, stated)):
        result, rule_id = evaluate_focus(tracker, topic, facts)
        events.append(SlotSet("rule", rule_id))
        if result.verdict == NEED_MORE_INFO:
            if not brief_replies(tracker):  # SMS: straight to the question
                opening = aspect_first_answer(tracker, topic, language) or aspect_texts(topic, language).brief
                dispatcher.utter_message(text=opening, json_message=payload(ANSWER, topic, tracker=tracker))
            return [*events, FollowupAction(FORM_NAME)]
        send_verdict(dispatcher, topic, result, tracker, facts)
        return events
    aspect = aspect or requested_aspect(tracker)
    if aspect == FULL and can_check and last_reply_was_verdict_on(tracker, topic):
        # "详细" under a short SMS verdict: the whole verdict, each condition with its reason, and the source
        result, rule_id = evaluate_focus(tracker, topic, facts)
        if result.verdict != NEED_MORE_INFO:
            send_verdict(dispatcher, topic, result, tracker, facts, full=True)
            return [*events, SlotSet("rule", rule_id)]
    level = answer_level(tracker, topic, aspect)
    if level == LEVEL_FIRST:
        reply = first_answer(topic, aspect, language, text)
        steps = first_answer_buttons(topic, aspect, can_check, language)
    else:
        if level != LEVEL_DETAIL:
            reply = pointer_answer(topic, language)
        elif brief_replies(tracker) and aspect != FULL:  # SMS: the next level that fits; the whole card on request
            reply = sms_detail_answer(topic, aspect, language, text)
        else:
            reply = detail_answer(topic, aspect, language, text)
        steps = next_step_buttons(topic, can_check, language)
    buttons = [*steps, *feedback_buttons(language)]
    data = payload(ANSWER, topic, tracker=tracker)
    data.update({"aspect": aspect, "level": level, "card": card_data(topic, aspect, language)})
    dispatcher.utter_message(text=reply, buttons=buttons, json_message=data)
    shown = OVERVIEW if aspect == FULL else aspect
    return [*events, SlotSet("aspect", shown),
            SlotSet("last_answer", {"topic": topic.id, "aspect": aspect, "level": level})]


def last_reply_was_verdict_on(tracker: Tracker, topic: Topic) -> bool:
    """The assistant's last reply was a verdict on ``topic`` (its payload's kind and topic)."""
    event = last_reply(tracker)
    custom = ((event or {}).get("data") or {}).get("custom") or {}
    return custom.get("kind") == ELIGIBILITY and custom.get("topic") == topic.id


def asks_what_if(tracker: Tracker) -> bool:
    """"那X呢" / "要是…" holding a number: the same question with other circumstances."""
    text = tracker.latest_message.get("text") or ""
    reading = tracker.latest_message.get("aspect") or {}
    return any(character.isdigit() for character in text) and bool(reading.get("continuation") or is_hypothetical(
        tracker) or text.rstrip("?？。! ").endswith("呢"))


def contradicts(known: dict[str, object], stated: dict[str, object]) -> bool:
    """The message gives another value for a fact already known ("不是创投公司" after "我们创投企业…"): a
    correction, so the verdict is given again."""
    return any(name in known and known[name] != value for name, value in stated.items())


# Aspects that a "can I get it" question about: "能领几年" asks how long, "能贷多少" how much; "我能领吗" asks the
# verdict itself (no aspect), and "谁能领" who qualifies (the check answers it).
ASPECTS_BESIDE_A_VERDICT = ("amount", "time", "materials", "how_to_apply", "department", "contact", "validity",
                            "afterwards", "targets")


def aspect_first_answer(tracker: Tracker, topic: Topic, language: str) -> str | None:
    """The answer to the aspect a message asks beside its "can I get it" ("我是应届生 求职补贴能领多少": the amount,
    before the check's first question), or None when it asks no such aspect."""
    asked = requested_aspect(tracker)
    if asked not in ASPECTS_BESIDE_A_VERDICT:
        return None
    return first_answer(topic, asked, language, tracker.latest_message.get("text") or "")


def asks_only_an_aspect(tracker: Tracker) -> bool:
    """The message is nothing but an aspect question ("能领几年", "能贷多少"): its "能领"/"能贷" asks about that
    aspect of the measure, not for a verdict (after a verdict, the same verdict again would answer nothing)."""
    reading = tracker.latest_message.get("aspect") or {}
    return bool(reading.get("elliptical")) and reading.get("name") in ASPECTS_BESIDE_A_VERDICT


def requested_aspect(tracker: Tracker) -> str:
    """The aspect asked: a button's or the message's cue; for "那X呢" the one asked before; else an overview."""
    named = next(tracker.get_latest_entity_values("aspect"), None)
    if named:
        return str(named)
    reading = tracker.latest_message.get("aspect") or {}
    if reading.get("continuation") and tracker.get_slot("aspect"):
        return str(tracker.get_slot("aspect"))
    return OVERVIEW


def answer_level(tracker: Tracker, topic: Topic, aspect: str) -> int:
    """1 for a new question; the same question again gets the next level (2: the clause or full card, 3: where to
    ask), and after that the short answer again, so no text is ever sent twice in a row."""
    last = tracker.get_slot("last_answer") or {}
    if aspect == FULL:
        repeated = last.get("topic") == topic.id and last.get("aspect") == FULL
        return LEVEL_POINTER if repeated else LEVEL_DETAIL
    if last.get("topic") != topic.id or last.get("aspect") != aspect:
        return LEVEL_FIRST
    if (tracker.latest_message.get("aspect") or {}).get("continuation"):
        return LEVEL_FIRST  # "那版权呢" after the patents: the same aspect of another detail, a new question
    following = int(last.get("level") or LEVEL_FIRST) + 1
    return following if following <= LEVEL_POINTER else LEVEL_FIRST


def first_answer_buttons(topic: Topic, aspect: str, can_check: bool, language: str) -> list[dict[str, str]]:
    """The menu under a short answer: the full card first, then check, department, source."""
    labels = messages(language)["buttons"]
    # No topic in this payload: it must fit Telegram's 64-byte callback data, and it means, like typing "详细", the
    # measure under discussion.
    buttons = [{"title": labels["detail"], "payload": intent_payload("ask_policy", aspect=FULL)}]
    return [*buttons, *(button for button in next_step_buttons(topic, can_check, language)
                        if not (aspect == "department" and "ask_department" in button["payload"]))]


def ask_which_topic(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """No topic named and none under discussion: the plan's own targets or age when asked, else the likeliest
    topics (or the common ones) as buttons."""
    if answer_about_the_plan(dispatcher, tracker):
        return []
    offer_topics(dispatcher, tracker, likely_topics(tracker) or COMMON_TOPICS)
    return []


def offer_topics(dispatcher: CollectingDispatcher, tracker: Tracker, choices: list[str]) -> None:
    """ "Which of these did you mean?" with a button per topic and "none of these"."""
    language = reply_language(tracker)
    wording = messages(language)["clarify"]
    buttons = [*topic_buttons(choices, language), {"title": wording["none_of_these"], "payload": "/out_of_scope"}]
    dispatcher.utter_message(text=wording["question"], buttons=buttons, json_message=payload(CLARIFY, tracker=tracker))


def asks_what_the_plan_is(tracker: Tracker) -> bool:
    """"双创是啥意思", "这个方案讲的是啥", "What is this plan about?"."""
    return says_any(tracker.latest_message.get("text") or "", "plan_overview_words")


def answer_about_the_plan(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """ "到2020年要建多少" or "这个文件还管用吗" with no measure in view: answered for the whole plan."""
    aspect = requested_aspect(tracker)
    language = reply_language(tracker)
    said = tracker.latest_message.get("text") or ""
    text = plan_answer(aspect, language, says_any(said, "plan_words"), asks_what_the_plan_is(tracker))
    if text is None:
        return False
    dispatcher.utter_message(text=text, json_message={**payload(ANSWER, tracker=tracker), "aspect": aspect,
                                                      "section": kb().plan_targets.section
                                                      if aspect == "targets" else None})
    return True


class ActionAnswerDepartment(Action):
    """Names the lead department (and what it is today) and the others; a phone question gets what the document
    has (none) and where to ask, never a hand-off. Asked again, the full list with today's names."""

    def name(self) -> str:
        return "action_answer_department"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        wording = messages(language)["department"]
        topic = topic_of_turn(tracker)
        aspect = requested_aspect(tracker)
        named = department_in_message(tracker)
        if topic is not None and asks_a_named_departments_contact(tracker, topic) is not None:
            topic = None  # "the human resources department's phone": that department, not the joint meeting
        if named is not None and topic is not None and named in topic.departments and aspect == "contact":
            return [*leave_check_events(tracker), *answer_topic(dispatcher, tracker, topic, "contact")]
        if named is not None and (topic is None or (aspect == "contact" and topic_in_message(tracker) is None)):
            return answer_department_contact(dispatcher, tracker, named)
        if topic is None:
            dispatcher.utter_message(text=wording["no_topic"],
                                     buttons=topic_buttons(COMMON_TOPICS, language, "ask_department"),
                                     json_message=payload(ANSWER, tracker=tracker))
            return []
        if aspect not in ("contact", "how_to_apply"):  # "去哪办" is answered as how to apply, which names whom
            aspect = "department"
        return [*leave_check_events(tracker), *answer_topic(dispatcher, tracker, topic, aspect)]


def answer_department_contact(dispatcher: CollectingDispatcher, tracker: Tracker, named: str) -> list[EventType]:
    """A phone or address question about a department the message names: the document has none; where to ask."""
    language = reply_language(tracker)
    text = messages(language)["department"]["named_contact"].format(
        department=department_reference(named, language)) + hotline_sentence(language)
    dispatcher.utter_message(text=text, json_message={**payload(ANSWER, tracker=tracker), "aspect": "contact",
                                                      "department": named})
    return []


def asks_a_named_departments_contact(tracker: Tracker, topic: Topic) -> str | None:
    """The department whose contact the message asks for, when the topic is only the one that department questions
    stand for (the joint meeting: "the phone number of the human resources department"), else None."""
    named = department_in_message(tracker)
    if named is None or requested_aspect(tracker) != "contact" or aspect_topics().get("department") != topic.id:
        return None
    return None if names_detail_of(topic, tracker.latest_message.get("text") or "") else named


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
        if topic is None and answer_about_the_plan(dispatcher, tracker):
            return []
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

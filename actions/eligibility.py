"""The eligibility check: asks only the missing facts, one at a time, then gives the engine's verdict."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.common import (
    ANSWER,
    CHITCHAT,
    ELIGIBILITY,
    ENGLISH,
    FORM_NAME,
    MEASURE_QUESTION_ACTS,
    OUT_OF_SCOPE,
    asks_a_question,
    corrects,
    departments_sentence,
    facts_in_latest_message,
    intent_payload,
    kb,
    known_facts,
    last_reply_text,
    messages,
    payload,
    reply_language,
    says_any,
    topic_being_checked,
    topic_in_message,
)
from actions.context import (
    NAMED_CONFIDENCE,
    asks_about_something_else,
    measure_named,
    names_detail_of,
    topic_confidence,
)
from actions.feedback import feedback_buttons
from actions.replies import FULL, OVERVIEW, first_answer
from nlu.facts import interpret_answer
from policy_kb.engine import FAILED, MET, NEED_MORE_INFO, Evaluation, evaluate, has_rules, screen
from policy_kb.facts import FactError, validate_fact
from policy_kb.inference import merge_facts
from policy_kb.models import Topic
from policy_kb.rules import SIZE_FACTS, Rule, rules_for_topic
from policy_kb.sizing import size_standard
from policy_kb.translations import aspect_texts, department_name, localized_evaluation, topic_text

# Intents that leave the check when the message holds no answer: other rules handle them.
ASIDE = "__aside__"  # the message asks about the measure being checked: answered, then the pending question again
STAYING_INTENTS = {"inform", "affirm", "deny", "check_eligibility", "nlu_fallback"}
NOT_UNDERSTOOD = "__not_understood__"
UNCERTAIN = "__uncertain__"


def is_uncertain(text: str) -> bool:
    return says_any(text, "uncertain_answers")


_CHINESE_IN_BRACKETS = re.compile(r"\s*[(（][^)）]*[\u4e00-\u9fff][^)）]*[)）]")
# Channels whose users get the short verdict first (SMS: paid per segment, read on small phones).
BRIEF_VERDICT_CHANNELS = ("sms",)


def verdict_title(topic: Topic, result: Evaluation, language: str) -> str:
    """What a verdict is about: one measure of a topic with several (a procurement price deduction) by its own
    name, else the topic. ``result`` is already in ``language``."""
    single = len(result.rules) == 1 and len(rules_for_topic(topic.id)) > 1
    return result.rules[0].title if single else topic_text(topic, language).title


def brief_replies(tracker: Tracker | None) -> bool:
    """Whether this conversation's channel gets short verdicts, screenings and check starts (SMS)."""
    return tracker is not None and tracker.get_latest_input_channel() in BRIEF_VERDICT_CHANNELS


def verdict_text(topic: Topic, result: Evaluation, language: str = "zh") -> str:
    """The verdict, the reason for each condition, what would change it, departments and the source.

    For English users the frame is English; each condition keeps the document's Chinese words and reasons.
    """
    wording = messages(language)["eligibility"]
    result = localized_evaluation(result, language)
    lines = [wording[f"verdict_{result.verdict}"].format(title=verdict_title(topic, result, language))]
    several = len(result.rules) > 1
    for rule in result.rules:
        if several:
            lines.append(wording["rule_line"].format(rule_title=rule.title,
                                                     verdict=wording["verdict_words"][rule.verdict]))
        for condition in rule.conditions:
            key = {MET: "condition_met", FAILED: "condition_failed"}.get(condition.status, "condition_unknown")
            lines.append(wording[key].format(wording=condition.wording, explanation=condition.explanation))
        if rule.verdict == "eligible":
            lines.append(wording["benefit"].format(benefit=rule.benefit))
    lines.extend(wording["changes"].format(change=change) for change in result.what_would_change)
    answer = messages(language)["answer"]
    lines.extend(answer["status_note"].format(note=note) for note in topic_text(topic, language).status_notes)
    lines.append(departments_sentence(topic, language))
    lines.append(answer["source"].format(citation=kb().document.citation, section=topic.section))
    lines.append(wording["disclaimer"])
    return "\n".join(lines)


def verdict_brief(topic: Topic, result: Evaluation, language: str = "zh") -> str:
    """The verdict in one short SMS: the verdict, each failed condition with its reason (or how many conditions are
    met), and the lead department; the full verdict comes with "详细" (``verdict_text``)."""
    wording = messages(language)["eligibility"]
    result = localized_evaluation(result, language)
    lines = [wording[f"brief_{result.verdict}"].format(title=verdict_title(topic, result, language))]
    failed = [condition for rule in result.rules for condition in rule.conditions if condition.status == FAILED]
    if failed:  # the reason alone: it names the condition in plain words (the document's words come with 详细)
        lines.append(wording["brief_failed"].format(explanation=failed[0].explanation))
        if len(failed) > 1:
            lines.append(wording["brief_more_failed"].format(count=len(failed) - 1))
    else:
        met = sum(condition.status == MET for rule in result.rules for condition in rule.conditions)
        lines.append(wording["brief_all_met"].format(count=met))
    lead = department_name(topic.lead_department, language)
    if language == ENGLISH:  # the 2015 Chinese name in brackets would make the whole SMS UCS-2 (67 a segment)
        lead = _CHINESE_IN_BRACKETS.sub("", lead)
    lines.append(wording["brief_lead"].format(lead=lead))
    return "\n".join(lines)


def send_verdict(dispatcher: CollectingDispatcher, topic: Topic, result: Evaluation,
                 tracker: Tracker | None = None, facts: dict[str, object] | None = None,
                 full: bool = False) -> None:
    """The verdict with its buttons; the payload names each measure of the topic with its own verdict.

    An SMS user first gets ``verdict_brief`` (every SMS is paid and read on a small screen) and the whole verdict
    with "详细" (``full``); the payload always carries the whole text as ``detail``."""
    language = reply_language(tracker) if tracker is not None else "zh"
    labels = messages(language)["buttons"]
    buttons = [
        {"title": labels["department"], "payload": intent_payload("ask_department", topic=topic.id)},
        {"title": labels["source"], "payload": intent_payload("show_source", topic=topic.id)},
        *feedback_buttons(language),
    ]
    note = size_note(facts if facts is not None else known_facts(tracker) if tracker is not None else {}, language)
    detail = verdict_text(topic, result, language) + ("\n" + note if note else "")
    brief = not full and brief_replies(tracker)
    if brief:
        buttons.insert(0, {"title": labels["detail"], "payload": intent_payload("ask_policy", aspect=FULL)})
    data = payload(ELIGIBILITY, topic, result.verdict, tracker)
    data["rules"] = [{"rule": rule.rule_id, "verdict": rule.verdict} for rule in result.rules]
    decided = [rule for rule in result.rules if rule.verdict == result.verdict]
    data["rule"] = decided[0].rule_id if decided else result.rules[0].rule_id
    data["detail"] = detail
    text = verdict_brief(topic, result, language) if brief else detail
    if tracker is not None and not full and text == last_reply_text(tracker):
        # the same question again, nothing new: never the same text twice in a row
        text = messages(language)["eligibility"]["verdict_repeat"].format(
            title=verdict_title(topic, localized_evaluation(result, language), language),
            verdict=messages(language)["eligibility"]["verdict_words"][result.verdict])
    dispatcher.utter_message(text=text, buttons=buttons, json_message=data)


def size_note(facts: dict[str, object], language: str) -> str:
    """When the size band came from a head count: the national standard it was read with, and its source."""
    if facts.get("company_size") is not None or facts.get("employees") is None:
        return ""
    standard = size_standard()
    return messages(language)["eligibility"]["size_note"].format(
        employees=facts["employees"], standard=standard.title, source=standard.source.url,
        published=standard.source.published)


def situation_in_message(tracker: Tracker, topic: Topic | None = None) -> bool:
    """The message describes the person (in the first person, or with several facts) with facts that settle a
    condition of some measure, or of ``topic``'s measures; where they are aside. "科研人员离岗创业有什么政策" asks
    about a measure; "我在兰大财务处当会计 想离岗创业" describes someone."""
    stated = facts_in_latest_message(tracker)
    if not stated:
        return False
    discussed = topic_being_checked(tracker)
    if topic is None and discussed is not None and bears_on(stated, discussed, known_facts(tracker)):
        return True  # "不是低保户" after the job-search grant's verdict: more about the person
    text = (tracker.latest_message.get("text") or "").lower()
    first_person = says_any(text, "first_person")
    if not first_person and len(stated) < 2 and not corrects(text):
        return False
    return any(item.decided for item in screen(stated, topic=topic.id if topic is not None else None))


# How many earlier messages may name the measure of a check that starts without naming it ("Do small hotels get
# the 6-10% deduction?" then the hotel's figures).
EARLIER_MESSAGES_NAMING_A_MEASURE = 2


def focus_rule(tracker: Tracker, topic: Topic, facts: dict[str, object]) -> str | None:
    """For a topic with several measures, the one the person means: the one the message names (its cues in
    eligibility.yml), else the one being checked, else one named by the person's message just before, else the
    only one their facts bear on; None when unclear."""
    rules = rules_for_topic(topic.id)
    if len(rules) < 2:
        return None
    texts = user_texts(tracker, 1 + EARLIER_MESSAGES_NAMING_A_MEASURE)
    named = measure_named_in(texts[0] if texts else "", rules)
    if named:
        return named
    current = tracker.get_slot("rule")
    if current in {rule.id for rule in rules}:
        return str(current)
    for text in texts[1:]:
        named = measure_named_in(text, rules)
        if named:
            return named
    bearing = [item.rule_id for item in screen(facts, topic=topic.id) if item.decided]
    return bearing[0] if len(bearing) == 1 else None


def measure_named_in(text: str, rules: Sequence[Rule]) -> str | None:
    """The one measure of ``rules`` whose cues the text holds most, else None."""
    lowered = text.lower()
    scores = {rule.id: sum(str(cue).lower() in lowered for cue in kb().eligibility_texts[rule.id].get("cues") or ())
              for rule in rules}
    best = max(scores.values())
    return max(scores, key=lambda rule_id: scores[rule_id]) if best and list(scores.values()).count(best) == 1 else None


def user_texts(tracker: Tracker, count: int) -> list[str]:
    """The texts of the person's latest ``count`` messages, the latest first."""
    texts: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            texts.append(str(event.get("text") or ""))
            if len(texts) == count:
                break
    return texts


def evaluate_focus(tracker: Tracker, topic: Topic, facts: dict[str, object]) -> tuple[Evaluation, str | None]:
    """The evaluation of the measure in focus (or of the whole topic when none is), and that measure."""
    rule_id = focus_rule(tracker, topic, facts)
    return evaluate(topic.id, facts, rule_id=rule_id), rule_id


def answer_from_message(tracker: Tracker, requested_fact: str | None) -> dict[str, object]:
    """Every fact in the latest message: what the NLU extracted, a button's answer, or a short reply."""
    specs = kb().facts
    found = facts_in_latest_message(tracker)
    if not requested_fact or requested_fact in found or requested_fact not in specs:
        return found
    spec = specs[requested_fact]
    intent = tracker.latest_message.get("intent", {}).get("name")
    button_answer = next(tracker.get_latest_entity_values("answer"), None)
    text = tracker.latest_message.get("text") or ""
    if is_uncertain(text):
        return found
    if found and corrects(text):
        return found  # "不对 我是毕业六年" corrects that fact; it is no answer to the question pending
    if requested_fact in SIZE_FACTS and requested_fact != "company_size":
        band = interpret_answer(text, "company_size")  # "微型" to "how many people?": the band itself
        if band is not None:
            return {**found, "company_size": band}
    value: object | None = None
    if button_answer is not None and spec.type == "enum":
        value = button_answer
    else:
        value = interpret_answer(text, requested_fact)
        # A yes/no the extractor cannot read ("是滴", "木有", or the /affirm button) still answers a yes/no fact.
        if value is None and spec.type == "bool" and intent in ("affirm", "deny"):
            value = intent == "affirm"
    if value is None:
        return found
    with contextlib.suppress(FactError):  # an impossible value is simply not an answer: the form asks again
        found[requested_fact] = validate_fact(spec, value)
    return found


def asks_about_another_measure(tracker: Tracker) -> bool:
    """A question that clearly names a measure other than the one being checked: a "那X呢" ("那休学创业呢"
    during the social-insurance check), or a question in so many words ("我学妹想办休学，学籍会被注销吗"). It
    leaves the check even when its words also read as an answer ("休学", "大三": a student); an answer that
    merely sounds like another measure ("做有色金属冶炼加工的", the industry asked for) does not."""
    named, current = measure_named(tracker), topic_being_checked(tracker)
    if named is None or current is None or named.id == current.id:
        return False
    text = tracker.latest_message.get("text") or ""
    # "那社保补贴呢" names the other measure in its own words, however unsure the classifier is of it
    names_it = names_detail_of(named, text) and not names_detail_of(current, text)
    if topic_confidence(tracker) < NAMED_CONFIDENCE and not names_it:
        return False
    if (tracker.latest_message.get("aspect") or {}).get("continuation"):
        return True
    act = (tracker.latest_message.get("intent") or {}).get("name")
    # "那我们所的专利转给我自己的公司 收益咋分" read as an eligibility question: about the other measure too
    return act in (*MEASURE_QUESTION_ACTS, "check_eligibility") and asks_a_question(text, reply_language(tracker))


def asks_about_another_region(tracker: Tracker) -> bool:
    """An out-of-scope question about another region's measures ("上海那边怎么弄"), not an answer about the
    person."""
    act = (tracker.latest_message.get("intent") or {}).get("name")
    if act != "out_of_scope" or next(tracker.get_latest_entity_values("other_region"), None) is None:
        return False
    # "所在西宁 青海的" to "is your institute in Gansu?" states where; only a question asks about the region
    return asks_a_question(tracker.latest_message.get("text") or "", reply_language(tracker))


def asks_an_aspect_aside(tracker: Tracker, intent: str | None) -> bool:
    """During a check, a question about one aspect of the measure being checked ("最多能出去几年", "这个还管用不",
    "到点了公司还没做起来咋整"): no answer to the question pending, and no other measure named."""
    if intent != "ask_policy":
        return False
    named, current = topic_in_message(tracker), topic_being_checked(tracker)
    if current is None or (named is not None and named.id != current.id):
        return False
    aspect = (tracker.latest_message.get("aspect") or {}).get("name")
    return bool(aspect) and aspect not in (OVERVIEW, FULL)


class ValidateEligibilityForm(FormValidationAction):
    """Keeps the form asking while the engine needs more facts; merges every fact the user gives."""

    def name(self) -> str:
        return "validate_eligibility_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> list[str]:
        topic = topic_being_checked(tracker)
        if topic is None or not has_rules(topic.id):
            return []
        if evaluate(topic.id, known_facts(tracker), rule_id=tracker.get_slot("rule")).verdict != NEED_MORE_INFO:
            return []
        return domain_slots

    async def extract_fact_answer(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "fact_answer":
            return {}  # the form is just starting: nothing has been asked yet
        if asks_about_another_measure(tracker):
            return {}  # "那休学创业呢": the form rejects and the rules answer it, though "休学" reads as an answer
        if asks_about_another_region(tracker):
            return {}  # "How does Shanghai handle it?": out of scope, though "Shanghai" reads as not in Gansu
        if asks_about_something_else(tracker):
            return {}  # "How do I renew my work visa?": out of scope, though a work visa reads as no residence card
        found = answer_from_message(tracker, tracker.get_slot("requested_fact"))
        if found:
            return {"fact_answer": json.dumps(found, ensure_ascii=False)}
        if is_uncertain(tracker.latest_message.get("text") or ""):
            return {"fact_answer": UNCERTAIN}
        intent = tracker.latest_message.get("intent", {}).get("name")
        if asks_an_aspect_aside(tracker, intent):
            return {"fact_answer": ASIDE}  # "最多能出去几年" during the check: answered, then the question again
        # A policy question that names no new topic ("？？", "啥意思") is about the check in progress.
        if intent in STAYING_INTENTS or (intent == "ask_policy" and topic_in_message(tracker) is None):
            return {"fact_answer": NOT_UNDERSTOOD}
        return {}  # nothing answered and another intent: the form rejects and the rules take over

    def validate_fact_answer(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> dict[str, Any]:
        language = reply_language(tracker)
        wording = messages(language)["eligibility"]
        topic = topic_being_checked(tracker)
        if slot_value == ASIDE and topic is not None:
            aspect = str((tracker.latest_message.get("aspect") or {}).get("name") or OVERVIEW)
            dispatcher.utter_message(text=first_answer(topic, aspect, language, tracker.latest_message.get("text")
                                                       or ""))
            return {"fact_answer": None}
        if slot_value == NOT_UNDERSTOOD:
            dispatcher.utter_message(text=wording["not_understood"])
            return {"fact_answer": None}
        if slot_value == UNCERTAIN:
            topic = topic_being_checked(tracker)
            lead = topic.lead_department if topic else ""
            dispatcher.utter_message(text=wording["uncertain"].format(lead=lead))
            return {"fact_answer": None}
        facts = merge_facts(known_facts(tracker), json.loads(slot_value))
        return {"facts": facts, "fact_answer": None}


class ActionAskFactAnswer(Action):
    """Asks for the one fact the engine says can settle the verdict soonest, with quick replies."""

    def name(self) -> str:
        return "action_ask_fact_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        topic = topic_being_checked(tracker)
        if topic is None:
            return []
        language = reply_language(tracker)
        result = localized_evaluation(evaluate(topic.id, known_facts(tracker), rule_id=tracker.get_slot("rule")),
                                      language)
        if result.next_fact is None:
            return []
        lines = []
        if not tracker.get_slot("requested_fact"):
            start = messages(language)["eligibility"]["start_brief" if brief_replies(tracker) else "start"]
            lines.append(start.format(title=topic_text(topic, language).title))
        lines.append(result.next_question)
        aside = kind_answered_aside_this_turn(tracker)
        if aside is not None:
            # The turn's answer was "out of scope" or a thanks; the question still pending is a reminder, and the
            # turn's payload stays what it was (REST clients read the last one), with what is asked and for which
            # measure.
            data = {**payload(aside, None, None, tracker), "asking": result.next_fact, "checking": topic.id}
        else:
            data = {**payload(ELIGIBILITY, topic, result.verdict, tracker), "asking": result.next_fact}
        dispatcher.utter_message(text="\n".join(lines), buttons=option_buttons(result.next_options, language),
                                 json_message=data)
        return [SlotSet("requested_fact", result.next_fact)]


def kind_answered_aside_this_turn(tracker: Tracker) -> str | None:
    """OUT_OF_SCOPE or CHITCHAT when a reply of this turn (since the user's latest message) already answered the
    message as out of scope or as small talk (a thanks), else None."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return None
        custom = (event.get("data") or {}).get("custom") if event.get("event") == "bot" else None
        if isinstance(custom, dict) and custom.get("kind") in (OUT_OF_SCOPE, CHITCHAT):
            return str(custom["kind"])
    return None


def option_buttons(options: dict[str, str], language: str = "zh") -> list[dict[str, str]]:
    labels = messages(language)["buttons"]
    if set(options) == {"true", "false"}:
        buttons = [{"title": labels["affirm"], "payload": "/affirm"}, {"title": labels["deny"], "payload": "/deny"}]
    else:
        buttons = [{"title": label, "payload": intent_payload("inform", answer=value)}
                   for value, label in options.items()]
    return [*buttons, {"title": labels["stop"], "payload": "/stop"}]


class ActionEligibilityVerdict(Action):
    """Gives the verdict once the form has the facts it needs."""

    def name(self) -> str:
        return "action_eligibility_verdict"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        topic = topic_being_checked(tracker)
        if topic is not None and has_rules(topic.id):
            send_verdict(dispatcher, topic, evaluate(topic.id, known_facts(tracker), rule_id=tracker.get_slot("rule")),
                         tracker)
        return [SlotSet("requested_fact", None), SlotSet("fact_answer", None)]


class ActionStartCheck(Action):
    """Starts a check for the current topic, or says why there is nothing to check."""

    def name(self) -> str:
        return "action_start_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        language = reply_language(tracker)
        wording = messages(language)["eligibility"]
        facts = merge_facts(known_facts(tracker), facts_in_latest_message(tracker))
        events: list[EventType] = [SlotSet("facts", facts), SlotSet("requested_fact", None)]
        named = measure_named(tracker)
        topic = named or topic_being_checked(tracker)
        if (topic is not None and topic_confidence(tracker) < NAMED_CONFIDENCE and (has_rules(topic.id) or not named)
                and situation_in_message(tracker) and not situation_in_message(tracker, topic)
                and not asks_about_discussed(tracker, topic)
                and not names_detail_of(topic, tracker.latest_message.get("text") or "")):
            # The classifier's guess is not what the person's situation bears on: screen them all. A measure the
            # message clearly names ("the 2-3% price deduction for consortium bids", "孵化器专项基金") is checked
            # all the same, and one that sets no conditions ("想开个养殖场 能贷款不": the loans) is answered.
            topic = None
        if topic is None:  # "我能享受哪些政策": every measure, on what is known of the person
            from actions.screening import screen_situation

            return [*events, *screen_situation(dispatcher, tracker, facts)]
        events.append(SlotSet("topic", topic.id))
        if not has_rules(topic.id):  # what the document says of it, then that it sets no conditions to check
            no_rules = wording["no_rules"].format(title=topic_text(topic, language).title,
                                                  lead=department_name(topic.lead_department, language))
            dispatcher.utter_message(text=aspect_texts(topic, language).brief + "\n" + no_rules,
                                     json_message=payload(ELIGIBILITY, topic, tracker=tracker))
            return events
        result, rule_id = evaluate_focus(tracker, topic, facts)
        events.append(SlotSet("rule", rule_id))
        if result.verdict != NEED_MORE_INFO:
            send_verdict(dispatcher, topic, result, tracker, facts)
            return events
        answer_the_aspect_first(dispatcher, tracker, topic)
        return [*events, FollowupAction(FORM_NAME)]


def answer_the_aspect_first(dispatcher: CollectingDispatcher, tracker: Tracker, topic: Topic) -> None:
    """"我是应届生 家里低保 求职补贴能领多少": the amount (here, that the document gives none) before the check's
    first question; an SMS goes straight to the question."""
    from actions.answer import aspect_first_answer  # here: actions.answer imports this module

    if brief_replies(tracker):
        return
    opening = aspect_first_answer(tracker, topic, reply_language(tracker))
    if opening is not None:
        dispatcher.utter_message(text=opening, json_message=payload(ANSWER, topic, tracker=tracker))


class ActionStopCheck(Action):
    """Stops the check at the user's request; the facts given so far are kept for later checks."""

    def name(self) -> str:
        return "action_stop_check"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        dispatcher.utter_message(text=messages(reply_language(tracker))["eligibility"]["stopped"],
                                 json_message=payload(ELIGIBILITY, tracker=tracker))
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("requested_fact", None)]


class ActionTakeFacts(Action):
    """Facts given outside a check: remember them, then continue the screening or the current topic's check, answer
    a follow-up on the topic under discussion, or screen every measure on the situation."""

    def name(self) -> str:
        return "action_take_facts"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        from actions.answer import answer_topic  # here: actions.answer imports this module
        from actions.context import followup_topic
        from actions.screening import SCREENING, screen_situation

        language = reply_language(tracker)
        wording = messages(language)["eligibility"]
        screening = bool(tracker.get_slot(SCREENING))
        text = tracker.latest_message.get("text") or ""
        new_facts = answer_from_message(tracker, tracker.get_slot("requested_fact") if screening else None)
        if corrects(text):  # "说错了 是32%": the fact it corrects, read against what is known
            new_facts = {**corrected_facts(text, known_facts(tracker)), **new_facts}
        facts = merge_facts(known_facts(tracker), new_facts)
        events: list[EventType] = [SlotSet("facts", facts)]
        named = measure_named(tracker)
        current = topic_being_checked(tracker)
        if corrects(text) and new_facts and current is not None and has_rules(current.id):
            return [*events, *check_topic(dispatcher, tracker, current, facts)]  # the verdict, corrected
        if named is not None and has_rules(named.id) and new_facts and asks_about_eligibility(text, language):
            return [*events, *check_topic(dispatcher, tracker, named, facts)]  # facts and a measure: its verdict
        if current is not None and not screening and bears_on(new_facts, current, known_facts(tracker)):
            # More about the person while a measure is discussed ("我们是在甘肃备案的创投企业"): its verdict again.
            return [*events, *check_topic(dispatcher, tracker, current, facts)]
        if (named is not None and current is not None and named.id != current.id
                and topic_confidence(tracker) < NAMED_CONFIDENCE and not names_detail_of(named, text)):
            # "We make drilling equipment parts in Lanzhou" after the procurement answer, weakly read as the parks:
            # more about the person, for the measure under discussion
            named = None
        if named is not None and tracker.latest_message.get("intent", {}).get("name") == "inform" \
                and not screening:
            if has_rules(named.id) and bears_on(new_facts, named):
                return [*events, *check_topic(dispatcher, tracker, named, facts)]
            # A situation that points at a measure without conditions ("在广州打工八年 想回定西养羊"): answer it.
            return answer_topic(dispatcher, tracker, named)
        if screening and new_facts:
            return [*events, *screen_situation(dispatcher, tracker, facts)]
        topic = named or current
        if topic is not None and has_rules(topic.id) and new_facts and not screening:
            return [*events, *check_topic(dispatcher, tracker, topic, facts)]
        followup = followup_topic(tracker)
        if followup is not None:  # "那光伏的呢" after the parks: the same question about another detail
            return [*events, *answer_topic(dispatcher, tracker, followup)]
        if new_facts:
            return [*events, *screen_situation(dispatcher, tracker, facts)]
        dispatcher.utter_message(text=wording["nothing_to_do"], json_message=payload(ELIGIBILITY, tracker=tracker))
        return events


def asks_about_discussed(tracker: Tracker, topic: Topic) -> bool:
    """``topic`` is the measure under discussion and the message does not ask which measures fit: "俺没上过大学也能
    行不" after the youth loans asks about them."""
    if topic != topic_being_checked(tracker):
        return False
    return not says_any(tracker.latest_message.get("text") or "", "screening_markers", (reply_language(tracker),))


def bears_on(facts: dict[str, object], topic: Topic, known: dict[str, object] | None = None) -> bool:
    """Some of ``facts`` settle a condition of one of ``topic``'s measures (where the person is aside), alone or,
    with ``known``, together with what is known: "营收是六千五百万 不是六百五十万" from a wholesaler of 25 people
    changes its size band, though a revenue alone settles nothing."""
    if not facts:
        return False
    if any(item.decided for item in screen(facts, topic=topic.id)):
        return True
    if not known:
        return False
    before = [tuple(outcome.status for outcome in item.result.conditions) for item in screen(known, topic=topic.id)]
    after = [tuple(outcome.status for outcome in item.result.conditions)
             for item in screen(merge_facts(known, facts), topic=topic.id)]
    return before != after


def corrected_facts(text: str, known: dict[str, object]) -> dict[str, object]:
    """Known facts a correction gives a new value ("说错了 是32%" → the share); only numbers and choices: a yes/no or
    a free text is not guessed from a correction."""
    specs = kb().facts
    changed: dict[str, object] = {}
    for name, value in known.items():
        if name not in specs or specs[name].type not in ("int", "number", "enum"):
            continue
        new = interpret_answer(text, name)
        if new is not None and new != value:
            with contextlib.suppress(FactError):
                changed[name] = validate_fact(specs[name], new)
    return changed


def asks_about_eligibility(text: str, language: str) -> bool:
    return says_any(text, "eligibility_markers", (language,))


def check_topic(dispatcher: CollectingDispatcher, tracker: Tracker, topic: Topic,
                facts: dict[str, object]) -> list[EventType]:
    """The verdict on ``topic`` if the facts settle it, else its check (asking only what is missing)."""
    result, rule_id = evaluate_focus(tracker, topic, facts)
    events: list[EventType] = [SlotSet("topic", topic.id), SlotSet("screening", False), SlotSet("rule", rule_id)]
    if result.verdict != NEED_MORE_INFO:
        send_verdict(dispatcher, topic, result, tracker, facts)
        return events
    return [*events, SlotSet("requested_fact", None), FollowupAction(FORM_NAME)]

"""Screening by situation: a person who describes themselves without naming a measure ("我大前年毕业 在酒泉开了个
做测绘软件的公司") gets every measure their facts bear on — those that fit, those that may fit with the one question
that settles the most of them, those ruled out with the reason — or, when the facts point at one measure only, its
check straight away.
"""

from __future__ import annotations

from collections import Counter

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import ELIGIBILITY, FORM_NAME, describe_facts, kb, messages, payload, reply_language, topic_buttons
from actions.eligibility import brief_replies, evaluate_focus, option_buttons, send_verdict
from policy_kb.engine import (
    ELIGIBLE,
    FAILED,
    NEED_MORE_INFO,
    NOT_ELIGIBLE,
    Screened,
    question_for,
    screen,
)
from policy_kb.rules import ALL_RULES
from policy_kb.translations import localized_question, localized_rule

SHOWN_PER_GROUP = 3
SCREENING = "screening"  # slot: True while the answers of a screening come in


def bearing(facts: dict[str, object]) -> list[Screened]:
    """The measures the facts bear on, the most specific first (most conditions settled)."""
    return sorted((item for item in screen(facts) if item.decided), key=lambda item: -item.decided)


def settling_question(maybe: list[Screened]) -> str | None:
    """The unknown fact that the most undecided measures need (ties: the first measure's order)."""
    counts = Counter(fact for item in maybe for fact in item.missing)
    if not counts:
        return None
    best = max(counts.values())
    return next(fact for item in maybe for fact in item.missing if counts[fact] == best)


def screen_situation(dispatcher: CollectingDispatcher, tracker: Tracker,
                     facts: dict[str, object]) -> list[EventType]:
    """Screen every measure on ``facts`` and reply; one measure only → its check or verdict at once."""
    language = reply_language(tracker)
    wording = messages(language)["screening"]
    relevant = bearing(facts)
    topics = list(dict.fromkeys(item.topic for item in relevant))
    events: list[EventType] = [SlotSet("facts", facts)]
    if len(topics) == 1:  # the facts point at one measure: go straight to it
        topic = kb().topics[topics[0]]
        result, rule_id = evaluate_focus(tracker, topic, facts)
        events.extend([SlotSet("topic", topic.id), SlotSet("rule", rule_id)])
        if result.verdict == NEED_MORE_INFO:
            return [*events, SlotSet(SCREENING, False), SlotSet("requested_fact", None), FollowupAction(FORM_NAME)]
        send_verdict(dispatcher, topic, result, tracker, facts)
        return [*events, SlotSet(SCREENING, False)]
    fits = [item for item in relevant if item.result.verdict == ELIGIBLE]
    maybe = [item for item in relevant if item.result.verdict == NEED_MORE_INFO]
    ruled_out = [item for item in relevant if item.result.verdict == NOT_ELIGIBLE]
    lines = [wording["heading"].format(facts=describe_facts(facts, language)) if facts else wording["no_facts"]]
    lines.extend(wording["fits"].format(title=title(item, language), section=item.result.section)
                 for item in fits[:SHOWN_PER_GROUP])
    lines.extend(wording["maybe"].format(title=title(item, language)) for item in maybe[:SHOWN_PER_GROUP])
    lines.extend(wording["ruled_out"].format(title=title(item, language), reason=reason(item, language))
                 for item in ruled_out[:SHOWN_PER_GROUP])
    brief = bool(relevant) and brief_replies(tracker)
    if brief:  # SMS: the measures by name only, the ruled-out ones counted; the whole list is in the payload
        detail, lines = "\n".join(lines), brief_lines(fits, maybe, ruled_out, language)
    fact = settling_question(maybe[:SHOWN_PER_GROUP]) or settling_question(maybe)
    buttons = []
    if fact is not None:
        question, options = localized_question(fact, *question_for(fact), language)
        lines.append(question)
        buttons = option_buttons(options, language)
    elif fits:
        lines.append(wording["fits_next"])
    elif not relevant:  # nothing known yet: the measures that have conditions, to pick one
        buttons = topic_buttons(list(dict.fromkeys(rule.topic for rule in ALL_RULES)), language, "check_eligibility")
    else:  # every measure the facts bear on is ruled out ("I want to open a restaurant"): what is open to anyone
        lines.append(wording["none_fit"])
        buttons = topic_buttons(list(wording["open_to_any_business"]), language)
    focus = fits[0] if fits else (maybe[0] if maybe else None)
    data = payload(ELIGIBILITY, kb().topics[focus.topic] if focus else None,
                   focus.result.verdict if focus else None, tracker)
    data["rule"] = focus.rule_id if focus else None
    data["asking"] = fact
    data["screened"] = [{"rule": item.rule_id, "topic": item.topic, "verdict": item.result.verdict}
                        for item in relevant]
    data["detail"] = detail if brief else "\n".join(lines)
    dispatcher.utter_message(text="\n".join(lines), buttons=buttons, json_message=data)
    return [*events, SlotSet(SCREENING, fact is not None), SlotSet("requested_fact", fact)]


def brief_lines(fits: list[Screened], maybe: list[Screened], ruled_out: list[Screened], language: str) -> list[str]:
    """The screening in a few words for an SMS: which measures fit or may fit, and how many are ruled out."""
    wording = messages(language)["screening"]
    joiner = wording["brief_joiner"]
    lines = []
    if fits:
        lines.append(wording["brief_fits"].format(titles=joiner.join(title(item, language) for item in fits)))
    if maybe:
        lines.append(wording["brief_maybe"].format(
            titles=joiner.join(title(item, language) for item in maybe[:SHOWN_PER_GROUP])))
    if ruled_out:
        lines.append(wording["brief_ruled_out"].format(count=len(ruled_out)))
    return lines


def title(item: Screened, language: str) -> str:
    """The measure's name in the reply language."""
    return localized_rule(item.result, language)[0].title


def reason(item: Screened, language: str) -> str:
    """Why a measure is ruled out: the first failed condition's explanation, in the reply language."""
    rule, _ = localized_rule(item.result, language)
    return next(condition.explanation for condition in rule.conditions if condition.status == FAILED)

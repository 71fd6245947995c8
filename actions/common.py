"""What every action shares: the wording file, the knowledge base, the reply payload and the user's facts."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker

from nlu.facts import restated_facts
from nlu.facts.lexicon import english_industry_names
from policy_kb.facts import FactError, validate_fact
from policy_kb.loader import KnowledgeBase, get_knowledge_base
from policy_kb.models import Topic
from policy_kb.translations import department_name, english_department_words, english_facts, topic_text

MESSAGES_PATH = Path(__file__).with_name("messages.yml")
ENGLISH_MESSAGES_PATH = Path(__file__).with_name("messages.en.yml")
CHINESE = "zh"
ENGLISH = "en"

# Reply kinds, as in the machine-readable payload of every reply.
ANSWER = "answer"
ELIGIBILITY = "eligibility"
CLARIFY = "clarify"
OUT_OF_SCOPE = "out_of_scope"
CHITCHAT = "chitchat"
HANDOFF = "handoff"

FORM_NAME = "eligibility_form"
# Acts that ask about a measure (rather than answer the check's question or give facts).
MEASURE_QUESTION_ACTS = ("ask_policy", "ask_department", "show_source")

MAX_CHOICES = 3
# A topic this unlikely is not worth offering as a choice.
MIN_CHOICE_CONFIDENCE = 0.05


@functools.lru_cache(maxsize=2)
def messages(language: str = CHINESE) -> dict[str, Any]:
    """The wording file of a language (Chinese unless ``en``), read once."""
    path = ENGLISH_MESSAGES_PATH if language == ENGLISH else MESSAGES_PATH
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def says_any(text: str, words_key: str, languages: tuple[str, ...] = (CHINESE, ENGLISH)) -> bool:
    """``text`` (lower-cased) contains one of the words listed under ``words_key`` in the wording files of
    ``languages`` (both by default: people mix them)."""
    lowered = text.lower()
    return any(word in lowered for language in languages for word in messages(language)[words_key])


_CLAUSE_BREAK = re.compile(r"[\s,.!?;:，。！？；：、]+")


def asks_a_question(text: str, language: str) -> bool:
    """A question word anywhere, or a clause ending the way a Chinese question does ("能拿不", "还有没", "…呢")."""
    if says_any(text, "question_markers", (language,)):
        return True
    endings = tuple(messages(language)["question_endings"])
    return bool(endings) and any(clause.endswith(endings) for clause in _CLAUSE_BREAK.split(text.lower()) if clause)


def corrects(text: str) -> bool:
    """The message corrects something said before ("不对", "说错了", "其实是…", "sorry, I meant")."""
    return says_any(text, "correction_markers")


def reply_language(tracker: Tracker) -> str:
    """``en`` when the latest message (or, if it shows none, the conversation so far) is in English."""
    latest = next(tracker.get_latest_entity_values("language"), None)
    return ENGLISH if (latest or tracker.get_slot("language")) == ENGLISH else CHINESE


def kb() -> KnowledgeBase:
    return get_knowledge_base()


def payload(kind: str, topic: Topic | None = None, verdict: str | None = None,
            tracker: Tracker | None = None) -> dict[str, Any]:
    """The machine-readable part of a reply: channels, the CLI and the review console read it.

    With the tracker, it also carries what the NLU understood: the act and the topic with their confidences, and
    the reply language.
    """
    data: dict[str, Any] = {
        "topic": topic.id if topic else None,
        "kind": kind,
        "departments": list(topic.departments) if topic else [],
        "verdict": verdict,
        "section": topic.section if topic else None,
    }
    if tracker is not None:
        data.update(understanding(tracker))
    return data


def understanding(tracker: Tracker) -> dict[str, Any]:
    """The two axes of the latest message: act and topic, each with its confidence, and the reply language."""
    latest = tracker.latest_message or {}
    intent = latest.get("intent") or {}
    topic_entity = next((entity for entity in latest.get("entities") or [] if entity.get("entity") == "topic"), None)
    predicted = latest.get("topic") or {}
    return {
        "act": intent.get("name"),
        "act_confidence": intent.get("confidence"),
        "message_topic": topic_entity.get("value") if topic_entity else None,
        "topic_confidence": (topic_entity.get("confidence_entity", 1.0) if topic_entity
                             else predicted.get("confidence")),
        "language": reply_language(tracker),
    }


def last_reply(tracker: Tracker) -> dict[str, Any] | None:
    """The event of the assistant's last message in the conversation, if any."""
    return next((event for event in reversed(tracker.events) if event.get("event") == "bot"), None)


def last_reply_text(tracker: Tracker) -> str | None:
    """The text of the assistant's last message in the conversation, if any."""
    event = last_reply(tracker)
    return event.get("text") if event else None


def topic_in_message(tracker: Tracker) -> Topic | None:
    """The topic the latest message names (the topic classifier's entity, or a button's)."""
    topic_id = next(tracker.get_latest_entity_values("topic"), None)
    return kb().topics.get(topic_id) if topic_id else None


def intent_payload(intent: str, **entities: str) -> str:
    """A button payload that triggers ``intent`` with entities, e.g. /check_eligibility{"topic":"x"}."""
    if not entities:
        return f"/{intent}"
    pairs = ",".join(f'"{name}":"{value}"' for name, value in entities.items())
    return f"/{intent}{{{pairs}}}"


def next_step_buttons(topic: Topic, can_check: bool, language: str = CHINESE) -> list[dict[str, str]]:
    """Quick replies after an answer: check eligibility, which department, the original text."""
    labels = messages(language)["buttons"]
    buttons = []
    if can_check:
        buttons.append({"title": labels["check"], "payload": intent_payload("check_eligibility", topic=topic.id)})
    buttons.append({"title": labels["department"], "payload": intent_payload("ask_department", topic=topic.id)})
    buttons.append({"title": labels["source"], "payload": intent_payload("show_source", topic=topic.id)})
    return buttons


def topic_buttons(topic_ids: list[str], language: str = CHINESE, intent: str = "ask_policy") -> list[dict[str, str]]:
    """One button per topic, titled with the topic, that sends ``intent`` about it (by default: ask about it)."""
    topics = kb().topics
    return [{"title": topic_text(topics[topic_id], language).title,
             "payload": intent_payload(intent, topic=topic_id)} for topic_id in topic_ids]


def likely_topics(tracker: Tracker) -> list[str]:
    """The policy topics the topic classifier ranked highest for the latest message."""
    topics = kb().topics
    ranking = tracker.latest_message.get("topic_ranking") or []
    return [entry["name"] for entry in ranking
            if entry.get("name") in topics and entry.get("confidence", 0) >= MIN_CHOICE_CONFIDENCE][:MAX_CHOICES]


def current_topic(tracker: Tracker) -> Topic | None:
    """The topic of this turn: the one the message names first, else the one being discussed."""
    return topic_in_message(tracker) or topic_being_checked(tracker)


def topic_being_checked(tracker: Tracker) -> Topic | None:
    """The topic being discussed (the slot the actions set), which is the topic of a check in progress.

    During a check the topic classifier may see a measure in an answer ("在兰州开了个软件公司"); the check stays
    on its own topic (a message that asks about another measure leaves the check through the rules instead).
    """
    topic_id = tracker.get_slot("topic")
    return kb().topics.get(topic_id) if topic_id else None


def known_facts(tracker: Tracker) -> dict[str, object]:
    return dict(tracker.get_slot("facts") or {})


def facts_in_latest_message(tracker: Tracker) -> dict[str, object]:
    """Valid facts the NLU's FactExtractor found in the latest message (invalid ones are dropped)."""
    specs = kb().facts
    found: dict[str, object] = {}
    for entity in tracker.latest_message.get("entities", []):
        name = entity.get("entity")
        if name in specs:
            try:
                found[name] = validate_fact(specs[name], entity.get("value"))
            except FactError:
                continue
    text = tracker.latest_message.get("text") or ""
    if corrects(text):  # "我看错了 只占25%": a known fact restated in fewer words
        known = [name for name in known_facts(tracker) if name not in found]
        found.update(restated_facts(text, known))
    return found


def describe_facts(facts: dict[str, object], language: str = CHINESE) -> str:
    """Facts in words for the user, e.g. "学生身份：在校大学生（含研究生），在甘肃：是"."""
    specs = kb().facts
    english = english_facts() if language == ENGLISH else {}
    parts = []
    for name, value in facts.items():
        spec = specs[name]
        texts = english.get(name, {})
        if spec.type == "enum":
            shown = (texts.get("values") or spec.values).get(str(value), str(value))
        elif spec.type == "bool":
            shown = ("Yes" if value else "No") if language == ENGLISH else ("是" if value else "否")
        elif isinstance(value, float) and value.is_integer():
            shown = str(int(value))  # "90000", not "90000.0"
        elif name == "industry" and language == ENGLISH:
            shown = english_industry_names().get(str(value), str(value))  # "restaurant", not 餐馆
        else:
            shown = str(value)
        label = texts.get("label", spec.label)
        parts.append(f"{label}: {shown}" if language == ENGLISH else f"{label}：{shown}")
    return messages(language)["fact_separator"].join(parts)


def supporting_departments(topic: Topic, language: str = CHINESE) -> str:
    """The departments that share the work, in the document's order, as users should look for them."""
    return messages(language)["list_separator"].join(department_name(short, language)
                                                     for short in topic.supporting_departments)


def departments_sentence(topic: Topic, language: str = CHINESE) -> str:
    """"牵头部门：…；配合部门：…" in the document's order."""
    wording = messages(language)["answer"]
    lead = department_name(topic.lead_department, language)
    if topic.supporting_departments:
        return wording["departments"].format(lead=lead, others=supporting_departments(topic, language))
    return wording["departments_lead_only"].format(lead=lead)


def department_in_message(tracker: Tracker) -> str | None:
    """The 2015 short name of a department the message names ("人社厅电话多少" → 省人社厅), if any."""
    text = tracker.latest_message.get("text") or ""
    best: tuple[int, str] | None = None
    for department in kb().departments.values():
        for name in (department.short, department.full, *department.aliases):
            if name and name in text and (best is None or len(name) > best[0]):
                best = (len(name), department.short)
    lowered = text.lower()
    for short, names in english_department_words().items():  # "What's the phone of the tax bureau?"
        for name in names:
            if (best is None or len(name) > best[0]) and re.search(rf"\b{re.escape(name)}\b", lowered):
                best = (len(name), short)
    return best[1] if best else None

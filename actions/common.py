"""What every action shares: the wording file, the knowledge base, the reply payload and the user's facts."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from rasa_sdk import Tracker

from policy_kb.facts import FactError, validate_fact
from policy_kb.loader import KnowledgeBase, get_knowledge_base
from policy_kb.models import Topic

MESSAGES_PATH = Path(__file__).with_name("messages.yml")

# Reply kinds, as in the machine-readable payload of every reply.
ANSWER = "answer"
ELIGIBILITY = "eligibility"
CLARIFY = "clarify"
OUT_OF_SCOPE = "out_of_scope"
CHITCHAT = "chitchat"
HANDOFF = "handoff"

FORM_NAME = "eligibility_form"


@functools.lru_cache(maxsize=1)
def messages() -> dict[str, Any]:
    """The wording file, read once."""
    return yaml.safe_load(MESSAGES_PATH.read_text(encoding="utf-8"))


def kb() -> KnowledgeBase:
    return get_knowledge_base()


def payload(kind: str, topic: Topic | None = None, verdict: str | None = None) -> dict[str, Any]:
    """The machine-readable part of a reply: channels, the CLI and the review console read it."""
    return {
        "topic": topic.id if topic else None,
        "kind": kind,
        "departments": list(topic.departments) if topic else [],
        "verdict": verdict,
        "section": topic.section if topic else None,
    }


def intent_payload(intent: str, **entities: str) -> str:
    """A button payload that triggers ``intent`` with entities, e.g. /check_eligibility{"topic":"x"}."""
    if not entities:
        return f"/{intent}"
    pairs = ",".join(f'"{name}":"{value}"' for name, value in entities.items())
    return f"/{intent}{{{pairs}}}"


def next_step_buttons(topic: Topic, can_check: bool) -> list[dict[str, str]]:
    """Quick replies after an answer: check eligibility, which department, the original text."""
    labels = messages()["buttons"]
    buttons = []
    if can_check:
        buttons.append({"title": labels["check"], "payload": intent_payload("check_eligibility", topic=topic.id)})
    buttons.append({"title": labels["department"], "payload": intent_payload("ask_department", topic=topic.id)})
    buttons.append({"title": labels["source"], "payload": intent_payload("show_source", topic=topic.id)})
    return buttons


def topic_buttons(topic_ids: list[str]) -> list[dict[str, str]]:
    """One button per topic, which asks that topic directly."""
    topics = kb().topics
    return [{"title": topics[topic_id].title, "payload": f"/{topic_id}"} for topic_id in topic_ids]


def current_topic(tracker: Tracker) -> Topic | None:
    """The topic of this turn: a topic entity (from a button) first, else the last topic discussed."""
    topic_id = next(tracker.get_latest_entity_values("topic"), None) or tracker.get_slot("topic")
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
    return found


def describe_facts(facts: dict[str, object]) -> str:
    """Facts in words for the user, e.g. "学生身份：在校大学生（含研究生），在甘肃：是"."""
    specs = kb().facts
    parts = []
    for name, value in facts.items():
        spec = specs[name]
        if spec.type == "enum":
            shown = spec.values.get(str(value), str(value))
        elif spec.type == "bool":
            shown = "是" if value else "否"
        else:
            shown = str(value)
        parts.append(f"{spec.label}：{shown}")
    return messages()["fact_separator"].join(parts)


def departments_sentence(topic: Topic) -> str:
    """"牵头部门：…；配合部门：…" in the document's order."""
    wording = messages()["answer"]
    if topic.supporting_departments:
        return wording["departments"].format(lead=topic.lead_department,
                                             others="、".join(topic.supporting_departments))
    return wording["departments_lead_only"].format(lead=topic.lead_department)

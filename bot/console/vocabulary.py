"""What a reviewer may pick when correcting a turn: the acts (intents) of nlu/data and the knowledge base's topics."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from policy_kb.loader import get_knowledge_base

NLU_DATA_DIR = Path(__file__).resolve().parents[2] / "nlu" / "data"
ACT_FOLDER = "conversation"  # one file per act: nlu/data/conversation/<act>.yml
TOPIC_FOLDER = "topics"  # one file per topic, all acts: nlu/data/topics/<topic>.yml


@dataclass(frozen=True)
class TopicChoice:
    id: str
    title: str
    lead_department: str


@functools.lru_cache(maxsize=1)
def intent_files() -> dict[str, str]:
    """Each act (intent) of the training data and the file (relative to the project) its topic-less examples
    belong in."""
    files: dict[str, str] = {}
    for path in sorted((NLU_DATA_DIR / ACT_FOLDER).glob("*.yml")):
        with path.open(encoding="utf-8") as handle:
            document = yaml.safe_load(handle) or {}
        for block in document.get("nlu") or ():
            if "intent" in block:
                files.setdefault(str(block["intent"]), f"nlu/data/{ACT_FOLDER}/{path.name}")
    return files


def example_file(act: str, topic: str | None) -> str | None:
    """Where an example of ``act`` (and ``topic``, if any) belongs: its topic's file, else its act's file."""
    if topic:
        return f"nlu/data/{TOPIC_FOLDER}/{topic}.yml"
    return intent_files().get(act)


def known_intents() -> tuple[str, ...]:
    return tuple(intent_files())


def intent_groups() -> dict[str, tuple[str, ...]]:
    """The acts a reviewer may pick (the topic is picked separately)."""
    return {"conversation": known_intents()}


@functools.lru_cache(maxsize=1)
def known_topics() -> tuple[TopicChoice, ...]:
    return tuple(TopicChoice(topic.id, topic.title, topic.lead_department)
                 for topic in get_knowledge_base().topics.values())


def topic_titles() -> dict[str, str]:
    return {topic.id: topic.title for topic in known_topics()}


def lead_departments() -> dict[str, str]:
    return {topic.id: topic.lead_department for topic in known_topics()}

"""What a reviewer may pick when correcting a turn: the intents of nlu/data and the knowledge base's topics."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from policy_kb.loader import get_knowledge_base

NLU_DATA_DIR = Path(__file__).resolve().parents[2] / "nlu" / "data"
INTENT_FOLDERS = ("topics", "conversation")  # one file per intent: nlu/data/<folder>/<intent>.yml


@dataclass(frozen=True)
class TopicChoice:
    id: str
    title: str
    lead_department: str


@functools.lru_cache(maxsize=1)
def intent_files() -> dict[str, str]:
    """Each intent of the training data and the file (relative to the project) its examples belong in."""
    files: dict[str, str] = {}
    for folder in INTENT_FOLDERS:
        for path in sorted((NLU_DATA_DIR / folder).glob("*.yml")):
            with path.open(encoding="utf-8") as handle:
                document = yaml.safe_load(handle) or {}
            for block in document.get("nlu") or ():
                if "intent" in block:
                    files[str(block["intent"])] = f"nlu/data/{folder}/{path.name}"
    return files


def known_intents() -> tuple[str, ...]:
    return tuple(intent_files())


def intent_groups() -> dict[str, tuple[str, ...]]:
    """The intents by folder: "topics" (one per policy topic) and "conversation" (greet, out_of_scope …)."""
    return {folder: tuple(intent for intent, path in intent_files().items() if path.startswith(f"nlu/data/{folder}/"))
            for folder in INTENT_FOLDERS}


@functools.lru_cache(maxsize=1)
def known_topics() -> tuple[TopicChoice, ...]:
    return tuple(TopicChoice(topic.id, topic.title, topic.lead_department)
                 for topic in get_knowledge_base().topics.values())


def topic_titles() -> dict[str, str]:
    return {topic.id: topic.title for topic in known_topics()}


def lead_departments() -> dict[str, str]:
    return {topic.id: topic.lead_department for topic in known_topics()}

"""Button payloads ("/check_eligibility{"topic":"x"}") skip the NLU at confidence 1.0, so only the ones the
assistant's own buttons send are let through: a known act, known entity names, and values that exist (a topic of
the knowledge base, an aspect of the lexicon, an answer option of a fact). Anything else that starts with "/" is
read as text, so a typed "/intent{...}" cannot choose the act or smuggle a malformed value into the actions.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import yaml

from nlu.aspects import aspects
from policy_kb.loader import get_knowledge_base

DOMAIN_PATH = Path(__file__).resolve().parent.parent.parent / "domain.yml"
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?$", re.DOTALL)
FEEDBACK_VALUES = ("useful", "not_useful")


@functools.lru_cache(maxsize=1)
def allowed_values() -> dict[str, frozenset[str]]:
    """Entity name → the values a button of the assistant can carry."""
    kb = get_knowledge_base()
    answers = {value for spec in kb.facts.values() if spec.type == "enum" for value in spec.values}
    return {
        "topic": frozenset(kb.topics),
        "aspect": frozenset({*aspects(), "full"}),
        "answer": frozenset(answers),
        "feedback": frozenset(FEEDBACK_VALUES),
    }


@functools.lru_cache(maxsize=1)
def acts() -> frozenset[str]:
    domain = yaml.safe_load(DOMAIN_PATH.read_text(encoding="utf-8"))
    return frozenset(domain["intents"])


def is_accepted_payload(text: str) -> bool:
    """``text`` is a payload one of the assistant's buttons sends."""
    match = _PAYLOAD.match(text.strip())
    if match is None or match.group("intent") not in acts():
        return False
    if not match.group("entities"):
        return True
    try:
        entities = json.loads(match.group("entities"))
    except ValueError:
        return False
    allowed = allowed_values()
    return isinstance(entities, dict) and all(
        isinstance(value, str) and value in allowed.get(name, ()) for name, value in entities.items())


def as_user_text(text: str) -> str:
    """The message as the assistant should read it: an accepted payload as it is, any other "/..." as text."""
    stripped = text.lstrip()
    if not stripped.startswith("/") or is_accepted_payload(stripped):
        return text
    return stripped.lstrip("/") or text

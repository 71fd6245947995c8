"""The NLU data covers every topic, and the held-out files stay out of training."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.nlu_eval import read_examples
from nlu.normalize import normalize_text

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_DIR / "nlu" / "data"
HELDOUT_DIR = PROJECT_DIR / "tests" / "nlu"
CONVERSATION_INTENTS = {"greet", "goodbye", "thank", "ask_capabilities", "request_human", "check_eligibility",
                        "ask_department", "show_source", "stop", "affirm", "deny", "inform", "out_of_scope",
                        "feedback"}


def training_examples() -> list[tuple[str, str]]:
    return [pair for path in sorted(DATA_DIR.rglob("*.yml")) if "dialogue" not in path.parts
            for pair in read_examples(path)]


def _key(text: str) -> str:
    """Compare examples the way the classifier sees them, ignoring punctuation and spaces."""
    return "".join(ch for ch in normalize_text(text) if ch.isalnum())


def test_every_topic_has_at_least_40_examples(kb) -> None:
    counts: dict[str, int] = {}
    for _, intent in training_examples():
        counts[intent] = counts.get(intent, 0) + 1
    for topic_id in kb.topics:
        assert counts.get(topic_id, 0) >= 40, topic_id
    assert set(counts) == set(kb.topics) | CONVERSATION_INTENTS


def test_domain_lists_exactly_the_trained_intents(kb) -> None:
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) == set(kb.topics) | CONVERSATION_INTENTS
    assert set(kb.facts) <= set(domain["entities"])


def test_every_topic_has_its_answer_rule(kb) -> None:
    rules = yaml.safe_load((DATA_DIR / "dialogue" / "topic_rules.yml").read_text(encoding="utf-8"))["rules"]
    answered = {rule["steps"][0]["intent"] for rule in rules if rule["steps"][1]["action"] == "action_answer_topic"}
    assert answered == set(kb.topics)


def test_no_heldout_example_is_in_the_training_data() -> None:
    trained = {_key(text) for text, _ in training_examples()}
    leaked = [text for path in HELDOUT_DIR.glob("heldout_*.yml") for text, _ in read_examples(path)
              if _key(text) in trained]
    assert leaked == []


def test_typo_copies_match_their_heldout_files_line_by_line() -> None:
    for clean in HELDOUT_DIR.glob("heldout_*.yml"):
        if clean.stem.endswith("_typos"):
            continue
        typos = clean.with_name(f"{clean.stem}_typos.yml")
        original, typoed = read_examples(clean), read_examples(typos)
        assert [intent for _, intent in original] == [intent for _, intent in typoed], clean.name
        assert all(a != b for (a, _), (b, _) in zip(original, typoed, strict=True)), clean.name

"""The NLU data covers every topic on both axes (act and topic), and the held-out files stay out of training."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.nlu_eval import NO_TOPIC, read_examples, read_labelled
from nlu.normalize import normalize_text

PROJECT_DIR = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_DIR / "nlu" / "data"
DIALOGUES_DIR = Path(__file__).parent.parent / "dialogues"
HELDOUT_DIR = PROJECT_DIR / "tests" / "nlu"
ACTS = {"ask_policy", "greet", "goodbye", "thank", "chitchat", "ask_capabilities", "request_human",
        "check_eligibility", "ask_department", "show_source", "stop", "affirm", "deny", "inform", "out_of_scope",
        "feedback"}
TOPIC_ACTS = {"ask_policy", "ask_department", "check_eligibility", "inform", "show_source"}


def training_examples() -> list[tuple[str, str]]:
    return [pair for path in sorted(DATA_DIR.rglob("*.yml")) if "dialogue" not in path.parts
            for pair in read_examples(path)]


def _key(text: str) -> str:
    """Compare examples the way the classifier sees them, ignoring punctuation and spaces."""
    return "".join(ch for ch in normalize_text(text) if ch.isalnum())


def labelled_training_examples():
    return [example for path in sorted(DATA_DIR.rglob("*.yml")) if "dialogue" not in path.parts
            for example in read_labelled(path)]


def test_every_topic_has_at_least_80_varied_examples(kb) -> None:
    examples = labelled_training_examples()
    for topic_id in kb.topics:
        mine = [example for example in examples if example.topic == topic_id]
        assert len(mine) >= 80, topic_id
        assert {example.act for example in mine} >= {"ask_policy", "ask_department", "check_eligibility"}, topic_id
    assert {example.topic for example in examples} == set(kb.topics) | {NO_TOPIC}
    assert {example.act for example in examples} == ACTS
    assert {example.act for example in examples if example.topic != NO_TOPIC} <= TOPIC_ACTS


def test_no_example_is_labelled_twice() -> None:
    labels: dict[str, set[tuple[str, str]]] = {}
    for example in labelled_training_examples():
        # Emoji-only examples (👍 affirm, 👎 feedback) have no letters: compare them as written.
        labels.setdefault(_key(example.text) or normalize_text(example.text), set()).add((example.act,
                                                                                         example.topic))
    assert {text: found for text, found in labels.items() if len(found) > 1} == {}


def test_domain_lists_exactly_the_trained_acts(kb) -> None:
    domain = yaml.safe_load((PROJECT_DIR / "domain.yml").read_text(encoding="utf-8"))
    assert set(domain["intents"]) == ACTS
    assert set(kb.facts) | {"topic", "language", "other_region"} <= set(domain["entities"])


def test_a_policy_question_has_its_answer_rule() -> None:
    rules = yaml.safe_load((DATA_DIR / "dialogue" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    answered = {rule["steps"][0].get("intent") for rule in rules if rule["steps"][1].get("action") ==
                "action_answer_topic"}
    assert answered == {"ask_policy"}


def heldout_texts() -> list[str]:
    """Every held-out message: the NLU files, the aspect files and the follow-up conversations."""
    texts = [text for path in HELDOUT_DIR.glob("heldout_*.yml") for text, _ in read_examples(path)]
    for path in HELDOUT_DIR.glob("aspects_heldout_*.yml"):
        texts.extend(example["text"] for example in yaml.safe_load(path.read_text(encoding="utf-8"))["examples"])
    for path in DIALOGUES_DIR.glob("heldout_followups*.yml"):
        dialogues = yaml.safe_load(path.read_text(encoding="utf-8"))["dialogues"]
        texts.extend(turn["text"] for dialogue in dialogues for turn in dialogue["turns"])
    for path in DIALOGUES_DIR.glob("heldout_eligibility*.yml"):
        cases = yaml.safe_load(path.read_text(encoding="utf-8"))["conversations"]
        texts.extend(text for case in cases for text in case["user"])
    return texts


def test_no_heldout_example_is_in_the_training_data() -> None:
    trained = {_key(text) for text, _ in training_examples()}
    leaked = [text for text in heldout_texts() if _key(text) in trained]
    assert leaked == []


def test_typo_copies_match_their_heldout_files_line_by_line() -> None:
    for clean in HELDOUT_DIR.glob("heldout_*.yml"):
        if clean.stem.endswith("_typos"):
            continue
        typos = clean.with_name(f"{clean.stem}_typos.yml")
        original, typoed = read_labelled(clean), read_labelled(typos)
        assert [(e.act, e.topic) for e in original] == [(e.act, e.topic) for e in typoed], clean.name
        same = [a.text for a, b in zip(original, typoed, strict=True) if a.text == b.text]
        assert len(same) <= len(original) // 20, (clean.name, same)

"""``chuangye nlu-eval``: how well a trained model reads held-out files (never used for training), on both axes.

Each held-out example carries the act (its block's intent) and the topic (its block's ``metadata: {topic: …}``,
else none). Reported per file: act accuracy; topic accuracy on the examples that have a topic (the right topic,
and the message not sent out of scope or back to the user as "which topic?"); out-of-scope recall; the share of
policy questions called out of scope; and the topic accuracy of the English examples.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nlu.language import ENGLISH, detect_language

FALLBACK = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
NO_TOPIC = "none"


@dataclass(frozen=True)
class Example:
    text: str
    act: str
    topic: str  # a topic id, or "none"

    @property
    def flat_label(self) -> str:
        """One label per example, as a single flat intent list would have it (the topic, else the act)."""
        return self.topic if self.topic != NO_TOPIC else self.act


@dataclass(frozen=True)
class Prediction:
    act: str
    topic: str  # the topic entity's value, or "none"


@dataclass
class Report:
    """Counts and scores for one held-out file."""

    name: str
    total: int = 0
    act_correct: int = 0
    fallback: int = 0
    topic_total: int = 0
    topic_correct: int = 0
    topic_to_out_of_scope: int = 0
    out_of_scope_total: int = 0
    out_of_scope_found: int = 0
    english_topic_total: int = 0
    english_topic_correct: int = 0
    confusions: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, example: Example, predicted: Prediction) -> None:
        self.total += 1
        self.act_correct += predicted.act == example.act
        self.fallback += predicted.act == FALLBACK
        if example.act == OUT_OF_SCOPE:
            self.out_of_scope_total += 1
            self.out_of_scope_found += predicted.act == OUT_OF_SCOPE
        if predicted.act != example.act:
            self.confusions[(f"act {example.act}", predicted.act)] += 1
        if example.topic == NO_TOPIC:
            return
        self.topic_total += 1
        answered = predicted.act not in (OUT_OF_SCOPE, FALLBACK)
        right = answered and predicted.topic == example.topic
        self.topic_correct += right
        self.topic_to_out_of_scope += predicted.act == OUT_OF_SCOPE
        if detect_language(example.text) == ENGLISH:
            self.english_topic_total += 1
            self.english_topic_correct += right
        if not right:
            self.confusions[(example.topic, predicted.topic if answered else predicted.act)] += 1

    @staticmethod
    def _share(part: int, whole: int) -> float:
        return round(part / whole, 4) if whole else 0.0

    def as_json(self) -> dict:
        return {
            "file": self.name, "examples": self.total, "topic_examples": self.topic_total,
            "act_accuracy": self._share(self.act_correct, self.total),
            "topic_accuracy": self._share(self.topic_correct, self.topic_total),
            "out_of_scope_recall": self._share(self.out_of_scope_found, self.out_of_scope_total),
            "policy_to_out_of_scope": self._share(self.topic_to_out_of_scope, self.topic_total),
            "english_topic_accuracy": self._share(self.english_topic_correct, self.english_topic_total),
            "english_topic_examples": self.english_topic_total,
            "fallback_rate": self._share(self.fallback, self.total),
            "ms_per_message": round(1000 * self.seconds / self.total, 2) if self.total else 0.0,
            "top_confusions": [f"{e} → {p}: {n}" for (e, p), n in self.confusions.most_common(8)],
        }


def read_labelled(path: Path) -> list[Example]:
    """The examples of a Rasa NLU YAML file with their act and topic."""
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    examples = []
    for block in record.get("nlu", []):
        if "intent" not in block:
            continue
        topic = str((block.get("metadata") or {}).get("topic") or NO_TOPIC)
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip()
            if text.startswith("- "):
                examples.append(Example(text[2:].strip(), str(block["intent"]), topic))
    return examples


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(text, flat label) pairs of a Rasa NLU YAML file: the topic where there is one, else the act."""
    return [(example.text, example.flat_label) for example in read_labelled(path)]


def score(name: str, examples: Iterable[Example], predict: Callable[[str], Prediction]) -> Report:
    report = Report(name)
    started = time.perf_counter()
    for example in examples:
        report.add(example, predict(example.text))
    report.seconds = time.perf_counter() - started
    return report


def prediction_from_parse(parsed: dict) -> Prediction:
    topic = next((entity.get("value") for entity in parsed.get("entities") or [] if entity.get("entity") == "topic"),
                 None)
    return Prediction(parsed["intent"]["name"], str(topic or NO_TOPIC))


def model_predictor(model_path: Path) -> Callable[[str], Prediction]:
    """Act and topic of a text according to the trained model (including the FallbackClassifier)."""
    from bot.assistant import quiet_libraries

    quiet_libraries()
    from rasa.core.agent import Agent

    from bot.performance import install

    install()
    with contextlib.redirect_stdout(sys.stderr):
        agent = Agent.load(str(model_path))
    loop = asyncio.new_event_loop()

    def predict(text: str) -> Prediction:
        return prediction_from_parse(loop.run_until_complete(agent.parse_message(text)))

    return predict


def run(model_path: Path, files: list[Path], as_json: bool) -> int:
    predict = model_predictor(model_path)
    reports = [score(path.name, read_labelled(path), predict) for path in files]
    clean = [path for path in files if not path.stem.endswith("_typos")]
    typos = [path for path in files if path.stem.endswith("_typos")]
    for label, group in (("ALL held-out", clean), ("ALL held-out, typo'd copy", typos)):
        if len(group) > 1:
            reports.append(score(label, (example for path in group for example in read_labelled(path)), predict))
    if as_json:
        print(json.dumps([report.as_json() for report in reports], ensure_ascii=False, indent=2))
        return 0
    print(f"{'file':<36} {'n':>5} {'act':>6} {'topic':>6} {'oos_rec':>7} {'pol→oos':>7} {'en_top':>6} "
          f"{'fallbk':>6} {'ms':>5}")
    for report in reports:
        row = report.as_json()
        print(f"{row['file']:<36} {row['examples']:>5} {row['act_accuracy']:>6.3f} {row['topic_accuracy']:>6.3f} "
              f"{row['out_of_scope_recall']:>7.3f} {row['policy_to_out_of_scope']:>7.3f} "
              f"{row['english_topic_accuracy']:>6.3f} {row['fallback_rate']:>6.3f} {row['ms_per_message']:>5.1f}")
        for confusion in row["top_confusions"]:
            print(f"    {confusion}")
    return 0

"""``chuangye nlu-eval``: intent accuracy of a trained model on held-out files (never used for training)."""

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

FALLBACK = "nlu_fallback"


@dataclass
class Report:
    """Counts and scores for one held-out file."""

    name: str
    total: int = 0
    correct: int = 0
    fallback: int = 0  # the assistant asks which topic was meant: not wrong, not right
    confusions: Counter = field(default_factory=Counter)  # (expected, predicted) for wrong answers
    per_intent: dict[str, Counter] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def accuracy(self) -> float:
        return self.correct / self.total if self.total else 0.0

    @property
    def wrong(self) -> int:
        return self.total - self.correct - self.fallback

    def macro_f1(self) -> float:
        scores = []
        for counts in self.per_intent.values():
            precision_base = counts["tp"] + counts["fp"]
            recall_base = counts["tp"] + counts["fn"]
            precision = counts["tp"] / precision_base if precision_base else 0.0
            recall = counts["tp"] / recall_base if recall_base else 0.0
            scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
        return sum(scores) / len(scores) if scores else 0.0

    def recall(self, intent: str) -> float:
        counts = self.per_intent.get(intent, Counter())
        base = counts["tp"] + counts["fn"]
        return counts["tp"] / base if base else 0.0

    def as_json(self) -> dict:
        return {
            "file": self.name, "examples": self.total, "accuracy": round(self.accuracy, 4),
            "fallback_rate": round(self.fallback / self.total, 4) if self.total else 0.0,
            "wrong_rate": round(self.wrong / self.total, 4) if self.total else 0.0,
            "macro_f1": round(self.macro_f1(), 4), "out_of_scope_recall": round(self.recall("out_of_scope"), 4),
            "ms_per_message": round(1000 * self.seconds / self.total, 2) if self.total else 0.0,
            "top_confusions": [f"{e} → {p}: {n}" for (e, p), n in self.confusions.most_common(8)],
        }


def read_examples(path: Path) -> list[tuple[str, str]]:
    """(text, intent) pairs of a Rasa NLU YAML file."""
    record = yaml.safe_load(path.read_text(encoding="utf-8"))
    pairs = []
    for block in record.get("nlu", []):
        for line in str(block.get("examples", "")).splitlines():
            text = line.strip()
            if text.startswith("- "):
                pairs.append((text[2:].strip(), block["intent"]))
    return pairs


def score(name: str, examples: Iterable[tuple[str, str]], predict: Callable[[str], str]) -> Report:
    report = Report(name)
    started = time.perf_counter()
    for text, expected in examples:
        predicted = predict(text)
        report.total += 1
        report.per_intent.setdefault(expected, Counter())
        if predicted == expected:
            report.correct += 1
            report.per_intent[expected]["tp"] += 1
            continue
        report.per_intent[expected]["fn"] += 1
        if predicted == FALLBACK:
            report.fallback += 1
        else:
            report.per_intent.setdefault(predicted, Counter())["fp"] += 1
            report.confusions[(expected, predicted)] += 1
    report.seconds = time.perf_counter() - started
    return report


def model_predictor(model_path: Path) -> Callable[[str], str]:
    """Intent of a text according to the trained model (including the FallbackClassifier)."""
    from bot.assistant import quiet_libraries

    quiet_libraries()
    from rasa.core.agent import Agent

    from bot.performance import install

    install()
    with contextlib.redirect_stdout(sys.stderr):
        agent = Agent.load(str(model_path))
    loop = asyncio.new_event_loop()

    def predict(text: str) -> str:
        parsed = loop.run_until_complete(agent.parse_message(text))
        return parsed["intent"]["name"]

    return predict


def run(model_path: Path, files: list[Path], as_json: bool) -> int:
    predict = model_predictor(model_path)
    reports = [score(path.name, read_examples(path), predict) for path in files]
    clean = [path for path in files if not path.stem.endswith("_typos")]
    typos = [path for path in files if path.stem.endswith("_typos")]
    for label, group in (("ALL held-out", clean), ("ALL held-out, typo'd copy", typos)):
        if len(group) > 1:
            reports.append(score(label, (pair for path in group for pair in read_examples(path)), predict))
    if as_json:
        print(json.dumps([report.as_json() for report in reports], ensure_ascii=False, indent=2))
        return 0
    print(f"{'file':<36} {'n':>5} {'acc':>6} {'fallbk':>6} {'wrong':>6} {'macroF1':>7} {'oos_rec':>7} {'ms':>6}")
    for report in reports:
        row = report.as_json()
        print(f"{row['file']:<36} {row['examples']:>5} {row['accuracy']:>6.3f} {row['fallback_rate']:>6.3f} "
              f"{row['wrong_rate']:>6.3f} {row['macro_f1']:>7.3f} {row['out_of_scope_recall']:>7.3f} "
              f"{row['ms_per_message']:>6.1f}")
        for confusion in row["top_confusions"]:
            print(f"    {confusion}")
    return 0

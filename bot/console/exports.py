"""Exports: reviewers' corrections as Rasa NLU YAML, and turns as CSV or JSON lines."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterable
from pathlib import Path

import yaml

from bot.console.turn_queries import corrections
from bot.console.vocabulary import NLU_DATA_DIR, example_file
from policy_kb.loader import get_knowledge_base

PROJECT_DIR = Path(__file__).resolve().parents[2]
HELDOUT_GLOB = "tests/nlu/heldout_*.yml"  # tests forbid training on these; absent in a deployment

EXPORT_COLUMNS = (
    "id", "timestamp", "channel", "sender_hash", "user_text", "intent", "confidence", "topic", "kind", "verdict",
    "departments", "reply_text", "handoff_requested", "feedback", "review_status", "corrected_intent",
    "corrected_topic", "corrected_by", "corrected_at",
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def example_text(user_text: str) -> str:
    """One training example line: single-spaced, no control characters, and ASCII brackets made full-width
    so a message such as "[x](y)" is not read as Rasa entity markup (the pipeline's NFKC step undoes it)."""
    text = " ".join(_CONTROL.sub(" ", user_text).split())
    return text.replace("[", "［").replace("]", "］")


def label(act: str, topic: str | None) -> str:
    """An example's two labels in one string, e.g. "ask_department (tax_incentives)" or "greet"."""
    return f"{act} ({topic})" if topic else act


def _examples_of(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle) or {}
    found: dict[str, str] = {}
    for block in document.get("nlu") or ():
        topic = (block.get("metadata") or {}).get("topic")
        for line in str(block.get("examples") or "").splitlines():
            if line.strip().startswith("- "):
                found[line.strip()[2:].strip()] = label(str(block.get("intent")), topic)
    return found


def corrected_labels(correction: dict) -> tuple[str, str | None]:
    """The act and topic a reviewer chose. A correction stored before acts and topics were separate names a
    topic as its intent: that is a policy question about the topic."""
    act, topic = correction["corrected_intent"], correction.get("corrected_topic")
    if act in get_knowledge_base().topics:
        return "ask_policy", act
    return act, topic


def existing_examples() -> tuple[dict[str, str], set[str]]:
    """The training examples (text → intent) and the held-out test texts that must stay out of training."""
    training: dict[str, str] = {}
    for path in sorted(NLU_DATA_DIR.glob("**/*.yml")):
        training.update(_examples_of(path))
    heldout: set[str] = set()
    for path in sorted(PROJECT_DIR.glob(HELDOUT_GLOB)):
        heldout.update(_examples_of(path))
    return training, heldout


def nlu_yaml(corrections: Iterable[dict], training: dict[str, str], heldout: set[str]) -> str:
    """Rasa NLU YAML (version 3.1) with one block per corrected act and topic, ready to merge into nlu/data.

    The latest correction of a text wins; texts already in the training data or in the held-out test files
    are left out and listed in comments, so merging never creates duplicates or conflicts.
    """
    latest: dict[str, tuple[str, str | None]] = {}
    for correction in corrections:
        text = example_text(correction.get("user_text") or "")
        if text:
            latest.pop(text, None)  # keep the order of the latest correction
            latest[text] = corrected_labels(correction)
    by_labels: dict[tuple[str, str], list[str]] = {}
    skipped: list[str] = []
    for text, (act, topic) in latest.items():
        if text in training:
            same = training[text] == label(act, topic)
            skipped.append(f"{'already in' if same else 'conflicts with'} training data ({training[text]}): {text}")
        elif text in heldout:
            skipped.append(f"in a held-out test file: {text}")
        else:
            by_labels.setdefault((act, topic or ""), []).append(text)
    lines = [
        f"# Reviewers' corrections exported {dt.datetime.now(dt.timezone.utc):%Y-%m-%dT%H:%M:%SZ}: "
        f"{sum(len(texts) for texts in by_labels.values())} examples, {len(by_labels)} blocks.",
        'version: "3.1"',
    ]
    lines += [f"# skipped, {_comment(reason)}" for reason in skipped]
    if not by_labels:
        lines.append("nlu: []")
        return "\n".join(lines) + "\n"
    lines.append("nlu:")
    for act, topic in sorted(by_labels):
        lines.append(f"# merge into {example_file(act, topic or None) or 'a new file under nlu/data/'}")
        lines.append(f"- intent: {act}")
        if topic:
            lines += ["  metadata:", f"    topic: {topic}"]
        lines.append("  examples: |")
        lines += [f"    - {text}" for text in by_labels[(act, topic)]]
    return "\n".join(lines) + "\n"


def nlu_export(database_url: str) -> tuple[str, int]:
    """The NLU YAML of every stored correction, and how many corrections it was made from."""
    rows = corrections(database_url)
    training, heldout = existing_examples()
    return nlu_yaml(rows, training, heldout), len(rows)


def _comment(text: str) -> str:
    return " ".join(text.split())


def export_record(turn: dict, timezone: dt.timezone) -> dict:
    """A turn as exported: times in ISO 8601 with the console's offset, departments as a list."""
    record = {column: turn.get(column) for column in EXPORT_COLUMNS}
    for column in ("timestamp", "corrected_at"):
        if record[column] is not None:
            record[column] = record[column].astimezone(timezone).isoformat()
    record["handoff_requested"] = bool(record["handoff_requested"])
    record["departments"] = list(turn.get("departments") or [])
    return record


def jsonl_lines(turns: Iterable[dict], timezone: dt.timezone) -> str:
    return "".join(json.dumps(export_record(turn, timezone), ensure_ascii=False) + "\n" for turn in turns)


def _csv_cell(value: object) -> object:
    # A cell starting with = + - @ would run as a formula in Excel or WPS: users wrote these texts.
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _csv_text(rows: Iterable[Iterable[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def csv_header() -> str:
    # The byte-order mark makes Excel and WPS read the UTF-8 Chinese text correctly.
    return "\ufeff" + _csv_text([EXPORT_COLUMNS])


def csv_rows(turns: Iterable[dict], timezone: dt.timezone) -> str:
    rows = []
    for turn in turns:
        record = export_record(turn, timezone)
        record["departments"] = "、".join(record["departments"])
        rows.append([_csv_cell(record[column]) for column in EXPORT_COLUMNS])
    return _csv_text(rows)

"""Regression floors for intent accuracy on the held-out files (figures: `make nlu-eval`, README).

The floors sit below the measured figures; they catch a broken pipeline or data change, not noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu_eval import read_examples, score

HELDOUT_DIR = Path(__file__).parent
CLEAN = sorted(p for p in HELDOUT_DIR.glob("heldout_*.yml") if not p.stem.endswith("_typos"))
TYPOS = sorted(HELDOUT_DIR.glob("heldout_*_typos.yml"))


@pytest.fixture(scope="module")
def predict(assistant):
    def parse(text: str) -> str:
        return assistant.loop_parse(text)["intent"]["name"]

    return parse


@pytest.mark.parametrize(("files", "floor"), [(CLEAN, 0.75), (TYPOS, 0.68)], ids=["clean", "typos"])
def test_heldout_accuracy_stays_above_floor(predict, files: list[Path], floor: float) -> None:
    report = score("held-out", (pair for path in files for pair in read_examples(path)), predict)
    assert report.total >= 400
    assert report.accuracy >= floor, report.as_json()


def test_out_of_scope_questions_are_mostly_recognised(predict) -> None:
    report = score("held-out", (pair for path in CLEAN for pair in read_examples(path)), predict)
    assert report.recall("out_of_scope") >= 0.6, report.as_json()

"""Regression floors for held-out accuracy on both axes (figures: `make nlu-eval`, README).

The floors sit below the measured figures; they catch a broken pipeline or data change, not noise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu_eval import prediction_from_parse, read_labelled, score

HELDOUT_DIR = Path(__file__).parent
CLEAN = sorted(p for p in HELDOUT_DIR.glob("heldout_*.yml") if not p.stem.endswith("_typos"))
TYPOS = sorted(HELDOUT_DIR.glob("heldout_*_typos.yml"))


@pytest.fixture(scope="module")
def predict(assistant):
    def parse(text: str):
        return prediction_from_parse(assistant.loop_parse(text))

    return parse


@pytest.fixture(scope="module")
def reports(predict):
    return {name: score(name, (example for path in files for example in read_labelled(path)), predict).as_json()
            for name, files in (("clean", CLEAN), ("typos", TYPOS))}


@pytest.mark.parametrize(("group", "floor"), [("clean", 0.88), ("typos", 0.80)])
def test_topic_accuracy_stays_above_floor(reports, group: str, floor: float) -> None:
    report = reports[group]
    assert report["topic_examples"] >= 400
    assert report["topic_accuracy"] >= floor, report


@pytest.mark.parametrize(("group", "floor"), [("clean", 0.75), ("typos", 0.68)])
def test_act_accuracy_stays_above_floor(reports, group: str, floor: float) -> None:
    assert reports[group]["act_accuracy"] >= floor, reports[group]


def test_out_of_scope_is_recognised_and_policy_questions_are_not_sent_away(reports) -> None:
    report = reports["clean"]
    assert report["out_of_scope_recall"] >= 0.90, report  # the targets: ≥ 0.90 with ≤ 1 %
    assert report["policy_to_out_of_scope"] <= 0.01, report


def test_english_policy_questions_find_their_topic(reports) -> None:
    report = reports["clean"]
    assert report["english_topic_examples"] >= 40
    assert report["english_topic_accuracy"] >= 0.75, report

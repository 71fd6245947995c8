"""Follow-up conversations end to end (trained model, real actions) on the held-out file written without seeing the
training data: the topic stays, switches when the user names another measure, and out of scope stays out.
The answers issue targets 90 % of follow-ups on the right topic; the assertion is a floor against regressions and the
figure is printed (README, *Answers*)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import Conversation

HELDOUTS = [Path(__file__).parent / "dialogues" / "heldout_followups.yml",
            Path(__file__).parent / "dialogues" / "heldout_followups_b.yml",
            Path(__file__).parent / "dialogues" / "heldout_followups_c.yml",
            Path(__file__).parent / "dialogues" / "heldout_followups_d.yml",
            Path(__file__).parent / "dialogues" / "heldout_followups_e.yml",
            Path(__file__).parent / "dialogues" / "heldout_followups_f.yml",
            Path(__file__).parent / "dialogues" / "heldout_followups_g.yml",
            Path(__file__).parent / "dialogues" / "heldout_followups_h.yml"]
FOLLOW_UP_FLOOR = 0.85  # a regression guard; the target is 0.90 (README, *Answers*)


def turn_is_right(expected: dict, reply) -> bool:
    if expected.get("out_of_scope"):
        return reply.kind == "out_of_scope"
    return reply.topic == expected["topic"]


@pytest.mark.parametrize("path", HELDOUTS, ids=lambda path: path.stem)
def test_follow_ups_stay_on_the_right_topic(assistant, path: Path) -> None:
    dialogues = yaml.safe_load(path.read_text(encoding="utf-8"))["dialogues"]
    follow_ups = right_follow_ups = aspects = right_aspects = 0
    for dialogue in dialogues:
        conversation = Conversation(assistant)
        for index, expected in enumerate(dialogue["turns"]):
            reply = conversation.say(expected["text"])
            if index == 0:
                continue
            follow_ups += 1
            right_follow_ups += turn_is_right(expected, reply)
            if expected.get("aspect") and reply.understanding.get("aspect"):
                aspects += 1
                right_aspects += reply.understanding["aspect"] == expected["aspect"]
    rate = right_follow_ups / follow_ups
    print(f"\n{path.stem}: follow-ups on the right topic: {right_follow_ups}/{follow_ups} = {rate:.3f}; "
          f"aspect of the answer: {right_aspects}/{aspects}")
    assert rate >= FOLLOW_UP_FLOOR

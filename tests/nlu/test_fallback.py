"""Tests for nlu/components/fallback.py: an act chosen by a rule is not "ambiguous"; an unlikely act falls back."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.fallback import ACT_CHOSEN_BY_KEY, ActFallbackClassifier


def fallback() -> ActFallbackClassifier:
    config = {**ActFallbackClassifier.get_default_config(), "threshold": 0.2, "ambiguity_threshold": 0.05}
    return ActFallbackClassifier(config)


def message(ranking: list[tuple[str, float]], chosen_by: str | None = None) -> Message:
    entries = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    data = {TEXT: "浙江省的科技成果转化奖励比例是多少", INTENT: entries[0], INTENT_RANKING_KEY: entries}
    if chosen_by:
        data[ACT_CHOSEN_BY_KEY] = chosen_by
    return Message(data=data)


def act_after(parsed: Message) -> str:
    return parsed.get(INTENT)["name"]


def test_out_of_scope_chosen_at_its_threshold_is_kept_though_another_act_is_likelier() -> None:
    chosen = message([("out_of_scope", 0.41), ("ask_policy", 0.59)], chosen_by="out_of_scope_threshold")
    assert act_after(fallback().process([chosen])[0]) == "out_of_scope"
    # Rasa's own classifier made it a fallback: first minus second is negative, "ambiguous".
    plain = message([("out_of_scope", 0.41), ("ask_policy", 0.59)])
    assert act_after(fallback().process([plain])[0]) == "nlu_fallback"


@pytest.mark.parametrize(("ranking", "expected"), [
    ([("ask_policy", 0.50), ("ask_department", 0.48)], "nlu_fallback"),  # really ambiguous
    ([("ask_policy", 0.15), ("inform", 0.10)], "nlu_fallback"),  # unlikely
    ([("ask_policy", 0.80), ("inform", 0.10)], "ask_policy"),
])
def test_acts_chosen_by_the_ranking_fall_back_as_in_rasa(ranking: list[tuple[str, float]], expected: str) -> None:
    assert act_after(fallback().process([message(ranking)])[0]) == expected


def test_a_rule_does_not_save_an_act_below_the_confidence_threshold() -> None:
    unlikely = message([("out_of_scope", 0.1), ("ask_policy", 0.05)], chosen_by="RegionScope")
    assert act_after(fallback().process([unlikely])[0]) == "nlu_fallback"

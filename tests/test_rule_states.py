"""RulePolicy reads the same last states from the recent part of a conversation as from the whole of it, on the
held-out conversations with the trained model (bot.rule_states)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from bot import rule_states
from tests.conftest import held_out_conversations, run_conversations


def turn(intent: str, action: str) -> list[Any]:
    return [ActionExecuted("action_listen"), UserUttered(intent, {"name": intent, "confidence": 1.0}),
            ActionExecuted(action)]


def test_the_recent_part_starts_before_a_user_message_and_carries_the_active_loop() -> None:
    domain = Domain.load(str(Path(__file__).resolve().parents[1] / "domain.yml"))
    events = [ActionExecuted("action_session_start"), SessionStarted(), *turn("greet", "utter_greet"),
              *turn("check_eligibility", "action_start_check"), ActiveLoop("eligibility_form"),
              *turn("inform", "eligibility_form"), *turn("chitchat", "action_chitchat"),
              *turn("thank", "utter_thank"), *turn("feedback", "action_feedback")]
    tracker = DialogueStateTracker.from_events("someone", events, domain.slots)
    part = rule_states.recent_part(tracker, domain, 2)
    assert isinstance(part.events[0], ActiveLoop) and part.events[0].name == "eligibility_form"
    assert part.events[1] == ActionExecuted("action_listen")
    assert [event.intent_name for event in part.events if isinstance(event, UserUttered)] == ["thank", "feedback"]
    assert rule_states.recent_part(tracker, domain, 6) is tracker  # that is the whole conversation


def test_a_slot_that_influences_the_conversation_keeps_the_whole_of_it() -> None:
    domain = Domain.from_dict({"intents": ["greet"], "slots": {
        "mood": {"type": "text", "influence_conversation": True, "mappings": [{"type": "custom"}]}}})
    assert isinstance(domain.slots[0], TextSlot)
    events = [*turn("greet", "utter_greet"), SlotSet("mood", "good"), *turn("greet", "utter_greet"),
              *turn("greet", "utter_greet")]
    tracker = DialogueStateTracker.from_events("someone", events, domain.slots)
    assert rule_states.recent_part(tracker, domain, 1) is tracker


@pytest.fixture
def compared_states(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list, list, int]]:
    """Each prediction's states built both ways: (from the recent part, from the whole conversation, rule
    length)."""
    compared: list[tuple[list, list, int]] = []
    recent = RulePolicy._prediction_states
    whole = recent.__wrapped__

    def both(self: Any, tracker: Any, domain: Any, *args: Any, **kwargs: Any) -> Any:
        states = recent(self, tracker, domain, *args, **kwargs)
        compared.append((states, whole(self, tracker, domain, *args, **kwargs), rule_states.longest_rule(self)))
        return states

    monkeypatch.setattr(RulePolicy, "_prediction_states", both)
    return compared


def test_every_prediction_reads_the_same_last_states_as_from_the_whole_conversation(
        assistant, compared_states: list[tuple[list, list, int]]) -> None:
    run_conversations(assistant, held_out_conversations("heldout_followups_b.yml", "heldout_eligibility_b.yml",
                                                        ["是", "不是", "算了"]))
    shortened = [(recent, whole, needed) for recent, whole, needed in compared_states if len(recent) < len(whole)]
    assert len(shortened) > len(compared_states) / 3  # the recent part is used, not only the whole conversation
    needed = shortened[0][2]
    assert needed >= 2
    for recent, whole, _ in shortened:
        assert len(recent) > needed
        assert recent[1:] == whole[len(whole) - len(recent) + 1:]  # all but the first, which lacks the past


def test_a_prediction_building_its_states_once_predicts_what_building_them_each_time_does(
        assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    predictions: list[tuple[Any, Any]] = []
    once = RulePolicy._predict
    each_time = once.__wrapped__

    def both(self: Any, tracker: Any, domain: Any) -> Any:
        prediction, source = once(self, tracker, domain)
        predictions.append(((prediction, source), each_time(self, tracker, domain)))
        return prediction, source

    monkeypatch.setattr(RulePolicy, "_predict", both)
    run_conversations(assistant, held_out_conversations(None, "heldout_eligibility_c.yml",
                                                        ["是", "不是", "算了", "谢谢"]))
    assert len(predictions) > 100
    for (built_once, source), (built_each_time, source_each_time) in predictions:
        assert source == source_each_time
        assert built_once.probabilities == built_each_time.probabilities
        assert (built_once.policy_name, built_once.events, built_once.is_end_to_end_prediction,
                built_once.is_no_user_prediction) == (built_each_time.policy_name, built_each_time.events,
                                                      built_each_time.is_end_to_end_prediction,
                                                      built_each_time.is_no_user_prediction)
    assert rule_states._ONE_PREDICTION.get() is None  # nothing kept between predictions


def test_the_rules_compared_with_the_last_states_are_the_ones_rasa_finds_among_all(
        assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    found: list[tuple[set, set]] = []
    ours = RulePolicy._get_possible_keys
    rasas = ours.__wrapped__

    def both(self: Any, lookup: dict, states: list) -> set:
        keys = ours(self, lookup, states)
        found.append((keys, rasas(self, lookup, states)))
        return keys

    monkeypatch.setattr(RulePolicy, "_get_possible_keys", both)
    run_conversations(assistant, held_out_conversations("heldout_followups_c.yml", "heldout_eligibility_d.yml",
                                                        ["是", "不是", "算了"]))
    assert len(found) > 300
    assert all(keys == expected for keys, expected in found)
    assert sum(bool(keys) for keys, _ in found) > len(found) / 3  # rules do match, not only none of them

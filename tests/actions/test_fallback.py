"""Tests for actions/fallback.py: clarification buttons come from the classifier's ranking."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionClarify, ActionOutOfScope


def tracker_with_ranking(ranking: list[tuple[str, float]]) -> Tracker:
    latest = {"text": "贷款咋弄", "intent": {"name": "nlu_fallback", "confidence": 0.3},
              "intent_ranking": [{"name": name, "confidence": confidence} for name, confidence in ranking],
              "entities": []}
    return Tracker("clarify-user", {}, latest, [], False, None, {}, None)


def run(action, tracker: Tracker) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher


def test_clarify_offers_the_top_policy_topics_and_none_of_these(kb) -> None:
    tracker = tracker_with_ranking([("nlu_fallback", 0.3), ("startup_guarantee_loan", 0.28),
                                    ("greet", 0.2), ("youth_startup_support", 0.21), ("tax_incentives", 0.06),
                                    ("venture_capital", 0.04), ("crowdfunding_fintech", 0.01)])
    [message] = run(ActionClarify(), tracker).messages
    assert [b["payload"] for b in message["buttons"]] == [
        "/startup_guarantee_loan", "/youth_startup_support", "/tax_incentives", "/out_of_scope"]
    assert message["buttons"][0]["title"] == kb.topics["startup_guarantee_loan"].title
    assert message["custom"]["kind"] == "clarify"


def test_clarify_without_a_likely_topic_asks_to_rephrase() -> None:
    [message] = run(ActionClarify(), tracker_with_ranking([("nlu_fallback", 0.3), ("greet", 0.25)])).messages
    assert message["buttons"] == []
    assert "换个说法" in message["text"]


def test_out_of_scope_names_what_is_covered_and_no_phone_number() -> None:
    [message] = run(ActionOutOfScope(), tracker_with_ranking([("out_of_scope", 0.9)])).messages
    assert message["custom"] == {"topic": None, "kind": "out_of_scope", "departments": [], "verdict": None,
                                 "section": None}
    assert "不在" in message["text"] and "大学生创业补贴" in message["text"]

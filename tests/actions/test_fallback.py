"""Tests for actions/fallback.py: clarification buttons come from the topic classifier's ranking."""

from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionClarify, ActionOutOfScope


def tracker_with_ranking(ranking: list[tuple[str, float]], act: str = "nlu_fallback",
                         entities: list[dict] | None = None, text: str = "贷款咋弄") -> Tracker:
    latest = {"text": text, "intent": {"name": act, "confidence": 0.3},
              "topic_ranking": [{"name": name, "confidence": confidence} for name, confidence in ranking],
              "entities": entities or []}
    return Tracker("clarify-user", {}, latest, [], False, None, {}, None)


def run(action, tracker: Tracker) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    asyncio.run(action.run(dispatcher, tracker, {}))
    return dispatcher


def test_clarify_offers_the_top_policy_topics_and_none_of_these(kb) -> None:
    tracker = tracker_with_ranking([("startup_guarantee_loan", 0.28), ("youth_startup_support", 0.21),
                                    ("tax_incentives", 0.06), ("venture_capital", 0.04),
                                    ("crowdfunding_fintech", 0.01)])
    [message] = run(ActionClarify(), tracker).messages
    assert [b["payload"] for b in message["buttons"]] == [
        '/ask_policy{"topic":"startup_guarantee_loan"}', '/ask_policy{"topic":"youth_startup_support"}',
        '/ask_policy{"topic":"tax_incentives"}', "/out_of_scope"]
    assert message["buttons"][0]["title"] == kb.topics["startup_guarantee_loan"].title
    assert message["custom"]["kind"] == "clarify"


def test_clarify_without_a_likely_topic_asks_to_rephrase() -> None:
    [message] = run(ActionClarify(), tracker_with_ranking([("tax_incentives", 0.02)])).messages
    assert message["buttons"] == []
    assert "换个说法" in message["text"]


def test_out_of_scope_names_what_is_covered_and_no_phone_number() -> None:
    [message] = run(ActionOutOfScope(), tracker_with_ranking([], act="out_of_scope")).messages
    assert message["custom"] == {"topic": None, "kind": "out_of_scope", "departments": [], "verdict": None,
                                 "section": None, "act": "out_of_scope", "act_confidence": 0.3,
                                 "message_topic": None, "topic_confidence": None, "language": "zh"}
    assert "不在" in message["text"] and "大学生创业补贴" in message["text"]


def test_another_regions_measure_is_named_and_pointed_to_its_own_offices() -> None:
    region = [{"entity": "other_region", "value": "深圳"}]
    [message] = run(ActionOutOfScope(), tracker_with_ranking([], "out_of_scope", region, "深圳创业贷款")).messages
    assert message["custom"]["kind"] == "out_of_scope" and message["custom"]["other_region"] == "深圳"
    assert message["text"].startswith("深圳的政策不在") and "甘肃省2015年" in message["text"]


def test_english_out_of_scope_is_english() -> None:
    entities = [{"entity": "language", "value": "en"}]
    [message] = run(ActionOutOfScope(), tracker_with_ranking([], "out_of_scope", entities, "visa?")).messages
    assert message["text"].startswith("That question is outside") and message["custom"]["language"] == "en"


def test_hesitating_only_between_two_questions_about_a_clearly_named_measure_answers_it() -> None:
    entities = [{"entity": "topic", "value": "student_startup_social_insurance", "confidence_entity": 0.99}]
    latest = {"text": "我手机[手机号] 大学生创业有社保补贴吗", "intent": {"name": "nlu_fallback", "confidence": 0.2},
              "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.2},
                                 {"name": "check_eligibility", "confidence": 0.46},
                                 {"name": "ask_policy", "confidence": 0.42}],
              "topic_ranking": [{"name": "student_startup_social_insurance", "confidence": 0.99}],
              "entities": entities}
    messages = run(ActionClarify(), Tracker("clarify-user", {}, latest, [], False, None, {}, None)).messages
    assert messages[0]["custom"]["kind"] in ("answer", "eligibility")
    assert messages[0]["custom"]["topic"] == "student_startup_social_insurance"


def test_hesitating_between_a_question_and_something_else_still_asks() -> None:
    entities = [{"entity": "topic", "value": "startup_guarantee_loan", "confidence_entity": 0.95}]
    latest = {"text": "贷款", "intent": {"name": "nlu_fallback", "confidence": 0.2},
              "intent_ranking": [{"name": "nlu_fallback", "confidence": 0.2}, {"name": "inform", "confidence": 0.4},
                                 {"name": "ask_policy", "confidence": 0.38}],
              "topic_ranking": [{"name": "startup_guarantee_loan", "confidence": 0.95}], "entities": entities}
    [message] = run(ActionClarify(), Tracker("clarify-user", {}, latest, [], False, None, {}, None)).messages
    assert message["custom"]["kind"] == "clarify"


def test_another_region_in_an_english_reply_is_capitalised() -> None:
    entities = [{"entity": "language", "value": "en"}, {"entity": "other_region", "value": "xi'an"}]
    [message] = run(ActionOutOfScope(), tracker_with_ranking([], "out_of_scope", entities,
                                                             "What does Xi'an offer?")).messages
    assert message["text"].startswith("I can't answer about the policies of Xi'an:")
    assert message["custom"]["other_region"] == "xi'an"  # the payload keeps the entity's value

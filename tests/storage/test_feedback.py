"""有用 / 没用: the buttons, reading a typed rating, and the action storing it on the sender's latest answer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.feedback import ActionFeedback, feedback_buttons, value_from_text
from bot.nlu_eval import read_examples
from bot.storage.database import engine_for
from bot.storage.turns import record_turns, turns, turns_from_events
from tests.storage.events import answer_payload, turn

PROJECT_DIR = Path(__file__).resolve().parents[2]
SALT = "feedback-salt"


def tracker(sender: str, text: str, entities: list[dict] | None = None) -> Tracker:
    latest = {"text": text, "intent": {"name": "feedback", "confidence": 1.0}, "entities": entities or []}
    return Tracker(sender, {}, latest, [], False, None, {}, "action_listen")


def run(action_tracker: Tracker) -> list[dict]:
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionFeedback().run(dispatcher, action_tracker, {}))
    return dispatcher.messages


def feedback_of(database_url: str) -> list[str | None]:
    with engine_for(database_url).connect() as connection:
        return connection.execute(sa.select(turns.c.feedback).order_by(turns.c.id)).scalars().all()


def test_buttons_send_the_feedback_intent_with_its_entity() -> None:
    assert feedback_buttons() == [
        {"title": "有用", "payload": '/feedback{"feedback":"useful"}'},
        {"title": "没用", "payload": '/feedback{"feedback":"not_useful"}'},
    ]


@pytest.mark.parametrize("text, value", [
    ("有用", "useful"), ("很有帮助 谢谢", "useful"), ("👍", "useful"), ("解决了", "useful"),
    ("没用", "not_useful"), ("没有用", "not_useful"), ("不太有用", "not_useful"), ("没解决问题", "not_useful"),
    ("👎", "not_useful"), ("答非所问", "not_useful"), ("反馈一下", None), ("", None),
])
def test_typed_ratings_are_read_from_the_word_lists(text: str, value: str | None) -> None:
    assert value_from_text(text) == value


def test_the_action_rates_the_latest_answer_and_thanks(storage_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", storage_url)
    monkeypatch.setenv("SENDER_HASH_SALT", SALT)
    record_turns(storage_url, turns_from_events("wx-1", [
        *turn("社保补贴", "student_startup_social_insurance", 0.9, ["答"], answer_payload(), seconds_ago=60),
        *turn("谢谢", "thank", 0.9, ["不客气"], {"kind": "chitchat"}),
    ], SALT))
    messages = run(tracker("wx-1", '/feedback{"feedback":"not_useful"}', [{"entity": "feedback",
                                                                           "value": "not_useful"}]))
    assert feedback_of(storage_url) == ["not_useful", None]
    assert "转人工" in messages[0]["text"] and messages[0]["custom"]["kind"] == "chitchat"
    run(tracker("wx-1", "其实有用"))
    assert feedback_of(storage_url) == ["useful", None]


def test_without_a_rating_the_action_asks_and_without_an_answer_it_still_thanks(
        storage_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", storage_url)
    [asked] = run(tracker("wx-2", "反馈"))
    assert asked["buttons"] == feedback_buttons()
    [thanked] = run(tracker("wx-2", "有用"))  # nothing stored for this sender yet
    assert thanked["text"].startswith("谢谢")


def test_every_training_example_of_the_feedback_intent_has_a_rating() -> None:
    examples = read_examples(PROJECT_DIR / "nlu" / "data" / "conversation" / "feedback.yml")
    assert len(examples) >= 40
    assert [text for text, _ in examples if value_from_text(text) is None] == []

"""Turn rows from Rasa events, storing them, 有用/没用 feedback and deleting old turns."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from rasa.shared.core.events import BotUttered, SlotSet

from bot.storage.database import engine_for
from bot.storage.handoffs import hash_sender
from bot.storage.redaction import MOBILE_TOKEN
from bot.storage.turns import (
    delete_turns_older_than,
    record_turns,
    set_feedback,
    turns,
    turns_from_events,
)
from tests.storage.events import answer_payload, session_start, turn

SALT = "test-salt"


def stored(database_url: str) -> list[dict]:
    with engine_for(database_url).connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.select(turns).order_by(turns.c.id))]


def test_a_user_message_and_the_bot_messages_after_it_form_one_turn() -> None:
    events = [
        *session_start(),
        *turn("大学生创业有社保补贴吗 我电话13812345678", "student_startup_social_insurance", 0.91,
              ["【大学生创业社保补贴】…", "出处：…联系 13912345678"], answer_payload(), channel="wechat"),
        *turn("转人工", "request_human", 0.99, ["已为你登记人工服务请求（编号 7）。"],
              answer_payload(kind="handoff"), channel=None, action="action_handoff"),
    ]
    rows = turns_from_events("wx-openid-1", events, SALT)
    assert len(rows) == 2
    first, second = rows
    assert first["sender_hash"] == hash_sender("wx-openid-1", SALT) and "wx-openid-1" not in json.dumps(
        rows, default=str)
    assert first["channel"] == "wechat" and second["channel"] == "rest"  # no input channel: Rasa's REST
    assert first["user_text"] == f"大学生创业有社保补贴吗 我电话{MOBILE_TOKEN}"
    assert first["reply_text"] == f"【大学生创业社保补贴】…\n出处：…联系 {MOBILE_TOKEN}"
    assert (first["intent"], first["confidence"]) == ("student_startup_social_insurance", 0.91)
    assert (first["topic"], first["kind"], first["verdict"]) == ("student_startup_social_insurance", "answer", None)
    assert json.loads(first["departments"]) == ["省人社厅", "省教育厅"]
    assert first["handoff_requested"] is False and second["handoff_requested"] is True
    user_uttered = events[3]
    assert first["timestamp"] == dt.datetime.fromtimestamp(user_uttered.timestamp, dt.timezone.utc)
    assert first["timestamp"].tzinfo is not None


def test_the_last_payload_of_a_turn_counts_and_turns_without_one_have_no_topic() -> None:
    events = [
        *turn("我符合吗", "check_eligibility", 0.8, ["好的，我来帮你看看"], answer_payload(kind="eligibility")),
        BotUttered("按文件写的条件，你符合 ✅", data={"custom": answer_payload("x", "eligibility", "eligible")}),
        SlotSet("topic", "student_startup_social_insurance"),
        *turn("你好", "greet", 0.97, ["你好！我是创业助手"], None, action="utter_greet"),
        *turn("嗯？", "nlu_fallback", 0.3, [], None, action="action_listen", listen=False),
    ]
    rows = turns_from_events("someone", events, SALT)
    assert [(r["kind"], r["verdict"]) for r in rows] == [("eligibility", "eligible"), (None, None), (None, None)]
    assert rows[0]["reply_text"] == "好的，我来帮你看看\n按文件写的条件，你符合 ✅"
    assert rows[1]["topic"] is None and rows[1]["departments"] == "[]"
    assert rows[2]["reply_text"] == ""


def test_bot_messages_before_any_user_message_belong_to_no_turn() -> None:
    assert turns_from_events("someone", [BotUttered("欢迎")], SALT) == []
    assert turns_from_events("someone", [], SALT) == []


def test_long_labels_are_cut_to_their_columns() -> None:
    events = turn("x", "i" * 100, 0.5, ["y"], {"topic": "t" * 100, "kind": "k" * 40, "verdict": "v" * 40})
    row = turns_from_events("someone", events, SALT)[0]
    assert (len(row["intent"]), len(row["topic"]), len(row["kind"]), len(row["verdict"])) == (64, 64, 16, 16)


def test_recorded_turns_are_stored_unreviewed(storage_url: str) -> None:
    rows = turns_from_events("someone", [*turn("社保补贴", "student_startup_social_insurance", 0.9, ["答"],
                                               answer_payload())], SALT)
    assert record_turns(storage_url, rows) == 1
    assert record_turns(storage_url, []) == 0
    [row] = stored(storage_url)
    assert row["review_status"] == "unreviewed" and row["feedback"] is None and row["corrected_intent"] is None
    assert row["timestamp"].replace(tzinfo=dt.timezone.utc) == rows[0]["timestamp"].replace(tzinfo=dt.timezone.utc)


def test_feedback_goes_on_the_senders_latest_answer_or_verdict(storage_url: str) -> None:
    rows = turns_from_events("alice", [
        *turn("社保补贴", "student_startup_social_insurance", 0.9, ["答1"], answer_payload(), seconds_ago=300),
        *turn("我符合吗", "check_eligibility", 0.9, ["符合"], answer_payload(kind="eligibility", verdict="eligible"),
              seconds_ago=200),
        *turn("你好", "greet", 0.9, ["你好"], {"kind": "chitchat"}, seconds_ago=100),
    ], SALT) + turns_from_events("bob", [*turn("你好", "greet", 0.9, ["你好"], {"kind": "chitchat"})], SALT)
    record_turns(storage_url, rows)
    assert set_feedback(storage_url, hash_sender("alice", SALT), "useful") is True
    assert set_feedback(storage_url, hash_sender("bob", SALT), "not_useful") is False
    assert set_feedback(storage_url, hash_sender("nobody", SALT), "useful") is False
    assert [r["feedback"] for r in stored(storage_url)] == [None, "useful", None, None]
    assert set_feedback(storage_url, hash_sender("alice", SALT), "not_useful") is True  # a change of mind
    assert [r["feedback"] for r in stored(storage_url)] == [None, "not_useful", None, None]
    with pytest.raises(ValueError, match="useful"):
        set_feedback(storage_url, hash_sender("alice", SALT), "meh")


def test_old_turns_are_deleted_and_recent_ones_kept(storage_url: str) -> None:
    record_turns(storage_url, turns_from_events("someone", [
        *turn("旧的", "greet", 0.9, ["旧"], seconds_ago=200 * 86400),
        *turn("也旧", "greet", 0.9, ["旧"], seconds_ago=31 * 86400),
        *turn("新的", "greet", 0.9, ["新"], seconds_ago=29 * 86400),
    ], SALT))
    assert delete_turns_older_than(storage_url, 180) == 1
    assert delete_turns_older_than(storage_url, 30) == 1
    assert [r["user_text"] for r in stored(storage_url)] == ["新的"]
    with pytest.raises(ValueError):
        delete_turns_older_than(storage_url, 0)

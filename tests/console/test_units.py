"""The console's pieces without a server: filters, cursors, NLU YAML, CSV cells, charts, vocabulary."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
import yaml

from bot.console.charts import nice_ceiling, ranked_bars, rate_lines, stacked_day_bars
from bot.console.config import ConsoleConfig
from bot.console.exports import csv_rows, example_text, nlu_yaml
from bot.console.turn_filters import FilterError, TurnFilter, local_midnight_utc
from bot.console.turn_queries import Cursor, CursorError
from bot.console.vocabulary import intent_files, known_topics
from bot.console.web.auth import local_target, secure_cookies
from tests.console.conftest import PROJECT_DIR

BEIJING = dt.timezone(dt.timedelta(hours=8))


def test_filter_round_trips_through_its_query_string() -> None:
    args = {"channel": "wechat", "topic": "tax_incentives", "date_from": "2024-01-01", "date_to": "2024-01-31",
            "confidence_below": "0.5", "kind": "clarify", "handoff": "1", "negative_feedback": "1",
            "review_status": "unreviewed"}
    parsed = TurnFilter.from_args(args)
    assert parsed.date_from == dt.date(2024, 1, 1) and parsed.confidence_below == 0.5 and parsed.handoff
    assert TurnFilter.from_args(dict(parsed.query_items())) == parsed
    assert TurnFilter.from_args({"channel": "", "kind": ""}) == TurnFilter()


@pytest.mark.parametrize("args", [{"confidence_below": "1.5"}, {"confidence_below": "nan"}, {"kind": "x"},
                                  {"date_to": "2024-02-30"}, {"review_status": "done"}, {"topic": "x" * 65}])
def test_filter_refuses_values_it_cannot_apply(args: dict[str, str]) -> None:
    with pytest.raises(FilterError):
        TurnFilter.from_args(args)


def test_local_days_begin_at_beijing_midnight() -> None:
    assert local_midnight_utc(dt.date(2024, 3, 2), BEIJING) == dt.datetime(2024, 3, 1, 16, tzinfo=dt.timezone.utc)


def test_cursor_round_trips_and_refuses_junk() -> None:
    cursor = Cursor(dt.datetime(2024, 3, 1, 16, 0, 0, 123456, tzinfo=dt.timezone.utc), 42)
    assert Cursor.parse(str(cursor)) == cursor
    for junk in ("", "12", "a-1", "1-b", "-1-2", "9" * 40 + "-1"):
        with pytest.raises(CursorError):
            Cursor.parse(junk)


def test_example_text_is_one_plain_line() -> None:
    assert example_text("  问一下\n社保 补贴\t吗 ") == "问一下 社保 补贴 吗"
    assert example_text("看[这个](topic)") == "看［这个］(topic)"
    assert example_text("a\x00b") == "a b"


def test_nlu_yaml_keeps_the_latest_correction_and_skips_known_texts() -> None:
    corrections = [
        {"user_text": "贷款贴息咋申请", "corrected_intent": "ask_policy", "corrected_topic": "tax_incentives"},
        {"user_text": "贷款贴息咋申请", "corrected_intent": "ask_policy",  # changed their mind
         "corrected_topic": "startup_guarantee_loan"},
        {"user_text": "贷款找谁", "corrected_intent": "ask_department", "corrected_topic": None},
        {"user_text": "休学归谁管", "corrected_intent": "student_leave_of_absence"},  # stored before the two axes
        {"user_text": "你好", "corrected_intent": "greet"},
        {"user_text": "留学回国创业", "corrected_intent": "greet"},
        {"user_text": "held out", "corrected_intent": "greet"},
        {"user_text": "   ", "corrected_intent": "greet"},
    ]
    text = nlu_yaml(corrections, training={"你好": "greet", "留学回国创业": "ask_policy (talent_from_outside)"},
                    heldout={"held out"})
    document = yaml.safe_load(text)
    assert document["version"] == "3.1"
    assert document["nlu"] == [
        {"intent": "ask_department", "examples": "- 贷款找谁\n"},
        {"intent": "ask_policy", "metadata": {"topic": "startup_guarantee_loan"}, "examples": "- 贷款贴息咋申请\n"},
        {"intent": "ask_policy", "metadata": {"topic": "student_leave_of_absence"}, "examples": "- 休学归谁管\n"},
    ]
    assert "# merge into nlu/data/topics/startup_guarantee_loan.yml" in text
    assert "# merge into nlu/data/conversation/ask_department.yml" in text
    assert "# skipped, already in training data (greet): 你好" in text
    assert "# skipped, conflicts with training data (ask_policy (talent_from_outside)): 留学回国创业" in text
    assert "# skipped, in a held-out test file: held out" in text
    assert yaml.safe_load(nlu_yaml([], {}, set()))["nlu"] == []


def test_csv_cells_that_would_be_formulas_are_quoted() -> None:
    row = {"id": 1, "timestamp": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc), "user_text": "+86 138",
           "reply_text": "@all", "departments": [], "handoff_requested": False, "channel": "sms",
           "sender_hash": "-x", "corrected_at": None}
    text = csv_rows([row], BEIJING)
    assert "'+86 138" in text and "'@all" in text and "'-x" in text
    assert "2024-01-01T08:00:00+08:00" in text


def test_nice_ceiling() -> None:
    assert [nice_ceiling(value) for value in (0, 1, 3, 7, 11, 240, 0.37)] == [1, 1, 5, 10, 20, 250, 0.5]


def test_charts_are_escaped_svg() -> None:
    days = [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    bars = stacked_day_bars("每日<提问>", days, {"微信": [1, 2], "<b>": [0, 3]})
    assert str(bars).startswith("<svg") and "&lt;b&gt;" in bars and "<b>" not in bars
    assert "2024-01-02 微信: 2" in bars
    ranked = ranked_bars("主题", [("一个非常非常非常非常非常长的主题名称", 5), ("短", 1)])
    assert "…" in ranked and "一个非常非常非常非常非常长的主题名称" in ranked
    lines = rate_lines("比率", days, {"超出范围率": [0.25, None]})
    assert "25.0%" in lines
    assert "<svg" in stacked_day_bars("空", [], {})


def test_every_intent_of_the_domain_can_be_chosen() -> None:
    with (PROJECT_DIR / "domain.yml").open(encoding="utf-8") as handle:
        domain_intents = set(yaml.safe_load(handle)["intents"])
    assert set(intent_files()) == domain_intents  # the acts; topics are chosen from known_topics()
    assert intent_files()["greet"] == "nlu/data/conversation/greet.yml"
    assert len(known_topics()) == 28


def test_cookies_are_secure_over_https_or_when_forced() -> None:
    def request(scheme: str, forced: bool | None) -> SimpleNamespace:
        config = ConsoleConfig(database_url="sqlite://", cookie_secure=forced)
        return SimpleNamespace(scheme=scheme, app=SimpleNamespace(ctx=SimpleNamespace(config=config)))

    assert [secure_cookies(request("https", None)), secure_cookies(request("http", None))] == [True, False]
    assert [secure_cookies(request("http", True)), secure_cookies(request("https", False))] == [True, False]
    assert [local_target(target) for target in ("/dashboard", "//evil.example", "/\\evil", "https://x", None)] == [
        "/dashboard", "/conversations", "/conversations", "/conversations", "/conversations"]

"""`chuangye ask --jsonl` and `chuangye chat`, run as a user runs them (real model, real actions)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bot.conversation_cli import parse_jsonl_line


def run_chuangye(*args: str, stdin: str, database_url: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True, text=True,
                          timeout=300, check=False, env={**os.environ, "DATABASE_URL": database_url})


def test_ask_jsonl_one_object_per_line_with_conversations_by_sender(database_url: str) -> None:
    lines = [
        "大学生休学创业学籍能保留吗",
        '{"sender": "s1", "text": "/check_eligibility{\\"topic\\":\\"tax_incentives\\"}"}',
        "{not json",
        '{"sender": "s1", "text": "是的 我们是创投公司"}',
        "",
    ]
    result = run_chuangye("ask", "--jsonl", stdin="\n".join(lines) + "\n", database_url=database_url)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5
    assert rows[0]["topic"] == "student_leave_of_absence" and rows[0]["kind"] == "answer"
    assert set(rows[0]) == {"sender", "text", "intent", "confidence", "topic", "kind", "departments", "verdict",
                            "buttons", "act", "act_confidence", "message_topic", "topic_confidence", "language",
                            "aspect", "level"}
    assert rows[0]["aspect"] == "overview" and rows[0]["level"] == 1
    assert rows[0]["act"] == rows[0]["intent"] == "ask_policy" and rows[0]["language"] == "zh"
    assert rows[0]["message_topic"] == "student_leave_of_absence" and 0 < rows[0]["topic_confidence"] <= 1
    assert rows[1]["sender"] == "s1" and rows[1]["verdict"] == "need_more_info"
    assert "error" in rows[2] and rows[2]["line"] == 3
    assert rows[3]["sender"] == "s1" and rows[3]["verdict"] == "eligible"  # same sender: same conversation
    assert rows[4] == {"line": 5, "error": "empty line: nothing to ask"}


def test_chat_picks_a_button_by_its_number(database_url: str) -> None:
    result = run_chuangye("chat", stdin="政府采购对小微企业有啥照顾\n4\n退出\n", database_url=database_url)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "政府采购" in result.stdout
    assert "[4] 原文" in result.stdout
    assert "各部门年度政府采购项目预算总额中面向中小企业采购不低于采购总额的30%" in result.stdout


@pytest.mark.parametrize(("line", "message"), [
    ("   ", "empty line"),
    ("{broken", "not valid JSON"),
    ('{"sender": "a"}', 'needs a non-empty "text"'),
    ('{"sender": "a", "text": 5}', 'needs a non-empty "text"'),
])
def test_malformed_jsonl_lines_are_reported(line: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_jsonl_line(line, 1, "run")

"""Tests for bot/cli.py's knowledge-base commands, run as a user would run them."""

import json
import subprocess
import sys

import pytest


def chuangye(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, check=False)


def test_kb_list_json_has_every_topic_with_lead_department_first() -> None:
    result = chuangye("kb", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 28
    by_id = {row["id"]: row for row in rows}
    assert by_id["student_startup_social_insurance"]["departments"][0] == "省教育厅"
    assert by_id["student_startup_social_insurance"]["section"] == "三(四)2"
    assert set(rows[0]) >= {"id", "title", "section", "departments"}


def test_kb_check_json_verdict() -> None:
    result = chuangye("kb", "check", "graduate_job_search_grant", "from_gansu_university=yes",
                      "fresh_graduate=yes", "disabled=yes", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["verdict"] == "eligible"


@pytest.mark.parametrize("args", [
    ("kb", "check", "graduate_job_search_grant", "fresh_graduate=maybe"),
    ("kb", "check", "graduate_job_search_grant", "shoe_size=42"),
    ("kb", "check", "graduate_job_search_grant", "--fact", "shoe_size=42"),
    ("kb", "check", "student_startup_social_insurance", "years_since_graduation=-3"),
    ("kb", "check", "no_such_topic"),
    ("kb", "check", "competitions"),
    ("kb", "show", "no_such_topic"),
])
def test_bad_input_gets_a_clear_error_and_exit_status_2(args: tuple[str, ...]) -> None:
    result = chuangye(*args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "Traceback" not in result.stderr


def test_kb_show_prints_the_answer_a_user_gets(kb) -> None:
    result = chuangye("kb", "show", "graduate_job_search_grant")
    assert result.returncode == 0, result.stderr
    topic = kb.topics["graduate_job_search_grant"]
    assert topic.summary in result.stdout
    assert "牵头部门：省财政厅" in result.stdout
    assert "2015-12-12" in result.stdout and "三(二)1" in result.stdout


def test_kb_check_with_fact_options_prints_reasons_per_condition() -> None:
    result = chuangye("kb", "check", "student_startup_social_insurance", "--fact", "student_status=graduated",
                      "--fact", "years_since_graduation=6")
    assert result.returncode == 0, result.stderr
    assert "not_eligible" in result.stdout
    assert "[failed] 在校大学生和毕业5年内的高等学校毕业生" in result.stdout
    assert "怎样才能符合" in result.stdout


def test_kb_parks() -> None:
    result = chuangye("kb", "parks", "我做碳纤维的 去哪个园区", "--json")
    assert json.loads(result.stdout)[0]["name"] == "白银碳纤维创业创新示范园"

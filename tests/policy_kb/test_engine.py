"""Tests for policy_kb/engine.py: the rule cases in cases/*.yml, fact validation and the next question."""

from pathlib import Path

import pytest
import yaml

from policy_kb.engine import ELIGIBLE, NEED_MORE_INFO, NOT_ELIGIBLE, NoRuleError, evaluate, has_rules
from policy_kb.facts import FactError
from policy_kb.loader import get_knowledge_base
from policy_kb.rules import ALL_RULES

CASES_DIR = Path(__file__).parent / "cases"


def _load_cases() -> list[tuple[str, dict]]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.yml")):
        record = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in record["cases"]:
            cases.append(pytest.param(record["topic"], case, id=f"{record['topic']}:{case['name']}"))
    return cases


@pytest.mark.parametrize(("topic", "case"), _load_cases())
def test_rule_case(topic: str, case: dict) -> None:
    result = evaluate(topic, case["facts"])
    assert result.verdict == case["verdict"]
    failed = {c.id for rule in result.rules for c in rule.conditions if c.status == "failed"}
    for condition_id in case.get("failed", []):
        assert condition_id in failed
    if "next_fact" in case:
        assert result.next_fact == case["next_fact"]
    if "eligible_rules" in case:
        assert [r.rule_id for r in result.rules if r.verdict == ELIGIBLE] == case["eligible_rules"]


def test_every_rule_topic_has_cases() -> None:
    covered = {path.stem for path in CASES_DIR.glob("*.yml")}
    assert {rule.topic for rule in ALL_RULES} <= covered


def test_every_condition_has_a_failing_case() -> None:
    """Each condition's boundary is exercised at least once by a case that fails it."""
    failed_in_cases = set()
    for param in _load_cases():
        topic, case = param.values
        failed_in_cases.update((topic, condition) for condition in case.get("failed", []))
    missing = [(rule.topic, c.id) for rule in ALL_RULES for c in rule.conditions
               if (rule.topic, c.id) not in failed_in_cases]
    assert missing == []


def test_verdict_explains_every_condition_with_document_wording() -> None:
    result = evaluate("student_startup_social_insurance", {
        "student_status": "graduated", "years_since_graduation": 7, "in_gansu": True,
        "first_business": True, "company_size": "micro", "is_tech_company": True,
    })
    assert result.verdict == NOT_ELIGIBLE
    conditions = {c.id: c for c in result.rules[0].conditions}
    assert conditions["student_or_recent_graduate"].status == "failed"
    assert conditions["student_or_recent_graduate"].wording == "在校大学生和毕业5年内的高等学校毕业生"
    assert all(conditions[name].status == "met" for name in
               ("business_in_gansu", "first_business", "small_or_micro_company", "tech_company"))
    assert result.what_would_change == ("这项补贴只面向在校大学生和毕业5年内的高校毕业生。",)
    assert result.next_fact is None


def test_need_more_info_asks_a_question_with_options() -> None:
    result = evaluate("student_startup_social_insurance", {})
    assert result.verdict == NEED_MORE_INFO
    assert result.next_question == "你现在是在校大学生，还是已经毕业了？"
    assert result.next_options == {
        "in_school": "在校大学生（含研究生）", "graduated": "已经毕业", "not_student": "没上过大学",
    }


def test_rule_specific_question_overrides_the_default() -> None:
    result = evaluate("researcher_leave_startup", {"is_researcher": True, "employer_type": "university"})
    assert result.next_fact == "employer_in_gansu"
    assert result.next_question == "你所在的高校或科研院所在甘肃省内吗？"
    assert result.next_options == {"true": "是", "false": "不是"}


@pytest.mark.parametrize(("facts", "message"), [
    ({"years_since_graduation": -1}, "cannot be below"),
    ({"years_since_graduation": 99}, "cannot be above"),
    ({"years_since_graduation": "five"}, "must be a number"),
    ({"years_since_graduation": True}, "must be a number"),
    ({"in_gansu": "yes"}, "true or false"),
    ({"company_size": "tiny"}, "must be one of"),
    ({"consortium_small_firm_share": 130}, "cannot be above"),
    ({"consortium_small_firm_share": float("nan")}, "must be a number"),
    ({"favourite_colour": "red"}, "unknown fact"),
])
def test_invalid_facts_raise_clear_errors(facts: dict, message: str) -> None:
    with pytest.raises(FactError, match=message):
        evaluate("student_startup_social_insurance", facts)


def test_unknown_facts_given_as_none_are_ignored() -> None:
    assert evaluate("tax_incentives", {"is_venture_capital_firm": None}).verdict == NEED_MORE_INFO


def test_topic_without_conditions_raises() -> None:
    assert not has_rules("competitions")
    with pytest.raises(NoRuleError):
        evaluate("competitions", {})


def test_unknown_topic_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="known topics"):
        evaluate("free_money", {})


def test_parameters_drive_the_boundaries() -> None:
    kb = get_knowledge_base()
    assert kb.parameters["student_startup.graduation_window_years"].value == 5
    assert kb.parameters["procurement.consortium_min_small_firm_share_percent"].value == 30
    assert kb.parameters["tax.venture_capital_credit_percent"].value == 70
    assert kb.parameters["commercialization.min_income_share_percent"].value == 50

"""Tests for actions/common.py: how the facts a person gave are shown back to them."""

from __future__ import annotations

from actions.common import describe_facts


def test_facts_are_shown_in_words_and_whole_numbers_without_a_decimal_point() -> None:
    assert describe_facts({"annual_revenue": 90000.0, "employees": 1299, "years_since_graduation": 2.5}) == (
        "年营业收入（万元）：90000，员工人数：1299，毕业年数：2.5")
    assert describe_facts({"annual_revenue": 800.0, "first_business": True}, "en") == (
        "Annual revenue (10,000 yuan): 800; First business: Yes")


def test_an_english_summary_names_the_industry_in_english() -> None:
    """The reader stores the Chinese name (餐馆); an English reply, and its SMS, stay in English."""
    described = describe_facts({"industry": "餐馆", "is_tech_company": False}, "en")
    assert "restaurant" in described and described.isascii()
    assert "餐馆" in describe_facts({"industry": "餐馆"})  # Chinese replies keep it

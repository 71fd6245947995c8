"""Facts implied by the ones given, and how a corrected fact replaces what went with it."""

from __future__ import annotations

from policy_kb.inference import infer_facts, merge_facts


def test_a_corrected_fact_takes_what_went_with_its_old_value_along() -> None:
    said = {"student_status": "graduated", "years_since_graduation": 0, "fresh_graduate": True, "employees": 5}
    corrected = merge_facts(said, {"years_since_graduation": 1.5})  # "不对 是去年六月毕业的"
    assert "fresh_graduate" not in corrected and corrected["employees"] == 5
    assert infer_facts(corrected)["fresh_graduate"] is False
    assert merge_facts(said, {"years_since_graduation": 0}) == said  # the same value again changes nothing
    assert merge_facts(said, {"years_since_graduation": 2, "fresh_graduate": True})["fresh_graduate"] is True
    back_in_school = merge_facts(said, {"student_status": "in_school"})
    assert "years_since_graduation" not in back_in_school and "fresh_graduate" not in back_in_school

"""Facts that follow from the ones a person gave, so that no question is asked whose answer is already implied.

Only what the given facts settle is added, and never over a fact the person stated: "毕业3年" means graduated and
not 应届; a head count may settle the size band (policy_kb/sizing.py); where a message says the person is active
(``in_gansu``) stands for the business, the employer and the place of commercialisation until the check asks about
one of them specifically.
"""

from __future__ import annotations

from collections.abc import Mapping

from policy_kb.sizing import size_facts

LOCATION_FACTS = ("business_in_gansu", "employer_in_gansu", "commercialized_in_gansu")
# Facts read together with another one that a new value of it makes stale: "今年毕业" also said 应届, so
# "不对 是去年六月毕业的" leaves 应届 to follow from the new date; "还在读" after "毕业三年" drops the years.
STALE_WHEN_CHANGED = {
    "years_since_graduation": ("fresh_graduate",),
    "student_status": ("fresh_graduate", "years_since_graduation"),
}


def merge_facts(known: Mapping[str, object], new: Mapping[str, object]) -> dict[str, object]:
    """``known`` updated with ``new``; a changed fact takes the facts that went with its old value along, unless
    ``new`` states them too."""
    merged = dict(known)
    for name, value in new.items():
        if name in known and known[name] != value:
            for stale in STALE_WHEN_CHANGED.get(name, ()):
                if stale not in new:
                    merged.pop(stale, None)
    merged.update(new)
    return merged


def infer_facts(facts: Mapping[str, object]) -> dict[str, object]:
    """``facts`` with what they imply added (stated facts always win)."""
    implied: dict[str, object] = {}
    located = facts.get("in_gansu")
    if located is not None:
        implied.update(dict.fromkeys(LOCATION_FACTS, located))
    years = facts.get("years_since_graduation")
    if years is not None:
        implied["student_status"] = "graduated"
        implied["fresh_graduate"] = years < 1
    if facts.get("student_status") in ("in_school", "not_student"):
        implied["fresh_graduate"] = False if facts["student_status"] == "not_student" else None
    if facts.get("consortium_small_firm_share") is not None:
        implied["consortium_bid"] = True
    if facts.get("is_foreign_national") is True:
        implied["from_outside_gansu"] = True
    implied.update(size_facts(facts.get("employees"), facts.get("industry"),  # type: ignore[arg-type]
                              facts.get("annual_revenue")))  # type: ignore[arg-type]
    return {**{name: value for name, value in implied.items() if value is not None}, **facts}

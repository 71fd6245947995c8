"""The eligibility rules of the document, one function per condition, each beside the clause it encodes.

A condition returns True (met), False (failed) or None (a fact it needs is still unknown). Numbers come from
``data/parameters.yml``; the user-facing wording of every condition lives in ``data/eligibility.yml``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

Facts = Mapping[str, object]
Parameters = Mapping[str, object]
Check = Callable[[Facts, Parameters], "bool | None"]

SMALL_OR_MICRO = ("micro", "small", "small_or_micro")  # small_or_micro: "小微", which is either
SMALL_MEDIUM_OR_MICRO = ("micro", "small", "small_or_micro", "medium")
UNIVERSITY_OR_INSTITUTE = ("university", "research_institute")


@dataclass(frozen=True)
class Condition:
    """One condition of a rule: the facts it reads (in the order to ask them) and its test."""

    id: str
    facts: tuple[str, ...]
    check: Check
    # True when any one of the facts meets it (a disjunction): then only "no" to all of them fails it.
    any_of: bool = False


@dataclass(frozen=True)
class Rule:
    """A measure of the document with the conditions a person must meet, all of them."""

    id: str
    topic: str
    section: str
    conditions: tuple[Condition, ...]


def is_true(fact: str) -> Check:
    """A condition met when a yes/no fact is yes."""

    def check(facts: Facts, _: Parameters) -> bool | None:
        value = facts.get(fact)
        return None if value is None else value is True

    return check


def is_one_of(fact: str, allowed: tuple[str, ...]) -> Check:
    """A condition met when an enum fact takes one of ``allowed``."""

    def check(facts: Facts, _: Parameters) -> bool | None:
        value = facts.get(fact)
        return None if value is None else value in allowed

    return check


def size_is(allowed: tuple[str, ...], settled_by_count: str) -> Check:
    """A size condition: the band the person stated, else what their head count settles (policy_kb/sizing.py)."""

    def check(facts: Facts, _: Parameters) -> bool | None:
        size = facts.get("company_size")
        if size is not None:
            return size in allowed
        by_count = facts.get(settled_by_count)
        return None if by_count is None else bool(by_count)

    return check


# Asked in this order: people know their head count; the industry settles what the count alone does not; the band
# itself is asked last (policy_kb/engine.py asks the first unknown fact of a condition).
SIZE_FACTS = ("employees", "industry", "company_size")


def any_true(*fact_names: str) -> Check:
    """Met when any of the yes/no facts is yes; failed only when all are known and no."""

    def check(facts: Facts, _: Parameters) -> bool | None:
        values = [facts.get(name) for name in fact_names]
        if any(value is True for value in values):
            return True
        if all(value is False for value in values):
            return False
        return None

    return check


# --- 三(四)2 支持大学生创业创新 -------------------------------------------------------------------


def student_or_recent_graduate(facts: Facts, parameters: Parameters) -> bool | None:
    """对在校大学生和毕业5年内的高等学校毕业生 (三(四)2).

    "毕业5年内" includes the fifth year: a graduate of exactly 5 years qualifies, 6 years does not.
    """
    status = facts.get("student_status")
    if status is None:
        return None
    if status == "in_school":
        return True
    if status != "graduated":
        return False
    years = facts.get("years_since_graduation")
    if years is None:
        return None
    return years <= parameters["student_startup.graduation_window_years"]


STUDENT_STARTUP_SOCIAL_INSURANCE = Rule(
    id="student_startup_social_insurance",
    topic="student_startup_social_insurance",
    section="三(四)2",
    conditions=(
        # 对在校大学生和毕业5年内的高等学校毕业生，在我省初次创办小微型科技企业的，按相关政策给予3年的社会保险补贴。
        Condition("student_or_recent_graduate", ("student_status", "years_since_graduation"),
                  student_or_recent_graduate),
        Condition("business_in_gansu", ("business_in_gansu",), is_true("business_in_gansu")),
        Condition("first_business", ("first_business",), is_true("first_business")),
        Condition("small_or_micro_company", SIZE_FACTS, size_is(SMALL_OR_MICRO, "size_small_or_micro")),
        Condition("tech_company", ("is_tech_company",), is_true("is_tech_company")),
    ),
)

STUDENT_LEAVE_OF_ABSENCE = Rule(
    id="student_leave_of_absence",
    topic="student_leave_of_absence",
    section="三(四)2",
    conditions=(
        # 允许和支持大学生保留学籍休学创业，休学时间可视为其参加实践教育时间。
        Condition("enrolled_student", ("student_status",), is_one_of("student_status", ("in_school",))),
    ),
)

# --- 三(二)1 加大财政资金的支持和统筹力度 -------------------------------------------------------------

GRADUATE_JOB_SEARCH_GRANT = Rule(
    id="graduate_job_search_grant",
    topic="graduate_job_search_grant",
    section="三(二)1",
    conditions=(
        # 对省内高等学校城乡居民最低生活保障家庭应届毕业生、残疾毕业生、获得国家助学贷款毕业生，发放一次性求职创业补助。
        Condition("gansu_university", ("from_gansu_university",), is_true("from_gansu_university")),
        Condition("fresh_graduate", ("fresh_graduate",), is_true("fresh_graduate")),
        Condition("hardship_group", ("low_income_family", "disabled", "national_student_loan"),
                  any_true("low_income_family", "disabled", "national_student_loan"), any_of=True),
    ),
)

INCUBATOR_SPECIAL_FUND = Rule(
    id="incubator_special_fund",
    topic="maker_space_support",
    section="三(二)1",
    conditions=(
        # 鼓励经认定的各类"双创"示范基地、科技孵化器、大学科技创新园、创业咖啡等新型众创空间积极申请
        # 兰白科技创新改革试验区科技孵化器专项基金的支持。
        Condition("certified_incubator", ("certified_incubator",), is_true("certified_incubator")),
    ),
)

# --- 三(四)1 支持科研人员创业创新 -------------------------------------------------------------------

RESEARCHER_LEAVE_STARTUP = Rule(
    id="researcher_leave_startup",
    topic="researcher_leave_startup",
    section="三(四)1",
    conditions=(
        # 省内高等学校、科研院所科技人员要求离岗创业的，经原单位同意，3年内保留原有人事关系和基本待遇……
        Condition("researcher", ("is_researcher",), is_true("is_researcher")),
        Condition("university_or_institute", ("employer_type",),
                  is_one_of("employer_type", UNIVERSITY_OR_INSTITUTE)),
        Condition("employer_in_gansu", ("employer_in_gansu",), is_true("employer_in_gansu")),
        Condition("employer_consent", ("employer_consent",), is_true("employer_consent")),
    ),
)

RESEARCH_COMMERCIALIZATION_INCOME = Rule(
    id="research_commercialization_income",
    topic="research_commercialization_income",
    section="三(四)1",
    conditions=(
        # 高等学校、科研院所科研人员、研发团队在我省实施各类科技成果转化、转让获得的收益，其所得不低于50%。
        Condition("researcher", ("is_researcher",), is_true("is_researcher")),
        Condition("university_or_institute", ("employer_type",),
                  is_one_of("employer_type", UNIVERSITY_OR_INSTITUTE)),
        Condition("commercialized_in_gansu", ("commercialized_in_gansu",), is_true("commercialized_in_gansu")),
    ),
)

# --- 三(四)3 支持省外人才来我省创业创新 ---------------------------------------------------------------

OUTSIDE_TALENT_SME_SUPPORT = Rule(
    id="outside_talent_sme_support",
    topic="talent_from_outside",
    section="三(四)3",
    conditions=(
        # 对省外优秀创业人才来我省创办的中小微企业，直接分类纳入省级科技型中小企业扶持计划……
        Condition("from_outside_gansu", ("from_outside_gansu",), is_true("from_outside_gansu")),
        Condition("business_in_gansu", ("business_in_gansu",), is_true("business_in_gansu")),
        Condition("small_medium_micro_company", SIZE_FACTS, size_is(SMALL_MEDIUM_OR_MICRO, "size_sme")),
    ),
)

FOREIGN_TALENT_EQUAL_TREATMENT = Rule(
    id="foreign_talent_equal_treatment",
    topic="talent_from_outside",
    section="三(四)3",
    conditions=(
        # 对持有永久居留证的外籍高端人才在我省创办科技型企业，享受中国籍公民同等待遇……
        Condition("foreign_national", ("is_foreign_national",), is_true("is_foreign_national")),
        Condition("permanent_residence", ("permanent_residence",), is_true("permanent_residence")),
        Condition("business_in_gansu", ("business_in_gansu",), is_true("business_in_gansu")),
        Condition("tech_company", ("is_tech_company",), is_true("is_tech_company")),
    ),
)

# --- 三(二)3 发挥政府采购支持作用 -------------------------------------------------------------------


def consortium_share_reaches_minimum(facts: Facts, parameters: Parameters) -> bool | None:
    """对小微企业占联合体股份达到30%以上的 (三(二)3): "达到30%以上" includes exactly 30%."""
    share = facts.get("consortium_small_firm_share")
    if share is None:
        return None
    return share >= parameters["procurement.consortium_min_small_firm_share_percent"]


PROCUREMENT_SME_RESERVED_SHARE = Rule(
    id="procurement_sme_reserved_share",
    topic="government_procurement",
    section="三(二)3",
    conditions=(
        # 各部门年度政府采购项目预算总额中面向中小企业采购不低于采购总额的30%，其中预留给小微企业的比例不低于60%。
        Condition("small_medium_micro_company", SIZE_FACTS, size_is(SMALL_MEDIUM_OR_MICRO, "size_sme")),
    ),
)

PROCUREMENT_SMALL_MICRO_PRICE_DEDUCTION = Rule(
    id="procurement_small_micro_price_deduction",
    topic="government_procurement",
    section="三(二)3",
    conditions=(
        # 对非专门面向中小企业的采购项目，若采购小微型企业产品（服务），应给予其6%-10%的价格扣除。
        Condition("small_or_micro_company", SIZE_FACTS, size_is(SMALL_OR_MICRO, "size_small_or_micro")),
    ),
)

PROCUREMENT_CONSORTIUM_PRICE_DEDUCTION = Rule(
    id="procurement_consortium_price_deduction",
    topic="government_procurement",
    section="三(二)3",
    conditions=(
        # 鼓励大中型企业与小微企业组成联合体参与政府采购投标，对小微企业占联合体股份达到30%以上的，
        # 可给予联合体2%-3%的价格扣除。
        Condition("consortium_bid", ("consortium_bid",), is_true("consortium_bid")),
        Condition("consortium_small_firm_share", ("consortium_small_firm_share",),
                  consortium_share_reaches_minimum),
    ),
)

# --- 三(二)2 落实税收优惠政策 -----------------------------------------------------------------------

VENTURE_CAPITAL_TAX_CREDIT = Rule(
    id="venture_capital_tax_credit",
    topic="tax_incentives",
    section="三(二)2",
    conditions=(
        # 落实创业投资企业享受70%应纳税所得额税收抵免政策
        Condition("venture_capital_firm", ("is_venture_capital_firm",), is_true("is_venture_capital_firm")),
    ),
)

ALL_RULES: tuple[Rule, ...] = (
    STUDENT_STARTUP_SOCIAL_INSURANCE,
    STUDENT_LEAVE_OF_ABSENCE,
    GRADUATE_JOB_SEARCH_GRANT,
    INCUBATOR_SPECIAL_FUND,
    RESEARCHER_LEAVE_STARTUP,
    RESEARCH_COMMERCIALIZATION_INCOME,
    OUTSIDE_TALENT_SME_SUPPORT,
    FOREIGN_TALENT_EQUAL_TREATMENT,
    PROCUREMENT_SME_RESERVED_SHARE,
    PROCUREMENT_SMALL_MICRO_PRICE_DEDUCTION,
    PROCUREMENT_CONSORTIUM_PRICE_DEDUCTION,
    VENTURE_CAPITAL_TAX_CREDIT,
)


def rules_for_topic(topic: str) -> tuple[Rule, ...]:
    """The rules of a topic, in the order they are explained (a topic may have several measures)."""
    return tuple(rule for rule in ALL_RULES if rule.topic == topic)

"""Tests for nlu.facts: facts read from users' messages and from short answers."""

import datetime
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.facts import extract_facts, interpret_answer, restated_facts
from nlu.facts.lexicon import _alternation, load_lexicon, university_rules
from nlu.normalize import normalize_text

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = yaml.safe_load((ROOT / "policy_kb" / "data" / "facts.yml").read_text(encoding="utf-8"))["facts"]
LEXICON = yaml.safe_load((ROOT / "nlu" / "lexicons" / "facts.yml").read_text(encoding="utf-8"))
TODAY = datetime.date(2025, 6, 1)

GRADUATED_2 = {"student_status": "graduated", "years_since_graduation": 2}
FRESH = {"fresh_graduate": True, "student_status": "graduated", "years_since_graduation": 0}

EXTRACTION_CASES = [
    # student_status, years_since_graduation, fresh_graduate
    ("我大三", {"student_status": "in_school"}),
    ("研一在读", {"student_status": "in_school"}),
    ("博二", {"student_status": "in_school"}),
    ("dx生一枚😂", {"student_status": "in_school"}),
    ("俺是大学僧", {"student_status": "in_school"}),
    ("还没毕业", {"student_status": "in_school"}),
    ("大一点的公司", {}),
    ("毕业俩年了", GRADUATED_2),
    ("毕业两年", GRADUATED_2),
    ("毕业2年多了", {"student_status": "graduated", "years_since_graduation": 2.5}),  # 多: half a year more
    ("毕业五年", {"student_status": "graduated", "years_since_graduation": 5}),
    ("毕业半年", {"student_status": "graduated", "years_since_graduation": 0.5}),
    ("毕业十来年了", {"student_status": "graduated", "years_since_graduation": 10}),
    ("毕业一年半", {"student_status": "graduated", "years_since_graduation": 1.5}),
    ("毕业五年半了", {"student_status": "graduated", "years_since_graduation": 5.5}),  # outside 毕业5年内
    ("毕业四年多", {"student_status": "graduated", "years_since_graduation": 4.5}),
    ("三年前毕业的", {"student_status": "graduated", "years_since_graduation": 3}),
    ("2021年毕业", {"student_status": "graduated", "years_since_graduation": 4}),
    ("21年毕业", {"student_status": "graduated", "years_since_graduation": 4}),
    ("21届的", {"student_status": "graduated", "years_since_graduation": 4}),
    ("二一年毕业", {"student_status": "graduated", "years_since_graduation": 4}),
    ("98年毕业的", {"student_status": "graduated", "years_since_graduation": 27}),
    (
        "2019年从兰州大学毕业",
        {"student_status": "graduated", "years_since_graduation": 6, "from_gansu_university": True},
    ),
    ("2027届", {}),
    ("应届生", FRESH),
    ("今年刚毕业", FRESH),
    ("2025届", FRESH),
    ("不是应届生", {"fresh_graduate": False}),
    ("去年毕业", {"student_status": "graduated", "years_since_graduation": 1}),
    ("俺今年刚从职业技术学院毕业", FRESH),
    ("回校后还能正常毕业吗", {}),
    ("没上过大学", {"student_status": "not_student"}),
    ("高中毕业", {"student_status": "not_student"}),
    ("毕业快三年了", {"student_status": "graduated", "years_since_graduation": 3}),
    ("大专毕业两年了", GRADUATED_2),
    ("毕业5年内能申请吗", {}),
    ("高校毕业生创业社保补贴怎么申请", {}),
    # in_gansu, from_outside_gansu
    ("我在兰州", {"in_gansu": True}),
    ("公司在兰州新区", {"in_gansu": True}),
    ("我是陕西的", {"from_outside_gansu": True}),
    ("我是外地人", {"from_outside_gansu": True}),
    ("在外省开公司", {"in_gansu": False}),
    ("不在甘肃", {"in_gansu": False}),
    ("我是天水人", {"from_outside_gansu": False}),
    ("户籍在四川 不是本省的", {"from_outside_gansu": True}),
    ("非甘肃户籍", {"from_outside_gansu": True}),
    ("我是英国人", {"is_foreign_national": True}),
    ("来甘肃创业", {"from_outside_gansu": True, "in_gansu": True}),
    ("在敦煌开民宿", {"in_gansu": True, "industry": "民宿", "is_tech_company": False}),
    ("我是甘肃人在北京工作", {"in_gansu": False, "from_outside_gansu": False}),
    ("请问兰州大学科技园怎么入驻", {"in_gansu": True}),
    ("想把项目放到天水师范学院的科技园孵化", {"in_gansu": True}),
    # first_business
    ("第一次创业", {"first_business": True}),
    ("头一回开店", {"first_business": True}),
    ("第一次来兰州", {"in_gansu": True}),
    ("我们是第一次参加创业大赛", {}),
    ("之前创过业", {"first_business": False}),
    ("二次创业", {"first_business": False}),
    ("不是第一次创业", {"first_business": False}),
    ("没创过业", {"first_business": True}),
    # annual_revenue, in 万元 (the lower bound of "多")
    ("去年营业收入九个多亿", {"annual_revenue": 90000.0}),
    ("营业额八百来万", {"annual_revenue": 800.0}),
    ("年销售额1.2亿", {"annual_revenue": 12000.0}),
    ("我们流水五六百万", {"annual_revenue": 500.0}),
    ("turnover of RMB 450 million", {"annual_revenue": 45000.0}),
    ("我年收入二十万", {}),  # a person's income, not a firm's revenue
    # employees
    ("公司十来个人", {"employees": 10}),
    ("员工二十多个", {"employees": 29}),  # the most it can be: a size threshold is never passed on a guess
    ("就七八个人", {"employees": 8}),
    ("十几个人", {"employees": 19}),
    ("5个人", {"employees": 5}),
    ("三十人的团队", {"employees": 30}),
    ("我们两三个人一起干", {"employees": 3}),
    ("家里5口人", {}),
    ("做了3个人工智能项目", {"industry": "人工智能", "is_tech_company": True}),
    # company_size
    ("小微企业", {}),
    ("我们是微型企业", {"company_size": "micro"}),
    ("算小型公司", {"company_size": "small"}),
    ("和大中型企业组成联合体", {"consortium_bid": True}),
    # industry, is_tech_company
    ("做软件的", {"industry": "软件", "is_tech_company": True}),
    ("开饭馆的", {"industry": "饭馆", "is_tech_company": False}),
    ("开了个拉面馆", {"industry": "拉面", "is_tech_company": False}),
    ("在张掖养羊", {"in_gansu": True, "industry": "养殖", "is_tech_company": False}),
    ("做碳纤维研发", {"industry": "碳纤维", "is_tech_company": True}),
    ("开奶茶店", {"industry": "奶茶", "is_tech_company": False}),
    ("我们是科技型企业", {"is_tech_company": True}),
    ("不是科技型企业", {"is_tech_company": False}),
    # low_income_family, disabled, national_student_loan
    ("我家是低保户", {"low_income_family": True}),
    ("不是低保户", {"low_income_family": False}),
    ("家里吃低保", {"low_income_family": True}),
    ("有残疾证", {"disabled": True}),
    ("没有残疾证", {"disabled": False}),
    ("残疾证没有", {"disabled": False}),
    ("贷了助学贷", {"national_student_loan": True}),
    ("没贷过助学贷款", {"national_student_loan": False}),
    ("助学带款贷过", {"national_student_loan": True}),
    ("我家是低包户", {"low_income_family": True}),
    # is_researcher, employer_type, employer_consent
    ("我是大学老师", {"is_researcher": True, "employer_type": "university"}),
    ("在中科院工作", {"employer_type": "research_institute"}),
    ("我是研究员，在研究所上班", {"is_researcher": True, "employer_type": "research_institute"}),
    ("在公司上班", {"employer_type": "enterprise"}),
    ("我是公务员", {"employer_type": "government"}),
    (
        "博士毕业 在兰州理工当老师",
        {"student_status": "graduated", "employer_type": "university", "employer_in_gansu": True,
         "is_researcher": True},
    ),
    ("单位同意了", {"employer_consent": True}),
    ("单位还没同意", {"employer_consent": False}),
    ("单位不同意", {"employer_consent": False}),
    ("领导批了", {"employer_consent": True}),
    ("领导不批", {"employer_consent": False}),
    ("需要单位同意吗", {}),
    ("单位同意了吗", {}),
    (
        "我是兰州大学的老师，单位同意我离岗创业",
        {"employer_type": "university", "employer_in_gansu": True, "is_researcher": True, "employer_consent": True},
    ),
    ("老师好，请问大学生创业有什么补贴", {}),
    # is_foreign_national, permanent_residence
    ("我是外国人，有中国绿卡", {"is_foreign_national": True, "permanent_residence": True}),
    ("外籍，没有永久居留证", {"is_foreign_national": True, "permanent_residence": False}),
    ("不是外国人", {"is_foreign_national": False}),
    # consortium_bid, consortium_small_firm_share
    ("我们和大企业组成联合体投标，小微企业占股35%", {"consortium_bid": True, "consortium_small_firm_share": 35.0}),
    ("联合体里小微企业占三成", {"consortium_bid": True, "consortium_small_firm_share": 30.0}),
    ("股份占百分之三十五", {"consortium_small_firm_share": 35.0}),
    ("我们占35个点的股份", {"consortium_small_firm_share": 35.0}),
    ("占股3成5", {"consortium_small_firm_share": 35.0}),
    ("35个点", {}),
    ("我们单独投标", {"consortium_bid": False}),
    # is_venture_capital_firm, certified_incubator
    ("我们是创投公司", {"is_venture_capital_firm": True}),
    ("我们在找风投", {}),
    ("我们是省级孵化器", {"certified_incubator": True}),
    ("我们的孵化器经过认定了", {"certified_incubator": True}),
    ("众创空间还没认定", {"certified_incubator": False}),
    # negation scope, hypotheses and questions
    ("不是低保户但是残疾人", {"low_income_family": False, "disabled": True}),
    ("不是低保户有残疾证", {"low_income_family": False, "disabled": True}),
    ("如果是低保户能申请吗", {}),
    ("是不是低保户都行吗", {}),
    # traditional characters and full-width forms
    ("畢業兩年，在蘭州開飯館", {**GRADUATED_2, "in_gansu": True, "industry": "饭馆", "is_tech_company": False}),
    ("我是殘疾人", {"disabled": True}),
    ("ＡＰＰ開發，團隊８個人", {"industry": "app", "is_tech_company": True, "employees": 8}),
    ("毕叶两年", GRADUATED_2),
    # several facts in one message
    (
        "大四，兰大的，家里低保，想做个小程序",
        {
            "student_status": "in_school",
            "from_gansu_university": True,
            "low_income_family": True,
            "industry": "软件",
            "is_tech_company": True,
        },
    ),
    (
        "俺是陕西人 在兰州开饭馆 第一次创业 十来个人",
        {
            "from_outside_gansu": True,
            "in_gansu": True,
            "industry": "饭馆",
            "is_tech_company": False,
            "first_business": True,
            "employees": 10,
        },
    ),
    (
        "毕业3年 在白银养羊 没有残疾证 低保户",
        {
            "student_status": "graduated",
            "years_since_graduation": 3,
            "in_gansu": True,
            "industry": "养殖",
            "is_tech_company": False,
            "disabled": False,
            "low_income_family": True,
        },
    ),
    (
        "我24岁 毕业两年 在天水开了个小超市 员工3个",
        {**GRADUATED_2, "in_gansu": True, "industry": "超市", "is_tech_company": False, "employees": 3},
    ),
    # no facts at all
    ("你好", {}),
    ("谢谢🙏", {}),
    ("咋申请创业补贴", {}),
    ("创业担保贷款怎么办理", {}),
    ("联系电话多少", {}),
    ("您好 我来咨询一下", {}),
    ("哪个机关能给办这个", {}),
    ("来甘肃有什么安家政策", {"from_outside_gansu": True, "in_gansu": True}),
    ("ok", {}),
    ("", {}),
    ("   ", {}),
]


@pytest.mark.parametrize(("text", "expected"), EXTRACTION_CASES)
def test_extract_facts(text: str, expected: dict[str, object]) -> None:
    assert extract_facts(text, today=TODAY) == expected


INTERPRET_CASES = [
    # bool
    ("嗯", "low_income_family", True),
    ("是的", "disabled", True),
    ("对的", "in_gansu", True),
    ("YES", "in_gansu", True),
    ("y", "in_gansu", True),
    ("1", "in_gansu", True),
    ("👍", "in_gansu", True),
    ("嗯嗯嗯", "disabled", True),
    ("对对对", "disabled", True),
    ("没问题", "disabled", True),
    ("是滴", "fresh_graduate", True),
    ("有，中国绿卡", "permanent_residence", True),
    ("同意了", "employer_consent", True),
    ("头一回", "first_business", True),
    ("认定了", "certified_incubator", True),
    ("是陕西的", "from_outside_gansu", True),
    ("不是", "in_gansu", False),
    ("没有", "disabled", False),
    ("否", "disabled", False),
    ("no", "disabled", False),
    ("木有", "disabled", False),
    ("我不是", "disabled", False),
    ("不在", "in_gansu", False),
    ("没贷过", "national_student_loan", False),
    ("还没批", "employer_consent", False),
    ("第二次", "first_business", False),
    ("还没认定", "certified_incubator", False),
    ("不是, 中国人", "is_foreign_national", False),
    ("没有的事", "low_income_family", False),
    ("不知道", "disabled", None),
    ("不是很清楚", "disabled", None),
    ("是吗?", "disabled", None),
    ("有没有都行", "disabled", None),
    ("", "disabled", None),
    ("？？", "disabled", None),
    ("兰州的", "from_outside_gansu", None),
    # int
    ("3", "employees", 3),
    ("三", "employees", 3),
    ("俩", "employees", 2),
    ("十来个", "employees", 10),
    ("二十多", "employees", 29),
    ("一百多人", "employees", 199),
    ("0", "employees", 0),
    ("就我一个", "employees", 1),
    ("好多", "employees", None),
    ("2年", "years_since_graduation", 2),
    ("2021", "years_since_graduation", 4),
    ("半年", "years_since_graduation", 0.5),
    ("三个月", "years_since_graduation", 0.25),
    ("两年半", "years_since_graduation", 2.5),
    ("毕业俩年了", "years_since_graduation", 2),
    ("21年毕业", "years_since_graduation", 4),
    ("好几年了", "years_since_graduation", None),
    # number
    ("35", "consortium_small_firm_share", 35.0),
    ("35%", "consortium_small_firm_share", 35.0),
    ("３５％", "consortium_small_firm_share", 35.0),
    ("三成", "consortium_small_firm_share", 30.0),
    ("百分之三十五", "consortium_small_firm_share", 35.0),
    ("35个点", "consortium_small_firm_share", 35.0),
    ("一半", "consortium_small_firm_share", 50.0),
    ("150", "consortium_small_firm_share", None),
    ("不清楚", "consortium_small_firm_share", None),
    # enum
    ("在校", "student_status", "in_school"),
    ("还在上学", "student_status", "in_school"),
    ("大三", "student_status", "in_school"),
    ("在校大学生（含研究生）", "student_status", "in_school"),
    ("毕业了", "student_status", "graduated"),
    ("已经毕业", "student_status", "graduated"),
    ("没上过大学", "student_status", "not_student"),
    ("都不是", "student_status", "not_student"),
    ("是", "student_status", None),
    ("微型", "company_size", "micro"),
    ("小型", "company_size", "small"),
    ("算微型吧", "company_size", "micro"),
    ("中型企业", "company_size", "medium"),
    ("大", "company_size", "large"),
    ("小微", "company_size", None),
    ("小微企业", "company_size", "small_or_micro"),
    ("高校", "employer_type", "university"),
    ("研究所", "employer_type", "research_institute"),
    ("公司", "employer_type", "enterprise"),
    ("党政机关", "employer_type", "government"),
    ("其他", "employer_type", "other"),
    # text
    ("做软件的", "industry", "软件"),
    ("  养羊  ", "industry", "养殖"),
    ("卖手机的", "industry", "卖手机"),
    ("是", "industry", None),
    ("不知道", "industry", None),
    # a status applied for but not granted yet is "no" (yet)
    ("认定材料十月份交到市科技局了 还没批下来", "certified_incubator", False),
    ("申请交上去了 还在走流程", "employer_consent", False),
    ("still pending", "permanent_residence", False),
    # a place answers a question about where something is
    ("所在西宁 青海的", "employer_in_gansu", False),
    ("公司在天水麦积区", "business_in_gansu", True),
    ("不在甘肃", "business_in_gansu", False),
]


@pytest.mark.parametrize(("text", "fact", "expected"), INTERPRET_CASES)
def test_interpret_answer(text: str, fact: str, expected: object) -> None:
    assert interpret_answer(text, fact, today=TODAY) == expected


# Never read from a message on their own: they follow from in_gansu (policy_kb/inference.py) or are asked.
INFERRED_ONLY = {"business_in_gansu", "commercialized_in_gansu"}


def test_extraction_table_covers_every_fact() -> None:
    covered = {name for _, expected in EXTRACTION_CASES for name in expected}
    assert covered == set(SCHEMA) - INFERRED_ONLY


def test_relative_graduation_dates_count_months_against_today() -> None:
    today = datetime.date(2026, 12, 5)
    assert extract_facts("去年七月毕业", today=today)["years_since_graduation"] == 1.42
    assert extract_facts("2021年7月毕业", today=today)["years_since_graduation"] == 5.42  # 5 years 5 months
    assert extract_facts("今年6月毕业", today=today)["fresh_graduate"] is True


def test_interpret_answer_rejects_unknown_fact() -> None:
    with pytest.raises(ValueError, match="unknown fact"):
        interpret_answer("是", "no_such_fact")


def test_graduation_year_uses_today() -> None:
    assert extract_facts("2021年毕业", today=datetime.date(2030, 1, 1))["years_since_graduation"] == 9


def test_lexicon_and_schema_load_lazily() -> None:
    """Importing the module reads no file and imports no numeral library."""
    code = (
        "import sys, nlu.facts, nlu.facts.lexicon as m\n"
        "assert m.load_lexicon.cache_info().currsize == 0\n"
        "assert m.fact_schema.cache_info().currsize == 0\n"
        "assert 'cn2an' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# ---- properties ---------------------------------------------------------------------------------


def assert_valid_fact(name: str, value: object) -> None:
    spec = SCHEMA[name]
    kind = spec["type"]
    if kind == "bool":
        assert isinstance(value, bool)
    elif kind == "enum":
        assert value in spec["values"]
    elif kind == "text":
        assert isinstance(value, str) and value.strip()
    else:
        assert not isinstance(value, bool)
        assert isinstance(value, int if kind == "int" else float)
        assert math.isfinite(value)
        assert spec["min"] <= value <= spec["max"]


def _lexicon_words() -> list[str]:
    words = [str(word) for group in LEXICON["phrases"] for word in group["words"]]
    for canon_map in LEXICON["industries"].values():
        for canonical, synonyms in canon_map.items():
            words += [canonical, *(synonyms or [])]
    words += [str(word) for word in LEXICON["answers"]["yes"] + LEXICON["answers"]["no"]]
    return words + list(LEXICON["typos"]) + LEXICON["negation"]["words"]


# Messages built from real lexicon words, numbers, negations and noise, so that the extractor's
# branches are reached, not only its "nothing found" path.
_FRAGMENT = st.one_of(
    st.sampled_from(_lexicon_words()),
    st.sampled_from(["毕业", "年", "届", "个人", "%", "成", "百分之", "占股", "联合体", "个月", "前", "来", "多"]),
    st.integers(min_value=-5, max_value=3000).map(str),
    st.sampled_from(["十", "二十", "三十五", "俩", "两三", "半", "一百", "九九九九九九九九九九九九九九九"]),
    st.sampled_from([",", "。", "!", "?", " ", "吗", "但是", "如果", "是不是", "\n"]),
    st.text(max_size=4),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
)
_MESSAGE = st.lists(_FRAGMENT, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(_MESSAGE)
def test_extract_facts_returns_only_valid_facts(text: str) -> None:
    facts = extract_facts(text, today=TODAY)
    assert isinstance(facts, dict)
    for name, value in facts.items():
        assert_valid_fact(name, value)


# interpret_answer on generated messages: tests/resilience/test_fuzz.py.


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_extract_facts_never_raises_on_arbitrary_text(text: str) -> None:
    for name, value in extract_facts(text).items():
        assert_valid_fact(name, value)


FACT_CASES = yaml.safe_load((Path(__file__).parent / "cases" / "fact_reading.yml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", FACT_CASES["cases"], ids=lambda case: case["text"])
def test_fact_reading_cases(case: dict) -> None:
    assert extract_facts(case["text"], today=FACT_CASES["today"]) == case["facts"]


def test_every_school_of_the_ministry_list_is_read_in_or_out_of_gansu() -> None:
    """nlu/lexicons/universities.yml: all 2 952 schools by province, and short or former names of real schools."""
    raw = yaml.safe_load((Path(__file__).parents[2] / "nlu" / "lexicons" / "universities.yml").read_text("utf-8"))
    schools = {name: province for province, names in raw["provinces"].items() for name in names}
    assert len(schools) == sum(len(names) for names in raw["provinces"].values())  # no school in two provinces
    assert len(raw["provinces"]) == 31 and len(raw["provinces"]["甘肃省"]) == raw["source"]["counts"]["gansu"]
    rules = university_rules(raw)
    for written, school in {**{name: name for name in schools}, **raw["aliases"]}.items():
        expected = schools[school] == "甘肃省"
        assert rules[normalize_text(written)].sets == {"from_gansu_university": expected}, written
    assert extract_facts("我是兰州资源环境职业技术大学毕业的")["from_gansu_university"] is True
    assert extract_facts("我是西安电子科技大学毕业的")["from_gansu_university"] is False


def test_a_correction_restates_a_known_fact_without_the_words_that_usually_come_with_it() -> None:
    assert extract_facts("等下 我看错合同了 小微企业合起来只占25%") == {}  # alone: a percentage of what?
    assert restated_facts("等下 我看错合同了 小微企业合起来只占25%", ["consortium_small_firm_share"]) == {
        "consortium_small_firm_share": 25.0}
    assert restated_facts("不好意思看错了 协议上写的是30%", ["consortium_small_firm_share", "employees"]) == {
        "consortium_small_firm_share": 30.0}


def test_a_school_answers_where_the_employer_is_when_that_is_asked() -> None:
    assert interpret_answer("西安交大的 想来兰州创业", "employer_in_gansu") is False
    assert interpret_answer("兰大的", "employer_in_gansu") is True


def flat_alternation(words: list[str]) -> str:
    """The lexicon's patterns as a plain alternation, longest word first: what the tree of words must match."""
    parts = []
    for word in sorted(set(words), key=lambda item: (-len(item), item)):
        part = re.escape(word)
        if word[0].isascii() and word[0].isalnum():
            part = "(?<![a-z0-9])" + part
        if word[-1].isascii() and word[-1].isalnum():
            part += "(?![a-z0-9])"
        parts.append(part)
    return "|".join(parts) if parts else "(?!)"


_letters = st.sampled_from(list("创业补贴社保大学生ab1 ."))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(_letters, min_size=1, max_size=5), max_size=12), st.text(_letters, max_size=30))
def test_the_tree_of_words_finds_what_the_longest_first_alternation_finds(words: list[str], text: str) -> None:
    tree, flat = re.compile(_alternation(words)), re.compile(flat_alternation(words))
    assert [match.span() for match in tree.finditer(text)] == [match.span() for match in flat.finditer(text)]


def test_the_fact_phrases_are_found_as_by_the_longest_first_alternation() -> None:
    lexicon = load_lexicon()
    flat = re.compile(flat_alternation(list(lexicon.rules)))
    dialogues = Path(__file__).resolve().parents[1] / "dialogues" / "heldout_followups_b.yml"
    texts = [turn["text"] for dialogue in yaml.safe_load(dialogues.read_text(encoding="utf-8"))["dialogues"]
             for turn in dialogue["turns"]]
    texts += ["我是应届生 家里低保 想在兰州开个奶茶店", "i'm a phd graduate, ai startup, email me",
              "残疾人 退役军人 农民工"]
    found = [[match.span() for match in lexicon.phrase_pattern.finditer(text.lower())] for text in texts]
    assert found == [[match.span() for match in flat.finditer(text.lower())] for text in texts]
    assert sum(map(len, found)) > 20  # phrases are found, not only none

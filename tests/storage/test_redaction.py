"""Redaction of 身份证号, mobile numbers, bank card numbers and e-mail addresses in stored text."""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.storage.redaction import (
    CARD_TOKEN,
    EMAIL_TOKEN,
    HOUSE_NUMBER_TOKEN,
    ID_TOKEN,
    LANDLINE_TOKEN,
    MOBILE_TOKEN,
    NAME_TOKEN,
    QQ_TOKEN,
    WECHAT_TOKEN,
    id_check_character,
    is_valid_id_number,
    passes_luhn,
    redact,
    redact_text,
    redacted,
)

# --- the algorithms, written out here independently of the module under test ---------------------------------


def gb11643_check(first_17: str) -> str:
    weights = [2 ** (17 - i) % 11 for i in range(17)]  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
    return "10X98765432"[sum(int(d) * w for d, w in zip(first_17, weights, strict=True)) % 11]


def valid_id(first_17: str) -> str:
    return first_17 + gb11643_check(first_17)


def luhn_sum(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d // 10 + d % 10
    return total


def luhn_complete(prefix: str) -> str:
    """``prefix`` plus the Luhn check digit."""
    return prefix + str((10 - luhn_sum(prefix + "0") % 10) % 10)


def find_id(wanted: Callable[[str], object]) -> str:
    """The first valid ID number of a person born 1949-12-31 in 110105 for which ``wanted(id)`` holds."""
    for serial in range(1000):
        candidate = valid_id(f"11010519491231{serial:03d}")
        if wanted(candidate):
            return candidate
    raise AssertionError("no such ID number in range")


# With a digit in front or after, the run is 19 digits: make sure it is no Luhn-valid card by chance either.
VALID_ID = find_id(lambda n: n[17].isdigit() and luhn_sum("9" + n) % 10 and luhn_sum(n + "1") % 10)
VALID_ID_X = find_id(lambda n: n.endswith("X"))
INVALID_ID = VALID_ID[:17] + str((int(VALID_ID[17]) + 1) % 10)
CARD_16 = luhn_complete("622202123456789")
CARD_19 = luhn_complete("621700123456789012")
CARD_13 = luhn_complete("401288888888")
INVALID_CARD = CARD_16[:-1] + str((int(CARD_16[-1]) + 1) % 10)
FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def test_the_samples_are_what_they_claim() -> None:
    assert is_valid_id_number(VALID_ID) and is_valid_id_number(VALID_ID_X)
    assert is_valid_id_number(VALID_ID_X.lower())
    assert not is_valid_id_number(INVALID_ID)
    assert id_check_character(VALID_ID[:17]) == VALID_ID[17]
    assert passes_luhn(CARD_16) and passes_luhn(CARD_19) and passes_luhn(CARD_13)
    assert passes_luhn("4111111111111111") and passes_luhn("79927398713")
    assert not passes_luhn(INVALID_CARD) and not passes_luhn("4111111111111112")
    assert len(CARD_19) == 19 and len(CARD_13) == 13


@pytest.mark.parametrize("text, expected", [
    (f"我的身份证号是{VALID_ID}，帮我查查", f"我的身份证号是{ID_TOKEN}，帮我查查"),
    (f"身份证{VALID_ID_X}", f"身份证{ID_TOKEN}"),
    (f"身份证{VALID_ID_X.lower()}", f"身份证{ID_TOKEN}"),
    (f"身份证{INVALID_ID}", f"身份证{ID_TOKEN}"),  # wrong check digit, but an area and a birth date: mistyped
    ("编号990102199913991234", "编号990102199913991234"),  # no area code, no month 13: not an ID number
    (f"编号9{VALID_ID}", f"编号9{VALID_ID}"),  # a piece of a 19-digit number
    (f"{VALID_ID}1", f"{VALID_ID}1"),
])
def test_id_numbers_with_a_valid_check_character_or_a_birth_date_are_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("电话13812345678", f"电话{MOBILE_TOKEN}"),
    ("call 19912345678 please", f"call {MOBILE_TOKEN} please"),
    ("+8613812345678", MOBILE_TOKEN),
    ("+86 138 1234 5678", MOBILE_TOKEN),
    ("138-1234-5678", MOBILE_TOKEN),
    ("手机:15012345678,微信同号", f"手机:{MOBILE_TOKEN},微信同号"),
    ("12812345678", "12812345678"),  # 12x is not a mobile prefix
    ("213812345678", "213812345678"),  # inside a longer run of digits
    ("138123456789", "138123456789"),
    ("1381234567", "1381234567"),  # too short
])
def test_mobile_numbers_at_digit_boundaries_are_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    (f"卡号{CARD_16}", f"卡号{CARD_TOKEN}"),
    (f"卡号{CARD_19}。", f"卡号{CARD_TOKEN}。"),
    (f"{CARD_13}", CARD_TOKEN),
    (" ".join(CARD_16[i:i + 4] for i in range(0, 16, 4)), CARD_TOKEN),
    ("-".join(CARD_16[i:i + 4] for i in range(0, 16, 4)), CARD_TOKEN),
    (" ".join(CARD_19[i:i + 4] for i in range(0, 19, 4)), CARD_TOKEN),
    (f"卡号{INVALID_CARD}", f"卡号{CARD_TOKEN}"),  # Luhn check fails, but announced as a card number
    (f"订单{INVALID_CARD}", f"订单{INVALID_CARD}"),  # Luhn check fails, not announced: not a card
    (f"{CARD_16}0000", f"{CARD_16}0000"),  # 20 digits: not a card
    (f"7{CARD_16}", f"7{CARD_16}") if not passes_luhn(f"7{CARD_16}") else (f"7{CARD_16}", CARD_TOKEN),
])
def test_luhn_valid_or_announced_card_numbers_are_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("邮箱 zhang.san+startup@example.com.cn 谢谢", f"邮箱 {EMAIL_TOKEN} 谢谢"),
    ("12345678@qq.com", EMAIL_TOKEN),  # not "[手机号]@qq.com" or digits left behind
    ("13812345678@163.com", EMAIL_TOKEN),
    ("发到ABC_d-1@mail.gsedu.cn吧", f"发到{EMAIL_TOKEN}吧"),
    ("@someone 你好", "@someone 你好"),
    ("a@b", "a@b"),
])
def test_email_addresses_are_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_full_width_digits_and_letters_are_caught() -> None:
    assert redact("手机１３８１２３４５６７８") == f"手机{MOBILE_TOKEN}"
    assert redact(f"身份证{VALID_ID_X.translate(FULL_WIDTH)}") == f"身份证{ID_TOKEN}"
    assert redact(f"身份证{VALID_ID_X.lower().translate(FULL_WIDTH)}") == f"身份证{ID_TOKEN}"
    assert redact(f"卡{CARD_16.translate(FULL_WIDTH)}") == f"卡{CARD_TOKEN}"
    assert redact("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ") == EMAIL_TOKEN


def test_numbers_split_by_invisible_characters_are_caught() -> None:
    assert redact("手机138\u200b1234\u200b5678。") == f"手机{MOBILE_TOKEN}。"
    assert redact(f"身份证{VALID_ID[:6]}\u00ad{VALID_ID[6:]}\u200d") == f"身份证{ID_TOKEN}\u200d"
    assert redact(f"\ufeff卡{CARD_16[:8]}\u2060{CARD_16[8:]}") == f"\ufeff卡{CARD_TOKEN}"
    assert redact("zs\u200c@example.org") == EMAIL_TOKEN
    assert redact("补贴5000\u200b元") == "补贴5000\u200b元"  # not personal: kept as written


def test_ordinary_numbers_stay() -> None:
    for text in ("文件日期2015-12-12，三(四)2", "补贴5000元，贷款10万元，占股35%", "大三 毕业俩年 2021年毕业",
                 "编号123456789012", "电话0931-1234567", ""):
        assert redact(text) == text


def test_several_kinds_in_one_message() -> None:
    text = f"我叫张三 身份证{VALID_ID} 电话13912345678 卡{CARD_16} 邮箱zs@example.org"
    assert redact(text) == f"我叫{NAME_TOKEN} 身份证{ID_TOKEN} 电话{MOBILE_TOKEN} 卡{CARD_TOKEN} 邮箱{EMAIL_TOKEN}"


@pytest.mark.parametrize(("text", "expected"), [
    ("我叫王建国，今年25岁", f"我叫{NAME_TOKEN}，今年25岁"),
    ("我叫李明是兰大的学生", f"我叫{NAME_TOKEN}是兰大的学生"),
    ("我的名字是张三", f"我的名字是{NAME_TOKEN}"),  # a name with a numeral in it is still a name
    ("姓名：欧阳娜娜 想问补贴", f"姓名：{NAME_TOKEN} 想问补贴"),
    ("My name is John Smith and I live in Lanzhou", f"My name is {NAME_TOKEN} and I live in Lanzhou"),
    ("名字叫什么不重要", "名字叫什么不重要"),
    ("我是张伟，想问下创业贷款", f"我是{NAME_TOKEN}，想问下创业贷款"),
    ("你好我是李明 大三学生", f"你好我是{NAME_TOKEN} 大三学生"),
    ("本人陈静，在天水开店", f"本人{NAME_TOKEN}，在天水开店"),
    ("Hi, I'm Ahmed Khan from Pakistan", f"Hi, I'm {NAME_TOKEN} from Pakistan"),
    ("This is Li Na, a student in Lanzhou", f"This is {NAME_TOKEN}, a student in Lanzhou"),
    # what a person is, not who
    ("我是大学生 想创业", "我是大学生 想创业"),
    ("我是兰州人", "我是兰州人"),
    ("我是退役军人，能贷款吗", "我是退役军人，能贷款吗"),
    ("我是高校毕业生", "我是高校毕业生"),
    ("我是白银的 想开个店", "我是白银的 想开个店"),  # where from, not who
    ("我是白银 想开个店", "我是白银 想开个店"),
    ("我是张家川人", "我是张家川人"),
    ("王建军 男 28岁 想贷款养牛", f"{NAME_TOKEN} 男 28岁 想贷款养牛"),  # written as a form is filled in
    ("应届生，李小梅，女，22", f"应届生，{NAME_TOKEN}，女，22"),
    ("兰州 男 25 想创业", "兰州 男 25 想创业"),
    ("大学生 男 22岁", "大学生 男 22岁"),
    ("妇女创业有补贴吗 男的呢", "妇女创业有补贴吗 男的呢"),
    ("我是马云的粉丝", "我是马云的粉丝"),
    ("我是一名教师", "我是一名教师"),
    ("本人是个体户", "本人是个体户"),
    ("I'm German and I live in Lanzhou", "I'm German and I live in Lanzhou"),
    ("I am a student", "I am a student"),
    ("申请表要填姓名、身份证号", "申请表要填姓名、身份证号"),
])
def test_the_name_a_person_gives_is_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("电话0931-8123456", f"电话{LANDLINE_TOKEN}"),
    ("座机(0938)8765432找我", f"座机{LANDLINE_TOKEN}找我"),
    ("QQ 123456789 微信号 zhang_san88", f"QQ {QQ_TOKEN} 微信号 {WECHAT_TOKEN}"),
    ("加我qq号码是 88776655", f"加我qq号码是 {QQ_TOKEN}"),
    ("vx: lz_liming2020", f"vx: {WECHAT_TOKEN}"),
    ("我住兰州市城关区张掖路123号3号楼2单元501室", f"我住兰州市城关区张掖路{HOUSE_NUMBER_TOKEN}"),
    ("住在8号楼3单元402，想问补贴", f"住在{HOUSE_NUMBER_TOKEN}，想问补贴"),
    ("甘政发〔2015〕88号 毕业5年内 补贴2000元 0931-12345", "甘政发〔2015〕88号 毕业5年内 补贴2000元 0931-12345"),
])
def test_landlines_qq_wechat_ids_and_house_numbers_are_replaced(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_the_plan_itself_is_left_as_it_is() -> None:
    """The document the answers quote has no personal data: nothing in it may look like some."""
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "policy_kb" / "sources" / "gansu-2015-mass-entrepreneurship-plan.txt"
    text = source.read_text(encoding="utf-8")
    assert redact(text) == text


# --- properties ------------------------------------------------------------------------------------------------

_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{11,19}[Xx]?(?![0-9])")
_EMAIL_LIKE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def personal_data_left(text: str) -> list[str]:
    """Whole digit runs that are a valid ID, a mobile or a Luhn card number, and e-mail addresses (NFKC form)."""
    text = unicodedata.normalize("NFKC", text)
    found = []
    for match in _DIGIT_RUN.finditer(text):
        run = match.group()
        valid_id_number = len(run) == 18 and gb11643_check(run[:17]) == run[17].upper()
        mobile = run.isdigit() and len(run) == 11 and run[0] == "1" and run[1] in "3456789"
        card = run.isdigit() and 13 <= len(run) <= 19 and luhn_sum(run) % 10 == 0
        if valid_id_number or mobile or card:
            found.append(run)
    found.extend(match.group() for match in _EMAIL_LIKE.finditer(text))
    return found


pieces = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["1", "13", "86", "+86", " ", "-", "X", "x", "@", ".", "com", "qq", "a", "年", "号", "Ｘ", "１",
                     VALID_ID, VALID_ID_X, CARD_16, CARD_19, CARD_13, "13812345678", "zs@example.org",
                     # the words that announce a name, an id or a date (``redact_text`` looks for them first)
                     "我叫", "我是", "本人", "张三", " 男 ", "女", "老婆叫", "I'm ", "I am  ", "Ahmed Khan",
                     "my name is ", "Li Na",
                     "微信号", "wx", "zhangsan_88", "QQ", "护照", "学号", "生日是", "1995年3月12日", "出生", "甘A",
                     "B1234", "路", "12号", "卡号", "一三八"]),
    st.from_regex(r"[0-9]{1,20}", fullmatch=True),
    st.builds(valid_id, st.from_regex(r"[0-9]{17}", fullmatch=True)),
    st.builds(luhn_complete, st.from_regex(r"[0-9]{12,18}", fullmatch=True)),
    st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
)
messages = st.lists(pieces, max_size=12).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), messages))
def test_redaction_never_raises_is_idempotent_and_leaves_nothing(text: str) -> None:
    once = redact(text)
    assert redact(once) == once
    assert personal_data_left(once) == []
    assert redact_text(text) == once  # the quicker path skips only texts that redaction leaves as they are


# --- the forms people also type (privacy issue, point 6), generated ---------------------------------------------

CHINESE_DIGITS = "零一二三四五六七八九"
_MOBILE_DIGITS = st.tuples(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))


def chinese_numerals(digits: str) -> str:
    return "".join(CHINESE_DIGITS[int(digit)] for digit in digits)


@settings(max_examples=200, deadline=None)
@given(_MOBILE_DIGITS, st.sampled_from(["", "+86", "0086", "86 ", "+86-"]), st.sampled_from(["", " ", "-", "."]),
       st.booleans())
def test_mobile_numbers_in_every_written_form_are_replaced(parts, prefix: str, separator: str,
                                                            in_chinese: bool) -> None:
    second, rest = parts
    number = f"1{second}{rest}"
    written = number[:3] + separator + number[3:7] + separator + number[7:]
    if in_chinese:
        written = chinese_numerals(number)
        prefix = ""
    text = f"我的手机是{prefix}{written}，有事打我"
    redacted = redact(text)
    assert number not in redacted.replace(" ", "").replace("-", "").replace(".", "")
    assert MOBILE_TOKEN in redacted, (text, redacted)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.sampled_from([" ", "-", ""]))
def test_id_numbers_in_groups_are_replaced(first_17: str, separator: str) -> None:
    number = valid_id(first_17)
    text = f"身份证{number[:6]}{separator}{number[6:14]}{separator}{number[14:]}"
    assert redact(text) == f"身份证{ID_TOKEN}"


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["110101", "620102", "320106"]),
       st.dates(min_value=datetime.date(1930, 1, 1), max_value=datetime.date(1999, 12, 31)),
       st.text(alphabet="0123456789", min_size=3, max_size=3))
def test_old_fifteen_digit_id_numbers_are_replaced(area: str, born: datetime.date, sequence: str) -> None:
    number = f"{area}{born:%y%m%d}{sequence}"
    assert redact(f"老身份证号{number}") == f"老身份证号{ID_TOKEN}"


@pytest.mark.parametrize("address", ["someone@example。com", "zhang.san@mail。example。cn"])
def test_email_addresses_with_an_ideographic_full_stop_are_replaced(address: str) -> None:
    assert redact(f"邮箱 {address} 谢谢") == f"邮箱 {EMAIL_TOKEN} 谢谢"


@pytest.mark.parametrize("text", ["补贴3年，每月500元", "毕业五年半", "一二三四五", "十五六个人", "2015年12月12日",
                                  "两年半", "第一二三条"])
def test_ordinary_words_and_numbers_stay(text: str) -> None:
    assert redact(text) == text


def test_a_value_without_personal_data_comes_back_as_the_same_object() -> None:
    clean = {"text": "补贴3000元", "parse_data": {"entities": [{"value": 2015}], "intent_ranking": [0.9, "ask"]}}
    assert redacted(clean) is clean
    personal = {"text": "我的手机13812345678", "parse_data": {"entities": [], "ranking": ["x"]}}
    changed = redacted(personal)
    assert changed is not personal and changed["text"] == "我的手机[手机号]"
    assert personal["text"] == "我的手机13812345678"  # the original is left as it was
    assert changed["parse_data"] is personal["parse_data"]  # what needs no change is shared, not copied
    assert redacted(["a", ["13812345678"]]) == ["a", ["[手机号]"]]


def test_strings_found_clean_are_remembered_and_personal_ones_never() -> None:
    from bot.storage import redaction

    redaction._KNOWN_CLEAN.clear()  # other tests leave what they found clean
    model_id = "39a4fd702d89442080928b033022d04c"
    personal = "回电13812345678"
    for _ in range(2):
        assert redacted({"metadata": {"model_id": model_id}, "text": personal}) == {
            "metadata": {"model_id": model_id}, "text": f"回电{MOBILE_TOKEN}"}
    assert model_id in redaction._KNOWN_CLEAN
    assert not any("13812345678" in text for text in redaction._KNOWN_CLEAN)


@pytest.mark.parametrize(("text", "expected"), [
    ("我的车牌是甘A12345", "我的车牌是[车牌号]"),
    ("新能源车 甘AD12345", "新能源车 [车牌号]"),
    ("passport number AB1234567", "passport number [证件号]"),
    ("护照号：E12345678", "护照号：[证件号]"),
    ("学号320180912345", "学号[学号]"),
    ("I was born on 1996-04-12", "I was born on [出生日期]"),
    ("我1995年3月12日出生", "我[出生日期]出生"),
    ("生日是1998.7.3", "生日是[出生日期]"),
    ("我老婆叫李娟 她也想创业", "我老婆叫[姓名] 她也想创业"),
    ("合伙人的名字叫王强，在天水", "合伙人的名字叫[姓名]，在天水"),
    # not personal: a date something takes effect, a question about a name, a plan's figures
    ("2019年7月1日生效", "2019年7月1日生效"),
    ("我娃叫啥名字不重要", "我娃叫啥名字不重要"),
    ("营收6500万 员工120人 2021年注册", "营收6500万 员工120人 2021年注册"),
])
def test_plates_documents_student_numbers_birth_dates_and_relatives_names_are_replaced(text: str,
                                                                                       expected: str) -> None:
    assert redact(text) == expected

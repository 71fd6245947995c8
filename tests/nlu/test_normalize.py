"""Tests for nlu.normalize: canonical text form and pinyin."""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.normalize import normalize_text, to_pinyin

NORMALIZE_CASES = [
    # full-width → half-width
    ("ＡＢＣ１２３", "abc123"),
    ("毕业２年，在兰州！", "毕业2年,在兰州!"),
    ("占股３５％", "占股35%"),
    ("　前后有全角空格　", "前后有全角空格"),
    # traditional → simplified
    ("畢業兩年", "毕业两年"),
    ("我是殘疾人，在蘭州開飯館", "我是残疾人,在兰州开饭馆"),
    ("國家助學貸款", "国家助学贷款"),
    ("甘肅省", "甘肃省"),
    # ASCII lower case only
    ("APP开发", "app开发"),
    ("Yes", "yes"),
    ("ÄÖ Straße", "ÄÖ straße"),
    # whitespace and control characters
    ("第一次\n创业", "第一次 创业"),
    ("  多个   空格\t和制表符  ", "多个 空格 和制表符"),
    ("低保\r\n户", "低保 户"),
    ("零\u200b宽\ufeff字符", "零宽字符"),
    ("控制\x00字\x07符\x1b", "控制字符"),
    ("断掉的\ud83d表情", "断掉的表情"),
    ("\udfff", ""),
    # kept as they are
    ("dx生一枚😂", "dx生一枚😂"),
    ("大三 研一 博二", "大三 研一 博二"),
    ("", ""),
    ("   ", ""),
]


@pytest.mark.parametrize(("text", "expected"), NORMALIZE_CASES)
def test_normalize_text(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(("text", "_"), NORMALIZE_CASES)
def test_normalize_text_is_idempotent_on_examples(text: str, _: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


PINYIN_CASES = [
    ("毕业", ["bi", "ye"]),
    ("毕叶", ["bi", "ye"]),
    ("畢業", ["bi", "ye"]),
    ("贷款", ["dai", "kuan"]),
    ("带款", ["dai", "kuan"]),
    ("兰州", ["lan", "zhou"]),
    ("毕业 2年", ["bi", "ye", "2", "nian"]),
    ("做APP的", ["zuo", "app", "de"]),
    ("ok", ["ok"]),
    ("", []),
    ("  ", []),
]


@pytest.mark.parametrize(("text", "expected"), PINYIN_CASES)
def test_to_pinyin(text: str, expected: list[str]) -> None:
    assert to_pinyin(text) == expected


# Any code point, including lone surrogates and the CJK ranges the assistant really sees.
_ANY_CHAR = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF, exclude_categories=()),
    st.characters(min_codepoint=0x3000, max_codepoint=0x9FFF),
    st.characters(min_codepoint=0xFF00, max_codepoint=0xFFEF),
    st.sampled_from("薴苧乾髮後裏著\u3000\n\t\r\x00\u200b\ufeff"),
)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ANY_CHAR, max_size=60))
def test_normalize_text_never_raises_and_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once
    assert once == once.strip()
    assert "  " not in once
    assert not any(unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in once)
    assert not any("A" <= char <= "Z" for char in once)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ANY_CHAR, max_size=30))
def test_to_pinyin_never_raises(text: str) -> None:
    syllables = to_pinyin(text)
    assert all(isinstance(item, str) and item and item == item.strip() for item in syllables)

"""The reply language from the share of Chinese characters and Latin letters."""

from __future__ import annotations

import pytest

from nlu.language import CHINESE, ENGLISH, detect_language


@pytest.mark.parametrize(("text", "language"), [
    ("大学生创业有社保补贴吗", CHINESE),
    ("我想apply创业担保贷款", CHINESE),
    ("创业贷款 app 上能申请吗", CHINESE),
    ("What does the plan say about 专利?", ENGLISH),
    ("Can a foreigner open a company in Lanzhou?", ENGLISH),
    ("ok thanks", ENGLISH),
    ("ＨＥＬＬＯ", ENGLISH),  # full-width letters count as letters
])
def test_language_follows_the_script_that_carries_the_message(text: str, language: str) -> None:
    assert detect_language(text) == language


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "123", "1", "k", "？？"])
def test_a_message_without_words_does_not_decide_the_language(text: str) -> None:
    assert detect_language(text) is None

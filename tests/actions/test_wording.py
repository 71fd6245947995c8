"""The English wording file mirrors the Chinese one: same keys, same placeholders."""

from __future__ import annotations

import re
from typing import Any

from actions.common import messages

PLACEHOLDER = re.compile(r"\{(\w+)\}")
WORD_LISTS = {"eligibility_markers", "uncertain_answers", "words"}


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(tree, dict):
        return {key: value for name, child in tree.items() for key, value in flatten(child, f"{prefix}{name}.").items()}
    return {prefix.rstrip("."): tree}


def test_english_and_chinese_wording_have_the_same_keys_and_placeholders() -> None:
    chinese, english = flatten(messages("zh")), flatten(messages("en"))
    assert set(chinese) == set(english)
    for key, text in chinese.items():
        if isinstance(text, str):
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key


def test_english_word_lists_are_lower_case() -> None:
    english = messages("en")
    lists = [english["eligibility_markers"], english["uncertain_answers"], *english["feedback"]["words"].values()]
    assert all(word == word.lower() for words in lists for word in words)

"""The language to answer in, from the share of Chinese characters and Latin letters in the message.

Language-identification models call short Chinese questions Japanese and short English ones anything; counting
scripts is enough to choose between the two languages this assistant answers in. Weights are in
``nlu/lexicons/language.yml``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

LEXICON_PATH = Path(__file__).parent / "lexicons" / "language.yml"
CHINESE = "zh"
ENGLISH = "en"


@functools.lru_cache(maxsize=1)
def settings() -> dict[str, Any]:
    return yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))


def is_chinese_character(character: str) -> bool:
    code = ord(character)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or code >= 0x20000


def is_latin_letter(character: str) -> bool:
    return ("a" <= character <= "z") or ("A" <= character <= "Z") or ("ａ" <= character <= "ｚ") \
        or ("Ａ" <= character <= "Ｚ")


def detect_language(text: str) -> str | None:
    """``zh`` or ``en``; None when the message has neither Chinese characters nor enough letters to tell."""
    config = settings()
    characters = sum(1 for character in text if is_chinese_character(character))
    letters = sum(1 for character in text if is_latin_letter(character))
    if characters == 0 and letters < config["min_letters"]:
        return None
    if letters > config["letters_per_character"] * characters:
        return ENGLISH
    return CHINESE

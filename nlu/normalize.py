"""Text normalisation shared by the NLU pipeline and the fact extractor.

Users type on phones in many ways: full-width digits and letters, traditional characters, stray control
characters pasted from other apps, broken emoji halves (lone surrogates). ``normalize_text`` maps all of
that onto one canonical form so that word lists only need to be written once, in simplified Chinese with
half-width ASCII in lower case. ``to_pinyin`` gives toneless syllables for homophone-robust features.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import opencc

__all__ = ["normalize_text", "to_pinyin"]

# Characters dropped outright: control (Cc), format (Cf, e.g. zero-width spaces) and surrogate (Cs)
# code points. Whitespace controls such as "\n" and "\t" are turned into spaces before this filter.
_DROPPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs"})
_WHITESPACE_RUN = re.compile(r"\s+")
_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
# OpenCC maps a handful of characters in chains (e.g. 薴 → 苧 → 苎), so one pass is not always a
# fixed point; a few passes always are in practice.
_MAX_PASSES = 4


@functools.lru_cache(maxsize=1)
def _t2s_converter() -> opencc.OpenCC:
    """The traditional → simplified converter, created on first use (it reads OpenCC's dictionaries)."""
    import opencc

    return opencc.OpenCC("t2s")


def _clean_characters(text: str) -> str:
    """Turn whitespace into plain spaces and drop control, format and surrogate code points."""
    kept = []
    for char in text:
        if char.isspace():
            kept.append(" ")
        elif unicodedata.category(char) not in _DROPPED_CATEGORIES:
            kept.append(char)
    return "".join(kept)


def _normalize_once(text: str) -> str:
    text = _clean_characters(text)  # first: NFKC and OpenCC cannot handle lone surrogates
    text = unicodedata.normalize("NFKC", text)
    text = _clean_characters(text)  # NFKC can produce new whitespace (e.g. U+3000 → " ")
    text = _t2s_converter().convert(text)
    text = text.translate(_ASCII_UPPER)
    return _WHITESPACE_RUN.sub(" ", text).strip()


def normalize_text(text: str) -> str:
    """Return the canonical form of ``text``.

    NFKC (full-width → half-width), traditional → simplified Chinese, control characters and lone
    surrogates removed, line breaks and other whitespace collapsed to single spaces, ASCII lower-cased.
    Never raises for a ``str`` and is idempotent: ``normalize_text(normalize_text(s)) == normalize_text(s)``.
    """
    current = text
    for _ in range(_MAX_PASSES):
        following = _normalize_once(current)
        if following == current:
            break
        current = following
    return current


def to_pinyin(text: str) -> list[str]:
    """Toneless pinyin syllables of ``text``, one item per Chinese character.

    The text is normalised first, so traditional and full-width input give the same result. Runs of
    non-Chinese characters are kept as single items (stripped); whitespace-only items are dropped.
    Example: ``to_pinyin("畢業 2年")`` → ``["bi", "ye", "2", "nian"]``.
    """
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(normalize_text(text), style=Style.NORMAL)
    return [item.strip() for item in syllables if item.strip()]

"""Numerals as people write them: Arabic, Chinese (三十五, 俩), ranges (两三, 十五六, 三四十) and approximate counts
(十几, 二十多), a range read as its first or, for a size threshold, its last number."""

from __future__ import annotations

import re

# ---- numbers ------------------------------------------------------------------------------------
_CN_DIGITS = "零〇一二两俩仨三四五六七八九"
# A number starts only where a run of digits starts and is at most 12 digits long: unanchored, the regex engine
# retried every position of a long digit run (quadratic: 4 000 digits took 4 s on the server's event loop).
NUMBER = (rf"(?:(?<![0-9,])[0-9]{{1,3}}(?:,[0-9]{{3}}){{1,3}}(?![0-9])"  # thousands separated: 1,100
           rf"|(?<![0-9])[0-9]{{1,12}}(?:\.[0-9]{{1,6}})?(?![0-9])"
           rf"|(?<![{_CN_DIGITS}十百千万])[{_CN_DIGITS}十百千万]{{1,12}}(?:点[{_CN_DIGITS}]{{1,6}})?)")
NUMBER_CHARS = f"0-9.{_CN_DIGITS}十百千万"
_SPOKEN_NUMERALS = str.maketrans({"俩": "两", "仨": "三"})
DIGIT_VALUES = {char: index for index, char in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_MAX_NUMERAL_LENGTH = 12


# ==== numbers =====================================================================================


def parse_number(token: str, upper: bool = False) -> float | None:
    """Arabic or Chinese numeral → number: "35", "三十五", "俩", "两三" (a range: its first number, or its last with
    ``upper``: a head count of "七八个人" is taken as 8, so a size threshold is never passed on a guess)."""
    token = token.translate(_SPOKEN_NUMERALS)
    if not token or len(token) > _MAX_NUMERAL_LENGTH + 3:
        return None
    if token[0].isascii():
        try:
            return float(token.replace(",", ""))
        except ValueError:
            return None
    if len(token) > _MAX_NUMERAL_LENGTH:
        return None
    if len(token) == 2 and all(char in DIGIT_VALUES for char in token):
        first, second = (DIGIT_VALUES[char] for char in token)
        if 0 < first < second:
            return float(second if upper else first)
    ranged = _RANGE_AFTER_TENS.fullmatch(token) or _TENS_RANGE.fullmatch(token)
    if ranged:  # "十五六" → 15 or 16, "二十五六" → 25 or 26, "三四十" → 30 or 40
        return _range_value(ranged, upper)
    import cn2an

    try:
        return float(cn2an.cn2an(token, "normal"))
    except (ValueError, KeyError, IndexError):  # cn2an raises KeyError on some malformed numerals (零五十一)
        return None


_RANGE_AFTER_TENS = re.compile(
    r"(?P<tens>[二三四五六七八九]?十)(?P<low>[一二三四五六七八])(?P<high>[二三四五六七八九])")
_TENS_RANGE = re.compile(r"(?P<low>[一二三四五六七八])(?P<high>[二三四五六七八九])十")


def _range_value(match: re.Match[str], upper: bool) -> float | None:
    low, high = DIGIT_VALUES[match.group("low")], DIGIT_VALUES[match.group("high")]
    if high != low + 1:
        return None
    if "tens" in match.groupdict() and match.group("tens") is not None:
        tens = DIGIT_VALUES.get(match.group("tens")[0], 1) if len(match.group("tens")) == 2 else 1
        return float(tens * 10 + (high if upper else low))
    return float((high if upper else low) * 10)


def approximate_extra(number: str, after: str) -> int:
    """What "几"/"多"/"余" after a number may add at most: "十几" → +9, "二十多" → +9, "一百多" → +99."""
    if not after.lstrip().startswith(("几", "多", "余")):
        return 0
    return 99 if number.endswith(("百", "00")) else 9




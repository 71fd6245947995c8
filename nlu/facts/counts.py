"""Head counts (十来个人, 二十多个员工, a 5-person team), the small firms' share of a consortium (35%, 三成, 占股35)
and the English forms of graduation times and head counts."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from nlu.facts.lexicon import Lexicon, PhraseMatch
from nlu.facts.numbers import NUMBER, approximate_extra, parse_number

# ---- shares -------------------------------------------------------------------------------------
_PERCENT = re.compile(r"(?P<num>(?<![0-9])[0-9]{1,12}(?:\.[0-9]{1,6})?) ?(?:%|个百分点|个点|percent)")
_PER_HUNDRED = re.compile(rf"百分之 ?(?P<num>{NUMBER})")
_FRACTION = re.compile(rf"(?P<den>{NUMBER}) ?分之 ?(?P<num>{NUMBER})")  # 三分之一 → 33.3
# After a percentage: the other end of a range, or the deduction itself ("2%到3%的价格扣除", "6%-10%扣除").
_QUOTES_THE_MEASURE = re.compile(r" ?(?:到|至|-|~|～|—)|的?(?:价格)?扣除")
_RANGE_BEFORE = re.compile(r"[0-9]{1,3} ?%? ?(?:到|至|-|~|～|—) ?$")
_TENTHS = re.compile(  # 三成 → 30, 三成五 → 35; not 三成立
    r"(?P<tens>[一二两三四五六七八九十]|[1-9]) ?成(?P<units>[一二三四五六七八九]|[1-9])?(?![立功本员长都为绩熟交年人])"
)



def _english_number(token: str, lexicon: Lexicon) -> float | None:
    return float(token.replace(",", "")) if token[0].isdigit() else lexicon.english_numbers.get(token)


def english_mentions(text: str, lexicon: Lexicon, today: datetime.date) -> Iterator[tuple[int, dict[str, object]]]:
    """ "graduated two years ago", "finished my master's in 2019", "a 5-person software firm", "team of twelve"."""
    for match in [*lexicon.english_graduated_in.finditer(text), *lexicon.english_graduate_of_year.finditer(text)]:
        year = int(match.group("year"))
        if year <= today.year:
            yield match.start(), {"student_status": "graduated", "years_since_graduation": float(today.year - year),
                                  **({"fresh_graduate": True} if year == today.year else {})}
    for match in lexicon.english_graduated_ago.finditer(text):
        years = _english_number(match.group("num"), lexicon)
        if years is not None:
            years += 0.5 if match.group("half") else 0
            yield match.start(), {"student_status": "graduated", "years_since_graduation": years}
    for match in lexicon.english_head_count.finditer(text):
        count = _english_number(match.group("num") or match.group("team"), lexicon)
        if count is not None and count.is_integer():
            yield match.start(), {"employees": int(count)}


def _overlaps(start: int, end: int, matches: list[PhraseMatch]) -> bool:
    return any(match.start < end and start < match.end for match in matches)


# 万元 per unit a revenue is written in.
_REVENUE_UNITS = {"万": 1.0, "百万": 100.0, "千万": 1000.0, "亿": 10000.0,
                  "thousand": 0.1, "k": 0.1, "million": 100.0, "m": 100.0, "billion": 100000.0, "bn": 100000.0,
                  "yuan": 0.0001}


def revenue_mentions(text: str, lexicon: Lexicon) -> Iterator[tuple[int, dict[str, object]]]:
    """A firm's revenue in 万元: "营收九个多亿" → 90000, "营业额八百来万" → 800, "revenue of 9 million yuan" → 900.
    "多"/"来" after the number are left out (the lower bound: "九亿多" is at least 9亿)."""
    for pattern in (lexicon.revenue, lexicon.english_revenue, lexicon.english_revenue_before):
        for match in pattern.finditer(text):
            number, unit = match.group("num"), match.group("unit")
            value = parse_number(number)
            if value is None and unit == "万" and number[-1:] in ("百", "千"):  # "两三百万": 两三 × 百万
                value, unit = parse_number(number[:-1]), number[-1] + unit
            if value is not None:
                factor = _REVENUE_UNITS[unit] if unit else _REVENUE_UNITS["yuan"]
                yield match.start("num"), {"annual_revenue": round(value * factor, 2)}


def head_count_mentions(text: str, matches: list[PhraseMatch],
                        lexicon: Lexicon) -> Iterator[tuple[int, dict[str, object]]]:
    for pattern in (lexicon.head_count, lexicon.head_count_after_noun):
        for match in pattern.finditer(text):
            start = match.start("num")
            before = text[max(0, start - 3) : start]
            if _overlaps(start, match.end(), matches) or any(word in before for word in lexicon.head_count_not_after):
                continue
            value = parse_number(match.group("num"), upper=True)
            if value is not None and value.is_integer():
                yield start, {"employees": int(value) + approximate_extra(match.group("num"), text[match.end("num"):])}


def find_share(text: str, lexicon: Lexicon) -> tuple[int, float] | None:
    """The first percentage-like share in ``text`` (position, value): 35%, 百分之三十五, 三成, 三分之一, 占股35,
    一半. A range or a deduction quoted from the measure ("2%到3%的价格扣除") is no share of the user's."""
    found: list[tuple[int, float]] = []
    for pattern in (_PERCENT, _PER_HUNDRED, lexicon.share_after_head):
        for match in pattern.finditer(text):
            value = parse_number(match.group("num"))
            if value is not None and not _QUOTES_THE_MEASURE.match(text, match.end()) \
                    and not _RANGE_BEFORE.search(text[:match.start()]):
                found.append((match.start(), value))
    for match in _FRACTION.finditer(text):
        denominator, numerator = parse_number(match.group("den")), parse_number(match.group("num"))
        if denominator and numerator is not None and numerator <= denominator:
            found.append((match.start(), round(100 * numerator / denominator, 1)))
    for match in _TENTHS.finditer(text):
        tens, units = parse_number(match.group("tens")), parse_number(match.group("units") or "0")
        if tens is not None and units is not None:
            found.append((match.start(), tens * 10 + units))
    for word, value in lexicon.share_words.items():
        position = text.find(word)
        if position >= 0:
            found.append((position, value))
    return min(found, default=None, key=lambda item: item[0])


def share_mentions(text: str, lexicon: Lexicon, asked: str | None) -> Iterator[tuple[int, dict[str, object]]]:
    if asked != "consortium_small_firm_share" and not any(word in text for word in lexicon.share_context):
        return
    share = find_share(text, lexicon)
    if share is not None:
        yield share[0], {"consortium_small_firm_share": share[1]}




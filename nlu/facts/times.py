"""When someone graduated: "毕业俩年", "四年多" (4.5), "五年半", "大前年", "去年七月", "2021年7月", counted against
today, and the bare reply to "你毕业几年了"."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

from nlu.facts.numbers import DIGIT_VALUES, NUMBER, parse_number

# ---- graduation ---------------------------------------------------------------------------------
_FILLER_BEFORE_COUNT = r"(?:了|已经|都|快|有|差不多|大概|大约|才|刚|刚好|整整|将近|快要| )*"
# "四年多", "五年半", "十来年": 多/半 after the unit (or 多 before it) add half a unit.
_COUNT_AND_UNIT = rf"(?P<num>半|{NUMBER}) ?(?P<approx>来|多)? ?个? ?(?P<unit>年|个月|月)(?P<extra>半|多)?"
_GRADUATED_FOR = re.compile(rf"毕业{_FILLER_BEFORE_COUNT}{_COUNT_AND_UNIT}(?!以?内|之内)")
_GRADUATED_AGO = re.compile(rf"{_COUNT_AND_UNIT} ?(?:前|以前|之前) ?(?:就|刚|才)? ?毕业")
_MONTH = r"(?:(?P<month>1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九]) ?月份?)"
_YEAR = r"(?:19|20)[0-9]{2}|[0-9]{2}|[零〇一二三四五六七八九]{4}|[零〇一二三四五六七八九]{2}"
_GRADUATED_RELATIVE = re.compile(
    rf"(?P<year>大前年|前年|去年|今年) ?(?:的? ?{_MONTH})?[^0-9,.;!?。没不未]{{0,10}}?毕业(?!了?吗)")
_RELATIVE_YEARS = {"今年": 0, "去年": 1, "前年": 2, "大前年": 3}
_GRADUATION_YEAR = re.compile(
    rf"(?<![0-9零〇一二三四五六七八九十第])(?P<year>{_YEAR}) ?"
    rf"(?:年(?: ?{_MONTH})?[^0-9,.;!?。]{{0,8}}?毕业|年? ?的? ?(?:届|毕业))"
)



def _graduation_year(token: str, today: datetime.date) -> int | None:
    """Graduation year from "2021", "21" or "二一" (→ 2021); None for a year in the future."""
    digits = "".join(str(DIGIT_VALUES.get(char, char)) for char in token)
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    return year if year <= today.year else None


def _years_from_count(number: str, unit: str, approx: str | None = None, extra: str | None = None) -> float | None:
    """Years in "三年", "十八个月" (1.5), "四年多" and "五年半" (half a unit more: 4.5 and 5.5, so that "五年多" is
    outside "毕业5年内" and "四年多" inside)."""
    value = 0.5 if number == "半" else parse_number(number)
    if value is None:
        return None
    if extra in ("半", "多") or approx == "多":
        value += 0.5
    return round(value / 12 if unit in ("个月", "月") else value, 2)


def _month(token: str | None) -> int | None:
    if not token:
        return None
    value = parse_number(token)
    return int(value) if value is not None and 1 <= value <= 12 else None


def _years_since(year: int, month: int | None, today: datetime.date) -> float:
    """Years from a graduation year (and month, when given) to today; never negative."""
    if month is None:
        return float(today.year - year)
    return max(0.0, round(today.year - year + (today.month - month) / 12, 2))



def graduation_mentions(text: str, today: datetime.date) -> Iterator[tuple[int, dict[str, object]]]:
    for pattern in (_GRADUATED_FOR, _GRADUATED_AGO):
        for match in pattern.finditer(text):
            years = _years_from_count(match.group("num"), match.group("unit"), match.group("approx"),
                                      match.group("extra"))
            if years is not None:
                yield match.start(), {"student_status": "graduated", "years_since_graduation": years}
    for pattern in (_GRADUATION_YEAR, _GRADUATED_RELATIVE):
        for match in pattern.finditer(text):
            token = match.group("year")
            year = today.year - _RELATIVE_YEARS[token] if token in _RELATIVE_YEARS else _graduation_year(token, today)
            if year is None:
                continue
            years_since = _years_since(year, _month(match.group("month")), today)
            mention: dict[str, object] = {"student_status": "graduated", "years_since_graduation": years_since}
            if year == today.year:
                mention["fresh_graduate"] = True
            yield match.start(), mention



def read_years(reply: str, today: datetime.date) -> float | None:
    """A bare reply to "你毕业几年了": "2021", "3", "三年半", "18个月"."""
    year = re.search(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])", reply)
    if year and int(year.group(0)) <= today.year:
        return float(today.year - int(year.group(0)))
    match = re.search(rf"(?P<num>半|{NUMBER}) ?(?P<approx>来|多|余|几)? ?个? ?(?P<unit>年|个月|月)?(?P<extra>半|多)?",
                      reply)
    if match is None:
        return None
    return _years_from_count(match.group("num"), match.group("unit") or "年", match.group("approx"),
                             match.group("extra"))




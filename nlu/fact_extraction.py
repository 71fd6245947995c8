"""Read eligibility facts out of users' free-text Chinese messages.

The facts, their types and their valid values are defined in ``policy_kb/data/facts.yml``; the word lists
live in ``nlu/lexicons/facts.yml``. Two entry points:

* ``extract_facts(text)`` returns every fact a message states ("大三，兰大的，家里低保户" →
  student_status, from_gansu_university, low_income_family).
* ``interpret_answer(text, fact)`` reads the value of the one fact the assistant has just asked for from a
  short reply ("嗯", "没有", "三成", "毕业俩年了"), or returns None so that the assistant can ask again.

How a message is read:

1. ``normalize_text`` (simplified, half-width, lower case), then the lexicon's typo map (毕叶 → 毕业).
2. Lexicon phrases are matched longest-first. Each phrase sets facts, unless it is negated: a negation word
   in the few characters before it (不是低保户, 单位还没同意) or alone after it at the end of a clause
   (残疾证没有). Negation stops at punctuation, at other phrases and at words such as 但是. A phrase in a
   hypothetical clause (如果…) or in a question (是不是低保户, 单位同意了吗) states nothing.
3. Numbers are read with a few regular expressions: graduation year or time since graduation, head count,
   and the small firms' share of a consortium.
4. When two mentions disagree, the later one in the message wins. Every value is checked against the
   schema before it is returned.

Deliberate choices: "小微" (small *or* micro) sets no company_size; "毕业两年" does not imply
fresh_graduate false; an outside place after a location word ("在西安开公司") sets in_gansu false, not
from_outside_gansu (working elsewhere is not coming to Gansu); "我是陕西的" sets from_outside_gansu; a
place of origin ("天水人", "户籍在四川") only sets from_outside_gansu.
Lexicons and the schema are loaded on first use; importing this module reads no file.
"""

from __future__ import annotations

import bisect
import datetime
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.normalize import normalize_text
from policy_kb.facts import FactError, validate_fact
from policy_kb.loader import DATA_DIR, load_facts
from policy_kb.models import FactSpec

__all__ = ["extract_facts", "interpret_answer"]

_LEXICON_PATH = Path(__file__).resolve().parent / "lexicons" / "facts.yml"
_SCHEMA_PATH = DATA_DIR / "facts.yml"

# ---- numbers ------------------------------------------------------------------------------------
_CN_DIGITS = "零〇一二两俩仨三四五六七八九"
# A number starts only where a run of digits starts and is at most 12 digits long: unanchored, the regex engine
# retried every position of a long digit run (quadratic: 4 000 digits took 4 s on the server's event loop).
_NUMBER = (rf"(?:(?<![0-9])[0-9]{{1,12}}(?:\.[0-9]{{1,6}})?(?![0-9])"
           rf"|(?<![{_CN_DIGITS}十百千万])[{_CN_DIGITS}十百千万]{{1,12}}(?:点[{_CN_DIGITS}]{{1,6}})?)")
_NUMBER_CHARS = f"0-9.{_CN_DIGITS}十百千万"
_SPOKEN_NUMERALS = str.maketrans({"俩": "两", "仨": "三"})
_DIGIT_VALUES = {char: index for index, char in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_MAX_NUMERAL_LENGTH = 12

# ---- graduation ---------------------------------------------------------------------------------
_FILLER_BEFORE_COUNT = r"(?:了|已经|都|快|有|差不多|大概|大约|才|刚|刚好|整整|将近|快要| )*"
# "四年多", "五年半", "十来年": 多/半 after the unit (or 多 before it) add half a unit.
_COUNT_AND_UNIT = rf"(?P<num>半|{_NUMBER}) ?(?P<approx>来|多)? ?个? ?(?P<unit>年|个月|月)(?P<extra>半|多)?"
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

# ---- shares -------------------------------------------------------------------------------------
_PERCENT = re.compile(r"(?P<num>(?<![0-9])[0-9]{1,12}(?:\.[0-9]{1,6})?) ?(?:%|个百分点|个点|percent)")
_PER_HUNDRED = re.compile(rf"百分之 ?(?P<num>{_NUMBER})")
_TENTHS = re.compile(  # 三成 → 30, 三成五 → 35; not 三成立
    r"(?P<tens>[一二两三四五六七八九十]|[1-9]) ?成(?P<units>[一二三四五六七八九]|[1-9])?(?![立功本员长都为绩熟交年人])"
)

# ---- sentence structure -------------------------------------------------------------------------
# A space between two Chinese characters separates clauses too: SMS users write "还没 单位还没批".
_CLAUSE_BREAK = re.compile(
    r"[,。!?;:~…]|(?<![0-9])\.|\.(?![0-9])|(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")
_QUESTION = re.compile(r"(.)[不没]\1|是否")  # 是不是 / 有没有 / 是否: the user is asking, not telling
_REPEATED_CHAR = re.compile(r"(.)\1+")
_PARENTHESISED = re.compile(r"\(.*?\)")


@dataclass(frozen=True)
class PhraseRule:
    """What one lexicon phrase states; see the header of nlu/lexicons/facts.yml."""

    sets: dict[str, object]
    if_negated: dict[str, object] | None = None
    context: tuple[str, ...] = ()
    kind: str | None = None


@dataclass(frozen=True)
class Lexicon:
    """nlu/lexicons/facts.yml, compiled."""

    typos: dict[str, str]
    typo_pattern: re.Pattern[str] | None
    rules: dict[str, PhraseRule]
    phrase_pattern: re.Pattern[str]
    negation: re.Pattern[str]
    not_negation: re.Pattern[str]
    barrier: re.Pattern[str]
    hypothetical: re.Pattern[str]
    postfix_fillers: str
    window: int
    staff_words: tuple[str, ...]
    park_words: tuple[str, ...]
    location_markers: tuple[str, ...]
    commercialization_markers: re.Pattern[str]
    origin_before: tuple[str, ...]
    origin_after: tuple[str, ...]
    head_count: re.Pattern[str]
    english_numbers: dict[str, float]
    english_graduated_ago: re.Pattern[str]
    english_graduated_in: re.Pattern[str]
    english_head_count: re.Pattern[str]
    head_count_after_noun: re.Pattern[str]
    head_count_not_after: tuple[str, ...]
    share_context: tuple[str, ...]
    share_after_head: re.Pattern[str]
    share_words: dict[str, float]
    yes: frozenset[str]
    no: frozenset[str]
    yes_no_prefix: re.Pattern[str]
    unknown: tuple[str, ...]
    particles: str
    enum_words: dict[str, dict[str, str]]


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    phrase: str


# ==== loading ======================================================================================


def _read_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


@functools.lru_cache(maxsize=1)
def _fact_schema() -> dict[str, FactSpec]:
    return load_facts(_SCHEMA_PATH)


def _valid_value(spec: FactSpec, value: object) -> object | None:
    """``value`` in the form the schema wants, or None when it is not valid (see policy_kb.facts)."""
    if spec.type == "int" and isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return validate_fact(spec, value)
    except FactError:
        return None


def _check_facts(values: dict[str, object], where: str) -> None:
    schema = _fact_schema()
    for name, value in values.items():
        if name not in schema or _valid_value(schema[name], value) is None:
            raise ValueError(f"{_LEXICON_PATH}: {where}: {name}={value!r} is not valid for {_SCHEMA_PATH.name}")


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation, longest word first so that at any position the longest word wins.

    Words starting or ending with ASCII letters or digits only match as whole ASCII words ("ai" is not
    found in "email").
    """
    parts = []
    for word in sorted(set(words), key=lambda item: (-len(item), item)):
        part = re.escape(word)
        if word[0].isascii() and word[0].isalnum():
            part = "(?<![a-z0-9])" + part
        if word[-1].isascii() and word[-1].isalnum():
            part += "(?![a-z0-9])"
        parts.append(part)
    return "|".join(parts) if parts else "(?!)"


def _compile(words: Iterable[str]) -> re.Pattern[str]:
    return re.compile(_alternation(words))


def _phrase_rules(raw: dict) -> dict[str, PhraseRule]:
    contexts = {name: tuple(words) for name, words in (raw.get("contexts") or {}).items()}
    groups: list[tuple[list[str], PhraseRule]] = []
    for group in raw["phrases"]:
        context = group.get("context") or ()
        rule = PhraseRule(
            sets=dict(group.get("set") or {}),
            if_negated=group.get("if_negated"),
            context=contexts[context] if isinstance(context, str) else tuple(context),
            kind=group.get("kind"),
        )
        groups.append((group["words"], rule))
    for category, canon_map in raw["industries"].items():
        tech = {"tech": {"is_tech_company": True}, "non_tech": {"is_tech_company": False}}.get(category, {})
        for canonical, synonyms in canon_map.items():
            rule = PhraseRule(sets={"industry": canonical, **tech}, if_negated={})
            groups.append(([canonical, *(synonyms or [])], rule))

    rules: dict[str, PhraseRule] = {}
    for words, rule in groups:
        _check_facts(rule.sets, f"phrases {words[:3]}")
        _check_facts(rule.if_negated or {}, f"if_negated of {words[:3]}")
        for word in words:
            word = str(word)
            if word != normalize_text(word):
                raise ValueError(f"{_LEXICON_PATH}: {word!r} is not written in normalised form")
            if word in rules:
                raise ValueError(f"{_LEXICON_PATH}: phrase {word!r} is listed twice")
            rules[word] = rule
    return rules


def _enum_words(raw: dict) -> dict[str, dict[str, str]]:
    """For each enum fact: normalised label, value name or synonym → value."""
    words: dict[str, dict[str, str]] = {}
    for spec in _fact_schema().values():
        if spec.type != "enum":
            continue
        table: dict[str, str] = {}
        synonyms = (raw.get("enum_synonyms") or {}).get(spec.name) or {}
        for value, label in spec.values.items():
            label = normalize_text(label)
            table[normalize_text(value)] = value
            table[label] = value
            table[_PARENTHESISED.sub("", label).strip()] = value
            for synonym in synonyms.get(value) or []:
                table[normalize_text(str(synonym))] = value
        words[spec.name] = table
    return words


@functools.lru_cache(maxsize=1)
def _lexicon() -> Lexicon:
    raw = _read_yaml(_LEXICON_PATH)
    english = "|".join(sorted(map(str, raw["english_numbers"]), key=len, reverse=True))
    negation, answers = raw["negation"], raw["answers"]
    employees, share = raw["employees"], raw["consortium_share"]
    typos = {str(wrong): str(right) for wrong, right in (raw.get("typos") or {}).items()}
    rules = _phrase_rules(raw)
    yes = frozenset(str(word) for word in answers["yes"])
    no = frozenset(str(word) for word in answers["no"])
    nouns, heads = _alternation(employees["nouns"]), _alternation(employees["heads"])
    # A number followed by one of these is a date, an amount or a percentage, not a count or a share.
    stop_after_count = f"[{_NUMBER_CHARS}年月日%万元块届级岁成点]|个月"
    stop_after_share = f"[{_NUMBER_CHARS}年月日号%万元块届级岁成个点]"
    return Lexicon(
        typos=typos,
        typo_pattern=_compile(typos) if typos else None,
        rules=rules,
        phrase_pattern=_compile(rules),
        negation=_compile(negation["words"]),
        not_negation=_compile(negation["ignore"]),
        barrier=_compile(negation["barriers"]),
        hypothetical=_compile(negation["hypothetical"]),
        postfix_fillers=str(negation["postfix_fillers"]),
        window=int(negation["window"]),
        staff_words=tuple(raw["university_staff_words"]),
        park_words=tuple(raw["university_park_words"]),
        location_markers=tuple(raw["location_markers"]),
        commercialization_markers=re.compile(
            "(?:" + "|".join(map(re.escape, raw["commercialization_markers"])) + r")[^,。!?;]{0,8}$"),
        origin_before=tuple(raw["origin_markers_before"]),
        origin_after=tuple(raw["origin_markers_after"]),
        head_count=re.compile(rf"(?P<num>{_NUMBER}) ?(?:来|多|余|几)? ?(?:个|名|号|位)? ?(?:{nouns})"),
        english_numbers={str(word): float(value) for word, value in raw["english_numbers"].items()},
        english_graduated_ago=re.compile(
            rf"graduated (?:about |around |nearly |almost |over |some )?(?P<num>[0-9]+(?:\.[0-9]+)?|{english})"
            r"(?P<half> and a half)? years? ago"),
        english_graduated_in=re.compile(
            r"(?:graduated|finished (?:my )?(?:studies|degree|master'?s|bachelor'?s|phd|university|college)|got my "
            r"(?:degree|diploma))[^.;!?]{0,60}? in (?P<year>(?:19|20)[0-9]{2})"),
        english_head_count=re.compile(
            rf"(?:(?P<num>[0-9]+|{english})[- ](?:person|people|employees?|staff|workers|members?)\b"
            rf"|team of (?P<team>[0-9]+|{english}))"),
        head_count_after_noun=re.compile(
            rf"(?:{heads})(?:数|有|共|一共|总共|大概|大约|差不多|约|是|为|加起来| )*(?P<num>{_NUMBER})"
            rf"(?!{stop_after_count})"
        ),
        head_count_not_after=tuple(employees["not_after"]),
        share_context=tuple(share["context"]),
        share_after_head=re.compile(
            rf"(?:{_alternation(share['heads'])})(?:是|为|有|大概|大约|约|了|能|可以| )*(?P<num>{_NUMBER})"
            rf"(?!{stop_after_share})"
        ),
        share_words={str(word): float(value) for word, value in (share.get("words") or {}).items()},
        yes=yes,
        no=no,
        yes_no_prefix=_compile(yes | no),
        unknown=tuple(str(word) for word in answers["unknown"]),
        particles=str(answers["particles"]),
        enum_words=_enum_words(raw),
    )


# ==== numbers =====================================================================================


def _parse_number(token: str, upper: bool = False) -> float | None:
    """Arabic or Chinese numeral → number: "35", "三十五", "俩", "两三" (a range: its first number, or its last with
    ``upper``: a head count of "七八个人" is taken as 8, so a size threshold is never passed on a guess)."""
    token = token.translate(_SPOKEN_NUMERALS)
    if not token or len(token) > _MAX_NUMERAL_LENGTH:
        return None
    if token[0].isascii():
        return float(token)
    if len(token) == 2 and all(char in _DIGIT_VALUES for char in token):
        first, second = (_DIGIT_VALUES[char] for char in token)
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
    low, high = _DIGIT_VALUES[match.group("low")], _DIGIT_VALUES[match.group("high")]
    if high != low + 1:
        return None
    if "tens" in match.groupdict() and match.group("tens") is not None:
        tens = _DIGIT_VALUES.get(match.group("tens")[0], 1) if len(match.group("tens")) == 2 else 1
        return float(tens * 10 + (high if upper else low))
    return float((high if upper else low) * 10)


def _approximate_extra(number: str, after: str) -> int:
    """What "几"/"多"/"余" after a number may add at most: "十几" → +9, "二十多" → +9, "一百多" → +99."""
    if not after.lstrip().startswith(("几", "多", "余")):
        return 0
    return 99 if number.endswith(("百", "00")) else 9


def _graduation_year(token: str, today: datetime.date) -> int | None:
    """Graduation year from "2021", "21" or "二一" (→ 2021); None for a year in the future."""
    digits = "".join(str(_DIGIT_VALUES.get(char, char)) for char in token)
    year = int(digits)
    if len(digits) == 2:
        year += 2000 if 2000 + year <= today.year else 1900
    return year if year <= today.year else None


def _years_from_count(number: str, unit: str, approx: str | None = None, extra: str | None = None) -> float | None:
    """Years in "三年", "十八个月" (1.5), "四年多" and "五年半" (half a unit more: 4.5 and 5.5, so that "五年多" is
    outside "毕业5年内" and "四年多" inside)."""
    value = 0.5 if number == "半" else _parse_number(number)
    if value is None:
        return None
    if extra in ("半", "多") or approx == "多":
        value += 0.5
    return round(value / 12 if unit in ("个月", "月") else value, 2)


def _month(token: str | None) -> int | None:
    if not token:
        return None
    value = _parse_number(token)
    return int(value) if value is not None and 1 <= value <= 12 else None


def _years_since(year: int, month: int | None, today: datetime.date) -> float:
    """Years from a graduation year (and month, when given) to today; never negative."""
    if month is None:
        return float(today.year - year)
    return max(0.0, round(today.year - year + (today.month - month) / 12, 2))


# ==== extraction ==================================================================================


def _fix_typos(text: str, lexicon: Lexicon) -> str:
    if lexicon.typo_pattern is None:
        return text
    return lexicon.typo_pattern.sub(lambda match: lexicon.typos[match.group(0)], text)


class _Clauses:
    """Clause boundaries (punctuation) of one message."""

    def __init__(self, text: str) -> None:
        self._breaks = [match.start() for match in _CLAUSE_BREAK.finditer(text)]
        self._length = len(text)

    def start(self, position: int) -> int:
        index = bisect.bisect_right(self._breaks, position - 1)
        return self._breaks[index - 1] + 1 if index else 0

    def end(self, position: int) -> int:
        index = bisect.bisect_left(self._breaks, position)
        return self._breaks[index] if index < len(self._breaks) else self._length


def _negation(text: str, matches: list[_Match], index: int, clauses: _Clauses, lexicon: Lexicon) -> bool | None:
    """Whether phrase ``matches[index]`` is negated; None when it states nothing (question, hypothesis)."""
    match = matches[index]
    clause_start = clauses.start(match.start)
    if lexicon.hypothetical.search(lexicon.not_negation.sub(" ", text[clause_start : match.start])):
        return None
    previous_end = matches[index - 1].end if index else 0
    window = text[max(clause_start, previous_end, match.start - lexicon.window) : match.start]
    barriers = list(lexicon.barrier.finditer(window))
    if barriers:
        window = window[barriers[-1].end() :]
    window = lexicon.not_negation.sub(" ", window)
    if _QUESTION.search(window):
        return None
    negations = len(lexicon.negation.findall(window))
    if negations:
        return negations % 2 == 1
    # A trailing negation that ends the clause: "残疾证没有", "助学贷款没贷过".
    clause_end = clauses.end(match.end)
    if index + 1 < len(matches) and matches[index + 1].start < clause_end:
        return False
    tail = text[match.end : clause_end].strip()
    if tail.lstrip("了过").startswith(("吗", "么")):  # "单位同意了吗"
        return None
    trailing = lexicon.negation.match(tail)
    return bool(trailing) and all(char in lexicon.postfix_fillers for char in tail[trailing.end() :])


def _is_origin(text: str, match: _Match, next_start: int, lexicon: Lexicon) -> bool:
    """Whether a place name says where the user comes from ("户籍在四川", "天水人"), not where they are."""
    if text[: match.start].endswith(lexicon.origin_before):
        return True
    return next_start != match.end and text.startswith(lexicon.origin_after, match.end)


def _effective_rule(rule: PhraseRule, text: str, match: _Match, next_start: int, lexicon: Lexicon) -> PhraseRule:
    """Apply the place and university rules that depend on the words around a phrase."""
    if rule.kind in ("gansu_place", "outside_place") and lexicon.commercialization_markers.search(text[: match.start]):
        # "专利转让给成都的一家企业", "授权给庆阳一家公司": where the results are commercialised
        return PhraseRule(sets={"commercialized_in_gansu": rule.kind == "gansu_place"}, if_negated={})
    if rule.kind in ("gansu_place", "outside_place") and _is_origin(text, match, next_start, lexicon):
        return PhraseRule(sets={"from_outside_gansu": rule.kind == "outside_place"}, if_negated={})
    if rule.kind == "outside_place" and text[: match.start].endswith(lexicon.location_markers):
        return PhraseRule(sets={"in_gansu": False}, if_negated={})
    if rule.kind in ("gansu_university", "outside_university"):
        in_gansu = rule.kind == "gansu_university"
        if _followed_by(text, match.end, lexicon.park_words):
            return PhraseRule(sets={"in_gansu": True} if in_gansu else {}, if_negated={})
        if _followed_by(text, match.end, lexicon.staff_words):
            return PhraseRule(sets={"employer_type": "university", "employer_in_gansu": in_gansu}, if_negated={})
    return rule


def _followed_by(text: str, position: int, words: tuple[str, ...]) -> bool:
    """Whether one of ``words`` starts within two characters after ``position`` ("兰大的老师")."""
    following = text[position : position + 12]
    return any(0 <= following.find(word) <= 2 for word in words)


def _stated_values(rule: PhraseRule, negated: bool) -> dict[str, object]:
    if not negated:
        return rule.sets
    if rule.if_negated is not None:
        return rule.if_negated
    return {name: not value for name, value in rule.sets.items() if isinstance(value, bool)}


def _phrase_mentions(
    text: str, matches: list[_Match], lexicon: Lexicon, asked: str | None
) -> Iterator[tuple[int, dict[str, object]]]:
    clauses = _Clauses(text)
    for index, match in enumerate(matches):
        rule = lexicon.rules[match.phrase]
        if not rule.sets:
            continue
        if rule.context and asked not in rule.sets and not any(word in text for word in rule.context):
            continue
        negated = _negation(text, matches, index, clauses, lexicon)
        if negated is None:
            continue
        next_start = matches[index + 1].start if index + 1 < len(matches) else len(text)
        values = _stated_values(_effective_rule(rule, text, match, next_start, lexicon), negated)
        if values:
            yield match.start, dict(values)


def _graduation_mentions(text: str, today: datetime.date) -> Iterator[tuple[int, dict[str, object]]]:
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


def _english_number(token: str, lexicon: Lexicon) -> float | None:
    return float(token) if token[0].isdigit() else lexicon.english_numbers.get(token)


def _english_mentions(text: str, lexicon: Lexicon, today: datetime.date) -> Iterator[tuple[int, dict[str, object]]]:
    """ "graduated two years ago", "finished my master's in 2019", "a 5-person software firm", "team of twelve"."""
    for match in lexicon.english_graduated_in.finditer(text):
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


def _overlaps(start: int, end: int, matches: list[_Match]) -> bool:
    return any(match.start < end and start < match.end for match in matches)


def _head_count_mentions(text: str, matches: list[_Match], lexicon: Lexicon) -> Iterator[tuple[int, dict[str, object]]]:
    for pattern in (lexicon.head_count, lexicon.head_count_after_noun):
        for match in pattern.finditer(text):
            start = match.start("num")
            before = text[max(0, start - 3) : start]
            if _overlaps(start, match.end(), matches) or any(word in before for word in lexicon.head_count_not_after):
                continue
            value = _parse_number(match.group("num"), upper=True)
            if value is not None and value.is_integer():
                yield start, {"employees": int(value) + _approximate_extra(match.group("num"), text[match.end("num"):])}


def _find_share(text: str, lexicon: Lexicon) -> tuple[int, float] | None:
    """The first percentage-like share in ``text`` (position, value): 35%, 百分之三十五, 三成, 占股35, 一半."""
    found: list[tuple[int, float]] = []
    for pattern in (_PERCENT, _PER_HUNDRED, lexicon.share_after_head):
        for match in pattern.finditer(text):
            value = _parse_number(match.group("num"))
            if value is not None:
                found.append((match.start(), value))
    for match in _TENTHS.finditer(text):
        tens, units = _parse_number(match.group("tens")), _parse_number(match.group("units") or "0")
        if tens is not None and units is not None:
            found.append((match.start(), tens * 10 + units))
    for word, value in lexicon.share_words.items():
        position = text.find(word)
        if position >= 0:
            found.append((position, value))
    return min(found, default=None, key=lambda item: item[0])


def _share_mentions(text: str, lexicon: Lexicon, asked: str | None) -> Iterator[tuple[int, dict[str, object]]]:
    if asked != "consortium_small_firm_share" and not any(word in text for word in lexicon.share_context):
        return
    share = _find_share(text, lexicon)
    if share is not None:
        yield share[0], {"consortium_small_firm_share": share[1]}


def _extract(normalized: str, today: datetime.date, asked: str | None = None) -> dict[str, object]:
    """Facts stated in already-normalised text; ``asked`` is the fact the assistant just asked for."""
    lexicon = _lexicon()
    text = _fix_typos(normalized, lexicon)
    matches = [_Match(m.start(), m.end(), m.group(0)) for m in lexicon.phrase_pattern.finditer(text)]
    mentions = [
        *_phrase_mentions(text, matches, lexicon, asked),
        *_graduation_mentions(text, today),
        *_head_count_mentions(text, matches, lexicon),
        *_share_mentions(text, lexicon, asked),
        *_english_mentions(text, lexicon, today),
    ]
    facts: dict[str, object] = {}
    for _, values in sorted(mentions, key=lambda mention: mention[0]):  # stable: later mentions win
        facts.update(values)
    schema = _fact_schema()
    checked = {name: _valid_value(schema[name], value) for name, value in facts.items()}
    return {name: value for name, value in checked.items() if value is not None}


def extract_facts(text: str, today: datetime.date | None = None) -> dict[str, object]:
    """All facts stated in one user message, keyed by the fact names of policy_kb/data/facts.yml.

    ``today`` fixes the current date for graduation years ("2021年毕业"); it defaults to today.
    Returns {} when the message states no fact. Never raises for a ``str``.
    """
    return _extract(normalize_text(text), today or datetime.date.today())


# ==== answers to one question ======================================================================


def _core_reply(text: str, lexicon: Lexicon) -> str:
    """The reply without leading and trailing particles and punctuation ("对的啊!" → "对")."""
    return text.strip(lexicon.particles).strip()


def _says_unknown(reply: str, lexicon: Lexicon) -> bool:
    return any(word in reply for word in lexicon.unknown)


def _read_bool(reply: str, lexicon: Lexicon) -> bool | None:
    if _QUESTION.search(reply) or reply.endswith(("吗", "?", "么")):
        return None
    word = _REPEATED_CHAR.sub(r"\1", reply)  # "嗯嗯嗯" → "嗯", "对对对" → "对"
    if reply in lexicon.yes or word in lexicon.yes:
        return True
    if reply in lexicon.no or word in lexicon.no:
        return False
    head = lexicon.yes_no_prefix.match(reply)
    rest = reply[head.end() :] if head else ""
    if head and rest and rest[0] in " ,。!;:~、" + lexicon.particles:  # "是的,我是低保户"
        return head.group(0) in lexicon.yes
    negation = lexicon.negation.search(reply)
    if negation and negation.start() <= 2 and len(reply) <= 8:  # "没贷过", "我不是", "还没批"
        return False
    return None


def _read_years(reply: str, today: datetime.date) -> float | None:
    """A bare reply to "你毕业几年了": "2021", "3", "三年半", "18个月"."""
    year = re.search(r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])", reply)
    if year and int(year.group(0)) <= today.year:
        return float(today.year - int(year.group(0)))
    match = re.search(rf"(?P<num>半|{_NUMBER}) ?(?P<approx>来|多|余|几)? ?个? ?(?P<unit>年|个月|月)?(?P<extra>半|多)?",
                      reply)
    if match is None:
        return None
    return _years_from_count(match.group("num"), match.group("unit") or "年", match.group("approx"),
                             match.group("extra"))


def _read_int(reply: str, spec: FactSpec, today: datetime.date) -> int | None:
    for match in re.finditer(rf"(?P<num>{_NUMBER}) ?(?:来|多|余|几)?", reply):
        value = _parse_number(match.group("num"), upper=True)
        if value is None or not value.is_integer():
            return None
        return int(value) + _approximate_extra(match.group("num"), reply[match.end("num"):])
    return None


def _read_number(reply: str, lexicon: Lexicon) -> float | None:
    share = _find_share(reply, lexicon)
    if share is not None:
        return share[1]
    number = re.search(_NUMBER, reply)
    return _parse_number(number.group(0)) if number else None


def _blank_blockers(reply: str, lexicon: Lexicon) -> str:
    """``reply`` with blocker phrases ("小微企业") blanked out, so that no synonym is found inside them."""

    def blank(match: re.Match[str]) -> str:
        return " " * len(match.group(0)) if not lexicon.rules[match.group(0)].sets else match.group(0)

    return lexicon.phrase_pattern.sub(blank, reply)


def _read_enum(reply: str, spec: FactSpec, lexicon: Lexicon) -> str | None:
    table = lexicon.enum_words[spec.name]
    if reply in table:
        return table[reply]
    searchable = _blank_blockers(reply, lexicon)
    for word in sorted((word for word in table if len(word) >= 2), key=lambda item: (-len(item), item)):
        position = searchable.find(word)
        if position >= 0 and not lexicon.negation.search(searchable[max(0, position - 3) : position]):
            return table[word]
    return None


def _read_text(reply: str, lexicon: Lexicon) -> str | None:
    if reply in lexicon.yes or reply in lexicon.no:
        return None
    return reply or None


def interpret_answer(text: str, fact: str, today: datetime.date | None = None) -> object | None:
    """The value of ``fact`` given by a short reply to the question asking for it, or None.

    Uses ``extract_facts`` first (with the asked fact's context words taken as given, so "同意了" counts
    as employer consent), then reads the reply by the fact's type: yes/no words for bool facts, a bare
    number for int and number facts ("3", "俩", "35%", "三成"), labels and synonyms for enum facts, the
    trimmed reply for text facts. Returns None when the reply does not answer the question, so the
    assistant can ask again. Raises ValueError for a fact name that is not in policy_kb/data/facts.yml.
    """
    spec = _fact_schema().get(fact)
    if spec is None:
        raise ValueError(f"unknown fact {fact!r}")
    lexicon = _lexicon()
    today = today or datetime.date.today()
    normalized = normalize_text(text)
    found = _extract(normalized, today, asked=fact).get(fact)
    if found is not None:
        return found
    reply = _core_reply(_fix_typos(normalized, lexicon), lexicon)
    if not reply or _says_unknown(reply, lexicon):
        return None
    value: object | None
    if spec.type == "bool":
        value = _read_bool(reply, lexicon)
    elif spec.type == "int":
        value = _read_int(reply, spec, today)
    elif spec.name == "years_since_graduation":
        value = _read_years(reply, today)
    elif spec.type == "number":
        value = _read_number(reply, lexicon)
    elif spec.type == "enum":
        value = _read_enum(reply, spec, lexicon)
    else:
        value = _read_text(reply, lexicon)
    return None if value is None else _valid_value(spec, value)

"""The fact reader's vocabulary, ``nlu/lexicons/facts.yml``, compiled once, and the fact schema it is checked
against (``policy_kb/data/facts.yml``). Importing this module reads no file."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu import regions
from nlu.facts.numbers import NUMBER, NUMBER_CHARS
from nlu.normalize import normalize_text
from policy_kb.facts import FactError, validate_fact
from policy_kb.loader import DATA_DIR, load_facts
from policy_kb.models import FactSpec

PARENTHESISED = re.compile(r"\(.*?\)")  # "在校大学生（含研究生）": a label's note in brackets
_LEXICON_PATH = Path(__file__).resolve().parent.parent / "lexicons" / "facts.yml"
_UNIVERSITIES_PATH = _LEXICON_PATH.with_name("universities.yml")
_SCHEMA_PATH = DATA_DIR / "facts.yml"
# Digits grouped in thousands ("1,100 employees", "营业额1,200万"), in the count and revenue patterns.
_GROUPED_DIGITS = r"[0-9]{1,3}(?:,[0-9]{3})+"




@dataclass(frozen=True)
class PhraseRule:
    """What one lexicon phrase states; see the header of nlu/lexicons/facts.yml."""

    sets: dict[str, object]
    if_negated: dict[str, object] | None = None
    context: tuple[str, ...] = ()
    kind: str | None = None
    weak: bool = False  # a guess from the topic of the words ("休学" → a student): anything stated outright wins


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
    measure_pointer: re.Pattern[str]  # "…那个政策": the words before it name a measure, they state no fact
    measure_pointer_window: int
    postfix_fillers: str
    window: int
    english_negation: frozenset[str]
    english_barriers: frozenset[str]
    english_window_words: int
    staff_words: tuple[str, ...]
    park_words: tuple[str, ...]
    location_markers: tuple[str, ...]
    registration_after: tuple[str, ...]
    registration_before: tuple[str, ...]
    revenue: re.Pattern[str]
    english_revenue: re.Pattern[str]
    english_revenue_before: re.Pattern[str]
    english_graduate_of_year: re.Pattern[str]
    secondary_after: tuple[str, ...]
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
    pending: tuple[str, ...]  # "还没批下来": applied for, not granted yet
    pending_facts: frozenset[str]  # the facts of a status that a pending reply says does not hold yet
    particles: str
    enum_words: dict[str, dict[str, str]]


@dataclass(frozen=True)
class PhraseMatch:
    start: int
    end: int
    phrase: str


# ==== loading ======================================================================================


def _read_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


@functools.lru_cache(maxsize=1)
def fact_schema() -> dict[str, FactSpec]:
    return load_facts(_SCHEMA_PATH)


def valid_value(spec: FactSpec, value: object) -> object | None:
    """``value`` in the form the schema wants, or None when it is not valid (see policy_kb.facts)."""
    if spec.type == "int" and isinstance(value, float) and value.is_integer():
        value = int(value)
    try:
        return validate_fact(spec, value)
    except FactError:
        return None


def _check_facts(values: dict[str, object], where: str) -> None:
    schema = fact_schema()
    for name, value in values.items():
        if name not in schema or valid_value(schema[name], value) is None:
            raise ValueError(f"{_LEXICON_PATH}: {where}: {name}={value!r} is not valid for {_SCHEMA_PATH.name}")


def _alternation(words: Iterable[str]) -> str:
    """A regex that matches, at any position, the longest of ``words`` found there (as an alternation of the words,
    longest first, would), written as a tree of their common beginnings: Python's ``re`` tries each alternative
    of a flat alternation in turn at every position, about ten times slower with the thousands of phrases of the
    fact lexicon.

    Words starting or ending with ASCII letters or digits only match as whole ASCII words ("ai" is not
    found in "email").
    """
    tree: dict[str, dict] = {}
    for word in set(words):
        if word:
            node = tree
            for character in word:
                node = node.setdefault(character, {})
            node[_WORD_END] = {}
    branches = []
    for first in sorted(tree):
        whole_ascii_word = "(?<![a-z0-9].)" if first.isascii() and first.isalnum() else ""  # before `first`
        branches.append(re.escape(first) + whole_ascii_word + _rest_of_words(tree[first], first))
    return "|".join(branches) if branches else "(?!)"


_WORD_END = ""  # the key that marks, in the tree of words, that a word ends at this node


def _rest_of_words(node: dict[str, dict], last: str) -> str:
    """The regex of the words' remainders after a node (``last``: the node's character): longer ones first, then
    ending here when a word does (ending on an ASCII letter or digit only before a non-word character)."""
    longer = [re.escape(character) + _rest_of_words(child, character)
              for character, child in sorted(node.items()) if character != _WORD_END]
    if _WORD_END not in node:
        return longer[0] if len(longer) == 1 else "(?:" + "|".join(longer) + ")"
    if last.isascii() and last.isalnum():
        return "(?:" + "|".join([*longer, "(?![a-z0-9])"]) + ")"
    return "(?:" + "|".join(longer) + ")?" if longer else ""


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
            weak=bool(group.get("weak")),
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
    for word, rule in university_rules(_read_yaml(_UNIVERSITIES_PATH)).items():
        rules.setdefault(word, rule)  # a phrase of facts.yml (a blocker, a role) says more than the school's name
    return rules


def university_rules(raw: dict) -> dict[str, PhraseRule]:
    """Every school of the Ministry of Education's list (nlu/lexicons/universities.yml), and the short and former
    names people type, as a Gansu or another province's university (the "gansu_university" and
    "outside_university" kinds of facts.yml)."""
    in_gansu = PhraseRule(sets={"from_gansu_university": True}, kind="gansu_university")
    outside = PhraseRule(sets={"from_gansu_university": False}, kind="outside_university")
    home_province = regions.lexicon()["home_province"]  # nlu/lexicons/regions.yml: the plan's province
    province_of = {name: province for province, names in raw["provinces"].items() for name in names}
    names = {**{name: name for name in province_of}, **raw["aliases"]}
    rules: dict[str, PhraseRule] = {}
    for written, school in names.items():
        if school not in province_of:
            raise ValueError(f"{_UNIVERSITIES_PATH}: alias {written!r} names {school!r}, which is not listed")
        rules[normalize_text(str(written))] = in_gansu if province_of[school] == home_province else outside
    return rules


def _enum_words(raw: dict) -> dict[str, dict[str, str]]:
    """For each enum fact: normalised label, value name or synonym → value."""
    words: dict[str, dict[str, str]] = {}
    for spec in fact_schema().values():
        if spec.type != "enum":
            continue
        table: dict[str, str] = {}
        synonyms = (raw.get("enum_synonyms") or {}).get(spec.name) or {}
        for value, label in spec.values.items():
            label = normalize_text(label)
            table[normalize_text(value)] = value
            table[label] = value
            table[PARENTHESISED.sub("", label).strip()] = value
            for synonym in synonyms.get(value) or []:
                table[normalize_text(str(synonym))] = value
        words[spec.name] = table
    return words


@functools.lru_cache(maxsize=1)
def english_industry_names() -> dict[str, str]:
    """Industry (the canonical Chinese name the reader stores) → its first English word in the lexicon, for English
    replies: "restaurant" for 餐馆 (a Chinese word would also make an English SMS UCS-2, half as long a segment)."""
    names: dict[str, str] = {}
    for canon_map in _read_yaml(_LEXICON_PATH)["industries"].values():
        for canonical, synonyms in canon_map.items():
            english = next((str(word) for word in synonyms or () if str(word).isascii()), None)
            if english:
                names[str(canonical)] = english
    return names


@functools.lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
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
    stop_after_count = f"[{NUMBER_CHARS}年月日%万元块届级岁成点]|个月"
    stop_after_share = f"[{NUMBER_CHARS}年月日号%万元块届级岁成个点分]"
    return Lexicon(
        typos=typos,
        typo_pattern=_compile(typos) if typos else None,
        rules=rules,
        phrase_pattern=_compile(rules),
        negation=_compile(negation["words"]),
        not_negation=_compile(negation["ignore"]),
        barrier=_compile(negation["barriers"]),
        hypothetical=_compile(negation["hypothetical"]),
        measure_pointer=_compile(negation["measure_pointer"]),
        measure_pointer_window=int(negation["measure_pointer_window"]),
        postfix_fillers=str(negation["postfix_fillers"]),
        window=int(negation["window"]),
        english_negation=frozenset(map(str, negation["english_words"])),
        english_barriers=frozenset(map(str, negation["english_barriers"])),
        english_window_words=int(negation["english_window_words"]),
        staff_words=tuple(raw["university_staff_words"]),
        park_words=tuple(raw["university_park_words"]),
        location_markers=tuple(raw["location_markers"]),
        registration_after=tuple(raw["registration_after"]),
        registration_before=tuple(raw["registration_before"]),
        revenue=re.compile(
            "(?:" + "|".join(map(re.escape, raw["revenue_words"])) + r")[^0-9零〇一二两三四五六七八九十,，。;；!?]{0,6}"
            # A Chinese numeral is read whole ("六千五百万": 6500万, not 六千五 × 百万); digits may be grouped (1,200万)
            rf"(?P<num>{_GROUPED_DIGITS}(?:\.[0-9]+)?|[0-9.]+?|[零〇一二两三四五六七八九十百千]+) ?"
            r"(?:个多|个来|多|来|余|个)? ?(?P<unit>千万|百万|亿|万)"),
        english_revenue=re.compile(
            r"(?:" + "|".join(map(re.escape, raw["english_revenue_words"])) + r")[a-z ,]{0,24}?(?:rmb|cny|¥)? ?"
            rf"(?P<num>{_GROUPED_DIGITS}|[0-9]+(?:\.[0-9]+)?) ?(?P<unit>million|billion|thousand|m|bn|k)\b"),
        # "about 400 million yuan revenue last year", "9,000,000 yuan in sales": the amount before the word
        english_revenue_before=re.compile(
            rf"(?P<num>{_GROUPED_DIGITS}|[0-9]+(?:\.[0-9]+)?) ?(?P<unit>million|billion|thousand|m|bn|k)?\b ?"
            r"(?:yuan|rmb|cny)(?: (?:in|of))?(?: (?:annual|yearly))? (?:" + "|".join(
                map(re.escape, raw["english_revenue_words"])) + r")\b"),
        secondary_after=tuple(raw["secondary_after"]),
        commercialization_markers=re.compile(
            "(?:" + "|".join(map(re.escape, raw["commercialization_markers"])) + r")[^,。!?;]{0,8}$"),
        origin_before=tuple(raw["origin_markers_before"]),
        origin_after=tuple(raw["origin_markers_after"]),
        head_count=re.compile(rf"(?P<num>{NUMBER}) ?(?:来|多|余|几)? ?(?:个|名|号|位)? ?(?:{nouns})"),
        english_numbers={str(word): float(value) for word, value in raw["english_numbers"].items()},
        english_graduated_ago=re.compile(
            rf"graduated (?:about |around |nearly |almost |over |some )?(?P<num>[0-9]+(?:\.[0-9]+)?|{english})"
            r"(?P<half> and a half)? years? ago"),
        english_graduated_in=re.compile(
            r"(?:graduated|(?:finished|completed|got|earned|received|took) (?:my )?(?:studies|degree|diploma|"
            r"master'?s|bachelor'?s|phd|doctorate|university|college))[^.;!?]{0,60}? in (?:[a-z]+ )?"
            r"(?P<year>(?:19|20)[0-9]{2})"),
        # "I'm a 2023 graduate"
        english_graduate_of_year=re.compile(
            r"\b(?:i'?m|i am|as) an? (?P<year>(?:19|20)[0-9]{2}) (?:graduate|grad|alumn[ai])\b"),
        english_head_count=re.compile(
            rf"(?:(?P<num>{_GROUPED_DIGITS}|[0-9]+|{english})[- ]"
            rf"(?:person|people|employees?|staff|workers|members?)\b"
            rf"|team of (?P<team>[0-9]+|{english}))"),
        head_count_after_noun=re.compile(
            rf"(?:{heads})(?:数|有|共|一共|总共|大概|大约|差不多|约|是|为|加起来| )*(?P<num>{NUMBER})"
            rf"(?!{stop_after_count})"
        ),
        head_count_not_after=tuple(employees["not_after"]),
        share_context=tuple(share["context"]),
        share_after_head=re.compile(
            rf"(?:{_alternation(share['heads'])})(?:是|为|有|大概|大约|约|了|能|可以| )*(?P<num>{NUMBER})"
            rf"(?!{stop_after_share})"
        ),
        share_words={str(word): float(value) for word, value in (share.get("words") or {}).items()},
        yes=yes,
        no=no,
        yes_no_prefix=_compile(yes | no),
        unknown=tuple(str(word) for word in answers["unknown"]),
        pending=tuple(normalize_text(str(word)) for word in answers.get("pending") or ()),
        pending_facts=frozenset(str(name) for name in answers.get("pending_facts") or ()),
        particles=str(answers["particles"]),
        enum_words=_enum_words(raw),
    )




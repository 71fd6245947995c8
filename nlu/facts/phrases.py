"""Lexicon phrases in a message: longest match first, negation (不是低保户, 残疾证没有), questions and hypotheses
that state nothing, and the words around a place or a university that change what it says (天水人, 在西安开公司,
兰大的老师, 转让给成都的一家企业)."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator

from nlu.facts.lexicon import Lexicon, PhraseMatch, PhraseRule
from policy_kb.inference import LOCATION_FACTS

# ---- sentence structure -------------------------------------------------------------------------
# A space between two Chinese characters separates clauses too: SMS users write "还没 单位还没批".
_CLAUSE_BREAK = re.compile(
    r"[,。!?;:~…]|(?<![0-9])\.|\.(?![0-9])|(?<=[\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")
QUESTION = re.compile(r"(.)[不没]\1|是否")  # 是不是 / 有没有 / 是否: the user is asking, not telling
_ENGLISH_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")  # "isn't" is one word
REPEATED_CHAR = re.compile(r"(.)\1+")


# ==== extraction ==================================================================================


def fix_typos(text: str, lexicon: Lexicon) -> str:
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


def _negation(text: str, matches: list[PhraseMatch], index: int, clauses: _Clauses, lexicon: Lexicon) -> bool | None:
    """Whether phrase ``matches[index]`` is negated; None when it states nothing (question, hypothesis)."""
    match = matches[index]
    clause_start = clauses.start(match.start)
    if _names_a_measure(text, match, clauses, lexicon):
        return None
    if lexicon.hypothetical.search(lexicon.not_negation.sub(" ", text[clause_start : match.start])):
        return None
    previous_end = matches[index - 1].end if index else 0
    window = text[max(clause_start, previous_end, match.start - lexicon.window) : match.start]
    barriers = list(lexicon.barrier.finditer(window))
    if barriers:
        window = window[barriers[-1].end() :]
    window = lexicon.not_negation.sub(" ", window)
    if QUESTION.search(window):
        return None
    negations = len(lexicon.negation.findall(window))
    if negations:
        return negations % 2 == 1
    if match.phrase.isascii():
        return _english_negation(text[clause_start : match.start], lexicon)  # "no" may be a phrase itself
    # A trailing negation that ends the clause: "残疾证没有", "助学贷款没贷过".
    clause_end = clauses.end(match.end)
    if index + 1 < len(matches) and matches[index + 1].start < clause_end:
        return False
    tail = text[match.end : clause_end].strip()
    if tail.lstrip("了过").startswith(("吗", "么")):  # "单位同意了吗"
        return None
    trailing = lexicon.negation.match(tail)
    return bool(trailing) and all(char in lexicon.postfix_fillers for char in tail[trailing.end() :])


def _names_a_measure(text: str, match: PhraseMatch, clauses: _Clauses, lexicon: Lexicon) -> bool:
    """Whether the phrase is part of the name of a measure the user points at ("休学创业保留学籍那个政策 我能用不"):
    a pointer ("那个政策") follows closely in its clause and the user says nothing of themselves before it (我)."""
    pointer = lexicon.measure_pointer.search(text, match.end, clauses.end(match.end))
    if pointer is None or pointer.start() - match.end > lexicon.measure_pointer_window:
        return False
    return "我" not in text[clauses.start(match.start) : match.start]


def _english_negation(before: str, lexicon: Lexicon) -> bool:
    """An English phrase is negated by a negation among the few words before it, after any barrier word."""
    words = _ENGLISH_WORD.findall(before.lower())[-lexicon.english_window_words:]
    negated = False
    for word in words:
        if word in lexicon.english_barriers:
            negated = False
        elif word in lexicon.english_negation or (word.endswith("n't") and "n't" in lexicon.english_negation):
            negated = not negated
    return negated


def _is_origin(text: str, match: PhraseMatch, next_start: int, lexicon: Lexicon) -> bool:
    """Whether a place name says where the user comes from ("户籍在四川", "天水人"), not where they are."""
    if text[: match.start].endswith(lexicon.origin_before):
        return True
    return next_start != match.end and text.startswith(lexicon.origin_after, match.end)


def _effective_rule(rule: PhraseRule, text: str, match: PhraseMatch, next_start: int, lexicon: Lexicon,
                    asked: str | None = None) -> PhraseRule:
    """Apply the place and university rules that depend on the words around a phrase (and on the question asked)."""
    if rule.kind in ("gansu_place", "outside_place") and lexicon.commercialization_markers.search(text[: match.start]):
        # "专利转让给成都的一家企业", "授权给庆阳一家公司": where the results are commercialised
        return PhraseRule(sets={"commercialized_in_gansu": rule.kind == "gansu_place"}, if_negated={})
    if rule.kind in ("gansu_place", "outside_place"):
        after = text[match.end:]
        if after.startswith(lexicon.secondary_after):  # "兰州那边就是个办公点": a branch says nothing of the business
            return PhraseRule(sets={}, if_negated={})
        if after.startswith(lexicon.registration_after) or text[:match.start].endswith(lexicon.registration_before):
            # "在西安注册的", "注册在西安高新区": where the business itself is; "没在甘肃注册": not in Gansu
            located = rule.kind == "gansu_place"
            return PhraseRule(sets={"business_in_gansu": located, "in_gansu": located},
                              if_negated={"business_in_gansu": False} if located else {})
    if rule.kind in ("gansu_place", "outside_place") and _is_origin(text, match, next_start, lexicon):
        return PhraseRule(sets={"from_outside_gansu": rule.kind == "outside_place"}, if_negated={})
    if rule.kind in ("gansu_place", "outside_place") and asked in LOCATION_FACTS:
        # "所在西宁 青海的" to "is your institute in Gansu?": the place answers the question asked
        located = rule.kind == "gansu_place"
        return PhraseRule(sets={asked: located}, if_negated={asked: False} if located else {})
    if rule.kind == "outside_place" and text[: match.start].endswith(lexicon.location_markers):
        return PhraseRule(sets={"in_gansu": False}, if_negated={})
    if rule.kind in ("gansu_university", "outside_university"):
        in_gansu = rule.kind == "gansu_university"
        if asked == "employer_in_gansu":  # "西安交大的" to "is your university or institute in Gansu?"
            return PhraseRule(sets={"employer_in_gansu": in_gansu}, if_negated={})
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


# Where a weak phrase's mention is placed: before every other, so that anything the message states outright wins.
WEAK_POSITION = -1


def phrase_mentions(
    text: str, matches: list[PhraseMatch], lexicon: Lexicon, asked: str | None
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
        values = _stated_values(_effective_rule(rule, text, match, next_start, lexicon, asked), negated)
        if values:
            yield (WEAK_POSITION if rule.weak else match.start), dict(values)




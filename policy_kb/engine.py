"""The eligibility engine: applies a topic's rules to a person's facts and explains the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from policy_kb.facts import validate_facts
from policy_kb.inference import LOCATION_FACTS, infer_facts
from policy_kb.loader import KnowledgeBase, get_knowledge_base
from policy_kb.rules import ALL_RULES, Condition, Rule, rules_for_topic

ELIGIBLE = "eligible"
NOT_ELIGIBLE = "not_eligible"
NEED_MORE_INFO = "need_more_info"

MET = "met"
FAILED = "failed"
UNKNOWN = "unknown"


class NoRuleError(LookupError):
    """The document states no conditions for this topic, so there is nothing to check."""


@dataclass(frozen=True)
class ConditionResult:
    id: str
    status: str  # met | failed | unknown
    wording: str  # the document's words for the condition
    explanation: str  # why it is met or failed, in plain Chinese ("" while unknown)
    remedy: str | None  # what would change a failed condition


@dataclass(frozen=True)
class RuleResult:
    rule_id: str
    title: str
    benefit: str
    quote: str
    section: str
    verdict: str
    conditions: tuple[ConditionResult, ...]


@dataclass(frozen=True)
class Evaluation:
    """The verdict on a topic, the reason per condition and what to ask next."""

    topic: str
    section: str
    verdict: str
    rules: tuple[RuleResult, ...]
    next_fact: str | None
    next_question: str | None
    next_options: dict[str, str] = field(default_factory=dict)
    what_would_change: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def has_rules(topic: str) -> bool:
    return bool(rules_for_topic(topic))


def evaluate(topic: str, facts: Mapping[str, object], kb: KnowledgeBase | None = None,
             rule_id: str | None = None) -> Evaluation:
    """Apply every rule of ``topic`` to ``facts``.

    With ``rule_id``, only that measure of the topic is judged. The topic is ``eligible`` when any of its measures
    applies, ``not_eligible`` when none can, and
    ``need_more_info`` otherwise; then ``next_fact`` is the fact whose answer can settle the verdict soonest.
    Raises FactError for invalid facts, KeyError for an unknown topic and NoRuleError for a topic without rules.
    """
    kb = kb or get_knowledge_base()
    topic_record = kb.topic(topic)
    rules = rules_for_topic(topic)
    if rule_id is not None:  # one measure of the topic, the one the person asks about
        rules = tuple(rule for rule in rules if rule.id == rule_id) or rules
    if not rules:
        raise NoRuleError(f"the document states no eligibility conditions for {topic!r}")
    known = infer_facts(validate_facts(kb.facts, facts))
    parameters = kb.parameter_values()
    results = tuple(_evaluate_rule(rule, known, parameters, kb) for rule in rules)
    verdict = _combine(result.verdict for result in results)
    next_fact, question, options = (None, None, {})
    if verdict == NEED_MORE_INFO:
        next_fact, question, options = _next_question(rules, results, known, kb)
    changes: tuple[str, ...] = ()
    if verdict == NOT_ELIGIBLE:
        changes = tuple(dict.fromkeys(
            condition.remedy for result in results for condition in result.conditions
            if condition.status == FAILED and condition.remedy
        ))
    return Evaluation(
        topic=topic,
        section=topic_record.section,
        verdict=verdict,
        rules=results,
        next_fact=next_fact,
        next_question=question,
        next_options=options,
        what_would_change=changes,
    )


def _evaluate_rule(rule: Rule, facts: Mapping[str, object], parameters: Mapping[str, object],
                   kb: KnowledgeBase) -> RuleResult:
    texts = kb.eligibility_texts[rule.id]
    conditions = []
    for condition in rule.conditions:
        outcome = condition.check(facts, parameters)
        wording = texts["conditions"][condition.id]
        if outcome is None:
            conditions.append(ConditionResult(condition.id, UNKNOWN, wording["wording"], "", None))
        elif outcome:
            conditions.append(ConditionResult(condition.id, MET, wording["wording"], wording["met"], None))
        else:
            conditions.append(ConditionResult(
                condition.id, FAILED, wording["wording"], wording["failed"], wording.get("remedy"),
            ))
    statuses = [condition.status for condition in conditions]
    if FAILED in statuses:
        verdict = NOT_ELIGIBLE
    elif UNKNOWN in statuses:
        verdict = NEED_MORE_INFO
    else:
        verdict = ELIGIBLE
    return RuleResult(
        rule_id=rule.id,
        title=texts["title"],
        benefit=texts["benefit"],
        quote=texts["quote"],
        section=rule.section,
        verdict=verdict,
        conditions=tuple(conditions),
    )


def _combine(verdicts) -> str:
    verdicts = list(verdicts)
    if ELIGIBLE in verdicts:
        return ELIGIBLE
    if all(verdict == NOT_ELIGIBLE for verdict in verdicts):
        return NOT_ELIGIBLE
    return NEED_MORE_INFO


def _missing_facts(condition: Condition, facts: Mapping[str, object]) -> list[str]:
    return [name for name in condition.facts if facts.get(name) is None]


def _answers_to_fail(condition: Condition, facts: Mapping[str, object]) -> int:
    """How many answers it takes, at best, to fail this condition (and so end the check)."""
    return len(_missing_facts(condition, facts)) if condition.any_of else 1


def _next_question(rules: tuple[Rule, ...], results: tuple[RuleResult, ...], facts: Mapping[str, object],
                   kb: KnowledgeBase) -> tuple[str | None, str | None, dict[str, str]]:
    """Pick the fact that can settle the verdict soonest.

    Within the first undecided measure, the unknown condition that the fewest answers can fail is the
    quickest to settle (a failed condition ends the check); ties keep the rule's order, which lists the
    document's conditions in the order a person is asked about them.
    """
    for rule, result in zip(rules, results, strict=True):
        if result.verdict != NEED_MORE_INFO:
            continue
        unknown = [
            condition for condition, outcome in zip(rule.conditions, result.conditions, strict=True)
            if outcome.status == UNKNOWN
        ]
        best = min(unknown, key=lambda condition: _answers_to_fail(condition, facts))
        fact = _missing_facts(best, facts)[0]
        spec = kb.facts[fact]
        # A condition's own wording of its question fits only a condition of one fact ("你的企业在甘肃吗").
        override = kb.eligibility_texts[rule.id]["conditions"][best.id].get("question") if len(best.facts) == 1 \
            else None
        return fact, override or spec.question, _options(spec)
    return None, None, {}


def _options(spec) -> dict[str, str]:
    """Quick replies for a question: enum labels, or yes/no."""
    if spec.type == "enum":
        return dict(spec.values)
    if spec.type == "bool":
        return {"true": "是", "false": "不是"}
    return {}


@dataclass(frozen=True)
class Screened:
    """One measure screened against a person's situation."""

    rule_id: str
    topic: str
    result: RuleResult
    decided: int  # conditions the person's facts settle (met or failed), where they live aside: how much it bears
    missing: tuple[str, ...]  # facts still unknown, in the order they would be asked


def screen(facts: Mapping[str, object], kb: KnowledgeBase | None = None,
           topic: str | None = None) -> tuple[Screened, ...]:
    """Every measure with conditions (or ``topic``'s), judged on ``facts``: the basis of "which measures can I
    get?"."""
    kb = kb or get_knowledge_base()
    known = infer_facts(validate_facts(kb.facts, facts))
    parameters = kb.parameter_values()
    screened = []
    for rule in rules_for_topic(topic) if topic is not None else ALL_RULES:
        result = _evaluate_rule(rule, known, parameters, kb)
        # Where the person is says nothing about which measure fits them: it does not make a measure relevant.
        decided = sum(outcome.status != UNKNOWN and not set(condition.facts) <= set(LOCATION_FACTS)
                      for condition, outcome in zip(rule.conditions, result.conditions, strict=True))
        missing = tuple(dict.fromkeys(
            fact for condition, outcome in zip(rule.conditions, result.conditions, strict=True)
            if outcome.status == UNKNOWN for fact in _missing_facts(condition, known)[:1]))
        screened.append(Screened(rule.id, rule.topic, result, decided, missing))
    return tuple(screened)


def question_for(fact: str, kb: KnowledgeBase | None = None) -> tuple[str, dict[str, str]]:
    """The default question for a fact and its quick replies."""
    kb = kb or get_knowledge_base()
    spec = kb.facts[fact]
    return spec.question, _options(spec)

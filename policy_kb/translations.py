"""English text of the knowledge base (``policy_kb/data/en``), for users who write in English.

The Chinese files stay the source of truth: each English file mirrors one of them item for item (the loader
checks the counts), and quotations are never translated — answers show the document's Chinese words with their
section.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from policy_kb.engine import FAILED, MET, Evaluation, RuleResult
from policy_kb.loader import AUTHORED_ASPECTS, DATA_DIR, get_knowledge_base
from policy_kb.models import Topic

ENGLISH_DIR = DATA_DIR / "en"


class TranslationError(ValueError):
    """An English file does not mirror its Chinese original."""


@dataclass(frozen=True)
class TopicText:
    """The user-facing text of a topic in one language (quotes and section numbers stay as in the document)."""

    title: str
    section_title: str
    summary: str
    who: tuple[str, ...]
    benefits: tuple[str, ...]
    status_notes: tuple[str, ...]
    not_in_document: tuple[str, ...]
    terms: tuple[str, ...] = ()  # English only: lower-case words that name the measure ("researcher")


def chinese_text(topic: Topic) -> TopicText:
    return TopicText(topic.title, topic.section_title, topic.summary, topic.who, topic.benefits,
                     tuple(note.note for note in topic.status_notes), topic.not_in_document)


def _read(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_english_topic(path: Path, topic: Topic) -> TopicText:
    record = _read(path)
    text = TopicText(str(record["title"]), str(record["section_title"]), str(record["summary"]).strip(),
                     tuple(record.get("who") or ()), tuple(record.get("benefits") or ()),
                     tuple(record.get("status_notes") or ()), tuple(record.get("not_in_document") or ()),
                     tuple(str(term).lower() for term in record.get("terms") or ()))
    for field_name, original in (("who", topic.who), ("benefits", topic.benefits),
                                 ("status_notes", topic.status_notes), ("not_in_document", topic.not_in_document)):
        if len(getattr(text, field_name)) != len(original):
            raise TranslationError(f"{path.name}: {field_name} has {len(getattr(text, field_name))} items, "
                                   f"the Chinese topic {len(original)}")
    return text


@functools.lru_cache(maxsize=1)
def english_topics() -> dict[str, TopicText]:
    """Every topic's English text; a topic without one is an error (English users would get Chinese)."""
    topics = get_knowledge_base().topics
    texts = {}
    for topic_id, topic in topics.items():
        path = ENGLISH_DIR / "topics" / f"{topic_id}.yml"
        if not path.exists():
            raise TranslationError(f"no English text for topic {topic_id} ({path})")
        texts[topic_id] = load_english_topic(path, topic)
    return texts


@functools.lru_cache(maxsize=1)
def english_department_names() -> dict[str, str]:
    """Department short name (as the document writes it) → English name of 2015."""
    return {short: str(entry["name"]) for short, entry in _read(ENGLISH_DIR / "departments.yml")["departments"].items()}


@functools.lru_cache(maxsize=1)
def english_department_words() -> dict[str, tuple[str, ...]]:
    """Department short name → the English names a question may use for it (lower case): its names of 2015 and of
    today and its aliases ("human resources department", "tax bureau")."""
    words = {}
    for short, entry in _read(ENGLISH_DIR / "departments.yml")["departments"].items():
        names = [entry["name"], entry.get("today_name"), *(entry.get("aliases") or ())]
        words[short] = tuple(str(name).lower() for name in names if name)
    return words


@dataclass(frozen=True)
class AspectTexts:
    """A topic's one-sentence brief and its answer per aspect, in one language."""

    brief: str
    answers: dict[str, str]


@functools.lru_cache(maxsize=1)
def english_aspects() -> dict[str, AspectTexts]:
    """Every topic's aspect answers in English; a missing topic or aspect is an error."""
    texts = {}
    for topic_id in get_knowledge_base().topics:
        path = ENGLISH_DIR / "aspects" / f"{topic_id}.yml"
        if not path.exists():
            raise TranslationError(f"no English aspect answers for topic {topic_id} ({path})")
        record = _read(path)
        answers = {aspect: " ".join(str((record["aspects"].get(aspect) or {}).get("answer", "")).split())
                   for aspect in AUTHORED_ASPECTS}
        missing = [aspect for aspect, answer in answers.items() if not answer]
        if missing or not record.get("brief"):
            raise TranslationError(f"{path.name}: no English text for {', '.join(missing) or 'brief'}")
        texts[topic_id] = AspectTexts(" ".join(str(record["brief"]).split()), answers)
    return texts


def aspect_texts(topic: Topic, language: str) -> AspectTexts:
    """The brief and the per-aspect answers of ``topic`` in ``language``."""
    if language == "en":
        return english_aspects()[topic.id]
    aspects = get_knowledge_base().aspects[topic.id]
    return AspectTexts(aspects.brief, {aspect: answer.answer for aspect, answer in aspects.answers.items()})


@functools.lru_cache(maxsize=1)
def english_today_names() -> dict[str, str]:
    """Department short name (2015) → English name of today's successor, where it changed."""
    entries = _read(ENGLISH_DIR / "departments.yml")["departments"]
    return {short: str(entry["today_name"]) for short, entry in entries.items() if entry.get("today_name")}


def today_name(short: str, language: str) -> str | None:
    """Today's name of a 2015 department when a reorganisation changed it and the successor is confirmed."""
    department = get_knowledge_base().department(short)
    if department is None or department.today is None or not department.today.changed:
        return None
    if language == "en":
        return english_today_names().get(short) or department.today.name
    return department.today.short or department.today.name


def topic_text(topic: Topic, language: str) -> TopicText:
    return english_topics()[topic.id] if language == "en" else chinese_text(topic)


def department_name(short: str, language: str, with_short: bool = True) -> str:
    """The department as users should look for it: the document's name, with the English one for English users
    (followed by the document's name unless ``with_short`` is False: short replies stay in the GSM alphabet)."""
    if language != "en":
        return short
    english = english_department_names().get(short)
    if not english:
        return short
    return f"{english} ({short})" if with_short else english


@functools.lru_cache(maxsize=1)
def english_facts() -> dict[str, dict[str, Any]]:
    return _read(ENGLISH_DIR / "facts.yml")["facts"]


@functools.lru_cache(maxsize=1)
def english_rules() -> dict[str, dict[str, Any]]:
    return _read(ENGLISH_DIR / "eligibility.yml")["rules"]


def localized_evaluation(result: Evaluation, language: str) -> Evaluation:
    """The engine's evaluation with its user-facing words in ``language``.

    In English each condition reads "<English gloss> (“<the document's Chinese words>”)", so the clause the verdict
    rests on is still shown as written; the reasons, the question to ask next and its options are English.
    """
    if language != "en":
        return result
    localized = [localized_rule(rule, language) for rule in result.rules]
    rules = tuple(rule for rule, _ in localized)
    changes = [remedy for _, remedies in localized for remedy in remedies]
    question, options = result.next_question, result.next_options
    if result.next_fact:
        question, options = localized_question(result.next_fact, question or "", options, language)
    return replace(result, rules=rules, next_question=question, next_options=options,
                   what_would_change=tuple(dict.fromkeys(changes)) if result.what_would_change else ())


def localized_rule(rule: RuleResult, language: str) -> tuple[RuleResult, tuple[str, ...]]:
    """One measure's verdict in ``language``, and the English remedies of its failed conditions."""
    if language != "en":
        return rule, ()
    texts = english_rules().get(rule.rule_id, {})
    condition_texts = texts.get("conditions", {})
    conditions = []
    remedies = []
    for condition in rule.conditions:
        english = condition_texts.get(condition.id, {})
        explanation = english.get({MET: "met", FAILED: "failed"}.get(condition.status, ""), "") \
            if condition.explanation else ""
        remedy = english.get("remedy") if condition.remedy else None
        if condition.status == FAILED and remedy:
            remedies.append(remedy)
        wording = f"{english['wording']} (“{condition.wording}”)" if english.get("wording") else condition.wording
        conditions.append(replace(condition, wording=wording, explanation=explanation or condition.explanation,
                                  remedy=remedy or condition.remedy))
    return replace(rule, title=texts.get("title", rule.title), benefit=texts.get("benefit", rule.benefit),
                   conditions=tuple(conditions)), tuple(remedies)


def localized_question(fact: str, question: str, options: dict[str, str],
                       language: str) -> tuple[str, dict[str, str]]:
    """The question for ``fact`` and its quick-reply labels in ``language`` (yes/no as Yes/No)."""
    if language != "en":
        return question, options
    english = english_facts().get(fact, {})
    values = english.get("values") or {}
    options = {value: values.get(value, label) for value, label in options.items()}
    if set(options) == {"true", "false"}:
        options = {"true": "Yes", "false": "No"}
    return english.get("question", question), options

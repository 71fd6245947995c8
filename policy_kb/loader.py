"""Loads and checks the knowledge base files under ``policy_kb/data`` (once per process)."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from policy_kb.models import (
    AspectAnswer,
    Contact,
    Department,
    FactSpec,
    Hotline,
    Parameter,
    Park,
    PlanTargets,
    PublicSource,
    SourceDocument,
    StatusNote,
    Successor,
    Topic,
    TopicAspects,
)

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
SOURCES_DIR = PACKAGE_DIR / "sources"
# The aspects each topic's file answers from the document; overview, department, contact and validity are answered
# the same way for every topic (actions/replies.py), from the card, departments.yml and the document's date.
AUTHORED_ASPECTS = ("amount", "how_to_apply", "materials", "time", "who", "afterwards", "targets")
SUCCESSOR_STATUSES = ("unchanged", "renamed", "merged", "reorganised")


class KnowledgeBaseError(ValueError):
    """A knowledge base file is missing, malformed or disagrees with the source document."""


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the assistant knows, all of it traceable to the source document."""

    document: SourceDocument
    topics: dict[str, Topic]
    departments: dict[str, Department]
    ambiguous_aliases: dict[str, tuple[str, ...]]
    department_note: str
    parks: tuple[Park, ...]
    facts: dict[str, FactSpec]
    parameters: dict[str, Parameter]
    eligibility_texts: dict[str, dict[str, Any]]
    aspects: dict[str, TopicAspects]
    hotline: Hotline | None
    plan_targets: PlanTargets

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id; KeyError names the known ids when it does not exist."""
        try:
            return self.topics[topic_id]
        except KeyError:
            known = ", ".join(self.topics)
            raise KeyError(f"unknown topic {topic_id!r}; known topics: {known}") from None

    def department(self, short_name: str) -> Department | None:
        return self.departments.get(short_name)

    def parameter_values(self) -> dict[str, object]:
        return {name: parameter.value for name, parameter in self.parameters.items()}


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise KnowledgeBaseError(f"missing knowledge base file: {path}") from None
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path}: not valid YAML: {error}") from error


def _require(record: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    missing = [key for key in keys if key not in record]
    if missing:
        raise KnowledgeBaseError(f"{where}: missing keys {', '.join(missing)}")


def _check_quote(document: SourceDocument, quote: str, where: str) -> None:
    if quote not in document.text:
        raise KnowledgeBaseError(f"{where}: quote is not verbatim in the source document: {quote[:40]}…")


def load_document(sources_dir: Path = SOURCES_DIR) -> SourceDocument:
    meta = _read_yaml(sources_dir / "document.yml")
    _require(meta, ("title", "issuer", "issued", "file"), "document.yml")
    issued = meta["issued"]
    if not isinstance(issued, dt.date):
        issued = dt.date.fromisoformat(str(issued))
    text = (sources_dir / meta["file"]).read_text(encoding="utf-8")
    return SourceDocument(meta["title"], meta["issuer"], issued, meta["file"], text)


_TOPIC_KEYS = (
    "id", "title", "section", "section_title", "quotes", "summary", "who", "benefits", "status_notes",
    "not_in_document", "departments", "terms", "related",
)


def load_topic(path: Path, document: SourceDocument) -> Topic:
    record = _read_yaml(path)
    where = path.name
    if not isinstance(record, dict):
        raise KnowledgeBaseError(f"{where}: expected a mapping")
    _require(record, _TOPIC_KEYS, where)
    if record["id"] != path.stem:
        raise KnowledgeBaseError(f"{where}: id {record['id']!r} does not match the file name")
    if not record["quotes"] or not record["departments"]:
        raise KnowledgeBaseError(f"{where}: a topic needs at least one quote and one department")
    _check_quote(document, record["section_title"], where)
    for quote in record["quotes"]:
        _check_quote(document, quote, where)
    notes = tuple(StatusNote(note["quote"], note["note"]) for note in record["status_notes"] or ())
    for note in notes:
        _check_quote(document, note.quote, where)
    return Topic(
        id=record["id"],
        title=record["title"],
        section=record["section"],
        section_title=record["section_title"],
        quotes=tuple(record["quotes"]),
        summary=" ".join(str(record["summary"]).split()),
        who=tuple(record["who"] or ()),
        benefits=tuple(record["benefits"] or ()),
        status_notes=notes,
        not_in_document=tuple(record["not_in_document"] or ()),
        departments=tuple(record["departments"]),
        terms=tuple(str(term) for term in record["terms"] or ()),
        related=tuple(record["related"] or ()),
    )


def load_departments(path: Path) -> tuple[dict[str, Department], dict[str, tuple[str, ...]], str]:
    record = _read_yaml(path)
    departments: dict[str, Department] = {}
    for entry in record["departments"]:
        _require(entry, ("short", "full", "aliases", "joint_meeting_role"), f"departments.yml {entry}")
        contact = Contact(**(entry.get("contact") or {}))
        departments[entry["short"]] = Department(
            short=entry["short"],
            full=entry["full"],
            aliases=tuple(entry["aliases"] or ()),
            joint_meeting_role=entry["joint_meeting_role"],
            contact=contact,
            today=_successor(entry.get("today"), f"departments.yml {entry['short']}"),
        )
    ambiguous = {alias: tuple(names) for alias, names in (record.get("ambiguous_aliases") or {}).items()}
    return departments, ambiguous, record.get("note", "")


def _public_source(record: Any, where: str) -> PublicSource | None:
    if not record:
        return None
    _require(record, ("url", "title", "published"), f"{where}: source")
    if not str(record["url"]).startswith(("https://", "http://")):
        raise KnowledgeBaseError(f"{where}: source url must be a web address")
    return PublicSource(str(record["url"]), str(record["title"]), str(record["published"]),
                        str(record.get("excerpt") or ""))


def _successor(record: Any, where: str) -> Successor | None:
    """Today's body for a 2015 department; a renamed or merged one must cite where that was checked."""
    if not record:
        return None
    _require(record, ("status",), where)
    status = record["status"]
    if status not in SUCCESSOR_STATUSES:
        raise KnowledgeBaseError(f"{where}: status {status!r} is not one of {', '.join(SUCCESSOR_STATUSES)}")
    source = _public_source(record.get("source"), where)
    if status in ("renamed", "merged") and (not record.get("name") or source is None):
        raise KnowledgeBaseError(f"{where}: a {status} department needs today's name and a public source")
    return Successor(status, record.get("name"), record.get("short"), record.get("note"), source)


def load_hotline(path: Path) -> Hotline | None:
    """The 12345 hotline with its public source; None when the file is absent (answers then do not mention it)."""
    if not path.exists():
        return None
    record = _read_yaml(path)
    _require(record, ("name", "number", "scope", "source", "cited_as", "cited_as_en"), path.name)
    source = _public_source(record["source"], path.name)
    if source is None:
        raise KnowledgeBaseError(f"{path.name}: the hotline needs a public source")
    return Hotline(str(record["name"]), str(record["number"]), str(record["scope"]), source,
                   str(record["cited_as"]), str(record["cited_as_en"]))


def load_aspects(directory: Path, document: SourceDocument, topics: dict[str, Topic],
                 departments: dict[str, Department]) -> dict[str, TopicAspects]:
    """Every topic's aspect file: all authored aspects present, quotes verbatim, whom to ask a known department."""
    loaded: dict[str, TopicAspects] = {}
    for topic_id in topics:
        path = directory / f"{topic_id}.yml"
        record = _read_yaml(path)
        where = path.name
        _require(record, ("topic", "brief", "aspects"), where)
        if record["topic"] != topic_id:
            raise KnowledgeBaseError(f"{where}: topic {record['topic']!r} does not match the file name")
        answers: dict[str, AspectAnswer] = {}
        for aspect in AUTHORED_ASPECTS:
            entry = (record["aspects"] or {}).get(aspect)
            if not entry:
                raise KnowledgeBaseError(f"{where}: no answer for aspect {aspect}")
            _require(entry, ("says", "answer"), f"{where} {aspect}")
            says = bool(entry["says"])
            quote = entry.get("quote")
            if says:
                if not quote:
                    raise KnowledgeBaseError(f"{where} {aspect}: an answer from the document needs its quote")
                _check_quote(document, quote, f"{where} {aspect}")
            ask = tuple(entry.get("ask") or ())
            if not says and not ask:
                raise KnowledgeBaseError(f"{where} {aspect}: a silent document needs whom to ask (ask)")
            unknown = [name for name in ask if name not in departments]
            if unknown:
                raise KnowledgeBaseError(f"{where} {aspect}: ask names unknown departments: {', '.join(unknown)}")
            answers[aspect] = AspectAnswer(aspect, says, " ".join(str(entry["answer"]).split()), quote,
                                           entry.get("section"), ask)
        loaded[topic_id] = TopicAspects(topic_id, " ".join(str(record["brief"]).split()), answers)
    return loaded


def load_plan_targets(path: Path, document: SourceDocument) -> PlanTargets:
    record = _read_yaml(path)["targets"]
    _require(record, ("section", "answer", "answer_en", "quotes"), f"{path.name} targets")
    for quote in record["quotes"]:
        _check_quote(document, quote, f"{path.name} targets")
    return PlanTargets(str(record["section"]), str(record["answer"]), str(record["answer_en"]),
                       tuple(record["quotes"]))


def load_parks(path: Path, document: SourceDocument) -> tuple[Park, ...]:
    record = _read_yaml(path)
    parks: list[Park] = []
    for kind, key in (("demonstration", "demonstration_parks"), ("university", "university_science_parks")):
        for entry in record[key]:
            _require(entry, ("name", "city", "industries", "keywords", "quote"), f"parks.yml {entry.get('name')}")
            _check_quote(document, entry["quote"], f"parks.yml {entry['name']}")
            parks.append(Park(
                kind=kind,
                name=entry["name"],
                city=entry["city"],
                industries=tuple(entry["industries"]),
                keywords=tuple(str(keyword) for keyword in entry["keywords"]),
                quote=entry["quote"],
                university=entry.get("university"),
            ))
    return tuple(parks)


def load_facts(path: Path) -> dict[str, FactSpec]:
    record = _read_yaml(path)
    specs: dict[str, FactSpec] = {}
    for name, entry in record["facts"].items():
        _require(entry, ("type", "label", "question"), f"facts.yml {name}")
        specs[name] = FactSpec(
            name=name,
            type=entry["type"],
            label=entry["label"],
            question=entry["question"],
            values=dict(entry.get("values") or {}),
            minimum=entry.get("min"),
            maximum=entry.get("max"),
        )
    return specs


def load_parameters(path: Path, document: SourceDocument) -> dict[str, Parameter]:
    record = _read_yaml(path)
    parameters: dict[str, Parameter] = {}
    for name, entry in record["parameters"].items():
        _require(entry, ("value", "section", "quote"), f"parameters.yml {name}")
        _check_quote(document, entry["quote"], f"parameters.yml {name}")
        parameters[name] = Parameter(name, entry["value"], entry.get("unit", ""), entry["section"], entry["quote"])
    return parameters


def load_eligibility_texts(path: Path, document: SourceDocument) -> dict[str, dict[str, Any]]:
    record = _read_yaml(path)
    for rule_id, entry in record["rules"].items():
        _require(entry, ("topic", "title", "benefit", "quote", "conditions"), f"eligibility.yml {rule_id}")
        _check_quote(document, entry["quote"], f"eligibility.yml {rule_id}")
        for condition_id, texts in entry["conditions"].items():
            _require(texts, ("wording", "met", "failed"), f"eligibility.yml {rule_id}.{condition_id}")
    return record["rules"]


def load_knowledge_base(data_dir: Path = DATA_DIR, sources_dir: Path = SOURCES_DIR) -> KnowledgeBase:
    """Read every file, check every quote against the document, and return the knowledge base."""
    document = load_document(sources_dir)
    topic_paths = sorted((data_dir / "topics").glob("*.yml"))
    if not topic_paths:
        raise KnowledgeBaseError(f"no topic files in {data_dir / 'topics'}")
    topics = {path.stem: load_topic(path, document) for path in topic_paths}
    departments, ambiguous, note = load_departments(data_dir / "departments.yml")
    for topic in topics.values():
        unknown = [name for name in topic.departments if name not in departments]
        if unknown:
            raise KnowledgeBaseError(f"{topic.id}: departments not in departments.yml: {', '.join(unknown)}")
        for related in topic.related:
            if related not in topics:
                raise KnowledgeBaseError(f"{topic.id}: related topic {related!r} does not exist")
    return KnowledgeBase(
        document=document,
        topics=topics,
        departments=departments,
        ambiguous_aliases=ambiguous,
        department_note=note,
        parks=load_parks(data_dir / "parks.yml", document),
        facts=load_facts(data_dir / "facts.yml"),
        parameters=load_parameters(data_dir / "parameters.yml", document),
        eligibility_texts=load_eligibility_texts(data_dir / "eligibility.yml", document),
        aspects=load_aspects(data_dir / "aspects", document, topics, departments),
        hotline=load_hotline(data_dir / "service_hotline.yml"),
        plan_targets=load_plan_targets(data_dir / "plan.yml", document),
    )


@functools.lru_cache(maxsize=1)
def get_knowledge_base() -> KnowledgeBase:
    """The knowledge base of this installation, loaded on first use and shared afterwards."""
    return load_knowledge_base()

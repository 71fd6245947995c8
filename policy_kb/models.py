"""Typed records of the knowledge base, as loaded from ``policy_kb/data``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class SourceDocument:
    """The document every fact comes from."""

    title: str
    issuer: str
    issued: date
    file: str
    text: str = field(repr=False)

    @property
    def citation(self) -> str:
        """How answers cite the document, e.g. 《…》（甘肃省人民政府，2015-12-12）."""
        return f"《{self.title}》（{self.issuer}，{self.issued.isoformat()}）"


@dataclass(frozen=True)
class StatusNote:
    """Where the document says a measure is still to be issued or explored."""

    quote: str
    note: str


@dataclass(frozen=True)
class Topic:
    """One policy item of the document."""

    id: str
    title: str
    section: str
    section_title: str
    quotes: tuple[str, ...]
    summary: str
    who: tuple[str, ...]
    benefits: tuple[str, ...]
    status_notes: tuple[StatusNote, ...]
    not_in_document: tuple[str, ...]
    departments: tuple[str, ...]
    terms: tuple[str, ...]
    related: tuple[str, ...]

    @property
    def lead_department(self) -> str:
        """The first department of the document's parenthesis leads the measure."""
        return self.departments[0]

    @property
    def supporting_departments(self) -> tuple[str, ...]:
        return self.departments[1:]


@dataclass(frozen=True)
class Contact:
    """Contact details: the document states none, so operators fill them from a config file."""

    phone: str | None = None
    address: str | None = None
    website: str | None = None
    office_hours: str | None = None


@dataclass(frozen=True)
class PublicSource:
    """A fact from outside the document carries the public page it was checked against."""

    url: str
    title: str
    published: str
    excerpt: str = ""


@dataclass(frozen=True)
class Successor:
    """What became of a 2015 department in the 2018 and later reorganisations.

    ``status``: unchanged | renamed | merged | reorganised (changed, successor not confirmed: ``name`` is None).
    """

    status: str
    name: str | None
    short: str | None
    note: str | None
    source: PublicSource | None

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


@dataclass(frozen=True)
class Department:
    """A department as the document names it, with its full name and the words users type for it."""

    short: str
    full: str
    aliases: tuple[str, ...]
    joint_meeting_role: str | None
    contact: Contact
    today: Successor | None = None


@dataclass(frozen=True)
class Hotline:
    """The province's public government service hotline (not in the document: it carries its source)."""

    name: str
    number: str
    scope: str
    source: PublicSource
    cited_as: str  # the source in a few words, as short answers cite it
    cited_as_en: str


@dataclass(frozen=True)
class AspectAnswer:
    """What the document says on one aspect of a measure (``says``), or that it is silent and whom to ask."""

    aspect: str
    says: bool
    answer: str
    quote: str | None
    section: str | None
    ask: tuple[str, ...]


@dataclass(frozen=True)
class TopicAspects:
    """A measure in one sentence and its answer per aspect (``policy_kb/data/aspects/<topic>.yml``)."""

    topic: str
    brief: str
    answers: dict[str, AspectAnswer]


@dataclass(frozen=True)
class Park:
    """A demonstration park (专栏2) or university science park (专栏3)."""

    kind: str  # "demonstration" | "university"
    name: str
    city: str
    industries: tuple[str, ...]
    keywords: tuple[str, ...]
    quote: str
    university: str | None = None

    @property
    def section(self) -> str:
        return "四(二), 专栏2" if self.kind == "demonstration" else "四(三), 专栏3"


@dataclass(frozen=True)
class FactSpec:
    """A typed fact an eligibility rule may need (see ``data/facts.yml``)."""

    name: str
    type: str  # bool | int | number | enum | text
    label: str
    question: str
    values: dict[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True)
class Parameter:
    """A number a rule uses, with the clause it comes from."""

    name: str
    value: object
    unit: str
    section: str
    quote: str


@dataclass(frozen=True)
class PlanTargets:
    """The plan's own numbers (section 一(三)), for questions that name no single measure."""

    section: str
    answer: str
    answer_en: str
    quotes: tuple[str, ...]

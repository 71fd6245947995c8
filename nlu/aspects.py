"""Which aspect of a measure a message asks about ("能贷多少" → amount), and whether it is only that.

An aspect question with nothing else in it ("要交啥材料", "How much?") is *elliptical*: it is about the measure
under discussion. "那X呢" carries over the aspect asked before to X. Cues and fillers are data
(``nlu/lexicons/aspects.yml``); this module is the grammar.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.language import is_chinese_character

LEXICON_PATH = Path(__file__).parent / "lexicons" / "aspects.yml"
OVERVIEW = "overview"
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


@dataclass(frozen=True)
class AspectReading:
    """What :func:`read_aspect` found in a message."""

    aspect: str  # one of the lexicon's aspects, or ``overview`` when no cue matched
    cue: str | None  # the words that named the aspect
    elliptical: bool  # nothing but the aspect (and filler) in the message
    continuation: str | None = None  # X of "那X呢": a follow-up that carries the previous aspect over


@dataclass(frozen=True)
class _Lexicon:
    order: tuple[str, ...]
    cues: dict[str, tuple[re.Pattern[str], ...]]
    fillers_zh: tuple[str, ...]
    fillers_en: frozenset[str]
    max_characters: int
    max_words: int
    continuation: tuple[re.Pattern[str], ...]
    topics: dict[str, str]  # aspect → the measure a question of it names when nothing else is discussed


@functools.lru_cache(maxsize=1)
def lexicon() -> _Lexicon:
    data = yaml.safe_load(LEXICON_PATH.read_text(encoding="utf-8"))
    order = tuple(data["order"])
    missing = [aspect for aspect in order if aspect not in data["cues"]]
    if missing:
        raise ValueError(f"{LEXICON_PATH}: no cues for {', '.join(missing)}")
    return _Lexicon(
        order=order,
        cues={aspect: tuple(re.compile(pattern) for pattern in data["cues"][aspect]) for aspect in order},
        # longest first, so that "那么" goes before "那"
        fillers_zh=tuple(sorted(data["fillers"]["zh"], key=len, reverse=True)),
        fillers_en=frozenset(data["fillers"]["en"]),
        max_characters=int(data["elliptical_max_characters"]),
        max_words=int(data["elliptical_max_words"]),
        continuation=tuple(re.compile(pattern) for pattern in data["continuation"]),
        topics=dict(data.get("aspect_topics") or {}),
    )


def aspect_topics() -> dict[str, str]:
    """Aspect → the measure a question of that aspect names when nothing else is discussed (the lexicon's
    ``aspect_topics``)."""
    return lexicon().topics


def aspect_cues(aspect: str) -> tuple[re.Pattern[str], ...]:
    """The patterns that say a message asks ``aspect`` (matched against lower-cased text)."""
    return lexicon().cues.get(aspect, ())


def aspects() -> tuple[str, ...]:
    """Every aspect the lexicon knows, overview included."""
    return (OVERVIEW, *lexicon().order)


def read_aspect(text: str) -> AspectReading:
    """The aspect ``text`` asks about; ``overview`` when it names none."""
    lowered = text.lower().strip()
    rules = lexicon()
    for aspect in rules.order:
        for pattern in rules.cues[aspect]:
            match = pattern.search(lowered)
            if match and not _GIVES_A_VALUE.match(lowered, match.end()):
                rest = lowered[:match.start()] + " " + lowered[match.end():]
                return AspectReading(aspect, match.group(0), is_content_free(rest), None)
    continuation = _continuation(lowered)
    return AspectReading(OVERVIEW, None, False, continuation)


# A cue followed by a number states a value ("我手机138…", "营收3000万"): the user gives it, not asks for it.
_GIVES_A_VALUE = re.compile(r"\s*[:：是为]?\s*[+0-9０-９]")


def continuation_of(text: str) -> str | None:
    """X of "那X呢" / "what about X", else None."""
    return _continuation(text.lower().strip())


def _continuation(lowered: str) -> str | None:
    for pattern in lexicon().continuation:
        match = pattern.match(lowered)
        if match and match.group("rest").strip():
            return match.group("rest").strip()
    return None


def is_content_free(text: str) -> bool:
    """Nothing but filler words, punctuation and numbers is left (at most the lexicon's few characters/words)."""
    rules = lexicon()
    remaining = text
    for filler in rules.fillers_zh:
        remaining = remaining.replace(filler, " ")
    characters = sum(1 for character in remaining if is_chinese_character(character))
    words = [word for word in _WORD.findall(remaining) if word not in rules.fillers_en]
    return characters <= rules.max_characters and len(words) <= rules.max_words

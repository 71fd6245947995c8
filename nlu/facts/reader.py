"""Every fact one message states: the mentions of each reader, the later one winning, checked against the schema."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from nlu.facts.counts import english_mentions, head_count_mentions, revenue_mentions, share_mentions
from nlu.facts.lexicon import PhraseMatch, fact_schema, load_lexicon, valid_value
from nlu.facts.phrases import fix_typos, phrase_mentions
from nlu.facts.times import graduation_mentions
from nlu.normalize import normalize_text


def read_facts(normalized: str, today: datetime.date, asked: str | None = None) -> dict[str, object]:
    """Facts stated in already-normalised text; ``asked`` is the fact the assistant just asked for."""
    lexicon = load_lexicon()
    text = fix_typos(normalized, lexicon)
    matches = [PhraseMatch(m.start(), m.end(), m.group(0)) for m in lexicon.phrase_pattern.finditer(text)]
    mentions = [
        *phrase_mentions(text, matches, lexicon, asked),
        *graduation_mentions(text, today),
        *head_count_mentions(text, matches, lexicon),
        *revenue_mentions(text, lexicon),
        *share_mentions(text, lexicon, asked),
        *english_mentions(text, lexicon, today),
    ]
    facts: dict[str, object] = {}
    for _, values in sorted(mentions, key=lambda mention: mention[0]):  # stable: later mentions win
        facts.update(values)
    schema = fact_schema()
    checked = {name: valid_value(schema[name], value) for name, value in facts.items()}
    return {name: value for name, value in checked.items() if value is not None}


def extract_facts(text: str, today: datetime.date | None = None) -> dict[str, object]:
    """All facts stated in one user message, keyed by the fact names of policy_kb/data/facts.yml.

    ``today`` fixes the current date for graduation years ("2021年毕业"); it defaults to today.
    Returns {} when the message states no fact. Never raises for a ``str``.
    """
    return read_facts(normalize_text(text), today or datetime.date.today())





def restated_facts(text: str, names: Iterable[str], today: datetime.date | None = None) -> dict[str, object]:
    """The facts ``names`` as ``text`` states them when each is read as the one in question: a correction
    ("我看错了 小微企业合起来只占25%") restates a known fact without the words that would otherwise have to
    accompany it (联合体, 股份)."""
    normalized, day = normalize_text(text), today or datetime.date.today()
    found = {name: read_facts(normalized, day, asked=name).get(name) for name in names}
    return {name: value for name, value in found.items() if value is not None}

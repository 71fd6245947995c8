"""Builds the jieba user dictionary from the words of the knowledge base, so topic terms stay whole tokens."""

from __future__ import annotations

import re

from policy_kb.loader import KnowledgeBase

# A high frequency makes jieba keep the word whole; "n" marks a noun.
_FREQUENCY = 2000
_CJK = re.compile(r"[\u4e00-\u9fff]")


def dictionary_words(kb: KnowledgeBase) -> list[str]:
    """Every multi-character Chinese term, department name, alias and park word, sorted, once each."""
    words: set[str] = set()
    for topic in kb.topics.values():
        words.update(topic.terms)
        words.add(topic.title)
    for department in kb.departments.values():
        words.update((department.short, department.full, *department.aliases))
    for park in kb.parks:
        words.update((park.name, *park.keywords, *park.industries))
    return sorted(word for word in (w.strip() for w in words) if _usable(word))


def _usable(word: str) -> bool:
    """jieba splits its dictionary lines on spaces, and single characters gain nothing."""
    return len(word) >= 2 and " " not in word and bool(_CJK.search(word))


def render_dictionary(kb: KnowledgeBase) -> str:
    """The dictionary file's text: one ``word frequency n`` line per word."""
    return "".join(f"{word} {_FREQUENCY} n\n" for word in dictionary_words(kb))

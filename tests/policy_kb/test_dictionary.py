"""The committed jieba dictionary is the one the knowledge base generates (so it cannot drift)."""

from pathlib import Path

from policy_kb.dictionary import dictionary_words, render_dictionary

DICTIONARY = Path(__file__).resolve().parents[2] / "nlu" / "dictionaries" / "userdict.txt"


def test_committed_dictionary_is_current(kb) -> None:
    assert DICTIONARY.read_text(encoding="utf-8") == render_dictionary(kb), "run: chuangye kb dictionary --write"


def test_dictionary_holds_topic_terms_and_department_aliases(kb) -> None:
    words = set(dictionary_words(kb))
    assert "人社局" in words
    assert "碳纤维" in words
    assert all(" " not in word and len(word) >= 2 for word in words)

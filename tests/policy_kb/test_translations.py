"""English text of the knowledge base mirrors the Chinese item for item and adds no number."""

from __future__ import annotations

import re

import pytest

from policy_kb.translations import (
    TranslationError,
    department_name,
    english_department_names,
    english_topics,
    load_english_topic,
    topic_text,
)


def test_every_topic_has_english_text_mirroring_the_chinese(kb) -> None:
    texts = english_topics()
    assert set(texts) == set(kb.topics)
    for topic_id, topic in kb.topics.items():
        english = texts[topic_id]
        assert english.title and english.summary, topic_id
        assert len(english.benefits) == len(topic.benefits), topic_id
        assert len(english.not_in_document) == len(topic.not_in_document), topic_id


def test_english_adds_no_number_that_the_document_lacks(kb) -> None:
    source = kb.document.text
    for topic_id, english in english_topics().items():
        chinese = str(kb.topics[topic_id])
        words = " ".join([english.summary, *english.who, *english.benefits, *english.status_notes,
                          *english.not_in_document])
        for number in re.findall(r"\d+", words):
            assert number in chinese or number in source, (topic_id, number)


def test_every_department_has_an_english_name(kb) -> None:
    names = english_department_names()
    for topic in kb.topics.values():
        for short in topic.departments:
            assert short in names, short
    assert department_name("省人社厅", "en").endswith("(省人社厅)")
    assert department_name("省人社厅", "zh") == "省人社厅"


def test_chinese_text_is_the_knowledge_base_itself(kb) -> None:
    topic = kb.topics["tax_incentives"]
    assert topic_text(topic, "zh").summary == topic.summary


def test_a_translation_with_a_missing_item_is_refused(kb, tmp_path) -> None:
    import yaml

    from policy_kb.translations import ENGLISH_DIR

    topic = kb.topics["startup_guarantee_loan"]
    record = yaml.safe_load((ENGLISH_DIR / "topics" / "startup_guarantee_loan.yml").read_text(encoding="utf-8"))
    record["benefits"] = record["benefits"][:-1]
    path = tmp_path / "startup_guarantee_loan.yml"
    path.write_text(yaml.safe_dump(record, allow_unicode=True), encoding="utf-8")
    with pytest.raises(TranslationError, match="benefits has 5 items, the Chinese topic 6"):
        load_english_topic(path, topic)


def test_every_topic_has_english_terms_and_no_term_names_two_measures() -> None:
    topics = english_topics()
    assert all(text.terms and all(term == term.lower() for term in text.terms) for text in topics.values())
    clashes = [(first, term, second, other) for first, text in topics.items() for term in text.terms
               for second, other_text in topics.items() if second != first
               for other in other_text.terms if re.search(rf"\b{re.escape(other)}", term)]
    assert clashes == []

"""Every topic agrees with the shipped document itself (no file outside the project is read)."""

from __future__ import annotations

import re

import pytest

from policy_kb.loader import get_knowledge_base

KB = get_knowledge_base()
RESPONSIBLE = re.compile(r"（([^（）]*?)等负责）")
SECTION_REFERENCE = re.compile(r"专栏\d")
NUMBER = re.compile(r"\d+(?:\.\d+)?")


def paragraph_of(quote: str) -> str:
    """The document's paragraph (line) that contains ``quote``."""
    text = KB.document.text
    position = text.index(quote)
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    return text[start:end if end != -1 else len(text)]


@pytest.mark.parametrize("topic", [t for t in KB.topics.values() if t.id != "joint_meeting"], ids=lambda t: t.id)
def test_departments_are_the_closing_parenthesis_of_the_main_quotation(topic) -> None:
    """（…等负责） closes the paragraph: its departments, in order, are the topic's (first = lead)."""
    parentheses = RESPONSIBLE.findall(paragraph_of(topic.quotes[0]))
    assert parentheses, f"{topic.id}: its main quotation's paragraph names no departments"
    assert list(topic.departments) == parentheses[-1].split("、")


def test_joint_meeting_is_led_by_its_convenor() -> None:
    annex = KB.document.text[KB.document.text.index("附　件"):]
    convenor = re.search(r"联席会议由(\S+?)主要负责同志担任召集人", annex).group(1)
    assert KB.topics["joint_meeting"].departments == (convenor,)
    assert KB.departments[convenor].joint_meeting_role == "召集人"


@pytest.mark.parametrize("topic", list(KB.topics.values()), ids=lambda t: t.id)
def test_no_number_in_summary_or_benefits_that_the_quotations_do_not_state(topic) -> None:
    stated = set(NUMBER.findall(" ".join(topic.quotes)))
    written = SECTION_REFERENCE.sub("", " ".join((topic.summary, *topic.benefits)))
    assert set(NUMBER.findall(written)) <= stated, topic.id


def test_every_quotation_is_verbatim_in_the_shipped_document() -> None:
    """The loader refuses a non-verbatim quote; this states the property directly, file by file."""
    text = KB.document.text
    for topic in KB.topics.values():
        for quote in (*topic.quotes, *(note.quote for note in topic.status_notes)):
            assert quote in text, f"{topic.id}: {quote[:30]}"
    for park in KB.parks:
        assert park.quote in text, park.name
    for parameter in KB.parameters.values():
        assert parameter.quote in text, parameter.name

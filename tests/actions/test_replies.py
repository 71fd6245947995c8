"""Tests for actions/replies.py: every aspect of every topic has an answer at every level, in both languages, that
fits the channels and states no number its clause does not."""

from __future__ import annotations

import re

import pytest

from actions.replies import (
    GENERIC_ASPECTS,
    LEVEL_POINTER,
    department_reference,
    detail_answer,
    first_answer,
    full_card,
    pointer_answer,
    section_label,
)
from policy_kb.loader import AUTHORED_ASPECTS, get_knowledge_base
from policy_kb.translations import aspect_texts

ALL_ASPECTS = (*GENERIC_ASPECTS, *AUTHORED_ASPECTS)
TOPICS = sorted(get_knowledge_base().topics)
NUMBER = re.compile(r"\d+(?:\.\d+)?")
TEN_THOUSANDS = re.compile(r"(\d+)万")


def numbers(text: str) -> set[str]:
    """The numbers in a text, "400,000" as 400000 and "40万" as both 40 and 400000."""
    found = set(NUMBER.findall(re.sub(r"(\d),(\d{3})", r"\1\2", text)))
    return found | {str(int(value) * 10000) for value in TEN_THOUSANDS.findall(text)}

# Numbers every answer may use: the document's date and its horizon (section 一(三): 到2020年).
DOCUMENT_NUMBERS = {"2015", "12", "2020"}


@pytest.mark.parametrize("topic_id", TOPICS)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_aspect_has_an_answer_at_every_level(kb, topic_id: str, language: str) -> None:
    topic = kb.topics[topic_id]
    for aspect in ALL_ASPECTS:
        first = first_answer(topic, aspect, language)
        detail = detail_answer(topic, aspect, language)
        assert first and detail and first != detail, (topic_id, aspect)
    assert pointer_answer(topic, language) not in (first, detail)
    assert LEVEL_POINTER == 3


@pytest.mark.parametrize("topic_id", TOPICS)
def test_silent_answers_say_so_and_name_whom_to_ask(kb, topic_id: str) -> None:
    topic = kb.topics[topic_id]
    for aspect, entry in kb.aspects[topic_id].answers.items():
        reply = first_answer(topic, aspect, "zh")
        if not entry.says:
            assert reply.startswith(("文件没有", "文件没", "方案没有", "文件未")), (aspect, reply)
            assert "可以问" in reply, (aspect, reply)
            english = first_answer(topic, aspect, "en")
            assert "Ask " in english, (aspect, english)


@pytest.mark.parametrize("topic_id", TOPICS)
def test_no_number_that_is_not_in_the_cited_clause(kb, topic_id: str) -> None:
    topic = kb.topics[topic_id]
    allowed = set(DOCUMENT_NUMBERS) | numbers(topic.section)
    for quote in topic.quotes:
        allowed |= numbers(quote)
    for aspect, entry in kb.aspects[topic_id].answers.items():
        cited = allowed | numbers(entry.quote or "") | numbers(entry.section or "")
        for language in ("zh", "en"):
            text = aspect_texts(topic, language).answers[aspect]
            stray = numbers(text) - cited
            assert not stray, (topic_id, aspect, language, stray, text)


def test_english_sections_use_digits_so_an_english_sms_stays_in_the_gsm_alphabet() -> None:
    assert section_label("三(四)2", "en") == "3(4)2"
    assert section_label("四(二), 专栏2", "en") == "4(2), box 2"
    assert section_label("三(四)2", "zh") == "三(四)2"


def test_a_renamed_department_is_shown_with_its_successor(kb) -> None:
    renamed = [d for d in kb.departments.values() if d.today is not None and d.today.status in ("renamed", "merged")]
    if not renamed:
        pytest.skip("no successor recorded in departments.yml")
    department = renamed[0]
    shown = department_reference(department.short, "zh")
    assert department.short in shown and (department.today.short or department.today.name) in shown
    assert department.today.source is not None and department.today.source.url.startswith("http")


def test_full_card_says_how_old_the_document_is_and_cites_it(kb) -> None:
    card = full_card(kb.topics["startup_guarantee_loan"], "zh")
    assert "2015-12-12" in card and "2020" in card and "三(三)2" in card
    assert "2015-12-12" in full_card(kb.topics["startup_guarantee_loan"], "en")


def test_validity_answer_gives_the_date_and_invents_no_end_date(kb) -> None:
    reply = first_answer(kb.topics["student_leave_of_absence"], "validity", "zh")
    assert "2015-12-12" in reply and "2020" in reply and "没写失效日期" in reply


def test_contact_answer_has_no_phone_number_except_a_cited_hotline(kb) -> None:
    reply = first_answer(kb.topics["student_startup_social_insurance"], "contact", "zh")
    assert reply.startswith("文件没有写电话和地址")
    numbers = [number for number in NUMBER.findall(reply) if len(number) >= 5]
    if kb.hotline is None:
        assert not numbers
    else:
        assert numbers == [kb.hotline.number] and kb.hotline.cited_as in reply

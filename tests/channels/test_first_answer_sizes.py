"""The first answer to a policy question, as the phone receives it: one SMS of at most 2 segments with its menu in
Chinese (3 at most in English), and the first WeChat screen (about 200 characters) answers."""

from __future__ import annotations

import statistics

import pytest

from actions.answer import first_answer_buttons
from actions.common import next_step_buttons
from actions.feedback import feedback_buttons
from actions.replies import GENERIC_ASPECTS, first_answer, sms_detail_answer
from bot.channels.render import (
    Button,
    ChannelReply,
    is_gsm_text,
    render_sms,
    render_wechat,
    sms_segments,
)
from policy_kb.engine import has_rules
from policy_kb.loader import AUTHORED_ASPECTS, get_knowledge_base

ALL_ASPECTS = (*GENERIC_ASPECTS, *AUTHORED_ASPECTS)


def first_reply(topic_id: str, aspect: str, language: str) -> ChannelReply:
    topic = get_knowledge_base().topics[topic_id]
    buttons = [Button(b["title"], b["payload"])
               for b in [*first_answer_buttons(topic, aspect, has_rules(topic.id), language),
                         *feedback_buttons(language)]]
    return ChannelReply([first_answer(topic, aspect, language)], buttons, {"language": language})


def all_first_replies(language: str) -> list[tuple[str, str, ChannelReply]]:
    return [(topic_id, aspect, first_reply(topic_id, aspect, language))
            for topic_id in sorted(get_knowledge_base().topics) for aspect in ALL_ASPECTS]


def test_every_chinese_first_answer_is_one_sms_of_at_most_two_segments() -> None:
    for topic_id, aspect, reply in all_first_replies("zh"):
        pieces = render_sms(reply, max_segments=3)
        assert len(pieces) == 1, (topic_id, aspect, pieces)
        assert sms_segments(pieces[0]) <= 2, (topic_id, aspect, pieces[0])
        assert pieces[0].endswith(reply_menu_tail(reply)), pieces[0]


def reply_menu_tail(reply: ChannelReply) -> str:
    return f"回{len(reply.buttons)}{reply.buttons[-1].title}"


def test_every_english_first_answer_is_gsm_text_and_at_most_three_segments_median_two() -> None:
    counts = []
    for topic_id, aspect, reply in all_first_replies("en"):
        pieces = render_sms(reply, max_segments=3)
        assert len(pieces) == 1 and is_gsm_text(pieces[0]), (topic_id, aspect, pieces)
        counts.append(sms_segments(pieces[0]))
        assert counts[-1] <= 3, (topic_id, aspect, pieces[0])
    assert statistics.median(counts) <= 2


def test_first_wechat_screen_is_the_answer_and_its_menu() -> None:
    lengths = []
    for topic_id, aspect, reply in all_first_replies("zh"):
        pieces = render_wechat(reply)
        assert len(pieces) == 1, (topic_id, aspect)
        lengths.append(len(reply.text))
        assert reply.text in pieces[0] and "1. 详细" in pieces[0]
    assert statistics.median(lengths) <= 120 and max(lengths) <= 200


@pytest.mark.parametrize(("text", "segments"), [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),  # GSM 03.38: 160 alone, 153 a part
    ("中" * 70, 1), ("中" * 71, 2), ("中" * 134, 2), ("中" * 135, 3),  # UCS-2: 70 alone, 67 a part
    ("€" * 80, 1), ("€" * 81, 2),  # an extension character takes two septets
    ("a" * 159 + "中", 3),  # one Chinese character makes the whole message UCS-2
])
def test_sms_segments_follow_the_encoding_the_network_uses(text: str, segments: int) -> None:
    assert sms_segments(text) == segments


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_same_question_again_on_sms_stays_within_three_segments(language: str) -> None:
    """Level 2 over SMS (the same aspect asked again) is the next detail that fits, never the dozen-segment card,
    which comes only when asked for ("详细")."""
    kb = get_knowledge_base()
    for topic_id in sorted(kb.topics):
        topic = kb.topics[topic_id]
        buttons = [Button(b["title"], b["payload"]) for b in [*next_step_buttons(topic, has_rules(topic.id), language),
                                                               *feedback_buttons(language)]]
        for aspect in ALL_ASPECTS:
            text = sms_detail_answer(topic, aspect, language)
            assert text != first_answer(topic, aspect, language), (topic_id, aspect)
            pieces = render_sms(ChannelReply([text], buttons, {"language": language}), max_segments=3)
            assert len(pieces) == 1 and sms_segments(pieces[0]) <= 3, (topic_id, aspect, pieces)

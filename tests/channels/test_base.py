"""The channels' own wording: the "please split it" reply follows the language of the message it refuses."""

from __future__ import annotations

from bot.channels.base import MAX_MESSAGE_CHARS, channel_messages, too_long_reply


def test_a_long_english_message_is_refused_in_english() -> None:
    reply = too_long_reply("Please tell me about start-up loans. " * 80)
    assert reply is not None and len(reply.texts) == 1
    assert reply.texts[0] == channel_messages("en")["too_long"].format(limit=MAX_MESSAGE_CHARS)
    assert str(MAX_MESSAGE_CHARS) in reply.texts[0] and "消息太长" not in reply.texts[0]


def test_a_long_chinese_message_is_refused_in_chinese() -> None:
    reply = too_long_reply("创业贷款" * 600)
    assert reply is not None and reply.texts[0].startswith("消息太长")
    assert too_long_reply("创业贷款") is None


def test_both_wording_files_have_the_same_keys_and_placeholders() -> None:
    chinese, english = channel_messages("zh"), channel_messages("en")
    assert set(chinese) == set(english)
    assert ("{limit}" in chinese["too_long"]) and ("{limit}" in english["too_long"])

"""Tests for bot/channels/payloads.py: only the assistant's own button payloads skip the NLU."""

from __future__ import annotations

import pytest

from bot.channels.payloads import as_user_text, is_accepted_payload


@pytest.mark.parametrize("payload", [
    "/greet", '/check_eligibility{"topic":"student_startup_social_insurance"}', '/ask_policy{"aspect":"full"}',
    '/inform{"answer":"graduated"}', '/feedback{"feedback":"useful"}', "/affirm", "/out_of_scope",
])
def test_the_assistants_own_buttons_pass(payload: str) -> None:
    assert is_accepted_payload(payload) and as_user_text(payload) == payload


@pytest.mark.parametrize(("typed", "read_as"), [
    ('/check_eligibility{"topic": 5}', 'check_eligibility{"topic": 5}'),  # a malformed value
    ('/ask_policy{"topic":"no_such_topic"}', 'ask_policy{"topic":"no_such_topic"}'),
    ('/inform{"student_status":"in_school"}', 'inform{"student_status":"in_school"}'),  # not a button entity
    ("/restart", "restart"), ("/no_such_act", "no_such_act"), ('/greet{"topic":', 'greet{"topic":'),
])
def test_anything_else_starting_with_a_slash_is_read_as_text(typed: str, read_as: str) -> None:
    assert not is_accepted_payload(typed)
    assert as_user_text(typed) == read_as


def test_ordinary_text_is_left_alone() -> None:
    assert as_user_text("大学生创业有社保补贴吗") == "大学生创业有社保补贴吗"
    assert as_user_text("/") == "/"

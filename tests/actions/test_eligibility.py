"""Tests for actions/eligibility.py without a trained model: what the check takes as an answer, and what leaves it."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.eligibility import ActionStartCheck, ValidateEligibilityForm
from nlu.aspects import read_aspect

SOCIAL_INSURANCE = "student_startup_social_insurance"


def during_check(text: str, act: str, topic: str | None, confidence: float = 1.0,
                 entities: list[dict[str, Any]] | None = None) -> Tracker:
    """The social-insurance check has asked for the student status; the NLU read ``text`` as given."""
    reading = read_aspect(text)
    found = [*(entities or []), *([{"entity": "topic", "value": topic, "confidence_entity": confidence}]
                                  if topic else [])]
    latest = {"text": text, "intent": {"name": act, "confidence": 0.9}, "entities": found,
              "aspect": {"name": reading.aspect, "cue": reading.cue, "elliptical": reading.elliptical,
                         "continuation": reading.continuation}}
    slots = {"topic": SOCIAL_INSURANCE, "requested_slot": "fact_answer", "requested_fact": "student_status",
             "facts": {}, "language": "zh"}
    return Tracker("check-user", slots, latest, [], False, None, {"name": "eligibility_form"}, None)


def extracted(state: Tracker) -> dict[str, Any]:
    return asyncio.run(ValidateEligibilityForm().extract_fact_answer(CollectingDispatcher(), state, {}))


def test_that_x_naming_another_measure_leaves_the_check_though_it_reads_as_an_answer() -> None:
    student = [{"entity": "student_status", "value": "in_school"}]
    assert extracted(during_check("那休学创业呢", "ask_policy", "student_leave_of_absence",
                                  entities=student)) == {}  # the rules answer the leave of absence
    asked = during_check("我学妹还在读大三，想办休学过来一起干，学籍会被注销吗", "ask_policy",
                         "student_leave_of_absence", confidence=0.95, entities=student)
    assert extracted(asked) == {}  # a question in so many words about another measure leaves too
    # The same words as an answer, not a "那X呢": taken as the answer.
    answer = extracted(during_check("我现在休学在创业", "inform", "student_leave_of_absence", entities=student))
    assert json.loads(answer["fact_answer"]).get("student_status")


def test_an_answer_that_sounds_like_another_measure_stays_an_answer() -> None:
    """Asked for the industry, "做有色金属冶炼加工的" sounds like the parks (read as ask_policy): still an answer."""
    state = during_check("做有色金属冶炼加工的", "ask_policy", "demonstration_parks", confidence=0.92,
                         entities=[{"entity": "industry", "value": "有色金属冶炼加工"}])
    state.slots["requested_fact"] = "industry"
    assert json.loads(extracted(state)["fact_answer"]) == {"industry": "有色金属冶炼加工"}


NAMING_TEXT = "We're a firm in Wuwei. Can we get the 2-3% price deduction for consortium bids?"


def start_check(confidence: float, text: str = NAMING_TEXT) -> tuple[CollectingDispatcher, list]:
    """ "Can we … the price deduction for consortium bids?" with facts that bear on other measures only."""
    latest = {"text": text, "intent": {"name": "check_eligibility", "confidence": 0.9},
              "entities": [{"entity": "topic", "value": "government_procurement", "confidence_entity": confidence},
                           {"entity": "employer_type", "value": "enterprise"},
                           {"entity": "business_in_gansu", "value": True}],
              "aspect": {"name": "overview", "cue": None, "elliptical": False, "continuation": None}}
    state = Tracker("start-user", {"language": "en", "facts": {}}, latest, [], False, None, {}, None)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ActionStartCheck().run(dispatcher, state, {}))
    return dispatcher, events


def test_a_measure_the_message_clearly_names_is_checked_though_the_facts_bear_on_others() -> None:
    topic_set = {"event": "slot", "timestamp": None, "name": "topic", "value": "government_procurement"}
    _, events = start_check(confidence=1.0)
    assert topic_set in events
    _, events = start_check(confidence=0.5)  # the classifier unsure, but the message names it in its own words
    assert topic_set in events
    # a guess of the classifier on words that name no measure: the situation is screened instead
    dispatcher, _ = start_check(confidence=0.5, text="We're a firm in Wuwei. Is there anything we can get?")
    assert dispatcher.messages
    assert all(message["custom"].get("topic") != "government_procurement" for message in dispatcher.messages)


def test_an_sms_user_gets_the_short_verdict_first_and_the_whole_one_with_detail(kb) -> None:
    from actions.answer import answer_topic
    from actions.eligibility import send_verdict
    from bot.channels.render import sms_segments
    from policy_kb.engine import evaluate

    facts = {"student_status": "graduated", "years_since_graduation": 7.0, "business_in_gansu": True,
             "first_business": True, "company_size": "micro", "is_tech_company": True}
    topic = kb.topics["student_startup_social_insurance"]
    user = {"event": "user", "text": "能拿社保补贴不", "input_channel": "sms", "parse_data": {}}

    def sms_tracker(events: list[dict], text: str = "能拿社保补贴不", entities: list | None = None) -> Tracker:
        latest = {"text": text, "intent": {"name": "ask_policy", "confidence": 0.9}, "entities": entities or []}
        return Tracker("sms-user", {"topic": topic.id, "facts": facts}, latest, events, False, None, {}, "sms")

    dispatcher = CollectingDispatcher()
    send_verdict(dispatcher, topic, evaluate(topic.id, facts), sms_tracker([user]), facts)
    [short] = dispatcher.messages
    assert short["text"].startswith("【大学生创业社保补贴】") and "❌" in short["text"] and "✘" in short["text"]
    assert sms_segments(short["text"]) <= 3
    assert short["buttons"][0]["payload"] == '/ask_policy{"aspect":"full"}'
    assert "✘" in short["custom"]["detail"] and "出处" in short["custom"]["detail"]
    verdict_event = {"event": "bot", "text": short["text"], "data": {"custom": short["custom"]}}
    detail = CollectingDispatcher()
    answer_topic(detail, sms_tracker([user, verdict_event, {**user, "text": "详细"}], "详细",
                                     [{"entity": "aspect", "value": "full"}]), topic)
    [whole] = detail.messages
    assert whole["text"] == short["custom"]["detail"] and sms_segments(whole["text"]) > 3
    web = CollectingDispatcher()
    send_verdict(web, topic, evaluate(topic.id, facts), Tracker("web", {}, {}, [], False, None, {}, "rest"), facts)
    assert web.messages[0]["text"] == short["custom"]["detail"]  # other channels: the whole verdict at once


def test_a_question_about_the_measure_being_checked_is_answered_and_the_check_goes_on() -> None:
    aside = during_check("补贴给多长时间", "ask_policy", None)
    assert extracted(aside) == {"fact_answer": "__aside__"}
    dispatcher = CollectingDispatcher()
    slots = ValidateEligibilityForm().validate_fact_answer("__aside__", dispatcher, aside, {})
    assert slots == {"fact_answer": None}  # nothing answered: the form asks its question again
    [answer] = dispatcher.messages
    assert answer["text"].startswith("补贴给3年")  # the time aspect's first answer, from the KB
    other = during_check("那我们所的专利转给自己的公司 收益咋分", "check_eligibility",
                         "research_commercialization_income", 0.98)
    assert extracted(other) == {}  # another measure, asked as an eligibility question: the check is left


def start_check_on_discussed(text: str) -> list[dict[str, Any]]:
    """The youth loans are under discussion; ``text`` reads as an eligibility question naming no measure, with a
    fact that bears on other measures (not on the youth loans, which set no conditions)."""
    latest = {"text": text, "intent": {"name": "check_eligibility", "confidence": 0.99},
              "entities": [{"entity": "student_status", "value": "not_student"}],
              "aspect": {"name": "overview", "cue": None, "elliptical": False, "continuation": None}}
    state = Tracker("start-user", {"language": "zh", "facts": {}, "topic": "youth_startup_support"}, latest, [],
                    False, None, {}, None)
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionStartCheck().run(dispatcher, state, {}))
    return dispatcher.messages


def test_an_eligibility_question_naming_no_measure_is_about_the_one_under_discussion() -> None:
    about_it = start_check_on_discussed("俺没上过大学也能行不")
    assert [message["custom"]["topic"] for message in about_it] == ["youth_startup_support"]
    which_fit = start_check_on_discussed("俺没上过大学 能享受哪些政策")
    assert which_fit and all(message["custom"].get("topic") != "youth_startup_support" for message in which_fit)


def test_a_question_about_another_regions_measures_is_no_answer_during_a_check() -> None:
    region = [{"entity": "other_region", "value": "shanghai"}, {"entity": "from_outside_gansu", "value": True}]
    assert extracted(during_check("How does Shanghai handle the same case?", "out_of_scope", None,
                                  entities=region)) == {}
    answer = extracted(during_check("我是上海来的 还在读研", "inform", None,
                                    entities=[*region, {"entity": "student_status", "value": "in_school"}]))
    assert json.loads(answer["fact_answer"]).get("student_status") == "in_school"


def test_a_question_surely_outside_the_plan_is_no_answer_during_a_check() -> None:
    """What an out-of-scope question lets one guess about the person is not the answer to the check's question."""
    student = [{"entity": "student_status", "value": "in_school"}]
    assert extracted(during_check("休学期间学校宿舍还能住吗", "out_of_scope", None, entities=student)) == {}
    # said, not asked: still the answer, whatever the act classifier thought of it
    stated = extracted(during_check("我现在休学在家", "out_of_scope", None, entities=student))
    assert json.loads(stated["fact_answer"]).get("student_status") == "in_school"
    # a correction that ends like a question still corrects
    corrected = extracted(during_check("说错了 我还在读呢", "out_of_scope", None, entities=student))
    assert json.loads(corrected["fact_answer"]).get("student_status") == "in_school"

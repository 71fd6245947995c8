"""Tests for the eligibility actions without a trained model (rasa-sdk trackers as the NLU would fill them):
screening by situation, the measure in focus, corrections, size bands from head counts."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.eligibility import ActionStartCheck, ActionTakeFacts, answer_from_message, size_note
from actions.screening import settling_question
from nlu.aspects import read_aspect
from nlu.facts import extract_facts
from policy_kb.engine import screen

TODAY = datetime.date(2026, 12, 5)


def tracker(text: str, act: str = "inform", slots: dict[str, Any] | None = None, topic: str | None = None) -> Tracker:
    """The tracker after the NLU read ``text``: facts and aspect by the real readers, the act given."""
    entities = [{"entity": name, "value": value} for name, value in extract_facts(text, TODAY).items()]
    if topic:
        entities.append({"entity": "topic", "value": topic})
    reading = read_aspect(text)
    latest = {"text": text, "intent": {"name": act, "confidence": 0.9}, "entities": entities,
              "aspect": {"name": reading.aspect, "cue": reading.cue, "elliptical": reading.elliptical,
                         "continuation": reading.continuation}}
    return Tracker("screening-user", {"language": "zh", **(slots or {})}, latest, [], False, None, {}, None)


def run(action, state: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, {}))
    return dispatcher.messages, events


def test_a_situation_without_a_measure_is_screened_against_every_measure() -> None:
    situation = "我大前年毕业的 在酒泉开了个做测绘软件的公司 头一回创业 二十来号人"
    messages, _ = run(ActionTakeFacts(), tracker(situation))
    [message] = messages
    screened = {entry["rule"]: entry["verdict"] for entry in message["custom"]["screened"]}
    assert screened["student_startup_social_insurance"] == "eligible"
    assert screened["student_leave_of_absence"] == "not_eligible"  # graduated: not a student on leave
    assert message["custom"]["rule"] == "student_startup_social_insurance"
    assert "✅ 符合：大学生初次创业社会保险补贴" in message["text"]
    assert "❌ 不符合" in message["text"]


def test_the_question_asked_is_the_one_most_undecided_measures_need() -> None:
    maybe = [item for item in screen({"is_researcher": True}) if item.result.verdict == "need_more_info"
             and item.decided]
    assert {item.rule_id for item in maybe} == {"researcher_leave_startup", "research_commercialization_income"}
    assert settling_question(maybe) == "employer_type"  # both need it


def test_facts_that_bear_on_one_measure_only_go_straight_to_its_verdict() -> None:
    messages, _ = run(ActionTakeFacts(), tracker("我们是一家创投公司"))
    [message] = messages
    assert message["custom"]["kind"] == "eligibility" and message["custom"]["verdict"] == "eligible"
    assert message["custom"]["rule"] == "venture_capital_tax_credit"


def test_which_measures_can_i_get_without_facts_asks_for_the_situation() -> None:
    messages, _ = run(ActionStartCheck(), tracker("我能享受哪些政策", act="check_eligibility"))
    assert messages[0]["text"].startswith("说说你的情况")


def test_the_measure_the_message_names_is_the_one_judged(kb) -> None:
    state = tracker("联合体投标 小微企业占股35% 能享受价格扣除吗", act="check_eligibility",
                    topic="government_procurement")
    messages, _ = run(ActionStartCheck(), state)
    [message] = messages
    assert message["custom"]["rule"] == "procurement_consortium_price_deduction"
    assert message["custom"]["rules"] == [{"rule": "procurement_consortium_price_deduction", "verdict": "eligible"}]
    title = kb.eligibility_texts["procurement_consortium_price_deduction"]["title"]
    assert message["text"].startswith(f"【{title}】")


def test_a_correction_overwrites_its_fact_and_answers_no_pending_question() -> None:
    state = tracker("不对 我是毕业六年", slots={"requested_fact": "is_tech_company"})
    found = answer_from_message(state, "is_tech_company")
    assert found == {"student_status": "graduated", "years_since_graduation": 6.0}


def test_a_plain_no_still_answers_the_pending_question() -> None:
    assert answer_from_message(tracker("不是", act="deny"), "is_tech_company") == {"is_tech_company": False}


def test_a_size_from_a_head_count_cites_the_national_standard() -> None:
    note = size_note({"employees": 8}, "zh")
    assert "工信部联企业〔2011〕300号" in note and "8人" in note and "不在方案里" in note
    assert size_note({"employees": 8, "company_size": "micro"}, "zh") == ""


def test_seven_or_eight_people_settle_small_or_micro_without_asking() -> None:
    [student] = [item for item in screen({"employees": 8}) if item.rule_id == "student_startup_social_insurance"]
    size = next(condition for condition in student.result.conditions if condition.id == "small_or_micro_company")
    assert size.status == "met"
    [deduction] = [item for item in screen({"employees": 60})
                   if item.rule_id == "procurement_small_micro_price_deduction"]
    assert deduction.missing == ("industry",)  # 60 people: the industry decides


def test_a_correction_after_a_verdict_changes_only_the_number_it_corrects() -> None:
    known = {"consortium_bid": True, "consortium_small_firm_share": 28.0}
    state = tracker("说错了 是32% 合同上写的32%", slots={"facts": known, "topic": "government_procurement",
                                                  "rule": "procurement_consortium_price_deduction"})
    messages, _ = run(ActionTakeFacts(), state)
    [message] = messages
    assert message["custom"]["rule"] == "procurement_consortium_price_deduction"
    assert message["custom"]["verdict"] == "eligible"


def test_on_sms_the_screening_names_the_measures_and_counts_the_ruled_out_ones() -> None:
    from bot.channels.render import sms_segments

    situation = "我大前年毕业的 在酒泉开了个做测绘软件的公司 头一回创业 二十来号人"
    state = tracker(situation)
    state.events.append({"event": "user", "text": situation, "input_channel": "sms", "parse_data": {}})
    [message] = run(ActionTakeFacts(), state)[0]
    assert "✅ 符合：大学生初次创业社会保险补贴" in message["text"] and "❌ 不符合：" in message["text"]
    assert "按你说的情况" not in message["text"] and sms_segments(message["text"]) <= 3
    assert "按你说的情况" in message["custom"]["detail"]  # the whole list stays in the payload
    assert {entry["rule"] for entry in message["custom"]["screened"]} >= {"student_startup_social_insurance"}

"""Tests for actions/answer.py and actions/context.py without a trained model: rasa-sdk trackers as the NLU would
fill them. The aspect asked is answered first; a repeated question gets the next level; a follow-up keeps the topic."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answer import ActionAnswerDepartment, ActionAnswerTopic, ActionShowSource
from actions.eligibility import ActionTakeFacts
from actions.fallback import ActionClarify, ActionOutOfScope
from actions.handoff import ActionHandoff
from nlu.aspects import read_aspect

LOAN = "startup_guarantee_loan"
PARKS = "demonstration_parks"


def tracker(text: str, act: str = "ask_policy", topic: str | None = None, slots: dict[str, Any] | None = None,
            entities: list[dict[str, Any]] | None = None, ranking: list[str] | None = None) -> Tracker:
    """The tracker after the NLU read ``text``: the aspect reader runs for real, the classifiers are given."""
    reading = read_aspect(text)
    found = list(entities or [])
    if topic:
        found.append({"entity": "topic", "value": topic})
    if reading.cue:
        found.append({"entity": "aspect", "value": reading.aspect})
    latest = {"text": text, "intent": {"name": act, "confidence": 0.9}, "entities": found,
              "aspect": {"name": reading.aspect, "cue": reading.cue, "elliptical": reading.elliptical,
                         "continuation": reading.continuation},
              "topic_ranking": [{"name": name, "confidence": 0.5} for name in ranking or []]}
    return Tracker("answer-user", {"language": "zh", **(slots or {})}, latest, [], False, None, {}, None)


def run(action, state: Tracker) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, state, {}))
    return dispatcher, events


def slot(events: list, name: str) -> Any:
    return next(event["value"] for event in events if event.get("event") == "slot" and event["name"] == name)


def after(events: list) -> dict[str, Any]:
    """The slots as the next turn sees them."""
    return {event["name"]: event["value"] for event in events if event.get("event") == "slot"}


def test_the_first_sentence_answers_the_aspect_asked(kb) -> None:
    dispatcher, events = run(ActionAnswerTopic(), tracker("创业担保贷款能贷多少", topic=LOAN))
    [message] = dispatcher.messages
    entry = kb.aspects[LOAN].answers["amount"]
    assert message["text"].startswith(entry.answer)
    assert message["custom"]["aspect"] == "amount" and message["custom"]["level"] == 1
    assert message["custom"]["topic"] == LOAN and message["custom"]["card"]["summary"] == kb.topics[LOAN].summary
    assert message["buttons"][0]["payload"] == '/ask_policy{"aspect":"full"}'
    assert slot(events, "aspect") == "amount"


def test_the_same_question_again_gets_the_next_level_never_the_same_text(kb) -> None:
    texts = []
    slots: dict[str, Any] = {}
    for _ in range(4):
        dispatcher, events = run(ActionAnswerTopic(), tracker("创业担保贷款能贷多少", topic=LOAN, slots=slots))
        texts.append(dispatcher.messages[0]["text"])
        slots = {**slots, **after(events)}
    assert all(first != second for first, second in itertools.pairwise(texts))
    assert "原文（三(三)2）" in texts[1]  # level 2: the clause behind the answer
    assert "文件里写的就是这些" in texts[2]  # level 3: where to ask
    assert texts[3] == texts[0]


def test_the_detail_button_gives_the_full_card(kb) -> None:
    entities = [{"entity": "aspect", "value": "full"}]
    dispatcher, _ = run(ActionAnswerTopic(), tracker('/ask_policy{"aspect":"full"}', entities=entities,
                                                     slots={"topic": LOAN}))
    text = dispatcher.messages[0]["text"]
    assert kb.topics[LOAN].summary in text and "2015-12-12" in text and "2020" in text


def test_typing_detail_gives_the_full_card_of_the_topic_under_discussion(kb) -> None:
    dispatcher, _ = run(ActionOutOfScope(), tracker("详细", act="out_of_scope", slots={"topic": LOAN}))
    assert kb.topics[LOAN].summary in dispatcher.messages[0]["text"]


def test_an_elliptical_follow_up_read_as_out_of_scope_is_answered_for_the_topic_under_discussion(kb) -> None:
    dispatcher, _ = run(ActionOutOfScope(), tracker("要交啥材料", act="out_of_scope", slots={"topic": LOAN}))
    [message] = dispatcher.messages
    assert message["custom"]["kind"] == "answer" and message["custom"]["topic"] == LOAN
    assert message["custom"]["aspect"] == "materials"


def test_a_question_with_content_of_its_own_stays_out_of_scope() -> None:
    dispatcher, _ = run(ActionOutOfScope(), tracker("个体户年报咋报", act="out_of_scope", slots={"topic": LOAN}))
    assert dispatcher.messages[0]["custom"]["kind"] == "out_of_scope"


def test_another_regions_policy_is_out_of_scope_even_during_a_topic() -> None:
    region = [{"entity": "other_region", "value": "深圳"}]
    dispatcher, _ = run(ActionOutOfScope(), tracker("深圳的呢", act="out_of_scope", slots={"topic": LOAN},
                                                    entities=region))
    assert dispatcher.messages[0]["custom"]["kind"] == "out_of_scope"


def test_low_confidence_follow_up_is_answered_not_clarified() -> None:
    dispatcher, _ = run(ActionClarify(), tracker("3年后咋办", act="nlu_fallback",
                                                 slots={"topic": "researcher_leave_startup"}))
    assert dispatcher.messages[0]["custom"]["aspect"] == "afterwards"


def test_that_x_follow_up_carries_the_aspect_over_to_a_detail_of_the_same_measure(kb) -> None:
    dispatcher, _ = run(ActionTakeFacts(), tracker("那光伏的呢", act="inform",
                                                   slots={"topic": PARKS, "aspect": "overview"}))
    message = dispatcher.messages[0]
    assert message["custom"]["topic"] == PARKS and message["custom"]["kind"] == "answer"


def test_that_x_follow_up_naming_another_measure_switches_and_keeps_the_aspect() -> None:
    dispatcher, events = run(ActionAnswerTopic(), tracker("那商标呢", topic="intellectual_property",
                                                          slots={"topic": "researcher_leave_startup",
                                                                 "aspect": "amount"}))
    assert dispatcher.messages[0]["custom"]["topic"] == "intellectual_property"
    assert dispatcher.messages[0]["custom"]["aspect"] == "amount"
    assert slot(events, "topic") == "intellectual_property"


def test_a_phone_question_read_as_a_request_for_a_person_opens_no_hand_off() -> None:
    dispatcher, _ = run(ActionHandoff(), tracker("人社厅电话多少", act="request_human"))
    [message] = dispatcher.messages
    assert message["custom"]["kind"] == "answer" and message["custom"]["department"] == "省人社厅"
    assert "文件没有写" in message["text"]


def test_department_question_names_lead_and_others(kb) -> None:
    dispatcher, _ = run(ActionAnswerDepartment(), tracker("这个归哪个部门管", act="ask_department",
                                                          slots={"topic": "tax_incentives"}))
    text = dispatcher.messages[0]["text"]
    assert "省国税局" in text and "省地税局" in text and "（方案三(二)2）" in text
    assert dispatcher.messages[0]["custom"]["departments"][0] == "省国税局"


def test_english_follow_up_is_answered_in_english(kb) -> None:
    state = tracker("How much?", slots={"topic": LOAN, "language": "en"},
                    entities=[{"entity": "language", "value": "en"}])
    dispatcher, _ = run(ActionAnswerTopic(), state)
    text = dispatcher.messages[0]["text"]
    assert text.startswith("The plan does not say") and text.isascii()


def test_slot_events_are_plain_rasa_events() -> None:
    assert SlotSet("aspect", "amount") == {"event": "slot", "timestamp": None, "name": "aspect", "value": "amount"}


def test_the_plans_own_targets_when_no_measure_is_in_view(kb) -> None:
    dispatcher, _ = run(ActionAnswerTopic(), tracker("到2020年一共要建多少个"))
    [message] = dispatcher.messages
    assert message["text"].startswith("到2020年的主要目标") and "300个众创空间" in message["text"]
    assert message["custom"]["aspect"] == "targets" and message["custom"]["section"] == "一(三)"


def test_is_the_document_still_valid_with_no_measure_in_view(kb) -> None:
    dispatcher, _ = run(ActionShowSource(), tracker("这个文件还管用吗", act="show_source"))
    text = dispatcher.messages[0]["text"]
    assert "2015-12-12" in text and "没写失效日期" in text and "12345" in text


def test_a_phone_question_about_the_measures_own_department_stays_on_the_measure() -> None:
    grant = "graduate_job_search_grant"  # its departments include 省人社厅 (人社厅, 社保局 …)
    for action, act in ((ActionAnswerDepartment(), "ask_department"), (ActionOutOfScope(), "out_of_scope")):
        dispatcher, _ = run(action, tracker("人社厅电话多少", act, slots={"topic": grant}))
        [message] = dispatcher.messages
        assert message["custom"]["topic"] == grant and message["custom"]["aspect"] == "contact", act
        assert "12345" in message["text"]  # no invented number: the hotline, with its source
    dispatcher, _ = run(ActionOutOfScope(), tracker("咨询电话多少", "out_of_scope", slots={"topic": grant}))
    assert dispatcher.messages[0]["custom"]["topic"] == grant  # no department named: the measure's own


def test_a_phone_question_about_another_department_is_not_put_on_the_measure() -> None:
    dispatcher, _ = run(ActionAnswerDepartment(), tracker("知识产权局电话多少", "ask_department",
                                                          slots={"topic": "graduate_job_search_grant"}))
    [message] = dispatcher.messages
    assert message["custom"]["topic"] is None and message["custom"]["department"] == "省知识产权局"


def test_an_english_what_about_x_switches_when_x_names_another_measure() -> None:
    """ "And for researchers?" after the students' leave: the classifier is only 0.61 sure, but "researchers"
    names the researchers' measure in English; "那经费呢" (0.63 sure of the fees) names nothing and stays."""
    switch = tracker("And for researchers?", slots={"topic": "student_leave_of_absence", "language": "en"},
                     entities=[{"entity": "topic", "value": "researcher_leave_startup", "confidence_entity": 0.61}])
    dispatcher, _ = run(ActionAnswerTopic(), switch)
    assert dispatcher.messages[0]["custom"]["topic"] == "researcher_leave_startup"
    stay = tracker("那经费呢", slots={"topic": "researcher_leave_startup"},
                   entities=[{"entity": "topic", "value": "administrative_fees", "confidence_entity": 0.63}])
    dispatcher, _ = run(ActionAnswerTopic(), stay)
    assert dispatcher.messages[0]["custom"]["topic"] == "researcher_leave_startup"


def test_a_message_that_contradicts_a_known_fact_is_a_correction() -> None:
    from actions.answer import contradicts
    from actions.common import facts_in_latest_message, known_facts

    def contradicts_known_facts(tracker: Tracker) -> bool:
        return contradicts(known_facts(tracker), facts_in_latest_message(tracker))

    def with_facts(known: dict, entities: list[dict], text: str = "不是创投公司") -> Tracker:
        latest = {"text": text, "intent": {"name": "inform", "confidence": 0.9}, "entities": entities}
        return Tracker("correction-user", {"facts": known}, latest, [], False, None, {}, None)

    said = {"is_venture_capital_firm": True}
    assert contradicts_known_facts(with_facts(said, [{"entity": "is_venture_capital_firm", "value": False}]))
    assert not contradicts_known_facts(with_facts(said, [{"entity": "is_venture_capital_firm", "value": True}]))
    assert not contradicts_known_facts(with_facts({}, [{"entity": "is_venture_capital_firm", "value": False}]))
    share = {"consortium_small_firm_share": 35.0}
    assert contradicts_known_facts(with_facts(share, [], "等下 我看错合同了 小微企业合起来只占25%"))

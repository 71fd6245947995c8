"""Tests for actions/context.py: which measure a follow-up is about, from tracker fixtures (no trained model)."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import asks_a_question
from actions.context import followup_topic, topic_of_turn


def tracker(text: str, act: str, current: str | None, named: str | None = None, confidence: float = 0.9,
            aspect: dict | None = None, act_confidence: float = 0.5) -> Tracker:
    entities = [{"entity": "topic", "value": named, "confidence_entity": confidence}] if named else []
    latest = {"text": text, "intent": {"name": act, "confidence": act_confidence}, "entities": entities,
              "aspect": aspect or {}, "topic_ranking": []}
    return Tracker("context-user", {"topic": current} if current else {}, latest, [], False, None, {}, None)


def test_a_bare_aspect_question_stays_on_the_measure_whatever_the_classifier_sees() -> None:
    bare = tracker("收费不", "ask_policy", "internet_plus_services", "administrative_fees", 0.98,
                   {"aspect": "amount", "elliptical": True})
    assert topic_of_turn(bare).id == "internet_plus_services"


def test_another_measure_must_be_named_or_the_classifier_sure_of_it() -> None:
    unsure = tracker("公司开满三年以后还给减不", "ask_policy", "administrative_fees", "researcher_leave_startup", 0.7)
    assert topic_of_turn(unsure).id == "administrative_fees"
    named = tracker("那社保补贴呢", "ask_policy", "tax_incentives", "student_startup_social_insurance", 0.5)
    assert topic_of_turn(named).id == "student_startup_social_insurance"
    sure = tracker("大学生创业能领什么", "ask_policy", "tax_incentives", "student_startup_social_insurance", 0.95)
    assert topic_of_turn(sure).id == "student_startup_social_insurance"


def test_a_message_the_act_classifier_missed_is_a_follow_up_on_the_measure_it_is_about() -> None:
    same_measure = tracker("找税务局办要带啥", "out_of_scope", "tax_incentives", "tax_incentives")
    assert followup_topic(same_measure).id == "tax_incentives"
    unsure_act = tracker("学费还交不", "nlu_fallback", "student_leave_of_absence")
    assert followup_topic(unsure_act).id == "student_leave_of_absence"
    its_department = tracker("金融办现在叫啥", "out_of_scope", "crowdfunding_fintech")
    assert followup_topic(its_department).id == "crowdfunding_fintech"
    weakly_other = tracker("学费还交不", "nlu_fallback", "student_leave_of_absence", "administrative_fees", 0.36)
    assert followup_topic(weakly_other).id == "student_leave_of_absence"
    surely_other = tracker("学费还交不", "nlu_fallback", "student_leave_of_absence", "administrative_fees", 0.9)
    assert followup_topic(surely_other) is None
    out_of_scope = tracker("明天天气怎么样", "out_of_scope", "tax_incentives")
    assert followup_topic(out_of_scope) is None
    other_region = tracker("那深圳呢", "out_of_scope", "tax_incentives")
    other_region.latest_message["entities"] = [{"entity": "other_region", "value": "深圳"}]
    assert followup_topic(other_region) is None


def test_chinese_questions_that_end_the_way_questions_do() -> None:
    assert asks_a_question("那社保补贴呢 开花店的能拿不", "zh")
    assert asks_a_question("还有没", "zh") and asks_a_question("能贷多少", "zh")
    assert not asks_a_question("我在兰州开了个花店", "zh")
    assert asks_a_question("and for patents?", "en") and not asks_a_question("I run a flower shop", "en")


def test_a_sure_out_of_scope_question_leaves_the_measure_the_topic_classifier_leans_to() -> None:
    hospital = tracker("我爸在兰州住院 医保报销比例是多少", "out_of_scope", "internet_services_for_people",
                       "internet_services_for_people", 0.42, act_confidence=0.99)
    assert followup_topic(hospital) is None
    unsure = tracker("找税务局办要带啥", "out_of_scope", "tax_incentives", "tax_incentives", 0.42, act_confidence=0.6)
    assert followup_topic(unsure).id == "tax_incentives"
    sure_topic = tracker("找税务局办要带啥", "out_of_scope", "tax_incentives", "tax_incentives", 0.9,
                         act_confidence=0.99)
    assert followup_topic(sure_topic).id == "tax_incentives"


def test_a_yes_or_no_that_ends_like_a_question_asks_about_the_measure() -> None:
    asks = tracker("给场地不", "deny", "student_startup_guidance")
    assert followup_topic(asks).id == "student_startup_guidance"
    answers = tracker("不用了", "deny", "student_startup_guidance")
    assert followup_topic(answers) is None


def test_a_hypothetical_follow_up_switches_only_to_a_measure_the_classifier_is_sure_of() -> None:
    elsewhere = tracker("要是公司注册在西安呢", "inform", "student_startup_social_insurance", "business_registration",
                        0.64, {"continuation": "要是公司注册在西安"})
    assert topic_of_turn(elsewhere).id == "student_startup_social_insurance"
    sure = tracker("要是去孵化器里办呢", "ask_policy", "student_startup_social_insurance", "maker_space_support", 0.9,
                   {"continuation": "要是去孵化器里办"})
    assert topic_of_turn(sure).id == "maker_space_support"
    english = tracker("What if I register the company in Xi'an?", "ask_policy", "student_startup_social_insurance",
                      "business_registration", 0.6, {"continuation": "I register the company in Xi'an"})
    english.latest_message["entities"].append({"entity": "language", "value": "en"})
    assert topic_of_turn(english).id == "student_startup_social_insurance"


def test_a_message_answering_a_condition_of_the_measure_stays_on_it() -> None:
    text = "没有，还没经过啥认定，就是自己注册的咖啡馆加共享办公"
    answer = tracker(text, "ask_policy", "maker_space_support", "business_registration", 0.9)
    answer.latest_message["entities"].append({"entity": "certified_incubator", "value": False})
    assert topic_of_turn(answer).id == "maker_space_support"
    no_fact = tracker(text, "ask_policy", "maker_space_support", "business_registration", 0.9)
    assert topic_of_turn(no_fact).id == "business_registration"  # without the fact, "注册" names registration

"""End-to-end: the two axes (act and topic), follow-ups, other regions and English, with the trained model."""

from __future__ import annotations

import pytest


def test_a_department_question_keeps_its_topic(conversation) -> None:
    reply = conversation.say("创业补贴里交社保那个 归哪个部门管")
    assert reply.topic == "student_startup_social_insurance"
    assert "省教育厅" in reply.text and "牵头" in reply.text


def test_a_situation_that_points_at_a_measure_is_answered_with_it(conversation) -> None:
    reply = conversation.say("在广州打工八年 想回定西养羊")
    assert reply.kind == "answer"
    assert reply.topic == "rural_returnee_startup"


def test_a_follow_up_without_a_topic_stays_on_the_topic(conversation) -> None:
    conversation.say("大学生休学创业有啥政策")
    reply = conversation.say("归哪个部门管")
    assert reply.topic == "student_leave_of_absence"
    assert reply.kind == "answer"


def test_which_department_leads_it_asks_about_the_measure_under_discussion(conversation) -> None:
    """"哪个部门牵头" names the joint meeting only when no measure is being discussed."""
    conversation.say("大学生创业社保补贴有哪些")
    reply = conversation.say("这个是哪个部门牵头")
    assert (reply.kind, reply.topic) == ("answer", "student_startup_social_insurance")
    assert "省人社厅" in reply.text or "省教育厅" in reply.text
    assert conversation.say("双创联席会议是哪个部门牵头").topic == "joint_meeting"  # named in its own words


def test_english_which_agency_leads_asks_about_the_measure_under_discussion(conversation) -> None:
    conversation.say("Is there a subsidy for student founders' social insurance?")
    reply = conversation.say("Which agency takes the lead on that?")
    assert (reply.kind, reply.topic) == ("answer", "student_startup_social_insurance")


def test_a_term_of_another_measure_beside_an_aspect_switches_to_it(conversation) -> None:
    """"那团委的贴息呢" is little more than an aspect (贴息 reads as an amount), but 团委 belongs to the youth measure
    only: it is asked about, not the loans under discussion."""
    assert conversation.say("创业担保贷款能贷多少").topic == "startup_guarantee_loan"
    assert conversation.say("那团委的贴息呢").topic == "youth_startup_support"


def test_where_someone_studied_is_a_fact_not_another_regions_policy(conversation) -> None:
    assert conversation.say("家里低保 今年毕业 一次性求职补助能领吗").topic == "graduate_job_search_grant"
    reply = conversation.say("我同学在成都念的大学 他也能领吗")
    assert reply.kind != "out_of_scope"
    assert reply.topic == "graduate_job_search_grant"


def test_a_firm_from_another_province_asking_about_the_plan_is_in_scope(conversation) -> None:
    reply = conversation.say("我们是深圳的一家创投 看到方案里说要引导创投机构投资初创企业 这个怎么对接")
    assert reply.kind != "out_of_scope"
    assert reply.topic == "venture_capital"


def test_an_out_of_scope_question_during_a_check_is_the_turns_answer(conversation) -> None:
    """The pending question is asked again, and the turn's payload says out of scope (REST clients read the last
    one) with what is still asked."""
    conversation.say("大学生创业社保补贴我能申请吗")
    reply = conversation.say("公积金怎么提取")
    assert (reply.kind, reply.topic) == ("out_of_scope", None)
    assert reply.understanding.get("asking") and reply.messages[-1]["custom"]["checking"] == (
        "student_startup_social_insurance")
    assert "不在" in reply.text


def test_a_search_box_phrase_finds_its_topic(conversation) -> None:
    reply = conversation.say("创业贷款利率多少")
    assert (reply.kind, reply.topic) == ("answer", "startup_guarantee_loan")
    assert "利率" in reply.text  # the answer says the document does not give it


@pytest.mark.parametrize(("text", "region"), [("南京应届生求职补贴多少钱", "南京"),
                                             ("深圳创业担保贷款能贷多少", "深圳"),
                                             # out of scope by the act threshold, though ask_policy is likelier
                                             ("江苏省科技成果转化的奖励比例是多少", "江苏")])
def test_another_regions_measure_is_out_of_scope_and_says_why(conversation, text: str, region: str) -> None:
    reply = conversation.say(text)
    assert reply.kind == "out_of_scope"
    assert region in reply.text and "甘肃" in reply.text


def test_someone_from_elsewhere_starting_up_in_gansu_is_answered(conversation) -> None:
    reply = conversation.say("我是湖南人 想在天水办科技公司")
    assert reply.kind != "out_of_scope"
    assert reply.topic == "talent_from_outside"


def test_small_talk_is_not_out_of_scope(conversation) -> None:
    reply = conversation.say("你是机器人吗")
    assert reply.kind == "chitchat"


def test_english_is_answered_in_english_with_the_chinese_source(conversation, kb) -> None:
    reply = conversation.say("Does Gansu guarantee startup loans?")
    assert (reply.kind, reply.topic) == ("answer", "startup_guarantee_loan")
    assert reply.text.isascii() and "section 3(3)2" in reply.text  # an English SMS stays in the GSM alphabet
    more = conversation.say("more")  # the full card: the citation stays the document's own
    assert more.topic == "startup_guarantee_loan" and "Source:" in more.text and kb.document.title in more.text
    assert "文件没有写明" not in more.text
    follow_up = conversation.say("which department?")
    assert follow_up.topic == "startup_guarantee_loan"
    assert "led by" in follow_up.text


def test_english_greeting_and_out_of_scope_are_english(conversation) -> None:
    assert conversation.say("hello").text.startswith("Hello")
    reply = conversation.say("What startup grants does Shanghai offer?")
    assert reply.kind == "out_of_scope"
    assert "Gansu" in reply.text and "甘肃省2015年" not in reply.text


@pytest.mark.parametrize("text", ["😀😀", "？？？", "a" * 1500, "创业 loan 补贴 😀 ٩(◕‿◕)۶ 휴학", "\u202e贷款"])
def test_odd_messages_get_an_answer_not_an_exception(conversation, text: str) -> None:
    reply = conversation.say(text)
    assert reply.text.strip()
    assert reply.kind in {"answer", "clarify", "out_of_scope", "chitchat", "eligibility", "handoff"}


def test_an_answer_that_sounds_like_another_measure_stays_in_the_check(conversation) -> None:
    first = conversation.say('/check_eligibility{"topic":"student_startup_social_insurance"}')
    assert first.kind == "eligibility" and first.verdict == "need_more_info"
    reply = conversation.say("毕业两年了 在兰州开了个做软件的小公司 第一次创业")
    assert reply.topic == "student_startup_social_insurance"
    assert reply.kind == "eligibility"


def test_a_corrected_revenue_gives_the_verdict_again(conversation) -> None:
    """The revenue alone settles nothing; with the head count and the industry known it changes the size band."""
    from tests.test_eligibility_dialogues import reported_verdict

    rule = "procurement_small_micro_price_deduction"
    first = conversation.say("我们在金昌做电脑批发 二十五个人 去年营收六百五十万 小微企业那个价格扣除我们能用吧")
    assert reported_verdict(first, rule) == "eligible"
    again = conversation.say("刚对了下报表 去年营收是六千五百万 不是六百五十万 少打了个零")
    assert reported_verdict(again, rule) == "not_eligible"


def test_a_place_given_where_the_check_asks_where_is_an_answer_not_another_regions_question(conversation) -> None:
    conversation.say("科研人员离岗创业三年保留人事关系 这个政策我能用不")
    asked = conversation.say("我是研究所的助理研究员")
    assert asked.understanding.get("asking") == "employer_in_gansu"
    reply = conversation.say("所在西宁 青海的")
    assert reply.kind != "out_of_scope"
    assert reply.topic == "researcher_leave_startup"
    assert reply.verdict == "not_eligible"  # a condition fails: nothing more to ask


def test_an_english_contact_question_names_the_department_not_the_joint_meeting(conversation) -> None:
    reply = conversation.say("Could you give me the phone number of the labour bureau?")
    assert reply.topic is None and reply.kind == "answer"
    assert "Human Resources and Social Security" in reply.text and "12345" in reply.text

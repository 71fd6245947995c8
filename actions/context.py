"""Follow-ups: a message that only asks one aspect ("要交啥材料", "How much?") or says "那X呢" about a detail of the
measure under discussion is about that measure, whatever act the classifier saw in so few words."""

from __future__ import annotations

import re

from rasa_sdk import Tracker

from actions.common import (
    asks_a_question,
    corrects,
    department_in_message,
    facts_in_latest_message,
    known_facts,
    messages,
    reply_language,
    topic_being_checked,
    topic_in_message,
)
from actions.replies import parks_in
from nlu.aspects import aspect_cues, aspect_topics
from policy_kb.models import Topic
from policy_kb.translations import english_topics

# "那X呢" switches to another measure when X holds one of its terms, or the classifier is at least this sure.
NAMED_CONFIDENCE = 0.8
# Acts that say the act classifier did not understand the message as a question of its own.
UNCLEAR_ACTS = ("out_of_scope", "nlu_fallback")
# An out-of-scope reading at least this likely is sure (as in the pipeline's TopicScopeGuard): "我爸住院 医保报销
#比例是多少" after the e-health measure is out of scope, though the topic classifier leans towards that measure.
SURE_OUT_OF_SCOPE = 0.8
# Yes/no acts: outside a check, one that ends like a question ("给场地不") asks rather than answers.
YES_NO_ACTS = ("affirm", "deny")


def topic_of_turn(tracker: Tracker) -> Topic | None:
    """The measure this turn is about: the one the message names, unless the message is a "那X呢" follow-up whose
    X belongs to the measure under discussion ("那商标呢" after the patents) or names no other measure clearly, a
    bare aspect question ("收费不", "补几年"), or a message that names none of the other measure's terms while the
    classifier is not sure of it; else the measure under discussion."""
    named, current = measure_named(tracker), topic_being_checked(tracker)
    if named is None or current is None or named.id == current.id:
        return named or current
    if asks_the_aspect_it_stands_for(named, tracker):
        return current  # "这个平台归哪个部门牵头": the department of the measure under discussion
    reading = tracker.latest_message.get("aspect") or {}
    continuation = reading.get("continuation")
    if continuation and not names_detail_of(named, continuation) and (
            names_detail_of(current, continuation) or topic_confidence(tracker) < NAMED_CONFIDENCE):
        return current  # "那经费呢": X names no other measure in so many words, and the classifier is not sure
    text = tracker.latest_message.get("text") or ""
    if reading.get("elliptical"):
        # nothing but an aspect ("收费不", "多少钱"): it names no measure, whatever the classifier sees, unless the
        # little left beside the aspect is a term of the other measure only ("那团委那个贴息的呢" after the loans)
        beside = text.lower().replace(reading["cue"], " ") if reading.get("cue") else text
        if names_detail_of(named, beside) and not names_detail_of(current, beside):
            return named
        return current
    if answers_a_condition_of(current, named, tracker):
        return current  # "还没经过啥认定 就是自己注册的咖啡馆" on the incubator fund: its condition, not registration
    if names_detail_of(named, text):
        return named  # "那社保补贴呢": the message names the other measure
    if names_detail_of(current, text) or topic_confidence(tracker) < NAMED_CONFIDENCE:
        return current  # "收费不", "公司开满三年以后还给减不": no other measure named, the classifier not sure
    return named


def asks_the_aspect_it_stands_for(named: Topic, tracker: Tracker) -> bool:
    """The message asks the aspect that ``named`` stands for when nothing else is discussed (the joint meeting for
    "which department") and names it in no other words: while a measure is discussed, it asks that of the measure."""
    text = (tracker.latest_message.get("text") or "").lower()
    for aspect, topic_id in aspect_topics().items():
        if topic_id != named.id:
            continue
        rest = text
        for cue in aspect_cues(aspect):
            rest = cue.sub(" ", rest)
        if rest != text:  # "这个比例是哪个部门牵头落实": asked in the aspect's words, the measure not named otherwise
            return not names_detail_of(named, rest)
    return False


def answers_a_condition_of(current: Topic, named: Topic, tracker: Tracker) -> bool:
    """The message states facts that settle a condition of the measure under discussion and none of the measure
    it seems to name: it tells more about the person for the former."""
    from actions.eligibility import bears_on  # here: actions.eligibility imports this module

    stated = facts_in_latest_message(tracker)
    return bool(stated) and bears_on(stated, current, known_facts(tracker)) and not bears_on(stated, named)


def measure_named(tracker: Tracker) -> Topic | None:
    """The measure the message names, but not another measure the classifier is unsure of in a hypothetical about
    the one under discussion ("要是公司注册在西安呢", "要是我再开个公司 还算初次创办不"): other circumstances, the
    same measure."""
    named, current = topic_in_message(tracker), topic_being_checked(tracker)
    if (named is not None and current is not None and named.id != current.id and is_hypothetical(tracker)
            and topic_confidence(tracker) < NAMED_CONFIDENCE):
        return None
    return named


def is_hypothetical(tracker: Tracker) -> bool:
    """The message starts "要是…", "如果…", "what if…": it changes the person's circumstances."""
    text = (tracker.latest_message.get("text") or "").strip().lower()
    markers = messages(reply_language(tracker))["hypothetical_markers"]
    return text.startswith(tuple(markers))


def surely_out_of_scope(tracker: Tracker) -> bool:
    """The act classifier is sure the message is out of scope, unless the topic classifier is sure of a topic."""
    return act_surely_out_of_scope(tracker) and topic_confidence(tracker) < NAMED_CONFIDENCE


def act_surely_out_of_scope(tracker: Tracker) -> bool:
    """The act classifier is at least ``SURE_OUT_OF_SCOPE`` sure the message is out of scope."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") == "out_of_scope" and float(intent.get("confidence") or 0.0) >= SURE_OUT_OF_SCOPE


def asks_about_something_else(tracker: Tracker) -> bool:
    """A question the act classifier is sure lies outside the plan ("How do I renew my work visa?" after the
    measure for foreign talent): what it lets one guess about the person (no permanent residence) is not an answer
    to give a verdict on. A correction is never that ("说错了 是西北师大吗" still corrects)."""
    text = tracker.latest_message.get("text") or ""
    return act_surely_out_of_scope(tracker) and asks_a_question(text, reply_language(tracker)) and not corrects(text)


def topic_confidence(tracker: Tracker) -> float:
    """The topic classifier's confidence in the message's topic (1.0 for a button's)."""
    entity = next((entity for entity in tracker.latest_message.get("entities") or []
                   if entity.get("entity") == "topic"), None)
    return float(entity.get("confidence_entity", 1.0)) if entity else 0.0


def names_detail_of(topic: Topic, words: str) -> bool:
    """``words`` hold one of the measure's terms (Chinese, or English: "and for researchers?"), or a park of its
    list."""
    if any(term in words for term in topic.terms):
        return True
    lowered = words.lower()
    if any(re.search(rf"\b{re.escape(term)}", lowered) for term in english_topics()[topic.id].terms):
        return True  # from the start of a word: "researcher" in "researchers", never "vat" in "innovation"
    return bool(parks_in(topic, words))


def followup_topic(tracker: Tracker) -> Topic | None:
    """The topic under discussion when the latest message is a follow-up on it, else None."""
    topic = topic_being_checked(tracker)
    if topic is None or next(tracker.get_latest_entity_values("other_region"), None):
        return None
    named = measure_named(tracker)
    text = tracker.latest_message.get("text") or ""
    if named is not None and named.id != topic.id:
        if asks_the_aspect_it_stands_for(named, tracker):
            return topic  # "这块是哪个部门牵头": the department of this measure, not the joint meeting
        if names_detail_of(named, text) or topic_confidence(tracker) >= NAMED_CONFIDENCE:
            return None  # another measure, named or sure
        named = None  # "学费还交不" weakly read as the fees measure: no measure named
    if asks_its_contact(tracker, topic):
        return topic
    reading = tracker.latest_message.get("aspect") or {}
    if reading.get("elliptical"):
        return topic
    continuation = reading.get("continuation")
    act = (tracker.latest_message.get("intent") or {}).get("name")
    if not continuation:
        # "找税务局办要带啥" after the tax measure: the act classifier is lost in so few words, but the topic
        # classifier sees the measure under discussion.
        # "学费还交不" after leave of absence: unsure of the act and naming no measure, it is about this one; so is
        # an unclear message that names one of its departments ("金融办现在叫啥").
        if act == "nlu_fallback" or (named is not None and act in UNCLEAR_ACTS and not surely_out_of_scope(tracker)):
            return topic
        if act in YES_NO_ACTS and asks_a_question(text, reply_language(tracker)):
            return topic  # "给场地不" after the student guidance: a question about it, not a "no"
        if act in UNCLEAR_ACTS and department_in_message(tracker) in topic.departments:
            return topic
        return None
    # "那光伏的呢" read as a fact is still about the parks; one read as out of scope ("那明天天气呢") must name a
    # detail of the measure to be taken as a follow-up.
    if act != "out_of_scope" or relates_to(topic, continuation, tracker):
        return topic
    return None


def relates_to(topic: Topic, words: str, tracker: Tracker) -> bool:
    """``words`` name a detail of ``topic``: one of its terms, a park of its list, or the classifier's first topic."""
    if names_detail_of(topic, words):
        return True
    ranking = tracker.latest_message.get("topic_ranking") or []
    return bool(ranking) and ranking[0].get("name") == topic.id


def asks_its_contact(tracker: Tracker, topic: Topic) -> bool:
    """A phone, address or website question about one of the measure's own departments ("人社厅电话多少" while on
    the job-search grant), or about none in particular ("咨询电话多少"): about the measure under discussion,
    whatever act the classifier saw. A department of another measure is a question of its own."""
    if next(tracker.get_latest_entity_values("aspect"), None) != "contact":
        return False
    named = department_in_message(tracker)
    return named is None or named in topic.departments

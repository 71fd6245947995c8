"""The words of an answer about a measure, by aspect and by level of detail.

Level 1 answers the aspect asked in its first sentence and fits one SMS of two segments with its menu; level 2 gives
the clause behind it (or, for an overview, the full card); level 3 says where to ask for more, so the same text is
never sent twice in a row. The full card also says how old the document is and what each 2015 department is today.
"""

from __future__ import annotations

from typing import Any

from actions.common import departments_sentence, kb, messages
from policy_kb.models import Park, Topic
from policy_kb.parks import find_parks
from policy_kb.translations import aspect_texts, department_name, today_name, topic_text

OVERVIEW = "overview"
FULL = "full"  # the "详细"/"More" button: the whole card at once
LEVEL_FIRST, LEVEL_DETAIL, LEVEL_POINTER = 1, 2, 3
PARK_TOPICS = ("demonstration_parks", "university_science_parks")
# Aspects every topic answers the same way, from the card, departments.yml and the document's date.
GENERIC_ASPECTS = ("overview", "department", "contact", "validity")


def parks_in(topic: Topic, text: str) -> list[Park]:
    """The parks of a park topic's list that ``text`` names (by industry, city or name); none for other topics."""
    return find_parks(text, kb().parks) if topic.id in PARK_TOPICS and text else []


def department_reference(short: str, language: str, with_original: bool = True) -> str:
    """A department as users should look for it today: "省工商局（现省市场监管局）"."""
    wording = messages(language)["replies"]
    department = kb().department(short)
    shown = department_name(short, language, with_short=with_original)
    current = today_name(short, language)
    if current:
        return wording["department_today"].format(department=shown, today=current) if with_original else current
    if with_original and department is not None and department.today is not None \
            and department.today.status == "reorganised":
        return wording["department_reorganised"].format(department=shown)
    return shown


def ask_sentence(shorts: tuple[str, ...], language: str) -> str:
    """ "可以问省人社厅或省财政厅。" with today's names (in English the first only: the names are long)."""
    wording = messages(language)["replies"]
    names = [department_reference(short, language, with_original=False)
             for short in (shorts[:1] if language == "en" else shorts)]
    return wording["ask"].format(departments=wording["ask_joiner"].join(dict.fromkeys(names)))


_CHINESE_NUMERALS = {"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
                     "十": "10", "专栏": "box ", "附件": "annex", "（": "(", "）": ")", "，": ", "}


def section_label(section: str, language: str) -> str:
    """The section as the document numbers it; in English with digits ("三(四)2" → "3(4)2"), so that an English
    SMS stays in the GSM alphabet."""
    if language != "en":
        return section
    for chinese, latin in _CHINESE_NUMERALS.items():
        section = section.replace(chinese, latin)
    return section


def section_tag(topic: Topic, language: str, section: str | None = None) -> str:
    return messages(language)["replies"]["section_tag"].format(section=section_label(section or topic.section,
                                                                                      language))


def hotline_sentence(language: str) -> str:
    """The 12345 hotline with its public source, or nothing when the knowledge base has none."""
    hotline = kb().hotline
    if hotline is None:
        return ""
    cited_as = hotline.cited_as_en if language == "en" else hotline.cited_as
    return messages(language)["replies"]["hotline"].format(number=hotline.number, source=cited_as,
                                                           published=hotline.source.published[:4])


def first_answer(topic: Topic, aspect: str, language: str, user_text: str = "") -> str:
    """Level 1: the first sentence answers ``aspect``; short enough for one two-segment SMS with its menu."""
    wording = messages(language)["replies"]
    title = topic_text(topic, language).title
    lead = department_reference(topic.lead_department, language, with_original=False)
    if aspect == "department":
        return department_first_answer(topic, language)
    if aspect == "contact":
        return wording["contact"].format(title=title, lead=lead) + hotline_sentence(language)
    if aspect == "validity":
        return wording["validity"].format(issued=kb().document.issued.isoformat(), title=title, lead=lead)
    texts = aspect_texts(topic, language)
    found = "".join(wording["park"].format(name=park.name, city=park.city) for park in parks_in(topic, user_text)[:2])
    if found and aspect in ("how_to_apply", "who"):  # "做碳纤维的去哪个园区": the park is the answer
        return found + wording["lead"].format(lead=lead) + section_tag(topic, language)
    if aspect in texts.answers:
        entry = kb().aspects[topic.id].answers[aspect]
        text = texts.answers[aspect]
        if entry.ask:  # silent, or only half answered: whom to ask
            text += ask_sentence(entry.ask, language)
        return text + section_tag(topic, language, entry.section)
    return (found or texts.brief) + wording["lead"].format(lead=lead) + section_tag(topic, language)


def department_first_answer(topic: Topic, language: str) -> str:
    """ "【税收优惠】由…牵头，配合：省地税局、省财政厅、省科技厅等6个部门。" — at most three named."""
    wording = messages(language)["replies"]
    title = topic_text(topic, language).title
    lead = department_reference(topic.lead_department, language, with_original=language != "en")
    others = topic.supporting_departments
    if not others:
        return wording["department_alone"].format(title=title, lead=lead) + section_tag(topic, language)
    shown = 2 if language == "en" else 3  # English names are long: an English SMS stays within 3 segments
    names = messages(language)["list_separator"].join(department_name(short, language, with_short=False)
                                                for short in others[:shown])
    listed = wording["others_more"].format(names=names, count=len(others)) if len(others) > shown else names
    return wording["department"].format(title=title, lead=lead, others=listed) + section_tag(topic, language)


# Aspects whose level 2 is the whole card: an overview, the 详细 request, and those answered from the card's parts.
CARD_ASPECTS = (OVERVIEW, FULL, "department", "contact", "validity")


def detail_answer(topic: Topic, aspect: str, language: str, user_text: str = "") -> str:
    """Level 2: the clause behind an aspect answer, or the full card for an overview (or on request)."""
    if aspect in CARD_ASPECTS:
        return full_card(topic, language, user_text)
    wording = messages(language)["replies"]
    entry = kb().aspects[topic.id].answers[aspect]
    lines = [aspect_texts(topic, language).answers[aspect]]
    quote = entry.quote or topic.quotes[0]
    lines.append(wording["quote"].format(section=entry.section or topic.section, quote=quote))
    if entry.ask:
        lines.append(ask_sentence(entry.ask, language) + hotline_sentence(language))
    lines.append(wording["more"])
    return "\n".join(lines)


# Level 2 on SMS fits three segments with its menu: when any character is Chinese (UCS-2, 67 a segment) about 160
# characters beside a Chinese menu or 120 beside the longer English one; in plain ASCII (153 a segment) 400.
SMS_DETAIL_BUDGET_UCS2 = {"zh": 160, "en": 120}
SMS_DETAIL_BUDGET_ASCII = 400


def sms_detail_answer(topic: Topic, aspect: str, language: str, user_text: str = "") -> str:
    """Level 2 for an SMS user: the most detailed of the aspect's clause answer, the document's clause itself and
    where to ask that fits three segments with its menu. The whole card (a dozen segments) comes only when asked
    for ("详细", ``FULL``)."""
    wording = messages(language)["replies"]
    clause = wording["quote"].format(section=topic.section, quote=topic.quotes[0])
    candidates = [] if aspect in CARD_ASPECTS else [
        detail_answer(topic, aspect, language, user_text)]
    candidates.append(clause)
    return next((text for text in candidates
                 if len(text) <= (SMS_DETAIL_BUDGET_ASCII if text.isascii() else SMS_DETAIL_BUDGET_UCS2[language])),
                pointer_answer(topic, language))


def pointer_answer(topic: Topic, language: str) -> str:
    """Level 3: everything the document says has been shown; where to ask for more."""
    wording = messages(language)["replies"]
    lead = department_reference(topic.lead_department, language, with_original=False)
    return wording["pointer"].format(title=topic_text(topic, language).title, lead=lead) + hotline_sentence(language)


def full_card(topic: Topic, language: str, user_text: str = "") -> str:
    """Everything the card says: summary, benefits, who, notes, what the document does not say, departments
    (with today's names), the document's age and the source."""
    wording = messages(language)["answer"]
    items, listed = messages(language)["item_separator"], messages(language)["list_separator"]
    text = topic_text(topic, language)
    lines = [wording["heading"].format(title=text.title, section=topic.section, section_title=text.section_title),
             text.summary]
    parks = parks_in(topic, user_text)
    if parks:
        lines.append(wording["parks_found"])
        lines.extend(wording["park_line"].format(name=p.name, city=p.city, industries="、".join(p.industries))
                     for p in parks)
    if text.benefits:
        lines.append(wording["benefits"] + items.join(text.benefits))
    if text.who:
        lines.append(wording["who"] + items.join(text.who))
    lines.extend(wording["status_note"].format(note=note) for note in text.status_notes)
    if text.not_in_document:
        lines.append(wording["not_in_document"].format(items=listed.join(text.not_in_document)))
    lines.append(departments_sentence(topic, language))
    successors = [department_reference(short, language) for short in topic.departments
                  if today_name(short, language) or _reorganised(short)]
    if successors:
        lines.append(wording["today"].format(departments=listed.join(successors)))
    lines.append(wording["age"].format(issued=kb().document.issued.isoformat()))
    lines.append(wording["source"].format(citation=kb().document.citation, section=topic.section))
    return "\n".join(lines)


def _reorganised(short: str) -> bool:
    department = kb().department(short)
    return department is not None and department.today is not None and department.today.status == "reorganised"


def card_data(topic: Topic, aspect: str, language: str) -> dict[str, Any]:
    """The full structured answer for the payload: channels and scripts that show more than the first screen."""
    text = topic_text(topic, language)
    data: dict[str, Any] = {
        "title": text.title,
        "brief": aspect_texts(topic, language).brief,
        "summary": text.summary,
        "benefits": list(text.benefits),
        "who": list(text.who),
        "status_notes": list(text.status_notes),
        "not_in_document": list(text.not_in_document),
        "quotes": list(topic.quotes),
        "section": topic.section,
        "document": {"citation": kb().document.citation, "issued": kb().document.issued.isoformat()},
        "departments": [department_data(short, language) for short in topic.departments],
    }
    entry = kb().aspects[topic.id].answers.get(aspect)
    if entry is not None:
        data["aspect_answer"] = {"says": entry.says, "answer": aspect_texts(topic, language).answers[aspect],
                                 "quote": entry.quote, "section": entry.section or topic.section,
                                 "ask": list(entry.ask)}
    return data


def department_data(short: str, language: str) -> dict[str, Any]:
    """A department of 2015 with what it is today and the public source of that."""
    department = kb().department(short)
    today = department.today if department else None
    data: dict[str, Any] = {"name": short, "display": department_name(short, language)}
    if today is not None:
        data["today"] = {"status": today.status, "name": today.name,
                         "source": today.source.url if today.source else None}
    return data


def plan_answer(aspect: str, language: str, names_the_plan: bool = False, asks_what_it_is: bool = False) -> str | None:
    """A question about the plan as a whole: its targets, whether it is still in force, or (when the message names
    the plan: "这个方案是哪年发的", "双创是啥意思") when it was issued or what it is; None for other aspects."""
    wording = messages(language)["replies"]
    if aspect == OVERVIEW and asks_what_it_is:
        return wording["plan_overview"].format(issued=kb().document.issued.isoformat())
    if aspect == "time" and names_the_plan:
        return wording["plan_issued"].format(issued=kb().document.issued.isoformat())
    if aspect == "targets":
        targets = kb().plan_targets
        answer = targets.answer_en if language == "en" else targets.answer
        return answer + wording["section_tag"].format(section=section_label(targets.section, language))
    if aspect == "validity":
        lead = department_reference("省发展改革委", language, with_original=False)
        return wording["plan_validity"].format(issued=kb().document.issued.isoformat(), lead=lead) \
            + hotline_sentence(language)
    return None

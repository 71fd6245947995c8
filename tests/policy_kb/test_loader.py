"""Tests for policy_kb/loader.py: the knowledge base agrees with the topic list and the source document."""

import re
from datetime import date
from pathlib import Path

import pytest

from policy_kb.loader import KnowledgeBaseError, load_knowledge_base
from policy_kb.rules import ALL_RULES

TOPIC_LIST = Path(__file__).resolve().parents[2] / "policy_kb" / "policy_topics.md"


def _topic_table() -> dict[str, tuple[str, list[str]]]:
    """id -> (section, departments) parsed from the topic list's markdown table."""
    rows = {}
    for line in TOPIC_LIST.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| `(\w+)` \| [^|]+ \| ([^|]+) \| ([^|]+) \|", line)
        if match:
            rows[match.group(1)] = (match.group(2).strip(), [d.strip() for d in match.group(3).split("、")])
    return rows


def test_document_metadata(kb) -> None:
    assert kb.document.issued == date(2015, 12, 12)
    assert kb.document.issuer == "甘肃省人民政府"
    assert kb.document.title == "甘肃省大力推进大众创业万众创新实施方案"
    assert kb.document.title in kb.document.text


def test_all_28_topics_with_sections_and_departments_as_listed(kb) -> None:
    table = _topic_table()
    assert len(table) == 28
    assert set(kb.topics) == set(table)
    for topic_id, (section, departments) in table.items():
        topic = kb.topics[topic_id]
        assert topic.section == section, topic_id
        assert list(topic.departments) == departments, topic_id
        assert topic.lead_department == departments[0]


def test_topics_have_plain_summaries_and_user_terms(kb) -> None:
    for topic in kb.topics.values():
        assert len(topic.summary) >= 20, topic.id
        assert len(topic.terms) >= 8, topic.id
        assert topic.not_in_document, topic.id


def test_measures_still_to_be_issued_carry_a_status_note(kb) -> None:
    for topic_id in ("youth_startup_support", "student_startup_social_insurance", "vouchers_and_restart"):
        assert kb.topics[topic_id].status_notes, topic_id
    assert any("研究出台" in note.quote for note in kb.topics["youth_startup_support"].status_notes)


def test_department_directory(kb) -> None:
    roles = {d.short: d.joint_meeting_role for d in kb.departments.values()}
    assert roles["省发展改革委"] == "召集人"
    for vice in ("省科技厅", "省人社厅", "省财政厅", "省工信委"):
        assert roles[vice] == "副召集人"
    assert roles["省妇联"] == "成员单位"
    assert roles["省编办"] is None
    assert kb.departments["省人社厅"].full == "甘肃省人力资源和社会保障厅"
    # The document states no phone numbers or addresses: nothing may be filled in from elsewhere.
    for department in kb.departments.values():
        contact = department.contact
        assert (contact.phone, contact.address, contact.website, contact.office_hours) == (None,) * 4
    aliases = [alias for d in kb.departments.values() for alias in d.aliases]
    assert len(aliases) == len(set(aliases)), "an alias must name one department only"


def test_parks(kb) -> None:
    demonstration = [p for p in kb.parks if p.kind == "demonstration"]
    university = [p for p in kb.parks if p.kind == "university"]
    assert len(demonstration) == 20
    assert len(university) == 9
    for park in kb.parks:
        assert park.name in kb.document.text
        assert park.keywords


def test_every_rule_and_condition_has_wording(kb) -> None:
    texts = kb.eligibility_texts
    assert set(texts) == {rule.id for rule in ALL_RULES}
    for rule in ALL_RULES:
        assert texts[rule.id]["topic"] == rule.topic
        assert set(texts[rule.id]["conditions"]) == {condition.id for condition in rule.conditions}
        for condition in rule.conditions:
            assert all(fact in kb.facts for fact in condition.facts)


def test_a_quote_that_is_not_in_the_document_is_refused(tmp_path) -> None:
    data = Path(__file__).resolve().parents[2] / "policy_kb" / "data"
    copy = tmp_path / "data"
    (copy / "topics").mkdir(parents=True)
    for name in ("departments.yml", "parks.yml", "facts.yml", "parameters.yml", "eligibility.yml"):
        (copy / name).write_text((data / name).read_text(encoding="utf-8"), encoding="utf-8")
    original = (data / "topics" / "tax_incentives.yml").read_text(encoding="utf-8")
    (copy / "topics" / "tax_incentives.yml").write_text(
        original.replace("quotes:\n", "quotes:\n  - 对所有创业者免征全部税款。\n", 1), encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="not verbatim"):
        load_knowledge_base(copy)


def test_every_topic_has_every_authored_aspect_with_verbatim_quotes(kb) -> None:
    from policy_kb.loader import AUTHORED_ASPECTS

    assert set(kb.aspects) == set(kb.topics)
    for topic_id, aspects in kb.aspects.items():
        assert set(aspects.answers) == set(AUTHORED_ASPECTS), topic_id
        assert len(aspects.brief) <= 60, topic_id
        for entry in aspects.answers.values():
            if entry.says:
                assert entry.quote in kb.document.text
            else:
                assert entry.ask and all(name in kb.departments for name in entry.ask)


def test_an_aspect_quote_not_in_the_document_is_refused(tmp_path, kb) -> None:
    import shutil

    from policy_kb.loader import DATA_DIR, KnowledgeBaseError, load_aspects

    shutil.copytree(DATA_DIR / "aspects", tmp_path / "aspects")
    path = tmp_path / "aspects" / "startup_guarantee_loan.yml"
    text = path.read_text(encoding="utf-8").replace("says: false", "says: true", 1).replace(
        "quote: null", "quote: 贷款额度最高50万元", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="not verbatim"):
        load_aspects(tmp_path / "aspects", kb.document, kb.topics, kb.departments)


def test_renamed_departments_cite_a_public_source_and_the_hotline_has_one(kb) -> None:
    changed = [d for d in kb.departments.values() if d.today is not None and d.today.status in ("renamed", "merged")]
    assert changed, "departments.yml records today's successors"
    for department in changed:
        assert department.today.name and department.today.source.url.startswith("http")
        assert department.today.source.published
    assert kb.departments["省工商局"].today.name == "甘肃省市场监督管理局"
    assert kb.hotline is not None and kb.hotline.number == "12345" and kb.hotline.source.url.startswith("http")


def test_a_renamed_department_without_a_source_is_refused() -> None:
    from policy_kb.loader import KnowledgeBaseError, _successor

    with pytest.raises(KnowledgeBaseError, match="public source"):
        _successor({"status": "renamed", "name": "甘肃省某某厅"}, "departments.yml 省某某厅")

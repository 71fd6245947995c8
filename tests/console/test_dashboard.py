"""仪表盘 over HTTP: the figures of the chosen days, drawn as inline SVG."""

from __future__ import annotations

import datetime as dt
import re

from policy_kb.loader import get_knowledge_base
from tests.console.conftest import Console, at
from tests.console.seeding import insert_turns, turn


def tile(page: str, testid: str) -> str:
    match = re.search(r'data-testid="' + testid + r'"><span class="value">([^<]*)<', page)
    assert match, testid
    return match.group(1)


def test_dashboard_figures_for_a_day(console: Console, day: dt.date) -> None:
    insert_turns(console.database_url, [
        turn(at(day, 9), channel="wechat", topic="tax_incentives", feedback="not_useful"),
        turn(at(day, 10), channel="wechat", topic="tax_incentives", feedback="useful"),
        turn(at(day, 11), channel="sms", topic="researcher_leave_startup"),
        turn(at(day, 12), channel="sms", kind="out_of_scope", topic=None),
        turn(at(day, 13), channel="rest", kind="clarify", topic=None),
    ])
    page = console.reviewer().get(f"/dashboard?date_from={day}&date_to={day}")
    assert page.status_code == 200
    assert tile(page.text, "tile-questions") == "5"
    assert tile(page.text, "tile-out-of-scope") == "20.0%"
    assert tile(page.text, "tile-clarify") == "20.0%"
    assert tile(page.text, "tile-negative") == "50.0%"
    assert page.text.count("<svg") == 4
    assert f"{day:%Y-%m-%d} 微信: 2" in page.text  # the day's wechat bar
    topics = get_knowledge_base().topics
    assert topics["tax_incentives"].title in page.text  # top topics, by title
    assert topics["researcher_leave_startup"].lead_department in page.text  # routing by lead department
    assert "<script" not in page.text


def test_dashboard_refuses_bad_ranges(console: Console) -> None:
    browser = console.reviewer()
    assert browser.get("/dashboard?date_from=2020-02-01&date_to=2020-01-01").status_code == 400
    assert browser.get("/dashboard?date_from=2018-01-01&date_to=2020-01-01").status_code == 400
    assert browser.get("/dashboard?date_from=yesterday").status_code == 400
    assert browser.get("/dashboard").status_code == 200

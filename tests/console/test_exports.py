"""Exports over HTTP: corrections as Rasa NLU YAML, filtered turns as CSV and JSON lines; each one audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import sqlalchemy as sa
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot.console.schema import audit_log
from bot.storage.database import engine_for
from tests.console.client import link
from tests.console.conftest import PROJECT_DIR, REVIEWER, Console, at
from tests.console.seeding import insert_turns, turn


def first_training_example(topic: str) -> tuple[str, str]:
    """The first example of a topic's training file, and its act."""
    with (PROJECT_DIR / "nlu" / "data" / "topics" / f"{topic}.yml").open(encoding="utf-8") as handle:
        block = yaml.safe_load(handle)["nlu"][0]
    return block["examples"].splitlines()[0].removeprefix("- "), block["intent"]


def audit_count(database_url: str, action: str) -> int:
    query = sa.select(sa.func.count()).select_from(audit_log).where(
        (audit_log.c.action == action) & (audit_log.c.staff_name == REVIEWER[0]))
    with engine_for(database_url).connect() as connection:
        return connection.execute(query).scalar_one()


def test_nlu_export_parses_and_holds_the_corrected_example(console: Console, day: dt.date) -> None:
    text = f"俺在外打工 回村开个养殖场 有啥扶持 {day}"
    duplicate, duplicate_act = first_training_example("student_startup_social_insurance")  # not exported again
    ids = insert_turns(console.database_url, [
        turn(at(day, 9), user_text=text, intent="venture_capital", topic="venture_capital"),
        turn(at(day, 9, 5), user_text=f"个税汇算怎么弄 [链接](http://x) {day}", intent="tax_incentives"),
        turn(at(day, 9, 10), user_text=duplicate, intent="greet"),
    ])
    browser = console.reviewer()
    browser.post(f"/turns/{ids[0]}/correction", {"intent": "ask_policy", "topic": "rural_returnee_startup"})
    browser.post(f"/turns/{ids[1]}/correction", {"intent": "out_of_scope", "topic": ""})
    browser.post(f"/turns/{ids[2]}/correction", {"intent": duplicate_act, "topic": "student_startup_social_insurance"})
    before = audit_count(console.database_url, "export_nlu")

    response = browser.get("/exports/nlu.yml")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/x-yaml")
    assert "attachment" in response.headers["Content-Disposition"]
    document = yaml.safe_load(response.text)
    assert document["version"] == "3.1"
    blocks = {(block["intent"], (block.get("metadata") or {}).get("topic")): block["examples"]
              for block in document["nlu"]}
    assert f"- {text}\n" in blocks[("ask_policy", "rural_returnee_startup")]
    assert "# merge into nlu/data/topics/rural_returnee_startup.yml" in response.text
    assert f"- {duplicate}\n" not in blocks.get((duplicate_act, "student_startup_social_insurance"), "")
    assert "already in training data" in response.text
    # Rasa reads it as it would read nlu/data, without turning the user's brackets into an entity.
    examples = {(m.get("text"), m.get("intent"), bool(m.get("entities")))
                for m in RasaYAMLReader().reads(response.text).training_examples}
    assert (text, "ask_policy", False) in examples
    assert (f"个税汇算怎么弄 ［链接］(http://x) {day}", "out_of_scope", False) in examples
    assert audit_count(console.database_url, "export_nlu") == before + 1


def test_csv_export_holds_the_filtered_turns(console: Console, day: dt.date) -> None:
    ids = insert_turns(console.database_url, [
        turn(at(day, 9), channel="sms", user_text="=HYPERLINK(\"http://x\")", departments=["省人社厅", "省财政厅"]),
        turn(at(day, 10), channel="sms", user_text="普通的问题\n第二行"),
        turn(at(day, 11), channel="wechat"),
    ])
    browser = console.reviewer()
    before = audit_count(console.database_url, "export_csv")
    page = browser.get(f"/conversations?channel=sms&date_from={day}&date_to={day}")
    response = browser.get(link(page.text, "export-csv"))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())  # Excel and WPS read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [int(row["id"]) for row in rows] == [ids[1], ids[0]]  # newest first
    assert rows[1]["user_text"] == "'=HYPERLINK(\"http://x\")"  # not a formula in a spreadsheet
    assert rows[0]["user_text"] == "普通的问题\n第二行"
    assert rows[1]["departments"] == "省人社厅、省财政厅"
    assert rows[1]["timestamp"] == f"{day}T09:00:00+08:00"
    assert audit_count(console.database_url, "export_csv") == before + 1


def test_jsonl_export_holds_the_filtered_turns(console: Console, day: dt.date) -> None:
    ids = insert_turns(console.database_url, [
        turn(at(day, 9), kind="out_of_scope", topic=None, confidence=0.4, departments=[]),
        turn(at(day, 10), kind="answer"),
    ])
    browser = console.reviewer()
    before = audit_count(console.database_url, "export_jsonl")
    response = browser.get(f"/exports/turns.jsonl?kind=out_of_scope&date_from={day}&date_to={day}")
    assert response.status_code == 200
    records = [json.loads(line) for line in response.text.splitlines()]
    assert [record["id"] for record in records] == [ids[0]]
    assert records[0]["kind"] == "out_of_scope" and records[0]["departments"] == []
    assert records[0]["confidence"] == 0.4 and records[0]["handoff_requested"] is False
    assert audit_count(console.database_url, "export_jsonl") == before + 1


def test_large_exports_stream_every_turn(console: Console, day: dt.date) -> None:
    ids = insert_turns(console.database_url, [turn(at(day, 8) + dt.timedelta(seconds=n), channel="telegram")
                                              for n in range(2500)])
    response = console.reviewer().get(f"/exports/turns.jsonl?date_from={day}&date_to={day}")
    exported = [json.loads(line)["id"] for line in response.text.splitlines()]
    assert exported == list(reversed(ids))


def test_bad_export_filters_are_refused(console: Console) -> None:
    assert console.reviewer().get("/exports/turns.csv?kind=nonsense").status_code == 400

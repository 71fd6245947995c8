"""The review console in headless Chromium: log in, filter by topic, open a transcript, correct, export."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.console.conftest import REVIEWER, at
from tests.console.seeding import insert_turns, stored_turn, turn

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOT_DIR = Path(__file__).resolve().parents[2] / "results" / "browser"
# Flags for a sandboxed CI machine with no network beyond loopback (see the machine notes in the README).
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is not installed: run `make browser` (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def test_reviewer_filters_opens_a_transcript_corrects_an_intent_and_exports(console, browser, day, tmp_path):
    misread = "想问问创投公司那个百分之七十抵扣税的事"
    ids = insert_turns(console.database_url, [
        turn(at(day, 9), user_text=misread, intent="venture_capital", topic="tax_incentives", confidence=0.41),
        turn(at(day, 10), user_text="众创空间有补贴吗", intent="maker_space_support", topic="maker_space_support"),
    ])
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page.goto(f"{console.base_url}/login")
    page.fill("#name", REVIEWER[0])
    page.fill("#password", REVIEWER[1])
    page.click("#login-submit")
    page.wait_for_selector("[data-testid=turn-table], [data-testid=no-turns]")

    page.select_option("#filter-topic", "tax_incentives")
    page.click("#filter-submit")
    rows = page.locator("[data-testid=turn-row]")
    rows.first.wait_for()
    topics = {rows.nth(index).get_attribute("data-topic") for index in range(rows.count())}
    assert topics == {"tax_incentives"}
    row = page.locator(f"[data-testid=turn-row][data-turn-id='{ids[0]}']")
    assert row.count() == 1

    row.locator("[data-testid=open-transcript]").click()
    page.wait_for_selector(f"#turn-{ids[0]}")
    page.select_option(f"#correct-intent-{ids[0]}", "ask_policy")
    page.select_option(f"#correct-topic-{ids[0]}", "tax_incentives")
    page.click(f"#correct-submit-{ids[0]}")
    page.wait_for_selector(f"#turn-{ids[0]} [data-testid=turn-corrected-intent]")
    assert stored_turn(console.database_url, ids[0])["corrected_intent"] == "ask_policy"
    assert stored_turn(console.database_url, ids[0])["corrected_topic"] == "tax_incentives"

    page.goto(f"{console.base_url}/")
    with page.expect_download() as download_info:
        page.click("#export-nlu")
    exported = tmp_path / "corrections.yml"
    download_info.value.save_as(exported)
    blocks = yaml.safe_load(exported.read_text(encoding="utf-8"))["nlu"]
    examples = {(block["intent"], (block.get("metadata") or {}).get("topic")): block["examples"] for block in blocks}
    assert misread in examples[("ask_policy", "tax_incentives")]

    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    screenshot = SCREENSHOT_DIR / f"console-{Path(console.database_url).stem or 'db'}.png"
    page.goto(f"{console.base_url}/conversations/{stored_turn(console.database_url, ids[0])['sender_hash']}")
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 10_000
    page.close()

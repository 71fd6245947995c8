"""After conversations full of personal data on REST, SMS, WeChat and Telegram (a hand-off included), no column of
any table holds any of it in clear: the issue's own target, checked the way it is checked, by scanning every
column of every table of the live assistant's database."""

from __future__ import annotations

import json
import random
import re
import time
import urllib.request
import uuid

import sqlalchemy as sa

from bot.storage.database import engine_for
from bot.storage.handoffs import handoff_requests
from bot.storage.redaction import id_check_character
from tests.channels.conftest import LiveAssistant
from tests.channels.test_sms import send_generic
from tests.channels.test_telegram import post_update, replies_to, text_update, wait_for
from tests.channels.test_wechat import say

_random = random.Random(20261205)


def _digits(count: int) -> str:
    return "".join(str(_random.randrange(10)) for _ in range(count))


def new_mobile() -> str:
    return "139" + _digits(8)


def new_id_number() -> str:
    first = "620102" + "1990" + "0" + str(_random.randrange(1, 10)) + "1" + str(_random.randrange(1, 10)) + _digits(3)
    return first + id_check_character(first)


def new_card_number() -> str:
    """16 digits with a right Luhn check digit (a bank card as the redactor recognises one)."""
    body = "622848" + _digits(9)
    total = 0
    for index, digit in enumerate(reversed(body)):
        value = int(digit) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return body + str((10 - total % 10) % 10)


def post_rest(live: LiveAssistant, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(live.webhook("rest"), data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def handoff_count(database_url: str) -> int:
    with engine_for(database_url).connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(handoff_requests)).scalar_one()


def every_stored_value(database_url: str) -> list[tuple[str, str, str]]:
    """(table, column, text) for every non-empty value of every column of every table."""
    engine = engine_for(database_url)
    found = []
    with engine.connect() as connection:
        for table_name in sa.inspect(engine).get_table_names():
            table = sa.Table(table_name, sa.MetaData(), autoload_with=connection)
            for row in connection.execute(sa.select(table)):
                for column, value in row._mapping.items():
                    if value is None:
                        continue
                    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
                    found.append((table_name, str(column), text))
    return found


def test_nothing_personal_is_stored_in_clear_on_any_channel(live_assistant: LiveAssistant) -> None:
    sms_phone, wechat_openid = f"+86{new_mobile()}", "o" + uuid.uuid4().hex[:27]
    telegram_chat, rest_sender = 5_000_000_000 + _random.randrange(10**9), f"visitor-{uuid.uuid4().hex[:10]}"
    mobile, id_number, card, email = new_mobile(), new_id_number(), new_card_number(), f"w{_digits(6)}@example.com"
    spaced_mobile = f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}"
    grouped_id = f"{id_number[:6]} {id_number[6:14]} {id_number[14:]}"

    handoffs_before = handoff_count(live_assistant.database_url)
    post_rest(live_assistant, rest_sender, f"我身份证{id_number} 手机{mobile} 大学生创业补贴能领吗")
    post_rest(live_assistant, rest_sender, f"转人工 我的邮箱{email}")
    assert send_generic(live_assistant, sms_phone, f"返乡创业贷款咋办 我电话{spaced_mobile} 卡号{card}")[0] == 200
    say(live_assistant, wechat_openid, f"我叫王小明 身份证 {grouped_id} 想问创业担保贷款")
    say(live_assistant, wechat_openid, "转人工")
    update_id = 900_000_000 + _random.randrange(10**8)
    assert post_update(live_assistant, text_update(update_id, telegram_chat, f"邮箱{email} 电话0086{mobile}"))[0] == 200
    replies_to(live_assistant, telegram_chat)
    assert post_update(live_assistant, text_update(update_id + 1, telegram_chat, "转人工"))[0] == 200
    assert wait_for(lambda: handoff_count(live_assistant.database_url) >= handoffs_before + 3)  # REST, WeChat, TG
    time.sleep(1.0)  # the tracker store writes the last events after the reply went out

    secrets = {"SMS phone": sms_phone[3:], "WeChat openid": wechat_openid, "Telegram chat id": str(telegram_chat),
               "REST sender": rest_sender, "mobile": mobile, "ID number": id_number, "card": card, "e-mail": email}
    stored = every_stored_value(live_assistant.database_url)
    leaks = [(table, column, name) for table, column, text in stored
             for name, secret in secrets.items() if secret in re.sub(r"[ .\-]", "", text)]
    assert leaks == []
    # The scan did see these conversations (hashed and redacted), so it cannot pass by looking in the wrong place.
    assert any("[身份证号]" in text for _, _, text in stored)
    assert any("[手机号]" in text for _, _, text in stored)
    assert any("[银行卡号]" in text for _, _, text in stored)
    assert any("[邮箱]" in text for _, _, text in stored)
    assert {"events", "turns", "handoff_requests"} <= {table for table, _, _ in stored}

"""Tests for bot/storage/handoffs.py: one waiting hand-off request per conversation, its contact encrypted."""

from __future__ import annotations

import sqlalchemy as sa

from bot.storage.contacts import new_key, unseal
from bot.storage.database import engine_for
from bot.storage.handoffs import handoff_requests, open_handoffs, record_handoff


def set_status(url: str, request_id: int, status: str) -> None:
    with engine_for(url).begin() as connection:
        connection.execute(handoff_requests.update().where(handoff_requests.c.id == request_id).values(status=status))


def test_repeated_requests_of_one_conversation_get_the_same_number(storage_url: str) -> None:
    first = record_handoff(storage_url, "salt", "sms:+8613900000001", "sms", None)
    again = [record_handoff(storage_url, "salt", "sms:+8613900000001", "sms", "tax_incentives") for _ in range(5)]
    other = record_handoff(storage_url, "salt", "sms:+8613900000002", "sms", None)
    assert again == [first] * 5 and other != first
    assert len(open_handoffs(storage_url)) == 2


def test_a_closed_request_lets_the_conversation_ask_again(storage_url: str) -> None:
    first = record_handoff(storage_url, "salt", "wechat:o-1", "wechat", None)
    set_status(storage_url, first, "in_progress")
    assert record_handoff(storage_url, "salt", "wechat:o-1", "wechat", None) == first  # still being handled
    set_status(storage_url, first, "closed")
    second = record_handoff(storage_url, "salt", "wechat:o-1", "wechat", None)
    assert second != first
    with engine_for(storage_url).connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(handoff_requests)).scalar() == 2


def test_the_contact_is_stored_only_encrypted(storage_url: str) -> None:
    key = new_key()
    request_id = record_handoff(storage_url, "salt", "sms:+8613900000003", "sms", None, contact_key=key)
    with engine_for(storage_url).connect() as connection:
        row = connection.execute(sa.select(handoff_requests).where(handoff_requests.c.id == request_id)).one()
    assert "13900000003" not in " ".join(str(value) for value in row)
    assert unseal(row.contact, key) == "sms:+8613900000003"
    without = record_handoff(storage_url, "salt", "sms:+8613900000004", "sms", None)  # no key: no contact
    with engine_for(storage_url).connect() as connection:
        assert connection.execute(sa.select(handoff_requests.c.contact)
                                  .where(handoff_requests.c.id == without)).scalar() is None

"""Tests for bot/storage/contacts.py: hand-off contacts sealed with a Fernet key, readable only with that key."""

from __future__ import annotations

import pytest

from bot.storage.contacts import ContactKeyError, new_key, seal, unseal


def test_a_sealed_contact_shows_nothing_of_the_id_and_opens_with_its_key() -> None:
    key, contact = new_key(), "sms:+8613912345678"
    token = seal(contact, key)
    assert "13912345678" not in token and "sms" not in token
    assert seal(contact, key) != token  # a fresh IV each time: equal contacts do not look equal at rest
    assert unseal(token, key) == contact


def test_another_key_or_an_altered_token_is_refused() -> None:
    key = new_key()
    token = seal("telegram:123456789", key)
    with pytest.raises(ContactKeyError, match="another HANDOFF_CONTACT_KEY"):
        unseal(token, new_key())
    altered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(ContactKeyError):
        unseal(altered, key)


@pytest.mark.parametrize("key", ["", "not-a-key", "短", "a" * 44])
def test_a_malformed_key_is_a_clear_error(key: str) -> None:
    with pytest.raises(ContactKeyError, match="must be a Fernet key"):
        seal("wechat:o-1", key)

"""Signature parameters used once: shared through the test Redis (the production profile) or kept in the database."""

from __future__ import annotations

import time
import uuid

import pytest
import sqlalchemy as sa

from bot.channels import replays
from bot.storage.channel_state import signed_requests
from bot.storage.database import engine_for
from tests.channels.test_rate_limit import redis_or_skip


def remembered_in_database(database_url: str) -> int:
    with engine_for(database_url).connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(signed_requests)).scalar_one()


@pytest.fixture
def store_cache_cleared():
    replays._shared_store.cache_clear()
    yield
    replays._shared_store.cache_clear()


def test_with_redis_a_use_is_shared_and_expires_by_itself(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                         store_cache_cleared: None) -> None:
    client = redis_or_skip()
    prefix = f"replaytest{uuid.uuid4().hex[:8]}"
    host, port = client.connection_pool.connection_kwargs["host"], client.connection_pool.connection_kwargs["port"]
    monkeypatch.setenv("REDIS_HOST", host)
    monkeypatch.setenv("REDIS_PORT", str(port))
    monkeypatch.setenv("REDIS_KEY_PREFIX", prefix)
    before = remembered_in_database(database_url)
    parameters = f"{int(time.time())}:{uuid.uuid4().hex}:signature:"
    assert not replays.is_replayed(database_url, "wechat", parameters, b"<xml>first</xml>", 300)
    assert not replays.is_replayed(database_url, "wechat", parameters, b"<xml>first</xml>", 300)  # a retry
    assert replays.is_replayed(database_url, "wechat", parameters, b"<xml>forged</xml>", 300)
    keys = client.keys(f"{prefix}:signed:*")
    assert len(keys) == 1 and 0 < client.ttl(keys[0]) <= 600
    assert parameters not in keys[0].decode()  # the parameters are hashed
    assert remembered_in_database(database_url) == before
    client.delete(*keys)


def test_without_redis_the_database_remembers(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                              store_cache_cleared: None) -> None:
    monkeypatch.delenv("REDIS_HOST", raising=False)
    before = remembered_in_database(database_url)
    parameters = f"{int(time.time())}:{uuid.uuid4().hex}:signature:"
    assert not replays.is_replayed(database_url, "wechat", parameters, b"<xml>first</xml>", 300)
    assert replays.is_replayed(database_url, "wechat", parameters, b"<xml>forged</xml>", 300)
    assert remembered_in_database(database_url) == before + 1


def test_an_unreachable_redis_falls_back_to_the_database(database_url: str, monkeypatch: pytest.MonkeyPatch,
                                                          store_cache_cleared: None) -> None:
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", "9")  # discard port: nothing listens
    before = remembered_in_database(database_url)
    parameters = f"{int(time.time())}:{uuid.uuid4().hex}:signature:"
    assert not replays.is_replayed(database_url, "wechat", parameters, b"<xml>first</xml>", 300)
    assert replays.is_replayed(database_url, "wechat", parameters, b"<xml>forged</xml>", 300)
    assert remembered_in_database(database_url) == before + 1

"""The production profile's wiring and its refusals, without starting any server."""

from __future__ import annotations

import socket

import pytest
from rasa.core.lock_store import LockStore
from rasa.utils.endpoints import read_endpoint_config

from bot.cli import main
from bot.prod import ENDPOINTS_FILE, ProdProfileError, check_backends, prod_environment, redis_environment
from bot.settings import PROJECT_DIR
from bot.storage.contacts import new_key
from bot.storage.lock_store import PromptRedisLockStore, SharedLocksNeeded

POSTGRESQL_URL = "postgresql://postgres@127.0.0.1:5432/chuangye"


def test_endpoints_prod_takes_every_value_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {**prod_environment(POSTGRESQL_URL), "REDIS_HOST": "redis.internal", "REDIS_PORT": "6380",
                   "REDIS_DB": "3", "REDIS_KEY_PREFIX": "chuangyeprod", "ACTION_SERVER_URL": "http://a:1/webhook"}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    endpoints = PROJECT_DIR / ENDPOINTS_FILE
    assert read_endpoint_config(str(endpoints), "action_endpoint").url == "http://a:1/webhook"
    tracker_store = read_endpoint_config(str(endpoints), "tracker_store")
    assert tracker_store.type == "bot.storage.tracker_store.ReviewedSQLTrackerStore"  # reads DATABASE_URL itself
    lock_store = LockStore.create(read_endpoint_config(str(endpoints), "lock_store"))
    assert isinstance(lock_store, PromptRedisLockStore)
    connection = lock_store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"]) == ("redis.internal", 6380, 3)
    assert lock_store.key_prefix == "chuangyeprod:lock:"


def test_workers_reach_rasa_with_the_redis_lock_store_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rasa runs N worker processes with our Redis lock store; the in-process lock store refuses to."""
    from rasa.core.utils import number_of_sanic_workers

    environment = {**prod_environment(POSTGRESQL_URL, workers=2), "ACTION_SERVER_URL": "http://a:1/webhook"}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert environment["SANIC_WORKERS"] == "2"
    assert number_of_sanic_workers(read_endpoint_config(str(PROJECT_DIR / ENDPOINTS_FILE), "lock_store")) == 2
    # Rasa would run the development profile's in-process locks in two processes too; the store refuses.
    with pytest.raises(SharedLocksNeeded, match="SANIC_WORKERS=2"):
        LockStore.create(read_endpoint_config(str(PROJECT_DIR / "endpoints.yml"), "lock_store"))
    with pytest.raises(ProdProfileError, match="--workers"):
        prod_environment(POSTGRESQL_URL, workers=0)


def test_redis_defaults_and_refusals() -> None:
    assert redis_environment({}) == {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "1",
                                     "REDIS_PASSWORD": "", "REDIS_KEY_PREFIX": "chuangye"}
    with pytest.raises(ProdProfileError, match="REDIS_KEY_PREFIX"):
        redis_environment({"REDIS_KEY_PREFIX": "chuang-ye"})  # Rasa would silently drop it
    with pytest.raises(ProdProfileError, match="REDIS_PORT"):
        redis_environment({"REDIS_PORT": "redis"})


def test_sqlite_is_refused_because_replicas_must_share_the_database(tmp_path) -> None:
    with pytest.raises(ProdProfileError, match="PostgreSQL"):
        check_backends(f"sqlite:///{tmp_path / 'x.db'}", redis_environment({}))


def test_an_unreachable_database_is_refused_before_anything_starts() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        port = unused.getsockname()[1]
        with pytest.raises(ProdProfileError, match="cannot reach the database"):
            check_backends(f"postgresql://postgres@127.0.0.1:{port}/x", redis_environment({}))


def test_serve_prod_refuses_to_start_without_the_salt(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("SENDER_HASH_SALT", raising=False)
    assert main(["serve-prod", "--replicas", "1"]) == 2
    assert "needs SENDER_HASH_SALT" in capsys.readouterr().err


def test_serve_prod_refuses_to_start_without_a_valid_contact_key(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("SENDER_HASH_SALT", "a-test-salt-of-this-deployment")
    monkeypatch.delenv("HANDOFF_CONTACT_KEY", raising=False)
    assert main(["serve-prod", "--replicas", "1"]) == 2
    assert "needs HANDOFF_CONTACT_KEY" in capsys.readouterr().err
    monkeypatch.setenv("HANDOFF_CONTACT_KEY", "not-a-fernet-key")
    assert main(["serve-prod", "--replicas", "1"]) == 2
    assert "must be a Fernet key" in capsys.readouterr().err


def test_serve_prod_says_what_is_missing(monkeypatch: pytest.MonkeyPatch, tmp_path, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("SENDER_HASH_SALT", "a-test-salt-of-this-deployment")
    monkeypatch.setenv("HANDOFF_CONTACT_KEY", new_key())
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert main(["serve-prod", "--replicas", "2", "--port", str(port)]) == 2
    assert "needs a database server all replicas share" in capsys.readouterr().err
    assert main(["serve-prod", "--replicas", "0", "--port", str(port)]) == 2

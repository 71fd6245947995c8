"""Two replicas of the production profile (endpoints.prod.yml) sharing PostgreSQL and Redis, real model.

PostgreSQL comes from TEST_DATABASE_URL (``.ci/run`` sets it when a server answers on loopback), in a throwaway
schema; Redis from TEST_REDIS_HOST / TEST_REDIS_PORT (default 127.0.0.1:6379) with a key prefix of its own.
Without either server the tests are skipped, saying which one is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from bot.prod import Replica, prepare_database, redis_environment, running_replicas
from bot.proxy import RoundRobinProxy, bound_port, start_proxy
from bot.server import HOST
from bot.storage.handoffs import hash_sender
from bot.storage.scratch_schema import postgresql_schema_url, throwaway_schema
from bot.storage.turns import turns
from tests.conftest import MODEL_PATH

SALT = "scaleout-test-salt"
CONTACT_KEY = "Y29udGFjdC1rZXktb2YtdGhlLXNjYWxlb3V0LXRlc3Q="  # a Fernet key (32 bytes, URL-safe base64)
REST_TOKEN = "scaleout-test-rest-token"


@dataclass
class SharedBackends:
    database_url: str  # PostgreSQL, search_path set to this run's schema
    redis: dict[str, str]  # the REDIS_* variables of endpoints.prod.yml


@dataclass
class Cluster:
    replicas: list[Replica]
    backends: SharedBackends

    def stored_user_texts(self, sender: str) -> list[str]:
        """``turns`` rows of ``sender`` in the order they were stored (one per user message)."""
        query = (sa.select(turns.c.user_text).where(turns.c.sender_hash == hash_sender(sender, SALT))
                 .order_by(turns.c.id))
        with _engine(self.backends.database_url) as engine, engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def rasa_user_texts(self, sender: str) -> list[str]:
        """The user messages in Rasa's ``events`` table for ``sender`` (kept under its salted hash), in order."""
        query = sa.text("SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user' ORDER BY id")
        with _engine(self.backends.database_url) as engine, engine.connect() as connection:
            rows = connection.execute(query, {"sender": hash_sender(sender, SALT)}).scalars()
            return [json.loads(data)["text"] for data in rows]


@contextmanager
def _engine(url: str) -> Iterator[sa.engine.Engine]:
    engine = sa.create_engine(url, future=True, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def shared_backends() -> Iterator[SharedBackends]:
    base_url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base_url:
        pytest.skip("TEST_DATABASE_URL is not set: the scale-out tests need PostgreSQL "
                    "(e.g. postgresql://postgres@127.0.0.1:5432/test)")
    redis = redis_environment({"REDIS_HOST": os.environ.get("TEST_REDIS_HOST", "127.0.0.1"),
                               "REDIS_PORT": os.environ.get("TEST_REDIS_PORT", "6379"),
                               "REDIS_KEY_PREFIX": f"scaleout{uuid.uuid4().hex[:8]}"})
    import redis as redis_client

    try:
        redis_client.Redis(host=redis["REDIS_HOST"], port=int(redis["REDIS_PORT"]), socket_timeout=3).ping()
    except redis_client.RedisError as error:
        pytest.skip(f"Redis is not reachable at {redis['REDIS_HOST']}:{redis['REDIS_PORT']} ({error}): "
                    "the scale-out tests need it (TEST_REDIS_HOST / TEST_REDIS_PORT)")
    with contextlib.ExitStack() as cleanup:
        try:
            schema = cleanup.enter_context(throwaway_schema(base_url, prefix="chuangye_scaleout"))
        except sa.exc.OperationalError as error:
            pytest.skip(f"PostgreSQL at TEST_DATABASE_URL is not reachable: {error.orig}")
        yield SharedBackends(postgresql_schema_url(base_url, schema), redis)


@pytest.fixture(scope="module")
def cluster(shared_backends: SharedBackends) -> Iterator[Cluster]:
    """Two Rasa servers, each with its own action server and two Sanic worker processes, started the way
    ``chuangye serve-prod --replicas 2 --workers 2`` starts them: messages of one user meet in four processes."""
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train`")
    prepare_database(shared_backends.database_url)
    environment = {"DATABASE_URL": shared_backends.database_url, "SENDER_HASH_SALT": SALT,
                   "HANDOFF_CONTACT_KEY": CONTACT_KEY, "SANIC_WORKERS": "2",
                   **shared_backends.redis}
    with running_replicas(MODEL_PATH, 2, environment) as replicas:
        yield Cluster(replicas, shared_backends)


def say(url: str, sender: str, message: str, token: str | None = None) -> list[dict[str, Any]]:
    """One REST turn; ``url`` is a replica's or the proxy's base URL; ``token``: the REST_API_TOKEN to send."""
    body = json.dumps({"sender": sender, "message": message}).encode()
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", data=body, headers=headers)
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


@contextmanager
def proxy_in_thread(replica_urls: list[str]) -> Iterator[str]:
    """The production profile's proxy on a free port, on an event loop of its own; yields its base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = asyncio.run_coroutine_threadsafe(start_proxy(RoundRobinProxy(replica_urls), HOST, 0), loop).result(30)
    try:
        yield f"http://{HOST}:{bound_port(runner)}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)
        loop.close()

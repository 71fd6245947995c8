"""``chuangye serve-prod``: N Rasa servers, each with its own action server, behind one round-robin address.

Each Rasa server can run several Sanic worker processes on its port (``--workers``, Rasa's ``SANIC_WORKERS``):
on one machine that uses every core without the proxy's hop, so one replica with a worker per core listens on
the front port itself. The replicas and workers share everything a conversation needs: the tracker store and
the turn log in PostgreSQL (DATABASE_URL) and Rasa's per-conversation lock in Redis (REDIS_*), so consecutive
messages of one user may go to different replicas or workers (``endpoints.prod.yml``). All of it binds to
loopback; TLS and the public address belong to nginx or HAProxy in front (see README).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.server import HOST, free_port, start_servers, stop_servers
from bot.settings import load_settings
from bot.storage.contacts import ContactKeyError, cipher

if TYPE_CHECKING:
    import redis as redis_client

ENDPOINTS_FILE = "endpoints.prod.yml"
# What endpoints.prod.yml reads besides DATABASE_URL and ACTION_SERVER_URL, with the defaults for one machine.
REDIS_DEFAULTS = {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": "1", "REDIS_PASSWORD": "",
                  "REDIS_KEY_PREFIX": "chuangye"}
START_TIMEOUT_SECONDS = 300.0  # N models load at once on few cores
WATCH_INTERVAL_SECONDS = 0.5


class ProdProfileError(RuntimeError):
    """The production profile cannot start (what is missing is in the message)."""


@dataclass
class Replica:
    """One Rasa server and the action server it calls."""

    rasa_port: int
    action_port: int
    processes: list[subprocess.Popen] = field(default_factory=list)  # action server first, as start_servers

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.rasa_port}"

    def running(self) -> bool:
        return bool(self.processes) and all(process.poll() is None for process in self.processes)



def redis_environment(environment: Mapping[str, str] | None = None) -> dict[str, str]:
    """The REDIS_* variables endpoints.prod.yml needs: the environment's values, defaults for the rest."""
    source = os.environ if environment is None else environment
    values = {name: source.get(name) or default for name, default in REDIS_DEFAULTS.items()}
    for name in ("REDIS_PORT", "REDIS_DB"):
        if not values[name].isdigit():
            raise ProdProfileError(f"{name} must be a number, not {values[name]!r}")
    if not values["REDIS_KEY_PREFIX"].isalnum():
        # Rasa silently ignores a prefix that is not alphanumeric; refuse it instead of sharing "lock:" keys.
        raise ProdProfileError(f"REDIS_KEY_PREFIX must be letters and digits only, not {values['REDIS_KEY_PREFIX']!r}")
    return values


def redis_connection(redis: Mapping[str, str]) -> redis_client.Redis:
    """A redis-py client for the REDIS_* values (as ``redis_environment`` gives them), 3 s socket timeout."""
    import redis as redis_client

    return redis_client.Redis(host=redis["REDIS_HOST"], port=int(redis["REDIS_PORT"]), db=int(redis["REDIS_DB"]),
                              password=redis["REDIS_PASSWORD"] or None, socket_timeout=3)


def shared_redis() -> tuple[redis_client.Redis, str] | None:
    """The deployment's Redis client and key prefix when REDIS_HOST is set (the production profile: state that every
    worker and replica must share), else None (one process keeps such state in memory)."""
    if not os.environ.get("REDIS_HOST", "").strip():
        return None
    values = redis_environment()
    return redis_connection(values), values["REDIS_KEY_PREFIX"]


def check_backends(database_url: str, redis: Mapping[str, str]) -> None:
    """Refuse to start without a shared database server and a reachable Redis, with a one-line reason.

    (Otherwise the replicas would load their models for a minute and then answer every message with an error.)
    """
    import sqlalchemy as sa

    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        raise ProdProfileError("the production profile needs a database server all replicas share: set "
                               "DATABASE_URL to PostgreSQL, e.g. postgresql://USER@HOST:5432/DBNAME")
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:
        raise ProdProfileError(f"cannot reach the database {url.render_as_string(hide_password=True)}: "
                               f"{error.__class__.__name__}") from error
    finally:
        engine.dispose()
    client = redis_connection(redis)
    try:
        client.ping()
    except Exception as error:
        raise ProdProfileError(f"cannot reach Redis at {redis['REDIS_HOST']}:{redis['REDIS_PORT']}: "
                               f"{error.__class__.__name__}") from error
    finally:
        client.close()


def prepare_database(database_url: str) -> None:
    """Migrate the project tables and create Rasa's ``events`` table once, before the replicas start together."""
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    from bot.storage.migrate import upgrade

    upgrade(database_url)
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        SQLTrackerStore.Base.metadata.create_all(engine)
    finally:
        engine.dispose()


def start_replicas(model_path: Path, count: int, environment: Mapping[str, str],
                   first_port: int | None = None) -> list[Replica]:
    """Start ``count`` replicas (Rasa server + its action server) on loopback ports with endpoints.prod.yml.

    ``first_port``: the first replica's Rasa port (default: a free one, as for all the others).
    """
    if count < 1:
        raise ProdProfileError("--replicas must be at least 1")
    replicas: list[Replica] = []
    try:
        for index in range(count):
            replica = Replica(first_port if index == 0 and first_port else free_port(), free_port())
            replica.processes = start_servers(model_path, replica.rasa_port, replica.action_port,
                                              dict(environment), endpoints=ENDPOINTS_FILE)
            replicas.append(replica)
    except BaseException:
        stop_replicas(replicas)
        raise
    return replicas


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for_replicas(replicas: list[Replica], timeout_seconds: float = START_TIMEOUT_SECONDS) -> bool:
    """True once every replica is ready; False at the deadline or as soon as one of the processes exits.

    Ready: the Rasa server's ``GET /health`` answers 200 (model loaded, database and action server answer).
    """
    deadline = time.monotonic() + timeout_seconds
    waiting = [f"{replica.url}/health" for replica in replicas]
    while waiting and time.monotonic() < deadline:
        if not all(replica.running() for replica in replicas):
            return False
        waiting = [url for url in waiting if not _answers(url)]
        if waiting:
            time.sleep(0.5)
    return not waiting


def stop_replicas(replicas: list[Replica]) -> None:
    stop_servers([process for replica in replicas for process in replica.processes])


@contextlib.contextmanager
def running_replicas(model_path: Path, count: int, environment: Mapping[str, str]) -> Iterator[list[Replica]]:
    """Replicas that are up for the body of the ``with``; stopped afterwards, also on errors."""
    replicas = start_replicas(model_path, count, environment)
    try:
        if not wait_for_replicas(replicas):
            raise ProdProfileError("the replicas did not start (their log is above)")
        yield replicas
    finally:
        stop_replicas(replicas)


def prod_environment(database_url: str, workers: int = 1) -> dict[str, str]:
    """Everything the replicas read beyond the inherited environment (``workers``: Sanic processes per server)."""
    if workers < 1:
        raise ProdProfileError("--workers must be at least 1")
    # REST is served on the same front address as the channels: there it answers only callers with REST_API_TOKEN
    # (and is off without one).
    return {"DATABASE_URL": database_url, "SANIC_WORKERS": str(workers), "REST_REQUIRE_TOKEN": "1",
            **redis_environment()}


def check_port_free(port: int) -> None:
    """Fail before the replicas load (a minute) rather than after, when the front port is taken."""
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError as error:
            raise ProdProfileError(f"cannot listen on {HOST}:{port}: {error.strerror}") from error


async def _serve(replicas: list[Replica], port: int, workers: int) -> bool:
    """Serve until SIGINT/SIGTERM (True) or until every replica has stopped (False).

    Several replicas: behind the round-robin proxy on ``port``. One replica already listens on ``port``.
    """
    from bot.proxy import RoundRobinProxy, start_proxy

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)
    runner = None
    if len(replicas) > 1:
        runner = await start_proxy(RoundRobinProxy([replica.url for replica in replicas]), HOST, port)
    listing = ", ".join(f"{replica.url} (actions :{replica.action_port})" for replica in replicas)
    print(f"创业助手 (production profile) listening on http://{HOST}:{port} : POST /webhooks/rest/webhook, "
          f"the channels at /webhooks/<name>/webhook, GET /health. {len(replicas)} replica(s) with {workers} "
          f"worker process(es) each: {listing}. Ctrl-C stops everything.", flush=True)
    stopped: set[int] = set()
    try:
        while not stop.is_set():
            for index, replica in enumerate(replicas):
                if index not in stopped and not replica.running():
                    stopped.add(index)
                    print(f"replica {replica.url} has stopped; the proxy skips it, the others go on", flush=True)
            if len(stopped) == len(replicas):
                print("every replica has stopped", flush=True)
                return False
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), WATCH_INTERVAL_SECONDS)
        return True
    finally:
        if runner is not None:
            await runner.cleanup()


def serve_prod(replica_count: int, port: int | None = None, workers: int = 1) -> int:
    """Check the backends, start the replicas, serve until Ctrl-C (or SIGTERM), stop everything."""
    settings = load_settings()
    if not os.environ.get("SENDER_HASH_SALT"):
        raise ProdProfileError("the production profile needs SENDER_HASH_SALT (a long random value kept outside the "
                               "repository): every stored sender id is its salted hash")
    if not os.environ.get("HANDOFF_CONTACT_KEY"):
        raise ProdProfileError("the production profile needs HANDOFF_CONTACT_KEY (a Fernet key kept outside the "
                               "repository): the contact of a person waiting for a human is stored encrypted with it")
    try:
        cipher(settings.handoff_contact_key)
    except ContactKeyError as error:
        raise ProdProfileError(str(error)) from None
    if not settings.model_path.exists():
        raise FileNotFoundError(f"no trained model at {settings.model_path}: run `make train` first")
    if replica_count < 1:
        raise ProdProfileError("--replicas must be at least 1")
    front_port = settings.rasa_port if port is None else port
    check_port_free(front_port)
    environment = prod_environment(settings.database_url, workers)
    if replica_count > 1:  # the profile's own proxy is in front and sets X-Forwarded-Proto/Host itself
        environment["SMS_TRUST_FORWARDED"] = "1"
    check_backends(settings.database_url, environment)
    prepare_database(settings.database_url)
    replicas = start_replicas(settings.model_path, replica_count, environment,
                              first_port=front_port if replica_count == 1 else None)
    try:
        if not wait_for_replicas(replicas):
            print("the replicas did not start (their log is above)", flush=True)
            return 1
        return 0 if asyncio.run(_serve(replicas, front_port, workers)) else 1
    except KeyboardInterrupt:  # Ctrl-C while the replicas were loading
        return 0
    finally:
        stop_replicas(replicas)

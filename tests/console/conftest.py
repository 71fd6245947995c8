"""The review console served on a loopback port (its own process) over a fresh database with two accounts.

Every test runs on SQLite and, when TEST_DATABASE_URL is set, again on PostgreSQL in a throwaway schema.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.console.accounts import create_staff
from bot.console.schema import login_attempts
from bot.server import HOST, free_port
from bot.storage.database import engine_for
from tests.console.client import Browser

PROJECT_DIR = Path(__file__).resolve().parents[2]
ADMIN = ("amei", "admin-password-1")
REVIEWER = ("xiaoli", "reviewer-password-1")
_days = itertools.count()


@dataclass(frozen=True)
class Console:
    base_url: str
    database_url: str

    def browser(self) -> Browser:
        return Browser(self.base_url)

    def admin(self) -> Browser:
        browser = self.browser()
        assert browser.login(*ADMIN).status_code == 303
        return browser

    def reviewer(self) -> Browser:
        browser = self.browser()
        assert browser.login(*REVIEWER).status_code == 303
        return browser



@contextlib.contextmanager
def running_console(database_url: str, extra_environment: dict[str, str] | None = None,
                    ) -> Iterator[tuple[int, subprocess.Popen]]:
    """``python -m bot.console`` on a free loopback port, answering /healthz: (port, process)."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
                   **(extra_environment or {})}
    process = subprocess.Popen([sys.executable, "-m", "bot.console", "--host", HOST, "--port", str(port)],
                               cwd=PROJECT_DIR, env=environment, stdout=subprocess.DEVNULL)
    try:
        _wait_until_up(f"http://{HOST}:{port}/healthz", process, seconds=60)
        yield port, process
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the console exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the console did not answer {url} within {seconds} s")


@pytest.fixture(scope="session")
def sqlite_console_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('console') / 'console.db'}"


@pytest.fixture(scope="session")
def postgresql_console_url() -> Iterator[str]:
    base_url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base_url:
        pytest.skip("TEST_DATABASE_URL is not set: the PostgreSQL variant of the console tests is skipped")
    schema = f"chuangye_console_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, future=True, poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = sa.engine.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        engine_for(url.render_as_string(hide_password=False)).dispose()  # no pooled connection outlives the schema
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def console(request: pytest.FixtureRequest) -> Iterator[Console]:
    """The console process (``python -m bot.console``) with an admin and a reviewer account."""
    database_url = request.getfixturevalue(f"{request.param}_console_url")
    create_staff(database_url, ADMIN[0], "admin", ADMIN[1])
    create_staff(database_url, REVIEWER[0], "reviewer", REVIEWER[1])
    with running_console(database_url) as (port, _):
        yield Console(f"http://{HOST}:{port}", database_url)


@pytest.fixture
def day() -> dt.date:
    """A day of 2019 that no other test seeds (nor the day after): filtering on it isolates a test's turns."""
    return dt.date(2019, 1, 1) + dt.timedelta(days=2 * next(_days))


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``hour``:``minute`` Beijing time on ``day``, as the UTC moment the assistant stores."""
    beijing = dt.timezone(dt.timedelta(hours=8))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=beijing).astimezone(dt.timezone.utc)


@pytest.fixture
def clear_login_attempts(console: Console) -> Iterator[None]:
    """Forget login attempts after a rate-limit test, so later logins from 127.0.0.1 are not refused."""
    yield
    with engine_for(console.database_url).begin() as connection:
        connection.execute(login_attempts.delete())

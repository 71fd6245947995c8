"""Databases for the storage tests: a fresh SQLite file per test, and the same tests against PostgreSQL in a
throwaway schema when TEST_DATABASE_URL is set (e.g. postgresql://postgres@127.0.0.1:5432/test)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.scratch_schema import postgresql_schema_url, throwaway_schema

# The live Rasa server + action server of the channel tests, for the end-to-end test of turn logging.
from tests.channels.conftest import live_assistant  # noqa: F401

POSTGRESQL_SKIP_REASON = "TEST_DATABASE_URL is not set: the PostgreSQL variant of the storage tests is skipped"


@pytest.fixture
def postgresql_url() -> Iterator[str]:
    """A URL whose tables live in a new schema, dropped with everything in it afterwards."""
    base_url = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not base_url:
        pytest.skip(POSTGRESQL_SKIP_REASON)
    with throwaway_schema(base_url) as schema:
        yield postgresql_schema_url(base_url, schema)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'var' / 'chuangye.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def storage_url(request: pytest.FixtureRequest) -> str:
    """Each storage test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")

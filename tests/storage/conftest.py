"""Databases for the storage tests: a fresh SQLite file per test, and the same tests against PostgreSQL in a
throwaway schema when TEST_DATABASE_URL is set (e.g. postgresql://postgres@127.0.0.1:5432/test)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

# The live Rasa server + action server of the channel tests, for the end-to-end test of turn logging.
from tests.channels.conftest import live_assistant  # noqa: F401

POSTGRESQL_SKIP_REASON = "TEST_DATABASE_URL is not set: the PostgreSQL variant of the storage tests is skipped"


def postgresql_schema_url(base_url: str, schema: str) -> str:
    """``base_url`` with every connection's search_path set to ``schema``."""
    url = sa.engine.make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@contextlib.contextmanager
def throwaway_schema(base_url: str, prefix: str = "chuangye_test") -> Iterator[str]:
    """A new PostgreSQL schema on ``base_url`` for the block (its name), dropped with everything in it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base_url, future=True, poolclass=sa.pool.NullPool)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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

"""Migration 0002 creates exactly the console's tables as bot/console/schema.py defines them, and undoes them
(later migrations build on it)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import bot.console.schema  # noqa: F401  (registers the console's tables on the shared metadata)
from bot.storage.database import load_table_definitions
from bot.storage.migrate import alembic_config, current_revision, upgrade

CONSOLE_TABLES = {"staff", "staff_sessions", "audit_log", "login_attempts"}
LATER_TABLES = {"signed_requests"}  # made by migrations after 0002, so a downgrade to 0001 removes them too


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migration_matches_the_table_definitions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    upgrade(url)
    assert current_revision(url) == head()
    engine = sa.create_engine(url, future=True)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}),
                                       load_table_definitions())
    engine.dispose()
    assert differences == []


def test_downgrade_removes_only_the_console_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    upgrade(url)
    before = set(sa.inspect(sa.create_engine(url)).get_table_names())
    command.downgrade(alembic_config(url), "0001")
    after = set(sa.inspect(sa.create_engine(url)).get_table_names())
    assert before - after == CONSOLE_TABLES | LATER_TABLES
    upgrade(url)
    assert current_revision(url) == head()

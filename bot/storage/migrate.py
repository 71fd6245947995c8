"""Brings a database to the latest schema with Alembic (``alembic upgrade head``), configured in code.

Several processes (the Rasa server, the action server, a CLI command) may open a fresh database at the same
moment, so the upgrade runs under a database-wide lock: PostgreSQL's advisory lock, SQLite's write lock
(BEGIN IMMEDIATE). The one that waited then finds the schema current and does nothing.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any fixed number: every process takes the same PostgreSQL advisory lock while it migrates.
ADVISORY_LOCK_KEY = 7_140_201_512


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic configuration for the project's migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url is not None:
        # ConfigParser interpolation: a "%" in a URL-encoded password must be doubled.
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def _lock(connection: sa.engine.Connection) -> None:
    dialect = connection.dialect.name
    if dialect == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    elif dialect == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def upgrade_connection(connection: sa.engine.Connection, revision: str = "head") -> None:
    """Upgrade through ``connection`` (a SQLAlchemy 2.0-style connection) and commit."""
    _lock(connection)
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
    connection.commit()


def upgrade_engine(engine: sa.engine.Engine, revision: str = "head") -> None:
    with engine.connect() as connection:
        upgrade_connection(connection, revision)


def upgrade(database_url: str, revision: str = "head") -> None:
    """``alembic upgrade head`` on ``database_url``."""
    from bot.storage.database import ensure_sqlite_directory

    ensure_sqlite_directory(database_url)
    engine = sa.create_engine(database_url, future=True, poolclass=sa.pool.NullPool)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None before the first migration)."""
    from alembic.runtime.migration import MigrationContext

    from bot.storage.database import ensure_sqlite_directory

    ensure_sqlite_directory(database_url)
    engine = sa.create_engine(database_url, future=True, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()

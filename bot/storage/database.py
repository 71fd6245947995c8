"""The project's database: one SQLAlchemy engine per URL, created on first use, never at import time.

The schema is managed by the Alembic migrations in ``bot/storage/migrations``: the first engine for a URL in a
process brings the database to the latest revision. (Rasa's tracker store creates its own ``events`` table.)
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()

# Every module that defines a table on ``metadata``: the migrations compare the schema against all of them.
TABLE_MODULES = (
    "bot.storage.handoffs",
    "bot.storage.channel_state",
    "bot.channels.sms_gateways",
    "bot.storage.turns",
    "bot.console.schema",  # the review console's accounts, sessions and audit log (migration 0002)
)


def load_table_definitions() -> sa.MetaData:
    """``metadata`` with every project table on it (importing a table module registers its tables)."""
    for module in TABLE_MODULES:
        importlib.import_module(module)
    return metadata


def ensure_sqlite_directory(database_url: str) -> None:
    """SQLite cannot create the folder of its file: make it (var/ on a fresh clone)."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def engine_options(url: sa.engine.URL | str, pre_ping: bool = True) -> dict[str, object]:
    """Connection pool options for ``url``.

    A database server: each pooled connection is checked before use (``pool_pre_ping``), so after a database
    restart a dead connection is replaced instead of failing a turn (``pre_ping=False`` for a caller that handles
    a dead connection itself, as the tracker store does: the check is a round trip per use). A SQLite file has no
    connection to lose, so no check; its connections are kept open in a pool (SQLAlchemy 1.4 opens and closes one
    per use for a file, and closing the last connection of a WAL database checkpoints it: about 5 ms per database
    call here). A pooled connection may be used by another thread afterwards (never by two at once), hence
    ``check_same_thread``. SQLAlchemy 2.0 does the same by default.
    """
    url = sa.engine.make_url(url)
    if url.get_backend_name() != "sqlite":
        return {"pool_pre_ping": pre_ping}
    if url.database in (None, "", ":memory:"):
        return {}
    return {"poolclass": sa.pool.QueuePool, "connect_args": {"check_same_thread": False}}


def is_dead_connection(error: BaseException) -> bool:
    """True for the error of a statement whose connection turned out to be gone (a database restart, a killed
    session): SQLAlchemy has then already replaced the pool's connections, so running the statement again on a
    new connection is the usual remedy ("optimistic" disconnect handling)."""
    return isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated


def use_sqlite_wal(engine: sa.engine.Engine) -> None:
    """SQLite in write-ahead-log mode with ``synchronous=NORMAL`` (no-op for other databases).

    Several processes share the file (the Rasa server, the action server, the console): in WAL mode readers never
    block the writer and a commit costs one append instead of rewriting and syncing the journal. ``NORMAL`` keeps
    the database consistent after a crash; only the last commits can be lost on a power cut.
    """
    if engine.url.get_backend_name() != "sqlite" or engine.url.database in (None, "", ":memory:"):
        return

    @sa.event.listens_for(engine, "connect")
    def set_pragmas(connection: object, _record: object) -> None:
        cursor = connection.cursor()  # type: ignore[attr-defined]
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


@functools.lru_cache(maxsize=4)
def engine_for(database_url: str) -> sa.engine.Engine:
    """The engine for ``database_url`` (SQLite file under var/ by default, PostgreSQL in production).

    Creating it runs the migrations, once per URL and process; they are a no-op on an up-to-date database.
    """
    from bot.storage.migrate import upgrade_engine

    ensure_sqlite_directory(database_url)
    engine = sa.create_engine(database_url, future=True, **engine_options(database_url))
    use_sqlite_wal(engine)
    upgrade_engine(engine)
    return engine

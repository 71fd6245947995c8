"""The project's database: one SQLAlchemy engine per URL, created on first use, never at import time."""

from __future__ import annotations

import functools
from pathlib import Path

import sqlalchemy as sa

metadata = sa.MetaData()


@functools.lru_cache(maxsize=4)
def engine_for(database_url: str) -> sa.engine.Engine:
    """The engine for ``database_url`` (SQLite file under var/ by default, PostgreSQL in production)."""
    if database_url.startswith("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(database_url, future=True, pool_pre_ping=True)
    # Every table module must be imported before create_all sees the metadata.
    import bot.channels.sms_gateways
    import bot.storage.channel_state
    import bot.storage.handoffs  # noqa: F401

    metadata.create_all(engine)
    return engine

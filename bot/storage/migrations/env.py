"""Alembic environment: the project's shared metadata, run on the connection ``bot.storage.migrate`` passes.

Tables that are not the project's (Rasa's ``events``) are left out of autogenerate comparisons.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from bot.storage.database import load_table_definitions

target_metadata = load_table_definitions()


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Compare only the project's tables: a table that exists only in the database belongs to someone else."""
    if type_ == "table" and reflected and compare_to is None:
        return name in target_metadata.tables
    return True


def _configure(**options: Any) -> None:
    context.configure(target_metadata=target_metadata, include_object=include_object, compare_type=True,
                      render_as_batch=True, **options)  # batch mode: SQLite cannot ALTER most things


def run_offline() -> None:
    """``--sql`` mode: print the SQL for a DBA instead of running it."""
    _configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(context.config.get_main_option("sqlalchemy.url"), future=True,
                              poolclass=sa.pool.NullPool)
    with engine.connect() as own_connection:
        _configure(connection=own_connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()

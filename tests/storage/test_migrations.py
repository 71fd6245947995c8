"""The Alembic migrations build the project's schema, exactly as the table definitions describe it."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.storage.database import engine_for, ensure_sqlite_directory, load_table_definitions
from bot.storage.handoffs import handoff_requests
from bot.storage.migrate import alembic_config, current_revision, upgrade

PROJECT_TABLES = {"handoff_requests", "inbound_messages", "channel_menus", "sms_opt_outs", "undelivered_messages",
                  "sms_outbox", "turns", "signed_requests"}


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def table_names(database_url: str) -> set[str]:
    engine = sa.create_engine(database_url, future=True, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def differences(database_url: str) -> list:
    """What autogenerate would change to make the project tables match their definitions.

    Other tables (Rasa's ``events``, the console's, which its own migration and tests cover) are left aside.
    """
    metadata = sa.MetaData()
    for name in PROJECT_TABLES:
        load_table_definitions().tables[name].to_metadata(metadata)

    def ours(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
        return not (type_ == "table" and reflected and compare_to is None and name not in metadata.tables)

    engine = sa.create_engine(database_url, future=True, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": ours})
            return compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_the_chain_starts_at_0001_and_has_one_head() -> None:
    scripts = ScriptDirectory.from_config(alembic_config())
    assert len(scripts.get_heads()) == 1
    assert scripts.get_revision("0001").down_revision is None


def test_the_project_tables_are_all_defined() -> None:
    assert set(load_table_definitions().tables) >= PROJECT_TABLES


def test_upgrade_creates_every_table_and_a_second_run_changes_nothing(storage_url: str) -> None:
    assert current_revision(storage_url) is None
    upgrade(storage_url)
    assert current_revision(storage_url) == head()
    tables = table_names(storage_url)
    assert tables >= PROJECT_TABLES | {"alembic_version"}
    engine = sa.create_engine(storage_url, future=True, poolclass=sa.pool.NullPool)
    with engine.begin() as connection:
        connection.execute(handoff_requests.insert().values(
            created_at=sa.func.now(), sender_hash="h", channel="rest", status="open"))
    upgrade(storage_url)
    assert current_revision(storage_url) == head() and table_names(storage_url) == tables
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(handoff_requests)).scalar() == 1
    engine.dispose()


def test_the_migrated_schema_matches_the_table_definitions(storage_url: str) -> None:
    upgrade(storage_url)
    assert differences(storage_url) == []


def test_downgrade_removes_the_tables_and_upgrade_restores_them(storage_url: str) -> None:
    upgrade(storage_url)
    command.downgrade(alembic_config(storage_url), "base")
    assert table_names(storage_url) & PROJECT_TABLES == set()
    upgrade(storage_url)
    assert differences(storage_url) == []


def test_a_database_made_before_migrations_is_adopted(storage_url: str) -> None:
    """Databases created by ``metadata.create_all`` (before migrations) keep their rows and gain the new tables."""
    ensure_sqlite_directory(storage_url)
    engine = sa.create_engine(storage_url, future=True, poolclass=sa.pool.NullPool)
    # The table as those versions made it: the columns migration 0001 knows (later ones came with migrations).
    old_definition = sa.Table("handoff_requests", sa.MetaData(), *(
        column.copy() for column in handoff_requests.columns if column.name != "contact"))
    old_definition.create(engine)
    with engine.begin() as connection:
        connection.execute(old_definition.insert().values(
            created_at=sa.func.now(), sender_hash="h", channel="wechat", status="open"))
    upgrade(storage_url)
    with engine.connect() as connection:
        assert connection.execute(sa.select(handoff_requests.c.channel)).scalars().all() == ["wechat"]
    engine.dispose()
    assert current_revision(storage_url) == head() and differences(storage_url) == []


def test_processes_starting_together_on_a_fresh_database_all_succeed(storage_url: str) -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            upgrade(storage_url)
        except BaseException as error:  # collected and asserted below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert current_revision(storage_url) == head() and differences(storage_url) == []


def test_the_first_engine_for_a_database_migrates_it(storage_url: str) -> None:
    engine_for(storage_url)
    assert current_revision(storage_url) == head()


def test_migration_0005_hashes_seen_ids_and_redacts_channel_texts_stored_before(storage_url: str) -> None:
    """A WeChat event's id (its sender's openid and time) and a phone number in an undelivered reply, as an
    earlier version stored them, are converted in place."""
    from bot.storage.channel_state import inbound_messages, stored_message_id, undelivered_messages

    upgrade(storage_url)
    command.downgrade(alembic_config(storage_url), "0004")
    openid, phone = "oAbCdEfGhIjKlMnOpQrStUvWxYz0", "13912345678"
    with sa.create_engine(storage_url).begin() as connection:  # not engine_for: it would migrate first
        connection.execute(inbound_messages.insert().values(
            channel="wechat", message_id=f"{openid}:1733400000", received_at=sa.func.now()))
        connection.execute(undelivered_messages.insert().values(
            channel="sms", sender_hash="h", error=f"refused {phone}", text=f"请回电 {phone}", failed_at=sa.func.now()))
    upgrade(storage_url)
    with engine_for(storage_url).connect() as connection:
        stored = [str(value) for table in (inbound_messages, undelivered_messages)
                  for row in connection.execute(sa.select(table)) for value in row]
        seen = connection.execute(sa.select(inbound_messages.c.message_id)).scalar_one()
    assert not [value for value in stored if openid in value or phone in value]
    assert seen == stored_message_id("wechat", f"{openid}:1733400000")  # a retry is still recognised


def stored_after_migrating(storage_url: str, before: str, said: str) -> list[str]:
    """Every value of the events and turns tables after a user message ``said``, stored as revision ``before``
    left it, went through the migrations after it."""
    import json

    from rasa.core.tracker_store import SQLTrackerStore

    from bot.storage.turns import turns

    upgrade(storage_url)
    command.downgrade(alembic_config(storage_url), before)
    events = SQLTrackerStore.SQLEvent.__table__
    engine = sa.create_engine(storage_url)
    events.create(engine, checkfirst=True)
    with engine.begin() as connection:  # not engine_for: it would migrate first
        connection.execute(events.insert().values(sender_id="h", type_name="user", timestamp=1.0,
                                                  data=json.dumps({"event": "user", "text": said})))
        connection.execute(turns.insert().values(sender_hash="h", channel="sms", timestamp=sa.func.now(),
                                                 user_text=said, reply_text="好的", departments="[]"))
    upgrade(storage_url)
    with engine_for(storage_url).connect() as connection:
        return [str(value) for table in (events, turns) for row in connection.execute(sa.select(table))
                for value in row]


def test_migration_0008_redacts_names_and_numbers_in_texts_stored_before(storage_url: str) -> None:
    """A name and a landline number in an event and a turn, as an earlier redaction left them, are taken out."""
    stored = stored_after_migrating(storage_url, "0007", "我叫王建国 座机0931-8123456 想问创业补贴")
    assert not [value for value in stored if "王建国" in value or "8123456" in value]
    assert any("我叫[姓名] 座机[电话] 想问创业补贴" in value for value in stored)


def test_migration_0009_redacts_plates_birth_dates_and_relatives_names_stored_before(storage_url: str) -> None:
    stored = stored_after_migrating(storage_url, "0008", "我老婆叫李娟 车牌甘A12345 1990年5月6日出生 想问创业补贴")
    assert not [value for value in stored if "李娟" in value or "A12345" in value or "1990年5月6日" in value]
    assert any("我老婆叫[姓名] 车牌[车牌号] [出生日期]出生 想问创业补贴" in value for value in stored)


def test_migration_0010_redacts_names_introduced_with_wo_shi_stored_before(storage_url: str) -> None:
    stored = stored_after_migrating(storage_url, "0009", "你好我是张伟，想问创业担保贷款 I'm Ahmed Khan")
    assert not [value for value in stored if "张伟" in value or "Ahmed" in value]
    assert any("你好我是[姓名]，想问创业担保贷款 I'm [姓名]" in value for value in stored)

"""The functions behind ``chuangye staff add`` and ``chuangye review export-nlu``."""

from __future__ import annotations

import argparse
import datetime as dt
import io
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from bot.console.accounts import authenticate
from bot.console.cli import export_nlu, staff_add
from bot.console.schema import audit_log
from bot.console.turn_queries import correct_turn
from bot.storage.database import engine_for
from tests.console.conftest import at
from tests.console.seeding import insert_turns, turn


@pytest.fixture
def cli_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    return url


def test_staff_add_reads_the_password_from_stdin(cli_database: str, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert staff_add(argparse.Namespace(name="zhangwei", role="admin")) == 0
    assert "added admin zhangwei" in capsys.readouterr().out
    member = authenticate(cli_database, "zhangwei", "a-long-password")
    assert member is not None and member.is_admin
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password\n"))
    assert staff_add(argparse.Namespace(name="zhangwei", role="admin")) == 2  # the name is taken
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert staff_add(argparse.Namespace(name="lina", role="reviewer")) == 2
    assert "at least 10 characters" in capsys.readouterr().err


def test_export_nlu_writes_the_corrections(cli_database: str, tmp_path: Path) -> None:
    [turn_id] = insert_turns(cli_database, [turn(at(dt.date(2020, 5, 1), 9), user_text="回乡开网店有补贴吗")])
    correct_turn(cli_database, turn_id, "ask_policy", "rural_returnee_startup", "zhangwei")
    out = tmp_path / "corrections.yml"
    assert export_nlu(out) == 0
    document = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert document["nlu"] == [{"intent": "ask_policy", "metadata": {"topic": "rural_returnee_startup"},
                                "examples": "- 回乡开网店有补贴吗\n"}]
    with engine_for(cli_database).connect() as connection:
        row = connection.execute(sa.select(audit_log).where(audit_log.c.action == "export_nlu")).one()
    assert row.staff_name == "cli" and row.target == str(out)

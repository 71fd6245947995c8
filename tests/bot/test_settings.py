"""Tests for bot/settings.py: the development salt is made once per installation, outside the repository."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from bot.settings import PROJECT_DIR, installation_salt, load_settings


def salt_in(directory: str) -> str:
    import os

    os.environ["CHUANGYE_STATE_DIR"] = directory
    return installation_salt()


def test_without_the_variable_the_salt_is_random_per_installation_and_stable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENDER_HASH_SALT", raising=False)
    monkeypatch.setenv("CHUANGYE_STATE_DIR", str(tmp_path / "one"))
    first = load_settings().sender_hash_salt
    assert len(first) == 64 and first == load_settings().sender_hash_salt
    assert not (tmp_path / "one").resolve().is_relative_to(PROJECT_DIR)
    monkeypatch.setenv("CHUANGYE_STATE_DIR", str(tmp_path / "two"))
    assert load_settings().sender_hash_salt != first  # another installation, another salt
    assert (tmp_path / "one" / "sender_hash_salt").stat().st_mode & 0o077 == 0  # readable by its owner only


def test_processes_starting_together_agree_on_the_salt(tmp_path: Path) -> None:
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        salts = pool.map(salt_in, [str(tmp_path)] * 8)
    assert len(set(salts)) == 1


def test_the_variable_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENDER_HASH_SALT", "set-by-the-deployment")
    assert load_settings().sender_hash_salt == "set-by-the-deployment"

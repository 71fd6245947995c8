"""All configuration read from the environment, in one place (secrets never live in the repository)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = f"sqlite:///{PROJECT_DIR / 'var' / 'chuangye.db'}"
# Only for a developer's machine: deployments set SENDER_HASH_SALT (see .env.example).
DEVELOPMENT_SALT = "chuangye-development-salt"


@dataclass(frozen=True)
class Settings:
    database_url: str
    sender_hash_salt: str
    model_path: Path
    action_server_url: str
    rasa_port: int
    action_port: int


def load_settings() -> Settings:
    """Read the settings; defaults run everything locally with SQLite and nothing to install."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        sender_hash_salt=os.environ.get("SENDER_HASH_SALT") or DEVELOPMENT_SALT,
        model_path=Path(os.environ.get("CHUANGYE_MODEL") or PROJECT_DIR / "models" / "chuangye.tar.gz"),
        action_server_url=os.environ.get("ACTION_SERVER_URL") or "http://127.0.0.1:5055/webhook",
        rasa_port=int(os.environ.get("RASA_PORT") or 5005),
        action_port=int(os.environ.get("ACTION_PORT") or 5055),
    )

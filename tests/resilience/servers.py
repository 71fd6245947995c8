"""A Rasa server and an action server whose processes a test can stop and start again one at a time."""

from __future__ import annotations

import json
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bot.channels.base import conversation_id
from bot.server import HOST, server_environment, start_servers, stop_servers, wait_until_up
from bot.settings import PROJECT_DIR, load_settings
from bot.storage.database import engine_for
from bot.storage.handoffs import hash_sender
from bot.storage.turns import turns
from tests.channels.conftest import free_port
from tests.conftest import MODEL_PATH


@dataclass
class Servers:
    environment: dict[str, str]
    rasa_port: int = field(default_factory=free_port)
    action_port: int = field(default_factory=free_port)
    actions: subprocess.Popen | None = None
    rasa: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.rasa_port}"

    @property
    def database_url(self) -> str:
        return self.environment["DATABASE_URL"]

    def start(self) -> Servers:
        self.actions, self.rasa = start_servers(MODEL_PATH, self.rasa_port, self.action_port, self.environment)
        self.wait_for_rasa()
        self.wait_for_actions()
        return self

    def wait_for_rasa(self) -> None:
        assert wait_until_up(f"{self.base_url}/", timeout_seconds=240), "Rasa server did not start"

    def wait_for_actions(self) -> None:
        assert wait_until_up(f"http://{HOST}:{self.action_port}/health", timeout_seconds=60), "actions did not start"

    def _relaunch(self, process: subprocess.Popen) -> subprocess.Popen:
        """The same command again, with the environment start_servers gives it."""
        return subprocess.Popen(process.args, cwd=PROJECT_DIR,
                                env=server_environment(self.action_port, self.environment))

    def stop_actions(self) -> None:
        assert self.actions is not None
        stop_servers([self.actions])

    def restart_actions(self) -> None:
        assert self.actions is not None
        self.actions = self._relaunch(self.actions)
        self.wait_for_actions()

    def restart_rasa(self) -> None:
        assert self.rasa is not None
        stop_servers([self.rasa])
        self.rasa = self._relaunch(self.rasa)
        self.wait_for_rasa()

    def stop(self) -> None:
        stop_servers([process for process in (self.actions, self.rasa) if process is not None])

    def say(self, sender: str, message: str, timeout: float = 60) -> list[dict[str, Any]]:
        """One REST turn; the bot's messages."""
        body = json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(f"{self.base_url}/webhooks/rest/webhook", data=body,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return json.loads(answer.read())

    def health(self, timeout: float = 10) -> tuple[int, dict[str, Any]]:
        try:
            with urllib.request.urlopen(f"{self.base_url}/health", timeout=timeout) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stored_turns(self, sender: str, channel: str | None = None) -> list[dict[str, Any]]:
        """The sender's rows of the turn log, oldest first (``channel``: a WeChat or SMS sender's channel)."""
        conversation = conversation_id(channel, sender) if channel else sender
        hashed = hash_sender(conversation, load_settings().sender_hash_salt)
        query = sa.select(turns).where(turns.c.sender_hash == hashed).order_by(turns.c.id)
        with engine_for(self.database_url).connect() as connection:
            return [dict(row._mapping) for row in connection.execute(query)]


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(message["text"] for message in messages if "text" in message)


def payload(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The last machine-readable payload of a reply."""
    customs = [message["custom"] for message in messages if "custom" in message]
    assert customs, f"no custom payload in {messages}"
    return customs[-1]

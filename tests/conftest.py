"""Shared fixtures: the knowledge base and the trained assistant are loaded once per test session."""

from __future__ import annotations

import asyncio
import os
import uuid
from pathlib import Path

import pytest

from policy_kb.loader import KnowledgeBase, get_knowledge_base

PROJECT_DIR = Path(__file__).resolve().parent.parent
MODEL_PATH = PROJECT_DIR / "models" / "chuangye.tar.gz"
DIALOGUES_DIR = Path(__file__).resolve().parent / "dialogues"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return get_knowledge_base()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh SQLite file for this test session; the actions read DATABASE_URL when they run."""
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'chuangye-test.db'}"
    os.environ["DATABASE_URL"] = url
    return url


@pytest.fixture(scope="session")
def assistant(database_url: str):
    """The trained model with the project's actions in this process (`make test` trains it first)."""
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train` (make test does it for you)")
    from bot.assistant import Assistant

    return Assistant(MODEL_PATH)


class Conversation:
    """One user talking to the assistant; ``say`` returns the turn's Reply."""

    def __init__(self, assistant) -> None:
        self.assistant = assistant
        self.sender = f"test-{uuid.uuid4().hex[:10]}"
        self.loop = asyncio.new_event_loop()

    def say(self, text: str):
        return self.loop.run_until_complete(self.assistant.handle(text, self.sender))


def held_out_conversations(followups: str | None, checks: str, answers: list[str], limit: int | None = None
                           ) -> list[list[str]]:
    """What the users say in a held-out follow-up file (``followups``, a file name in tests/dialogues) and in an
    eligibility file (``checks``), each check followed by ``answers`` to whatever it asks; at most ``limit`` of
    each."""
    import yaml

    texts: list[list[str]] = []
    if followups is not None:
        dialogues = yaml.safe_load((DIALOGUES_DIR / followups).read_text(encoding="utf-8"))["dialogues"]
        texts += [[turn["text"] for turn in dialogue["turns"]] for dialogue in dialogues[:limit]]
    cases = yaml.safe_load((DIALOGUES_DIR / checks).read_text(encoding="utf-8"))["conversations"]
    return texts + [[*case["user"], *answers] for case in cases[:limit]]


def run_conversations(assistant, conversations: list[list[str]]) -> list[Conversation]:
    """Each conversation said to the assistant from its start, by a new user each."""
    ran = []
    for texts in conversations:
        conversation = Conversation(assistant)
        for text in texts:
            conversation.say(text)
        ran.append(conversation)
    return ran


@pytest.fixture
def conversation(assistant) -> Conversation:
    return Conversation(assistant)

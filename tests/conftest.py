"""Shared fixtures: the knowledge base is loaded once per test session."""

import pytest

from policy_kb.loader import KnowledgeBase, get_knowledge_base


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return get_knowledge_base()

"""Rasa events of whole turns, as the processor logs them, for the storage tests."""

from __future__ import annotations

import itertools
import time
from typing import Any

from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, UserUttered

_clock = itertools.count()


def at(seconds_ago: float = 0.0) -> float:
    """Strictly increasing timestamps (events of one tracker must not share one)."""
    return time.time() - seconds_ago + next(_clock) * 1e-3


def session_start(seconds_ago: float = 0.0) -> list[Event]:
    return [ActionExecuted("action_session_start", timestamp=at(seconds_ago)),
            SessionStarted(timestamp=at(seconds_ago)),
            ActionExecuted("action_listen", timestamp=at(seconds_ago))]


def turn(text: str, intent: str, confidence: float, replies: list[str], custom: dict[str, Any] | None = None,
         channel: str | None = "rest", action: str = "action_answer_topic", seconds_ago: float = 0.0,
         listen: bool = True) -> list[Event]:
    """A user message, the action answering it, its bot messages (the payload on the last), and listening."""
    events: list[Event] = [
        UserUttered(text, intent={"name": intent, "confidence": confidence},
                    parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": [],
                                "text": text}, input_channel=channel, timestamp=at(seconds_ago)),
        ActionExecuted(action, timestamp=at(seconds_ago)),
    ]
    for index, reply in enumerate(replies):
        data = {"custom": custom} if custom is not None and index == len(replies) - 1 else {}
        events.append(BotUttered(reply, data=data, timestamp=at(seconds_ago)))
    if listen:
        events.append(ActionExecuted("action_listen", timestamp=at(seconds_ago)))
    return events


def answer_payload(topic: str = "student_startup_social_insurance", kind: str = "answer",
                   verdict: str | None = None) -> dict[str, Any]:
    return {"topic": topic, "kind": kind, "departments": ["省人社厅", "省教育厅"], "verdict": verdict,
            "section": "三(一)1"}

"""The trained assistant in this process: the Rasa model plus the project's actions, without an action server.

Used by ``chuangye chat``, ``chuangye ask`` and the tests; the live server runs the very same model and actions
over HTTP (``chuangye serve``).
"""

from __future__ import annotations

import asyncio
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.settings import load_settings

logger = logging.getLogger(__name__)

POLICY_KINDS = ("answer", "eligibility", "clarify", "out_of_scope", "chitchat", "handoff", "unavailable")


def quiet_libraries() -> None:
    """TensorFlow, SQLAlchemy and Rasa are chatty; users of the CLI should see replies only."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    import sanic  # noqa: F401  (sanic turns DeprecationWarnings back on when imported: filter after it)

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    for name in ("rasa", "tensorflow", "absl", "jieba", "apscheduler", "sanic", "asyncio"):
        logging.getLogger(name).setLevel(logging.ERROR)


def in_process_action_endpoint() -> Any:
    """An action endpoint that runs the project's actions with rasa-sdk's executor, in this process."""
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.utils.endpoints import EndpointConfig
    from rasa_sdk.executor import ActionExecutor
    from rasa_sdk.interfaces import ActionExecutionRejection as SdkRejection

    executor = ActionExecutor()
    executor.register_package("actions")

    class InProcessActionEndpoint(EndpointConfig):
        def __init__(self) -> None:
            super().__init__(url="in-process://actions")

        async def request(self, method: str = "post", subpath: str | None = None,
                          content_type: str | None = "application/json", compress: bool = False,
                          **kwargs: Any) -> Any:
            try:
                return await executor.run(kwargs["json"])
            except SdkRejection as rejection:
                raise ActionExecutionRejection(rejection.action_name, rejection.message) from rejection

    return InProcessActionEndpoint()


@dataclass
class Reply:
    """One user turn's outcome, as ``chuangye ask --jsonl`` prints it."""

    sender: str
    text: str
    intent: str | None
    confidence: float | None
    topic: str | None
    kind: str | None
    departments: list[str] = field(default_factory=list)
    verdict: str | None = None
    buttons: list[dict[str, str]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    understanding: dict[str, Any] = field(default_factory=dict)  # act, topic and language as the NLU read them

    def as_json(self) -> dict[str, Any]:
        return {
            "sender": self.sender, "text": self.text, "intent": self.intent, "confidence": self.confidence,
            "topic": self.topic, "kind": self.kind, "departments": self.departments, "verdict": self.verdict,
            "buttons": self.buttons, **self.understanding,
        }


class Assistant:
    """Loads the model once; ``handle`` runs one user message through NLU, dialogue and actions."""

    def __init__(self, model_path: Path | None = None, tracker_store: Any = None) -> None:
        """``tracker_store``: where conversations are kept (default: in memory, for ``ask`` and ``chat``)."""
        quiet_libraries()
        from rasa.core.agent import Agent

        from bot.runtime import install_rasa_adjustments

        install_rasa_adjustments()

        path = model_path or load_settings().model_path
        if not Path(path).exists():
            raise FileNotFoundError(f"no trained model at {path}: run `make train` first")
        self.agent = Agent.load(str(path), action_endpoint=in_process_action_endpoint(),
                                tracker_store=tracker_store)
        self._parse_loop: asyncio.AbstractEventLoop | None = None

    def loop_parse(self, text: str) -> dict[str, Any]:
        """NLU only (no dialogue, nothing stored): the parse of ``text``, from synchronous code."""
        if self._parse_loop is None:
            self._parse_loop = asyncio.new_event_loop()
        return self._parse_loop.run_until_complete(self.agent.parse_message(text))

    async def handle(self, text: str, sender: str) -> Reply:
        bot_messages = await self.agent.handle_text(text, sender_id=sender) or []
        store = self.agent.tracker_store
        tracker = await getattr(store, "retrieve_to_read", store.retrieve)(sender)  # read only: may stay cached
        intent = last_user_intent(tracker)
        return reply_from_messages(sender, bot_messages, intent.get("name"), intent.get("confidence"))


def last_user_intent(tracker: Any) -> dict[str, Any]:
    """The intent of the last user message, read from the events.

    (``tracker.latest_message`` of a tracker rebuilt from the store can lag behind while a form is active.)
    """
    from rasa.shared.core.events import UserUttered

    if tracker is None:
        return {}
    event = tracker.get_last_event_for(UserUttered)
    return dict(event.intent) if event else {}


# What the NLU understood, as the actions' payload carries it (actions.common.understanding), and the aspect the
# answer addressed with its level of detail (actions/replies.py).
UNDERSTANDING_KEYS = ("act", "act_confidence", "message_topic", "topic_confidence", "language", "aspect", "level")
# What an eligibility reply settled: the measure in focus, each measure of the topic or of a screening with its
# verdict, and the fact the reply asks for (actions/eligibility.py, actions/screening.py).
ELIGIBILITY_KEYS = ("rule", "rules", "screened", "asking")


def reply_from_messages(sender: str, bot_messages: list[dict[str, Any]], intent: str | None,
                        confidence: float | None) -> Reply:
    """Joins a turn's bot messages; the last machine-readable payload says what the turn was about."""
    texts = [message["text"] for message in bot_messages if message.get("text")]
    buttons = [button for message in bot_messages for button in message.get("buttons") or []]
    custom = [message["custom"] for message in bot_messages if isinstance(message.get("custom"), dict)]
    last = custom[-1] if custom else {}
    understanding = {key: last.get(key) for key in UNDERSTANDING_KEYS}
    understanding.update({key: last[key] for key in ELIGIBILITY_KEYS if key in last})
    return Reply(
        sender=sender,
        text="\n".join(texts),
        intent=intent,
        confidence=round(float(confidence), 4) if confidence is not None else None,
        topic=last.get("topic"),
        kind=last.get("kind"),
        departments=list(last.get("departments") or []),
        verdict=last.get("verdict"),
        buttons=[{"title": b.get("title", ""), "payload": b.get("payload", "")} for b in buttons],
        messages=bot_messages,
        understanding=understanding,
    )

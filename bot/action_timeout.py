"""A short answer instead of silence when the action server is down or slow.

Rasa 3.6 waits up to 300 s for the action server, and when the call fails it logs the error and carries on
without a reply: the user hears nothing. ``install()`` bounds each call to ``ACTION_TIMEOUT_SECONDS`` (4 s by
default, so WeChat's 5 s passive-reply window still holds) and, when the server cannot be reached, times out or
answers with an error, returns a short "temporarily unavailable, send it again" reply instead (wording in
``bot/channels/messages.yml``). It carries ``kind: unavailable``, so the stored turn is flagged for review. The
next message calls the server again.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

logger = logging.getLogger(__name__)

_original_run: Any = None


async def run_with_deadline(self: Any, output_channel: Any, nlg: Any, tracker: Any, domain: Any) -> list[Any]:
    """``RemoteAction.run`` within the deadline; the unavailable reply when the action server fails."""
    from rasa.core.actions.action import ActionExecutionRejection
    from rasa.shared.exceptions import RasaException

    from bot.settings import action_timeout_seconds

    timeout = action_timeout_seconds()
    try:
        return await asyncio.wait_for(_original_run(self, output_channel, nlg, tracker, domain), timeout)
    except ActionExecutionRejection:
        raise  # a form rejecting the input: Rasa's normal control flow
    except asyncio.TimeoutError:
        logger.error("action server did not answer %s within %.1f s", self.name(), timeout)
    except RasaException as error:  # connection refused, 5xx, no endpoint
        logger.error("action server failed on %s: %s", self.name(), error)
    return unavailable_events()


def unavailable_events() -> list[Any]:
    """The reply, as the bot message an action would have returned (text + the machine-readable payload)."""
    from rasa.shared.core.events import BotUttered

    from bot.channels.base import channel_messages

    text = channel_messages()["temporarily_unavailable"]
    return [BotUttered(text=text, data={"custom": {"kind": "unavailable"}})]


def install() -> None:
    """Patch ``RemoteAction.run`` in this process (idempotent)."""
    global _original_run
    from rasa.core.actions.action import RemoteAction

    if RemoteAction.run is run_with_deadline:
        return
    _original_run = RemoteAction.run
    RemoteAction.run = run_with_deadline  # type: ignore[method-assign]

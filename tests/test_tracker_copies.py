"""Trackers copied only as far as needed (bot.tracker_copies) give the very same conversations, event by event,
on held-out conversations with the trained model."""

from __future__ import annotations

import asyncio
import copy
from typing import Any

import pytest
from rasa.core.processor import MessageProcessor
from rasa.shared.core import trackers
from rasa.shared.core.slots import CategoricalSlot, TextSlot

from bot import tracker_copies
from tests.conftest import held_out_conversations, run_conversations

VARYING = ("timestamp", "message_id")  # differ between two runs of the same conversation


def without_varying(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_varying(item) for key, item in value.items() if key not in VARYING}
    if isinstance(value, list):
        return [without_varying(item) for item in value]
    return value


def stored_events(assistant: Any) -> list[list[dict]]:
    """Each held-out conversation, run from the start, as the events its tracker holds at the end."""
    conversations = held_out_conversations("heldout_followups_e.yml", "heldout_eligibility_e.yml",
                                           ["是", "不是", "算了", "谢谢"], limit=15)
    events = []
    for conversation in run_conversations(assistant, conversations):
        tracker = asyncio.run(assistant.agent.tracker_store.retrieve(conversation.sender))
        events.append([without_varying(event.as_dict()) for event in tracker.events])
    return events


def test_conversations_are_the_same_event_by_event_with_trackers_copied_in_full(
        assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(trackers.copy, tracker_copies.SlotCopies)  # installed with the assistant
    replays = []
    replay = trackers.DialogueStateTracker.copy

    def counted(self: Any) -> Any:
        replays.append(1)
        return replay(self)

    monkeypatch.setattr(trackers.DialogueStateTracker, "copy", counted)
    quick = stored_events(assistant)
    quick_replays = len(replays)
    monkeypatch.setattr(MessageProcessor, "_run_action", MessageProcessor._run_action.__wrapped__)
    monkeypatch.setattr(trackers, "copy", copy)
    in_full = stored_events(assistant)
    assert len(quick) == 30 and all(len(events) > 8 for events in quick)
    assert quick == in_full
    # action_listen (one action of two) ran on the tracker itself; a custom action's prediction carries an event
    assert quick_replays < 0.7 * (len(replays) - quick_replays)


def test_a_slot_is_copied_as_copy_copy_would() -> None:
    slot = CategoricalSlot("kind", mappings=[{"type": "custom"}], values=["a", "b"], initial_value="a")
    slot.value = "b"
    clone = tracker_copies.shallow_copy(slot)
    assert clone is not slot and type(clone) is CategoricalSlot
    assert vars(clone) == vars(copy.copy(slot)) == vars(slot)
    clone.value = "a"
    assert slot.value == "b"  # a copy, not the same object


def test_a_class_with_its_own_copy_hook_is_left_to_copy_copy() -> None:
    class Counted(TextSlot):
        copies = 0

        def __copy__(self) -> Counted:
            Counted.copies += 1
            return self  # visibly not a plain copy

    slot = Counted("name", mappings=[{"type": "custom"}])
    assert tracker_copies.shallow_copy(slot) is slot and Counted.copies == 1


def test_the_temporary_tracker_is_skipped_only_for_actions_that_read_it() -> None:
    from rasa.core.actions.action import ActionBotResponse, ActionListen, RemoteAction
    from rasa.core.actions.forms import FormAction
    from rasa.utils.endpoints import EndpointConfig

    assert tracker_copies._reads_only(ActionListen())
    assert tracker_copies._reads_only(ActionBotResponse("utter_greet"))
    assert tracker_copies._reads_only(RemoteAction("action_answer_topic", EndpointConfig("http://127.0.0.1:1")))
    assert not tracker_copies._reads_only(FormAction("eligibility_form", None))

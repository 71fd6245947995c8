"""The cache hands each saved tracker out once, only unchanged, and keeps the most recently saved ones."""

from __future__ import annotations

from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

from bot.storage.tracker_cache import TrackerCache
from tests.storage.events import session_start, turn


def tracker(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [*session_start(), *turn("你好", "greet", 0.9, ["你好！"])])


def test_a_saved_tracker_is_handed_out_once_with_its_count() -> None:
    cache = TrackerCache(size=4)
    saved = tracker("a")
    cache.put("a", saved)
    entry = cache.take("a")
    assert entry is not None and entry.tracker is saved and entry.events == len(saved.events)
    assert cache.take("a") is None  # taken: the next reader goes to the database
    assert cache.take("b") is None


def test_a_tracker_changed_after_saving_is_not_handed_out() -> None:
    cache = TrackerCache(size=4)
    saved = tracker("a")
    cache.put("a", saved)
    saved.update(ActionExecuted("action_listen"))  # an event the database does not have
    assert cache.take("a") is None
    assert len(cache) == 0


def test_the_least_recently_saved_leave_first_and_size_zero_keeps_none() -> None:
    cache = TrackerCache(size=2)
    for sender in ("a", "b", "c"):
        cache.put(sender, tracker(sender))
    cache.put("b", tracker("b"))  # saved again: now the most recent
    cache.put("d", tracker("d"))
    assert cache.take("a") is None and cache.take("c") is None
    assert cache.take("b") is not None and cache.take("d") is not None

    off = TrackerCache(size=0)
    off.put("a", tracker("a"))
    assert len(off) == 0 and off.take("a") is None


def test_discard_forgets_a_conversation() -> None:
    cache = TrackerCache(size=2)
    cache.put("a", tracker("a"))
    cache.discard("a")
    cache.discard("never saved")
    assert cache.take("a") is None

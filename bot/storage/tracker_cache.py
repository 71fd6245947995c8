"""The trackers of recent conversations, kept in memory from the end of one turn to the start of the next.

Reading a conversation back costs its rows, their JSON and a replay of every event (about 3 ms for a conversation
of eight turns, more as it grows), only to rebuild the tracker the previous turn just saved. The tracker store
keeps the saved tracker here and hands it to the next turn instead, under three conditions that make it the
very tracker a read would rebuild:
- it was stored exactly as it is in memory (``ReviewedSQLTrackerStore`` keeps out what redaction would change);
- nothing was added to it since it was saved (its number of events is the same);
- the database still holds that many events for the conversation's latest session (no other process wrote or
  deleted any: a second worker, the console, retention). The store checks this with one count.
An entry is handed out once (``take`` removes it), so no two turns ever share a tracker object. The least
recently saved conversations leave first when the cache is full.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CachedTracker:
    tracker: Any  # rasa.shared.core.trackers.DialogueStateTracker
    events: int  # how many events it had when it was saved


class TrackerCache:
    """At most ``size`` trackers by sender id, least recently saved first out; ``size`` 0 keeps none."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: collections.OrderedDict[str, CachedTracker] = collections.OrderedDict()
        self._lock = threading.Lock()

    def put(self, sender_id: str, tracker: Any) -> None:
        """Keep ``tracker`` as saved now (its events counted now)."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries.pop(sender_id, None)
            self._entries[sender_id] = CachedTracker(tracker, len(tracker.events))
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def take(self, sender_id: str) -> CachedTracker | None:
        """The entry for ``sender_id``, removed from the cache; None when there is none or when its tracker has
        changed since it was saved."""
        with self._lock:
            entry = self._entries.pop(sender_id, None)
        if entry is None or len(entry.tracker.events) != entry.events:
            return None
        return entry

    def discard(self, sender_id: str) -> None:
        with self._lock:
            self._entries.pop(sender_id, None)

    def __len__(self) -> int:
        return len(self._entries)

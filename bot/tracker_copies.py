"""Copies of Rasa's dialogue state made only as far as they are needed (figures: ``make bench``).

``install()`` makes two changes in this process; neither changes a result:

1. Before running an action, Rasa's ``MessageProcessor._run_action`` copies the whole tracker (``tracker.copy()``
   replays every event of the conversation into a new one) so that the events the policy attached to its
   prediction can be dropped if the action is rejected. When the prediction carries no events and the action only
   reads the tracker (a custom action, which sends it to the action server; ``action_listen``; an ``utter_``
   response), the copy would be the tracker itself, replayed: that action is given the tracker instead. That is
   the ``action_listen`` that ends every turn (a custom action's prediction carries the rule policy's
   ``DefinePrevUserUtteredFeaturization``, so its copy stays): one replay of the conversation per turn.
2. Each new tracker (Rasa makes one for every state it builds for the rule policy) copies every slot with
   ``copy.copy``, which for a plain object goes through ``__reduce_ex__`` and ``copyreg``. For a slot class that
   defines no copy or pickle hooks of its own the same shallow copy is made directly (a new object of the class
   with the same attribute dict); any other class still goes through ``copy.copy``.

``tests/test_tracker_copies.py`` runs held-out conversations with and without these changes and compares every
event. Call ``install()`` at start-up, before the model loads (``bot.runtime``); calling it again does nothing.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

_COPY_HOOKS = ("__copy__", "__reduce__", "__reduce_ex__", "__getstate__", "__setstate__", "__slots__")


@functools.lru_cache(maxsize=64)
def _copied_directly(cls: type) -> bool:
    """Whether ``copy.copy`` of an instance of ``cls`` is a new instance with the same ``__dict__``: no class in
    its hierarchy but ``object`` defines a copy or pickle hook, and its instances have a ``__dict__``."""
    return all(not any(hook in vars(base) for hook in _COPY_HOOKS) for base in cls.__mro__ if base is not object)


def shallow_copy(value: Any) -> Any:
    """``copy.copy(value)``, made directly for instances of a class without copy hooks (see ``_copied_directly``)."""
    cls = type(value)
    if _copied_directly(cls) and hasattr(value, "__dict__"):
        clone = cls.__new__(cls)
        clone.__dict__.update(value.__dict__)
        return clone
    return copy.copy(value)


class SlotCopies:
    """The ``copy`` module as ``rasa.shared.core.trackers`` sees it: ``copy`` is ``shallow_copy``."""

    copy = staticmethod(shallow_copy)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _reads_only(action: Any) -> bool:
    """Whether running ``action`` leaves the tracker it is given as it was (it only reads it)."""
    from rasa.core.actions.action import ActionBotResponse, ActionListen, RemoteAction

    return type(action) in (RemoteAction, ActionListen, ActionBotResponse)


def install() -> None:
    """Both changes in this process (idempotent)."""
    import rasa.shared.core.trackers as trackers
    from rasa.core.processor import MessageProcessor

    if not isinstance(trackers.copy, SlotCopies):
        trackers.copy = SlotCopies()  # type: ignore[assignment]
    run_action = MessageProcessor._run_action
    if getattr(run_action, "_chuangye_copies_only_when_needed", False):
        return

    @functools.wraps(run_action)
    async def run_action_on_the_tracker_itself(self: Any, action: Any, tracker: Any, *args: Any,
                                               **kwargs: Any) -> bool:
        prediction = kwargs.get("prediction", args[-1] if args else None)
        if prediction is None or prediction.events or not _reads_only(action):
            return await run_action(self, action, tracker, *args, **kwargs)

        def the_tracker_itself() -> Any:  # Rasa's temporary copy; any later copy is a real one again
            del tracker.copy
            return tracker

        tracker.copy = the_tracker_itself
        try:
            return await run_action(self, action, tracker, *args, **kwargs)
        finally:
            tracker.__dict__.pop("copy", None)

    run_action_on_the_tracker_itself._chuangye_copies_only_when_needed = True  # type: ignore[attr-defined]
    MessageProcessor._run_action = run_action_on_the_tracker_itself  # type: ignore[method-assign]

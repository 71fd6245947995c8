"""Rasa's RulePolicy, reading only the recent part of a conversation to match its rules.

Before each prediction (two or three per turn), ``RulePolicy`` rebuilds the state of the dialogue after every
action of the conversation so far, replaying all its events, and then compares only the last few states with its
rules: a rule of n states can only match the last n. On a conversation of a few dozen events this replay was about
a tenth of the Rasa server's CPU per turn (py-spy, ``make bench``), and it grows with every turn.

``install()`` makes ``RulePolicy`` build those states from a copy of the conversation that starts a few user
messages back (as many as its longest rule has states: each user message adds at least two states), so every
state a rule can compare is built exactly as from the whole conversation. The states are the same when the
dialogue state carries nothing else forward: the active loop is carried over (the events start with it), and
when a slot influences the conversation (this domain has none) the whole conversation is used, as Rasa does. A
part that yields too few states also falls back to the whole conversation. ``tests/test_rule_states.py`` checks
that every prediction reads the same states both ways on held-out conversations. Measured in process: the rule
policy's time at the 40th turn of one conversation 8.3 → 3.4 ms; on the bench's short conversations about the
same as before. Rules are also compared with the last states of the longest rule only (``possible_keys``).

Within one prediction, ``RulePolicy`` builds the states twice after a user message: once reading the message's
text, once its intent. Both start from the same states of the same tracker (only the last user state is then cut
differently), so during a prediction the recent part and its states are built once and each reading gets its own
copy (``_ONE_PREDICTION``).
"""

from __future__ import annotations

import contextvars
import functools
from typing import Any

_INSTALLED = "_chuangye_recent_states"
# While RulePolicy predicts: what was built for the trackers it reads, by key, with the tracker it was built for
# (an id alone could be reused by a new object). None outside a prediction: everything is built as Rasa does.
_ONE_PREDICTION: contextvars.ContextVar[dict[tuple, tuple[Any, Any]] | None] = contextvars.ContextVar(
    "rule_policy_prediction", default=None)


def longest_rule(policy: Any) -> int:
    """The number of states of the policy's longest rule (loop rules included)."""
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
    return max((len(policy._rule_key_to_state(key)) for key in keys), default=0)


def recent_part(tracker: Any, domain: Any, user_messages: int) -> Any:
    """A tracker of the conversation from the action before its ``user_messages``-th last user message on, with
    the active loop of that moment; the tracker itself when that is the whole conversation or a slot influences
    the dialogue state."""
    from rasa.shared.core.events import ActionExecuted, ActiveLoop, SessionStarted, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    if any(slot.influence_conversation for slot in domain.slots):
        return tracker
    events = tracker.applied_events()
    users = [index for index, event in enumerate(events) if isinstance(event, UserUttered)]
    if len(users) <= user_messages:
        return tracker
    start = users[-user_messages]
    while start > 0 and not isinstance(events[start], ActionExecuted):
        start -= 1
    if start == 0:
        return tracker
    carried: list[Any] = []
    for event in reversed(events[:start]):
        if isinstance(event, ActiveLoop):
            if event.name:
                carried.append(ActiveLoop(event.name))
            break
        if isinstance(event, SessionStarted):
            break
    recent = events[start:]
    named = {event.key for event in recent if isinstance(event, SlotSet)}  # no other slot is read: fewer copies
    part = DialogueStateTracker(tracker.sender_id, [slot for name, slot in tracker.slots.items() if name in named])
    part.events.extend([*carried, *recent])
    return part


def install() -> None:
    """Make ``RulePolicy`` build its prediction states from the recent part of the conversation (idempotent)."""
    from rasa.core.policies.rule_policy import RulePolicy

    if getattr(RulePolicy._prediction_states, _INSTALLED, False):
        return
    whole = RulePolicy._prediction_states

    @functools.wraps(whole)
    def recent_states(self: Any, tracker: Any, domain: Any, *args: Any, **kwargs: Any) -> Any:
        needed = rule_length(self)
        part = _built_once(("part", needed), tracker, lambda: recent_part(tracker, domain, max(needed, 1)))
        if part is not tracker:
            states = whole(self, part, domain, *args, **kwargs)
            if len(states) > needed:  # all but the first: the first state of a part lacks what came before it
                return states
        return whole(self, tracker, domain, *args, **kwargs)

    matching = RulePolicy._get_possible_keys

    @functools.wraps(matching)
    def possible_keys(self: Any, lookup: dict[str, str], states: list[Any]) -> set[str]:
        # Rasa filters the rules state by state back to the conversation's start, but any rule applies at a
        # state further back than its length: only the last states of the longest rule can rule one out.
        # Only the rules whose last state can match the conversation's last state are compared at all.
        states = states[-rule_length(self):]
        return matching(self, _rules_for_last_state(self, lookup, states[-1]) if states else lookup, states)

    predict = RulePolicy._predict

    @functools.wraps(predict)
    def predict_building_states_once(self: Any, *args: Any, **kwargs: Any) -> Any:
        token = _ONE_PREDICTION.set({})
        try:
            return predict(self, *args, **kwargs)
        finally:
            _ONE_PREDICTION.reset(token)

    from rasa.core.featurizers.tracker_featurizers import TrackerFeaturizer

    create_states = TrackerFeaturizer.__dict__["_create_states"].__func__  # a staticmethod

    @functools.wraps(create_states)
    def states_built_once(tracker: Any, domain: Any, *args: Any, **kwargs: Any) -> Any:
        if _ONE_PREDICTION.get() is None:
            return create_states(tracker, domain, *args, **kwargs)
        states = _built_once(("states",), tracker, lambda: create_states(tracker, domain, *args, **kwargs),
                             (args, kwargs))
        # a copy for each reader: Rasa cuts the last user state in place (text or intent)
        return [{name: dict(substate) for name, substate in state.items()} for state in states]

    setattr(recent_states, _INSTALLED, True)
    RulePolicy._prediction_states = recent_states  # type: ignore[method-assign]
    RulePolicy._get_possible_keys = possible_keys  # type: ignore[method-assign]
    RulePolicy._predict = predict_building_states_once  # type: ignore[method-assign]
    TrackerFeaturizer._create_states = staticmethod(states_built_once)  # type: ignore[method-assign]


_ANY = object()  # in the index of rules: a last state that names no intent


def _rules_for_last_state(policy: Any, lookup: dict[str, str], state: dict[str, Any]) -> dict[str, str]:
    """The rules of ``lookup`` that may match a conversation whose last state is ``state``.

    A rule whose last state names a previous action (and an intent) matches only a last state with that action
    (and that intent): Rasa compares the names for equality. Every other rule stays a candidate, so Rasa's own
    comparison of the candidates gives the same rules as of all of them.
    """
    from rasa.shared.core.constants import PREVIOUS_ACTION, USER

    index = _rule_index(policy, lookup)
    action = (state.get(PREVIOUS_ACTION) or {}).get("action_name")
    intent = (state.get(USER) or {}).get("intent")
    names = [*index.get((action, intent), ()), *index.get((action, _ANY), ()), *index.get(None, ())]
    return {name: lookup[name] for name in names}


def _rule_index(policy: Any, lookup: dict[str, str]) -> dict[Any, list[str]]:
    """The rules of ``lookup`` by (previous action, intent or ``_ANY``) of their last state; None: the rules whose
    last state names no previous action. Built once per lookup (again if it changes, while the policy trains)."""
    from rasa.core.policies.rule_policy import SHOULD_NOT_BE_SET
    from rasa.shared.core.constants import PREVIOUS_ACTION, USER

    indexes = policy.__dict__.setdefault("_chuangye_rule_index", {})
    known = indexes.get(id(lookup))
    if known is not None and known[0] is lookup and known[1] == len(lookup):
        return known[2]

    def named(value: Any) -> bool:
        return isinstance(value, str) and bool(value) and value != SHOULD_NOT_BE_SET

    index: dict[Any, list[str]] = {}
    for name in lookup:
        last = policy._rule_key_to_state(name)[-1]
        action = (last.get(PREVIOUS_ACTION) or {}).get("action_name")
        intent = (last.get(USER) or {}).get("intent")
        key = None if not named(action) else (action, intent if named(intent) else _ANY)
        index.setdefault(key, []).append(name)
    indexes[id(lookup)] = (lookup, len(lookup), index)
    return index


def _built_once(key: tuple, tracker: Any, build: Any, arguments: Any = None) -> Any:
    """``build()``, or during a prediction what it gave for this very tracker with as many events and equal
    ``arguments``."""
    built = _ONE_PREDICTION.get()
    if built is None:
        return build()
    full_key = (*key, id(tracker), len(tracker.events))
    entry = built.get(full_key)
    if entry is None or entry[0] is not tracker or entry[1] != arguments:
        entry = built[full_key] = (tracker, arguments, build())
    return entry[2]


def rule_length(policy: Any) -> int:
    """``longest_rule`` of the policy, worked out again only when its rules change (while it trains)."""
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    rules = (id(policy.lookup), len(policy.lookup.get(RULES, {})),
             len(policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})))
    known = policy.__dict__.get(_INSTALLED)
    if known is None or known[0] != rules:
        known = policy.__dict__[_INSTALLED] = (rules, longest_rule(policy))
    return known[1]

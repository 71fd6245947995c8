"""Take avoidable per-turn work out of Rasa 3.6 (figures: ``make bench``, ``bench/latency_bench.py``).

``install()`` makes these changes in this process; none changes a result:

1. ``RemoteAction._validate_action_result`` calls ``jsonschema.validate(result, schema)`` on every response of
   the action server, which first checks the *schema* against its meta-schema and builds a new validator:
   about 20 ms per response here. It is replaced by a validator of the same schema, checked and built once per
   class (about 0.6 ms per response): every response is still validated, and an invalid one raises the same
   ``jsonschema.ValidationError`` (same best match, same message). An event whose exact value was valid before
   is not checked again (``_valid_with_known_events``).
2. Rasa's ``LogisticRegressionClassifier`` keeps its weights column-major once loaded, so scikit-learn no longer
   copies the whole weight matrix on every message (parse about 9 → 5 ms, the same probabilities bit for bit).
3. ``Event.resolve_by_type`` (called for every stored event each time a tracker is read) walks the whole
   ``Event`` class tree to find the class of a type name: about 0.14 ms per event, 5–10 ms per turn on a
   conversation of a few dozen events. The class found for a name is remembered; unknown names still go
   through Rasa's own lookup (and its error).
4. ``Domain.is_empty`` (asked before every parse) builds a whole new empty ``Domain`` to compare with: about a
   tenth of a parse. The empty domain's dictionary is built once; the comparison is the same.
5. Rasa's ``MessageProcessor`` deep-copies the events of every action, the parse data and the slots only to pass
   them to ``structlogger.debug``, and does so with debug logging off, when the logger drops them: about 4 % of
   the server's time. Inside ``rasa.core.processor`` (where every ``copy.deepcopy`` is such a log argument:
   ``tests/test_performance.py`` reads its source) the copy is made only when its debug records are kept.

Call ``install()`` at start-up, before the model loads, in every process that runs Rasa's dialogue or NLU (the
Rasa server, the in-process assistant); calling it again does nothing.
"""

from __future__ import annotations

import copy
import functools
import logging
import threading
from typing import Any

_lock = threading.Lock()
_validators: dict[type, Any] = {}
VALID_EVENTS_REMEMBERED = 4096
_valid_events: set[Any] = set()  # events (see ``_frozen``) already found valid
_original: Any = None


def _validator(action_class: type) -> Any:
    """The checked, compiled validator of ``action_class.action_response_format_spec()`` (built once)."""
    validator = _validators.get(action_class)
    if validator is None:
        from jsonschema.validators import validator_for

        schema = action_class.action_response_format_spec()
        validator_class = validator_for(schema)
        validator_class.check_schema(schema)  # what jsonschema.validate does each call, done once
        validator = validator_class(schema)
        events_schema = schema.get("properties", {}).get("events", {})
        validator._chuangye_events_by_item = set(events_schema) == {"type", "items"}  # no cross-event constraint
        with _lock:
            validator = _validators.setdefault(action_class, validator)
    return validator


def validate_action_result(self: Any, result: dict[str, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with a compiled validator; same result and same errors."""
    from jsonschema.exceptions import best_match
    from rasa.shared.constants import DOCS_BASE_URL

    validator = _validator(type(self))
    if _valid_with_known_events(validator, result):
        return True
    error = best_match(validator.iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def _valid_with_known_events(validator: Any, result: Any) -> bool:
    """True when ``result`` is valid, checking only the events not already seen valid; False means "not known to
    be valid" (the caller validates it whole, for Rasa's error).

    An events array is valid when each event is (the schema has no constraint across events: checked when the
    validator is built), and whether an event is valid depends on its value and types alone: an event whose
    exact value, types included, was valid before is valid again. Most events of a turn are of that kind (the
    same slots set to the same values), and each costs a ``oneOf`` over every event type to check.
    """
    if not getattr(validator, "_chuangye_events_by_item", False) or not isinstance(result, dict):
        return False
    events = result.get("events")
    if not isinstance(events, list):
        return False
    unseen: list[tuple[Any, Any]] = []
    for event in events:
        key = _frozen(event)
        if key is None:
            return False
        if key not in _valid_events:
            unseen.append((key, event))
    if not validator.is_valid({**result, "events": [event for _, event in unseen]}):
        return False
    with _lock:
        if len(_valid_events) + len(unseen) > VALID_EVENTS_REMEMBERED:
            _valid_events.clear()
        _valid_events.update(key for key, _ in unseen)
    return True


def _frozen(value: Any) -> Any:
    """A hashable key equal only for the same JSON value with the same Python types; None for other types."""
    kind = type(value)
    if kind is dict:
        items = []
        for name, item in value.items():
            frozen = _frozen(item)
            if frozen is None or type(name) is not str:
                return None
            items.append((name, frozen))
        return (dict, frozenset(items))
    if kind is list:
        frozen_items = tuple(_frozen(item) for item in value)
        return None if None in frozen_items else (list, frozen_items)
    if value is None or kind in (str, int, float, bool):
        return (kind, value)
    return None


def install() -> None:
    """Patch ``RemoteAction`` in this process (idempotent)."""
    global _original
    from rasa.core.actions.action import RemoteAction

    with _lock:
        if RemoteAction._validate_action_result is validate_action_result:
            return
        _original = RemoteAction._validate_action_result
        RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    _install_classifier_layout()
    _install_event_class_lookup()
    _install_empty_domain_check()
    _install_log_only_copies()
    pin_numeric_threads()


def pin_numeric_threads() -> None:
    """One BLAS/OpenMP thread per process.

    A message's numerical work is a few small products (the embedding's matrix chain, one row against the
    classifiers' weights). OpenBLAS would spread each over every core and keep its threads spinning afterwards:
    server CPU per turn more than doubled, and the server runs many messages (and worker processes) side by side
    anyway.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def freeze_loaded_objects() -> int:
    """Leave every object alive now out of future garbage collections (``gc.freeze``); returns how many.

    A loaded model is about half a million objects that live as long as the process. Python's full (oldest
    generation) collection walks all of them, about 0.2 s here, and runs every few thousand turns: each time,
    every message queued behind it waits that long (the p99 of a busy server). Frozen after the model has loaded,
    they are never walked; a full collection then takes milliseconds. Objects created later (conversations,
    requests) are collected as before. Called once per server process when it starts serving.
    """
    import gc

    gc.collect()  # what is garbage already is freed, not frozen
    gc.freeze()
    return gc.get_freeze_count()


class CopiesForDebugLogs:
    """The ``copy`` module as ``rasa.core.processor`` sees it: ``deepcopy`` copies only when the processor's debug
    records are kept (structlog's ``filter_by_level`` drops them by the standard logger's level)."""

    def __init__(self, logger_name: str) -> None:
        self._logger = logging.getLogger(logger_name)

    def deepcopy(self, value: Any, memo: dict[int, Any] | None = None) -> Any:
        return copy.deepcopy(value, memo) if self._logger.isEnabledFor(logging.DEBUG) else value

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _install_log_only_copies() -> None:
    """Copies for ``rasa.core.processor``'s debug records only when they are kept (see the module docstring)."""
    import rasa.core.processor as processor

    if not isinstance(processor.copy, CopiesForDebugLogs):
        processor.copy = CopiesForDebugLogs(processor.__name__)  # type: ignore[assignment]


def _install_empty_domain_check() -> None:
    """``Domain.is_empty`` against an empty domain built once instead of on every call."""
    from rasa.shared.core.domain import Domain

    if getattr(Domain.is_empty, "_chuangye_cached", False):
        return

    @functools.lru_cache(maxsize=1)
    def empty_domain() -> dict[str, Any]:
        return Domain.empty().as_dict()

    def is_empty(self: Any) -> bool:
        return self.as_dict() == empty_domain()

    is_empty._chuangye_cached = True  # type: ignore[attr-defined]
    is_empty.__doc__ = Domain.is_empty.__doc__
    Domain.is_empty = is_empty  # type: ignore[method-assign]


def _install_event_class_lookup() -> None:
    """Remember ``Event.resolve_by_type``'s answer for each type name it has found."""
    from rasa.shared.core.events import Event

    lookup = Event.__dict__["resolve_by_type"].__func__
    if getattr(lookup, "_chuangye_cached", False):
        return
    found: dict[str, type] = {}

    @functools.wraps(lookup)
    def resolve_by_type(type_name: str, default: type | None = None) -> type | None:
        known = found.get(type_name)
        if known is not None:
            return known
        resolved = lookup(type_name, default)
        if resolved is not None and resolved is not default:
            found[type_name] = resolved
        return resolved

    resolve_by_type._chuangye_cached = True  # type: ignore[attr-defined]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


def _install_classifier_layout() -> None:
    """Store the weights of Rasa's LogisticRegressionClassifier column-major when it loads.

    scikit-learn scores a sparse message as ``X @ coef_.T``; with the row-major ``coef_`` that skops loads,
    scipy copies the whole transposed matrix (intents × features, 8.6 MB here) on every message before
    multiplying. Column-major, the transpose is already contiguous and no copy is made: the same numbers in the
    same order, so the same probabilities, bit for bit.
    """
    from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier

    load = LogisticRegressionClassifier.__dict__["load"].__func__
    if getattr(load, "_chuangye_layout", False):
        return

    @functools.wraps(load)
    def load_column_major(cls: type, *args: Any, **kwargs: Any) -> Any:
        import numpy as np

        component = load(cls, *args, **kwargs)
        classifier = getattr(component, "clf", None)
        if classifier is not None and getattr(classifier, "coef_", None) is not None:
            classifier.coef_ = np.asfortranarray(classifier.coef_)
        return component

    load_column_major._chuangye_layout = True  # type: ignore[attr-defined]
    LogisticRegressionClassifier.load = classmethod(load_column_major)  # type: ignore[method-assign,assignment]


def uninstall() -> None:
    """Put Rasa's own validation back (for tests and measurements); the weight layout stays."""
    global _original
    from rasa.core.actions.action import RemoteAction

    with _lock:
        if _original is not None:
            RemoteAction._validate_action_result = _original  # type: ignore[method-assign]
            _original = None


def installed() -> bool:
    from rasa.core.actions.action import RemoteAction

    return RemoteAction._validate_action_result is validate_action_result

"""bot.performance: the compiled validator still validates every action-server response, with Rasa's errors."""

from __future__ import annotations

import asyncio
from typing import Any

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot import performance

VALID = {
    "events": [{"event": "slot", "name": "topic", "value": "tax_incentives", "timestamp": None}],
    "responses": [{"text": "出处：三(四)2", "buttons": [{"title": "我符合吗？", "payload": "/check_eligibility"}]}],
}
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "topic", "value": 1}]},  # an event without its "event" key
    {"events": [{"event": "no_such_event"}]},
    {"responses": ["a string, not an object"]},
    ["not", "an", "object"],
]


@pytest.fixture
def patched() -> Any:
    performance.install()
    yield
    performance.uninstall()


def rasa_error(response: Any) -> jsonschema.ValidationError:
    """The error Rasa's own method raises for ``response``."""
    performance.uninstall()
    with pytest.raises(jsonschema.ValidationError) as raised:
        RemoteAction("action_answer", None)._validate_action_result(response)
    performance.install()
    return raised.value


def test_install_replaces_the_method_once(patched: Any) -> None:
    assert performance.installed()
    performance.install()
    performance.uninstall()
    assert not performance.installed()


def test_a_valid_response_is_accepted(patched: Any) -> None:
    assert RemoteAction("action_answer", None)._validate_action_result(VALID) is True
    assert RemoteAction("action_answer", None)._validate_action_result({}) is True


@pytest.mark.parametrize("response", INVALID, ids=range(len(INVALID)))
def test_an_invalid_response_is_rejected_with_rasas_error(patched: Any, response: Any) -> None:
    expected = rasa_error(response)
    with pytest.raises(jsonschema.ValidationError) as raised:
        RemoteAction("action_answer", None)._validate_action_result(response)
    assert raised.value.message == expected.message
    assert list(raised.value.path) == list(expected.path)
    assert "Failed to validate Action server response" in raised.value.message


def test_the_schema_is_checked_once_not_per_call(patched: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    action = RemoteAction("action_answer", None)
    action._validate_action_result(VALID)  # builds the validator
    checks: list[Any] = []
    validator_class = type(performance._validator(RemoteAction))
    monkeypatch.setattr(validator_class, "check_schema", classmethod(lambda cls, schema: checks.append(schema)))
    for _ in range(3):
        action._validate_action_result(VALID)
        with pytest.raises(jsonschema.ValidationError):
            action._validate_action_result(INVALID[0])
    assert checks == []


def test_a_running_action_still_refuses_an_invalid_server_response(patched: Any) -> None:
    """Through RemoteAction.run, as the Rasa server calls it: the bad response never becomes events."""
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.nlg import TemplatedNaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker
    from rasa.utils.endpoints import EndpointConfig

    class Endpoint(EndpointConfig):
        def __init__(self, response: Any) -> None:
            super().__init__(url="http://127.0.0.1:1/webhook")
            self.response = response

        async def request(self, *args: Any, **kwargs: Any) -> Any:
            return self.response

    domain = Domain.empty()
    tracker = DialogueStateTracker("someone", domain.slots)

    def run(response: Any) -> Any:
        action = RemoteAction("action_answer", Endpoint(response))
        return asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}), tracker,
                                      domain))

    assert run({"events": [], "responses": [{"text": "好的"}]})[0].text == "好的"
    with pytest.raises(jsonschema.ValidationError):
        run({"events": [{"event": "no_such_event"}], "responses": []})


def test_event_class_lookup_gives_rasas_answer_for_every_event_type() -> None:
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    performance.install()
    for event_class in all_subclasses(Event):
        if event_class.type_name != "event":
            assert Event.resolve_by_type(event_class.type_name) in {
                c for c in all_subclasses(Event) if c.type_name == event_class.type_name}
    assert Event.resolve_by_type("slot") is Event.resolve_by_type("slot")  # remembered, same class
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="Unknown event name"):
        Event.resolve_by_type("no_such_event")
    assert Event.from_parameters({"event": "slot", "name": "topic", "value": "x"}).as_dict()["value"] == "x"


def test_an_event_seen_valid_is_not_checked_again_but_a_different_one_is(patched: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    action = RemoteAction("action_answer", None)
    validator = performance._validator(RemoteAction)
    checked: list[Any] = []
    original = type(validator).is_valid

    def recording_is_valid(self: Any, instance: Any, *args: Any) -> bool:
        if self is validator:  # not the validators that jsonschema derives for parts of the schema
            checked.append(instance.get("events"))
        return original(self, instance, *args)

    monkeypatch.setattr(type(validator), "is_valid", recording_is_valid)
    first = {"event": "slot", "name": "applicant_stage", "value": "大三", "timestamp": 1}
    assert action._validate_action_result({"events": [first], "responses": []}) is True
    assert action._validate_action_result({"events": [dict(first)], "responses": []}) is True
    assert checked[-1] == []  # the equal event was known valid
    # The same value with another type is another event: True is not a number, so this one is invalid.
    wrong_type = {**first, "timestamp": True}
    expected = rasa_error({"events": [first, wrong_type]})
    with pytest.raises(jsonschema.ValidationError) as raised:
        action._validate_action_result({"events": [first, wrong_type]})
    assert raised.value.message == expected.message and list(raised.value.path) == list(expected.path)
    assert checked[-1] == [wrong_type]


@pytest.mark.parametrize("value", [("a", "tuple"), {1: "a number as key"}, object()], ids=["tuple", "key", "obj"])
def test_values_json_cannot_tell_apart_are_never_taken_as_known(value: Any) -> None:
    assert performance._frozen({"event": "slot", "value": value}) is None
    assert performance._frozen({"event": "slot", "value": ["a", "tuple"]}) != performance._frozen(
        {"event": "slot", "value": ("a", "tuple")})


def test_the_empty_domain_check_builds_the_empty_domain_once_with_rasas_answers(
        patched: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pathlib import Path

    from rasa.shared.core.domain import Domain

    project = Domain.load(str(Path(__file__).resolve().parents[1] / "domain.yml"))
    built: list[Domain] = []
    original_empty = Domain.empty.__func__
    monkeypatch.setattr(Domain, "empty", classmethod(lambda cls: built.append(original_empty(cls)) or built[-1]))
    answers = [project.is_empty(), Domain.from_dict({}).is_empty(), project.is_empty()]
    assert answers == [False, True, False]  # Rasa: as_dict() == Domain.empty().as_dict()
    assert len(built) <= 1  # at most once, not once per call
    assert Domain.from_dict({}).as_dict() == original_empty(Domain).as_dict()


def test_objects_alive_when_serving_starts_are_left_out_of_later_collections() -> None:
    """In a fresh interpreter (freezing is process-wide): garbage is freed first, the rest is frozen, and a full
    collection afterwards walks only what was created since."""
    import subprocess
    import sys

    program = """
import gc, weakref
from bot.performance import freeze_loaded_objects

class Node:
    pass

model = [[index] for index in range(200_000)]           # what a loaded model is: many long-lived objects
garbage = Node(); garbage.itself = garbage               # a reference cycle nobody holds any more
dead = weakref.ref(garbage); del garbage
frozen = freeze_loaded_objects()
assert dead() is None, "garbage was frozen instead of freed"
assert frozen >= len(model), frozen
later = [[index] for index in range(10)]
assert len(gc.get_objects()) < 1_000, len(gc.get_objects())  # what a collection walks now
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr


def test_every_rasa_server_freezes_its_loaded_model_once_it_serves() -> None:
    from bot.channels.health import HealthInput

    blueprint = HealthInput().blueprint(lambda _message: None)
    started = [listener for listener in blueprint._future_listeners if listener.event == "after_server_start"]
    assert [listener.listener.__name__ for listener in started] == ["spare_the_model_from_garbage_collection"]


def test_numeric_libraries_run_on_one_thread_per_process() -> None:
    import numpy as np
    from threadpoolctl import threadpool_info

    np.ones((64, 64)) @ np.ones((64, 64))  # make sure the BLAS library is loaded
    performance.pin_numeric_threads()
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)


def test_the_processors_deep_copies_are_all_debug_log_arguments() -> None:
    """What makes skipping them safe: every ``copy.deepcopy`` in Rasa's processor is inside a
    ``structlogger.debug(...)`` call (read from the installed module's source; a new Rasa would fail here)."""
    import ast
    import inspect

    import rasa.core.processor

    tree = ast.parse(inspect.getsource(rasa.core.processor))

    def deep_copies(node: ast.AST) -> list[ast.Call]:
        return [call for call in ast.walk(node) if isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute) and call.func.attr == "deepcopy"]

    in_debug_calls = [copy_call for call in ast.walk(tree) if isinstance(call, ast.Call)
                      and ast.unparse(call.func) == "structlogger.debug" for copy_call in deep_copies(call)]
    assert len(in_debug_calls) >= 5
    assert {id(call) for call in deep_copies(tree)} == {id(call) for call in in_debug_calls}


def test_the_processor_copies_for_its_debug_records_only_when_they_are_kept() -> None:
    import logging

    import rasa.core.processor

    performance.install()
    shim = rasa.core.processor.copy
    assert isinstance(shim, performance.CopiesForDebugLogs)
    events = [{"event": "slot", "value": ["a"]}]
    logger = logging.getLogger("rasa.core.processor")
    level = logger.level
    try:
        logger.setLevel(logging.INFO)
        assert shim.deepcopy(events) is events
        logger.setLevel(logging.DEBUG)
        copied = shim.deepcopy(events)
        assert copied == events and copied is not events and copied[0]["value"] is not events[0]["value"]
    finally:
        logger.setLevel(level)
    assert shim.copy is __import__("copy").copy  # the rest of the module is the real one

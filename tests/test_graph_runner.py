"""The sequential graph runner gives the results of Rasa's dask runner on the trained model (NLU and dialogue)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rasa.core.channels.channel import UserMessage
from rasa.engine.constants import PLACEHOLDER_MESSAGE, PLACEHOLDER_TRACKER
from rasa.engine.exceptions import GraphRunError
from rasa.engine.loader import load_predict_graph_runner
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.graph_runner import SequentialGraphRunner
from bot.nlu_eval import read_examples
from tests.conftest import MODEL_PATH, Conversation

HELDOUT_DIR = Path(__file__).resolve().parent / "nlu"
PARSE_KEYS = ("intent", "intent_ranking", "entities", "text")
CONVERSATIONS = (
    ("你好", "大学生创业有什么补贴", "我符合吗", "我是大三学生", "在兰州", "是", "谢谢"),
    ("返乡创业能贷款吗", "找哪个部门", "我想找人工客服", "再见"),
    ("公积金怎么提取", "我符合吗", "算了", "你能做什么"),
)


@pytest.fixture(scope="module")
def runners(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, Any]]:
    """The model's prediction graph loaded twice: into Rasa's dask runner and into ours."""
    if not MODEL_PATH.exists():
        pytest.fail(f"no trained model at {MODEL_PATH}: run `make train` (make test does it for you)")
    loaded = {}
    for runner_class in (DaskGraphRunner, SequentialGraphRunner):
        metadata, loaded[runner_class.__name__] = load_predict_graph_runner(
            tmp_path_factory.mktemp(runner_class.__name__), MODEL_PATH, LocalModelStorage, runner_class)
    return metadata, loaded


def parse(runner: Any, metadata: Any, text: str) -> dict[str, Any]:
    tracker = DialogueStateTracker("graph-runner-test", slots=[])
    results = runner.run(inputs={PLACEHOLDER_MESSAGE: [UserMessage(text)], PLACEHOLDER_TRACKER: tracker},
                         targets=[metadata.nlu_target])
    [message] = results[metadata.nlu_target]
    return {key: message.get(key) for key in PARSE_KEYS}


def test_nlu_parses_are_identical_on_held_out_texts(runners: tuple[Any, dict[str, Any]]) -> None:
    metadata, loaded = runners
    texts = [text for path in sorted(HELDOUT_DIR.glob("heldout_*.yml")) for text, _ in read_examples(path)[:25]]
    assert len(texts) > 50
    for text in texts:
        ours = parse(loaded["SequentialGraphRunner"], metadata, text)
        assert ours == parse(loaded["DaskGraphRunner"], metadata, text), text
        assert ours["intent"]["name"]


def test_dialogue_predictions_are_identical_at_every_step(runners: tuple[Any, dict[str, Any]],
                                                          assistant: Any) -> None:
    metadata, loaded = runners
    compared = 0
    for texts in CONVERSATIONS:
        conversation = Conversation(assistant)
        for text in texts:
            conversation.say(text)
        stored = conversation.loop.run_until_complete(assistant.agent.tracker_store.retrieve(conversation.sender))
        events = list(stored.events)
        for end, event in enumerate(events, start=1):
            if not isinstance(event, (UserUttered, ActionExecuted)):
                continue
            tracker = DialogueStateTracker.from_events("graph-runner-test", events[:end],
                                                       assistant.agent.domain.slots)
            ours, dask = (loaded[name].run(inputs={PLACEHOLDER_TRACKER: tracker},
                                           targets=[metadata.core_target])[metadata.core_target]
                          for name in ("SequentialGraphRunner", "DaskGraphRunner"))
            assert (ours.policy_name, ours.probabilities, ours.events, ours.optional_events) == (
                dask.policy_name, dask.probabilities, dask.events, dask.optional_events)
            compared += 1
    assert compared > 30


def test_an_input_named_like_a_node_is_refused_as_dask_refuses_it(runners: tuple[Any, dict[str, Any]]) -> None:
    metadata, loaded = runners
    node = next(iter(metadata.predict_schema.nodes))
    for runner in loaded.values():
        with pytest.raises(GraphRunError, match="clashes with a node name"):
            runner.run(inputs={PLACEHOLDER_MESSAGE: node}, targets=[metadata.nlu_target])

"""Rasa component that normalises message text (NFKC, traditional → simplified) before tokenisation."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalize import normalize_text

ORIGINAL_TEXT = "original_text"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class TextNormalizer(GraphComponent):
    """Rewrites each message's text in normalised form so full-width and traditional input classify alike.

    It must come first in the pipeline: the tokenizer and every featurizer see the normalised text. The user's
    own words are kept in the tracker (Rasa stores the text it received, not this one).
    """

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TextNormalizer:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._normalize(message)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        for message in training_data.training_examples:
            self._normalize(message)
        return training_data

    @staticmethod
    def _normalize(message: Message) -> None:
        text = message.get(TEXT)
        if not text:
            return
        normalized = normalize_text(text)
        if normalized != text:
            message.set(ORIGINAL_TEXT, text)
            message.set(TEXT, normalized)

"""Rasa entity extractor that turns the facts a user states ("大三 在兰州 第一次创业") into entities."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.facts import extract_facts

EXTRACTOR_NAME = "FactExtractor"


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class FactExtractor(GraphComponent):
    """Adds one entity per eligibility fact found by the rule-based extractor in ``nlu/facts/``.

    The entity name is the fact's name from ``policy_kb/data/facts.yml`` and the value its typed value, so the
    actions and the review console see the same facts. Positions span the whole message: the extractor
    reads meaning from phrases such as "毕业俩年" whose parts are scattered.
    """

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> FactExtractor:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            text = message.get(TEXT) or ""
            facts = extract_facts(text)
            if not facts:
                continue
            entities = list(message.get(ENTITIES) or [])
            entities.extend(
                {"entity": name, "value": value, "start": 0, "end": len(text), "extractor": EXTRACTOR_NAME}
                for name, value in facts.items()
            )
            message.set(ENTITIES, entities, add_to_output=True)
        return messages

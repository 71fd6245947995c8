"""Rasa components that read what the classifiers do not: the reply language, the aspect asked about and another
region's policy."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_NAME_KEY, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.aspects import read_aspect
from nlu.components.fallback import ACT_CHOSEN_BY_KEY
from nlu.language import detect_language
from nlu.regions import read_regions

LANGUAGE_ENTITY = "language"
ASPECT_ENTITY = "aspect"
ASPECT_KEY = "aspect"
REGION_ENTITY = "other_region"
OUT_OF_SCOPE = "out_of_scope"
SCOPE_REASON_KEY = "scope_reason"
OTHER_REGION = "other_region"


def add_entity(message: Message, name: str, value: str, extractor: str, **extra: Any) -> None:
    """Set the message's one entity ``name`` (spanning the whole message: it is read from the message as a whole)."""
    text = message.get(TEXT) or ""
    entities = [entity for entity in message.get(ENTITIES) or [] if entity.get("entity") != name]
    entities.append({"entity": name, "value": value, "start": 0, "end": len(text), **extra, "extractor": extractor})
    message.set(ENTITIES, entities, add_to_output=True)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class LanguageDetector(GraphComponent):
    """Adds a ``language`` entity (``zh`` or ``en``) when the message shows which; the slot keeps the last one."""

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LanguageDetector:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            language = detect_language(message.get(TEXT) or "")
            if language:
                add_entity(message, LANGUAGE_ENTITY, language, type(self).__name__)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class AspectReader(GraphComponent):
    """Adds an ``aspect`` entity when the message asks one aspect of a measure ("能贷多少" → amount).

    The parse data's ``aspect`` also says whether the message is only that question (``elliptical``: it is about the
    measure under discussion) and, for "那X呢", what X is (``continuation``: the previous aspect carries over).
    """

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> AspectReader:
        return cls()

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            reading = read_aspect(message.get(TEXT) or "")
            if reading.cue is not None:
                add_entity(message, ASPECT_ENTITY, reading.aspect, type(self).__name__)
            message.set(ASPECT_KEY, {"name": reading.aspect, "cue": reading.cue, "elliptical": reading.elliptical,
                                     "continuation": reading.continuation}, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class RegionScope(GraphComponent):
    """A question about another province's, city's or country's own measures becomes ``out_of_scope``.

    Runs after the act classifier. Only questions are changed (``acts``): "公司注册在西宁" given as a fact stays
    a fact for the eligibility check. The act the classifier chose stays first in ``intent_ranking`` after
    ``out_of_scope``, the place is an ``other_region`` entity and ``scope_reason`` says why.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"acts": ["ask_policy", "ask_department", "check_eligibility", "show_source"]}

    def __init__(self, config: dict[str, Any]) -> None:
        self.acts = set(config["acts"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> RegionScope:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            act = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
            if act not in self.acts and act != OUT_OF_SCOPE:
                continue
            region = read_regions(message.get(TEXT) or "").other_region
            if region is None:
                continue
            add_entity(message, REGION_ENTITY, region, type(self).__name__)
            message.set(SCOPE_REASON_KEY, OTHER_REGION, add_to_output=True)
            message.set(ACT_CHOSEN_BY_KEY, type(self).__name__, add_to_output=True)  # not by the ranking
            if act == OUT_OF_SCOPE:
                continue
            ranking = [entry for entry in message.get(INTENT_RANKING_KEY) or []
                       if entry.get(INTENT_NAME_KEY) != OUT_OF_SCOPE]
            chosen = {INTENT_NAME_KEY: OUT_OF_SCOPE, "confidence": 1.0}
            message.set(INTENT, chosen, add_to_output=True)
            message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
        return messages

"""The language entity and the out-of-scope turn for another region's measures, on Rasa messages."""

from __future__ import annotations

from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.message_context import LanguageDetector, RegionScope


def message(text: str, act: str) -> Message:
    ranking = [{"name": act, "confidence": 0.8}, {"name": "out_of_scope", "confidence": 0.1}]
    return Message(data={TEXT: text, INTENT: ranking[0], INTENT_RANKING_KEY: ranking})


def entities(parsed: Message) -> dict[str, str]:
    return {entity["entity"]: entity["value"] for entity in parsed.get(ENTITIES) or []}


def region_scope() -> RegionScope:
    return RegionScope(RegionScope.get_default_config())


def test_another_regions_measure_becomes_out_of_scope_and_names_the_region() -> None:
    parsed = region_scope().process([message("深圳创业担保贷款能贷多少", "ask_policy")])[0]
    assert parsed.get(INTENT) == {"name": "out_of_scope", "confidence": 1.0}
    assert [entry["name"] for entry in parsed.get(INTENT_RANKING_KEY)] == ["out_of_scope", "ask_policy"]
    assert entities(parsed) == {"other_region": "深圳"}
    assert parsed.get("scope_reason") == "other_region"


def test_out_of_scope_already_gets_the_region_for_its_wording() -> None:
    parsed = region_scope().process([message("南京应届生求职补贴多少钱", "out_of_scope")])[0]
    assert parsed.get(INTENT)["name"] == "out_of_scope"
    assert entities(parsed) == {"other_region": "南京"}


def test_facts_and_people_from_elsewhere_are_left_alone() -> None:
    fact = region_scope().process([message("公司注册在西宁", "inform")])[0]
    outsider = region_scope().process([message("我是湖南人 想在天水办科技公司", "ask_policy")])[0]
    assert fact.get(INTENT)["name"] == "inform" and entities(fact) == {}
    assert outsider.get(INTENT)["name"] == "ask_policy" and entities(outsider) == {}


def test_language_entity_only_when_the_message_shows_one() -> None:
    english, chinese, emoji = LanguageDetector().process(
        [Message(data={TEXT: "How much is the loan?"}), Message(data={TEXT: "能贷多少"}), Message(data={TEXT: "👍"})])
    assert entities(english) == {"language": "en"}
    assert entities(chinese) == {"language": "zh"}
    assert entities(emoji) == {}

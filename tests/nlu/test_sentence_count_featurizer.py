"""The whole-message count featurizer gives Rasa's sentence features and skips the per-token ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.pinyin_featurizer import PinyinFeaturizer
from nlu.components.sentence_count_featurizer import SentenceCountVectorsFeaturizer

TRAINING = [("大学生创业有社保补贴吗", "social_insurance"), ("休学创业学籍保留几年", "leave"),
            ("创业担保贷款怎么申请", "loan"), ("毕业两年还能领补贴吗", "social_insurance"), ("你好", "greet")]
PROBES = ["大三学生创业 社宝补贴咋领", "贷款", "完全没见过的词语", "!!!"]


def tokenizer(tmp_path: Path) -> JiebaTokenizer:
    resource = Resource("tokenizer")
    return JiebaTokenizer.create({**JiebaTokenizer.get_default_config(), "dictionary_path": None},
                                 LocalModelStorage(tmp_path), resource, context("tokenizer"))


def context(name: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=name)


def tokenized(tmp_path: Path, texts: list[tuple[str, str | None]]) -> list[Message]:
    messages = [Message(data={TEXT: text, **({INTENT: intent} if intent else {})}) for text, intent in texts]
    tokenizer(tmp_path).process_training_data(TrainingData(messages))
    return messages


def features(messages: list[Message], attribute: str) -> list[tuple[str, str, list]]:
    return [(feature.type, str(feature.features.dtype), feature.features.toarray().tolist())
            for message in messages for feature in message.features if feature.attribute == attribute]


@pytest.mark.parametrize("options", [{}, {"analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4}])
def test_sentence_features_are_rasas_and_per_token_features_are_not_computed(tmp_path: Path, options: dict) -> None:
    outputs = {}
    for component in (CountVectorsFeaturizer, SentenceCountVectorsFeaturizer):
        name = component.__name__
        featurizer = component.create({**component.get_default_config(), **options},
                                      LocalModelStorage(tmp_path), Resource(name), context(name))
        training = TrainingData(tokenized(tmp_path, TRAINING))
        featurizer.train(training)
        featurizer.process_training_data(training)
        probes = tokenized(tmp_path, [(text, None) for text in PROBES])
        featurizer.process(probes)
        outputs[component] = features(probes, TEXT)
    rasa_text, ours_text = outputs.values()
    assert [entry for entry in rasa_text if entry[0] == "sentence"] == ours_text  # same numbers, same order
    assert {kind for kind, *_ in ours_text} == {"sentence"}
    assert any(kind == "sequence" for kind, *_ in rasa_text)


def test_the_pinyin_featurizer_can_skip_per_token_counts(tmp_path: Path) -> None:
    outputs = {}
    for sequence_features in (True, False):
        name = f"pinyin{sequence_features}"
        featurizer = PinyinFeaturizer.create(
            {**PinyinFeaturizer.get_default_config(), "alias": name, "sequence_features": sequence_features},
            LocalModelStorage(tmp_path), Resource(name), context(name))
        featurizer.train(TrainingData(tokenized(tmp_path, TRAINING)))
        probes = tokenized(tmp_path, [(text, None) for text in PROBES])
        featurizer.process(probes)
        outputs[sequence_features] = features(probes, TEXT)
    assert [entry for entry in outputs[True] if entry[0] == "sentence"] == outputs[False]
    assert {kind for kind, *_ in outputs[False]} == {"sentence"}
    assert any(kind == "sequence" for kind, *_ in outputs[True])

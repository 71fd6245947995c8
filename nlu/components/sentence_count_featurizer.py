"""Rasa's ``CountVectorsFeaturizer`` that counts whole messages only, for a classifier of whole messages."""

from __future__ import annotations

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
            counts = vectorizer.transform([" ".join(tokens)])  # exactly Rasa's sentence features
            counts.sort_indices()
            sentence_features.append(counts.tocoo())
        return [None] * len(all_tokens), sentence_features

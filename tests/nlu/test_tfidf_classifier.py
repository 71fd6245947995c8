"""The TF-IDF logistic-regression classifier: what it fits, what it stores, what it refuses to load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.tfidf_classifier import (
    FittedTfidfTransformer,
    TfidfLogisticRegressionClassifier,
    UntrustedModelError,
    side_by_side,
)

# Sentence feature counts (5 features) for three intents; feature 4 appears everywhere, feature 3 is repeated.
EXAMPLES = [
    ([3, 0, 0, 1, 1], "subsidy"), ([2, 0, 0, 4, 1], "subsidy"), ([1, 0, 0, 0, 2], "subsidy"),
    ([0, 2, 0, 0, 1], "loan"), ([0, 3, 1, 0, 1], "loan"), ([0, 1, 0, 0, 3], "loan"),
    ([0, 0, 2, 0, 1], "greet"), ([0, 1, 3, 0, 1], "greet"), ([0, 0, 1, 5, 2], "greet"),
]
CONFIG = {"C": 100.0, "max_iter": 1000, "random_state": 42}


def message(counts: list[int], intent: str | None = None) -> Message:
    data = {TEXT: " ".join(map(str, counts)), **({"intent": intent} if intent else {})}
    result = Message(data=data)
    result.add_features(Features(scipy.sparse.csr_matrix([counts], dtype=float), "sentence", TEXT, "counts"))
    return result


def component_in(storage_dir: Path, resource: Resource) -> tuple[LocalModelStorage, ExecutionContext]:
    return LocalModelStorage(storage_dir), ExecutionContext(GraphSchema({}), node_name=resource.name)


def train(storage_dir: Path) -> tuple[TfidfLogisticRegressionClassifier, LocalModelStorage, Resource, ExecutionContext]:
    resource = Resource("tfidf_classifier")
    storage, context = component_in(storage_dir, resource)
    classifier = TfidfLogisticRegressionClassifier.create(
        {**TfidfLogisticRegressionClassifier.get_default_config(), **CONFIG}, storage, resource, context)
    classifier.train(TrainingData([message(counts, intent) for counts, intent in EXAMPLES]))
    return classifier, storage, resource, context


def ranking(classifier: TfidfLogisticRegressionClassifier, counts: list[int]) -> dict[str, float]:
    parsed = classifier.process([message(counts)])[0]
    return {entry["name"]: entry["confidence"] for entry in parsed.get("intent_ranking")}


def test_it_is_logistic_regression_on_tfidf_weights_not_on_raw_counts(tmp_path: Path) -> None:
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    classifier, *_ = train(tmp_path)
    counts = np.array([counts for counts, _ in EXAMPLES], dtype=float)
    intents = [intent for _, intent in EXAMPLES]
    weights = TfidfTransformer(sublinear_tf=True).fit(counts)
    on_tfidf = LogisticRegression(C=100.0, class_weight="balanced", max_iter=1000, random_state=42)
    on_tfidf.fit(weights.transform(counts), intents)
    on_counts = LogisticRegression(C=100.0, class_weight="balanced", max_iter=1000, random_state=42)
    on_counts.fit(counts, intents)

    probe = [2, 1, 0, 3, 1]
    expected = dict(zip(on_tfidf.classes_, on_tfidf.predict_proba(weights.transform([probe]))[0], strict=True))
    raw = dict(zip(on_counts.classes_, on_counts.predict_proba([probe])[0], strict=True))
    got = ranking(classifier, probe)
    assert got == pytest.approx(expected, abs=1e-9)
    assert got != pytest.approx(raw, abs=1e-3)  # the weighting changes the answer's probabilities


def test_the_stored_classifier_loads_with_the_same_answers_and_column_major_weights(tmp_path: Path) -> None:
    classifier, storage, resource, context = train(tmp_path)
    loaded = TfidfLogisticRegressionClassifier.load(
        {**TfidfLogisticRegressionClassifier.get_default_config(), **CONFIG}, storage, resource, context)
    regression = loaded.clf.named_steps["logistic_regression"]
    assert regression.coef_.flags["F_CONTIGUOUS"]
    for counts, _ in EXAMPLES:
        assert ranking(loaded, counts) == pytest.approx(ranking(classifier, counts), abs=1e-12)
    assert max(ranking(loaded, [0, 0, 3, 0, 1]).items(), key=lambda item: item[1])[0] == "greet"


def test_the_loaded_weighting_computes_its_idf_vector_once_and_transforms_as_scikit_learn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.feature_extraction.text import TfidfTransformer

    classifier, storage, resource, context = train(tmp_path)
    loaded = TfidfLogisticRegressionClassifier.load(
        {**TfidfLogisticRegressionClassifier.get_default_config(), **CONFIG}, storage, resource, context)
    tfidf = loaded.clf.named_steps["tfidf"]
    assert isinstance(tfidf, FittedTfidfTransformer)
    fitted = classifier.clf.named_steps["tfidf"]  # the plain scikit-learn transformer that was trained
    assert type(fitted) is TfidfTransformer
    sums: list[object] = []
    original_sum = scipy.sparse.csr_matrix.sum
    monkeypatch.setattr(scipy.sparse.csr_matrix, "sum",
                        lambda matrix, *args, **kwargs: sums.append(matrix) or original_sum(matrix, *args, **kwargs))
    probes = scipy.sparse.csr_matrix([[2, 1, 0, 3, 1], [0, 0, 7, 0, 1], [1, 1, 1, 1, 1]], dtype=float)
    for _ in range(3):
        assert (tfidf.transform(probes) != fitted.transform(probes)).nnz == 0  # the same numbers, bit for bit
    monkeypatch.undo()
    assert len([matrix for matrix in sums if matrix is tfidf._idf_diag]) == 1
    assert len([matrix for matrix in sums if matrix is fitted._idf_diag]) == 3  # scikit-learn's: every call
    assert np.array_equal(tfidf.idf_, fitted.idf_)
    tfidf.idf_ = [1.0, 2.0, 3.0, 4.0, 5.0]  # setting it (or fitting again) is not hidden by the kept vector
    assert np.array_equal(tfidf.idf_, [1.0, 2.0, 3.0, 4.0, 5.0])
    tfidf.fit(probes)
    assert np.array_equal(tfidf.idf_, TfidfTransformer(sublinear_tf=True).fit(probes).idf_)


def test_a_stored_file_with_an_untrusted_type_is_refused_not_quietly_replaced(tmp_path: Path) -> None:
    """Rasa's own load would return an untrained classifier; this one stops the model from loading."""
    import os

    import skops.io as sio
    from sklearn.preprocessing import FunctionTransformer

    _, storage, resource, context = train(tmp_path)
    with storage.write_to(resource) as directory:
        sio.dump(FunctionTransformer(func=os.system), directory / f"{resource.name}.skops")
    with pytest.raises(UntrustedModelError, match="not trusted"):
        TfidfLogisticRegressionClassifier.load(CONFIG, storage, resource, context)


def test_the_project_model_uses_it(assistant) -> None:
    """config.yml's classifier is this one, trained: a policy question gets a confident policy topic."""
    config = (Path(__file__).resolve().parents[2] / "config.yml").read_text(encoding="utf-8")
    assert "nlu.components.tfidf_classifier.TfidfLogisticRegressionClassifier" in config
    parsed = assistant.loop_parse("大学生创业有没有社保补贴")
    assert parsed["intent"]["name"] != "nlu_fallback"
    assert parsed["intent"]["confidence"] >= 0.2
    assert len(parsed["intent_ranking"]) > 5


def test_sentence_features_side_by_side_equal_scipys_stacking() -> None:
    """Blocks of every kind the featurizers give: sorted counts, unsorted COO with a repeated column, floats."""
    rng = np.random.default_rng(7)

    def message_blocks() -> list[scipy.sparse.spmatrix]:
        words = scipy.sparse.random(1, 50, density=0.1, format="coo", random_state=rng, dtype=np.int64)
        characters = scipy.sparse.random(1, 80, density=0.2, format="csr", random_state=rng)
        columns = rng.integers(0, 30, size=6)
        pinyin = scipy.sparse.coo_matrix((np.arange(1.0, 7.0), (np.zeros(6, dtype=int), columns[::-1])),
                                         shape=(1, 30))  # unsorted, maybe repeated columns
        return [words, characters, pinyin]

    rows = [message_blocks() for _ in range(4)]
    expected = scipy.sparse.vstack([scipy.sparse.hstack(blocks, format="csr") for blocks in rows], format="csr")
    ours = side_by_side(rows)
    assert ours.shape == expected.shape == (4, 160) and ours.dtype == expected.dtype
    assert ours.has_canonical_format
    assert (ours != expected).nnz == 0
    np.testing.assert_array_equal(ours.indices, expected.indices)
    np.testing.assert_array_equal(ours.data, expected.data)
    with pytest.raises(ValueError, match="unequal shapes"):
        side_by_side([rows[0], rows[1][:2]])

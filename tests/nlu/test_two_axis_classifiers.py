"""The linear model behind the act and topic classifiers: scikit-learn's numbers, stored as plain arrays."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from rasa.shared.nlu.constants import ENTITIES, INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message

from nlu.components.fallback import ACT_CHOSEN_BY_KEY
from nlu.components.two_axis_classifiers import (
    NO_TOPIC,
    TOPIC_KEY,
    LinearTextModel,
    TopicScopeGuard,
    example_topic,
    sentence_features_of_one,
    side_by_side,
    tfidf,
)


def random_data(rows: int = 60, width: int = 40, dense_width: int = 8):
    generator = np.random.default_rng(7)
    counts = scipy.sparse.random(rows, width, density=0.2, format="csr", random_state=7,
                                 data_rvs=lambda n: generator.integers(1, 4, n).astype(float))
    dense = generator.normal(size=(rows, dense_width))
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    labels = [f"label{index % 4}" for index in range(rows)]
    return counts, dense, labels


def test_tfidf_is_scikit_learns() -> None:
    from sklearn.feature_extraction.text import TfidfTransformer

    counts, _, _ = random_data()
    transformer = TfidfTransformer(sublinear_tf=True).fit(counts)
    np.testing.assert_allclose(tfidf(counts, transformer.idf_).toarray(), transformer.transform(counts).toarray(),
                               rtol=1e-10, atol=1e-12)


def test_probabilities_are_scikit_learns_and_survive_storage(tmp_path) -> None:
    from sklearn.feature_extraction.text import TfidfTransformer
    from sklearn.linear_model import LogisticRegression

    counts, dense, labels = random_data()
    model = LinearTextModel.fit(counts, dense, labels, C=10.0, embedding_weight=0.5, max_iter=2000, random_state=0)
    idf = TfidfTransformer(sublinear_tf=True).fit(counts).idf_
    features = scipy.sparse.hstack([tfidf(counts, idf), scipy.sparse.csr_matrix(0.5 * dense)], format="csr")
    reference = LogisticRegression(C=10.0, max_iter=2000, random_state=0, multi_class="multinomial").fit(
        features, labels)
    np.testing.assert_allclose(model.probabilities(counts, dense), reference.predict_proba(features), atol=1e-8)

    model.save(tmp_path)
    loaded = LinearTextModel.load(tmp_path)
    assert loaded.labels == model.labels
    np.testing.assert_allclose(loaded.probabilities(counts, dense), model.probabilities(counts, dense))


def test_a_model_without_embedding_uses_the_counts_alone() -> None:
    counts, _, labels = random_data()
    model = LinearTextModel.fit(counts, np.zeros((counts.shape[0], 0)), labels, C=1.0, embedding_weight=1.0,
                                max_iter=500, random_state=0)
    probabilities = model.probabilities(counts[:3], np.zeros((3, 0)))
    assert probabilities.shape == (3, 4)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


@pytest.mark.parametrize(("metadata", "topic"), [
    ({"intent": {"topic": "tax_incentives"}}, "tax_incentives"),
    ({"intent": {"other": 1}}, NO_TOPIC),
    (None, NO_TOPIC),
])
def test_the_topic_of_a_training_example_is_its_blocks_metadata(metadata, topic) -> None:
    message = Message(data={TEXT: "税收优惠", INTENT: "ask_policy", **({"metadata": metadata} if metadata else {})})
    assert example_topic(message) == topic


def test_trained_model_puts_topic_and_act_on_the_parse(assistant) -> None:
    parsed = assistant.loop_parse("创业补贴里交社保那个 归哪个部门管")
    assert parsed["intent"]["name"] == "ask_department"
    topics = [entity for entity in parsed[ENTITIES] if entity["entity"] == "topic"]
    assert [entity["value"] for entity in topics] == ["student_startup_social_insurance"]
    assert 0.35 <= topics[0]["confidence_entity"] <= 1.0
    assert parsed["topic"]["name"] == "student_startup_social_insurance"
    assert parsed["topic_ranking"][0]["name"] == "student_startup_social_insurance"


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


def test_one_message_is_scored_on_its_arrays_as_a_batch_is_on_sparse_matrices() -> None:
    """The serving path (``sentence_features_of_one``, ``probabilities_of_one``) against ``side_by_side`` and
    ``probabilities``, on blocks of every kind: sorted counts, unsorted COO with repeated columns, a dense block."""
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
    from rasa.shared.nlu.training_data.features import Features

    rng = np.random.default_rng(11)
    messages, rows, dense_rows = [], [], []
    for _ in range(30):
        words = scipy.sparse.random(1, 50, density=0.1, format="coo", random_state=rng,
                                    data_rvs=lambda n: rng.integers(1, 4, n).astype(float))
        columns = rng.integers(0, 30, size=6)
        pinyin = scipy.sparse.coo_matrix((np.arange(1.0, 7.0), (np.zeros(6, dtype=int), columns[::-1])),
                                         shape=(1, 30))
        embedding = rng.normal(size=8)
        message = Message(data={TEXT: "x"})
        for name, block in (("words", words), ("pinyin", pinyin)):
            message.add_features(Features(block, FEATURE_TYPE_SENTENCE, TEXT, name))
        message.add_features(Features(embedding[np.newaxis, :], FEATURE_TYPE_SENTENCE, TEXT, "embedding"))
        messages.append(message)
        rows.append([words, pinyin])
        dense_rows.append(embedding)
    counts, dense = side_by_side(rows), np.array(dense_rows)
    labels = [f"label{index % 3}" for index in range(len(messages))]
    model = LinearTextModel.fit(counts, dense, labels, C=10.0, embedding_weight=0.7, max_iter=2000, random_state=0)
    batch = model.probabilities(counts, dense)
    for index, message in enumerate(messages):
        columns, values, width, embedding = sentence_features_of_one(message)
        assert width == 80 and np.all(np.diff(columns) > 0)
        np.testing.assert_array_equal(columns, counts[index].indices)
        np.testing.assert_array_equal(values, counts[index].data)
        np.testing.assert_allclose(model.probabilities_of_one(columns, values, embedding), batch[index],
                                   rtol=1e-12, atol=1e-15)


def guarded(out_of_scope: float, topic: str, topic_confidence: float) -> Message:
    message = Message(data={TEXT: "在新疆摘棉花好几年了 想回老家养鸡 有啥帮扶没"})
    ranking = [{"name": "out_of_scope", "confidence": out_of_scope},
               {"name": "ask_policy", "confidence": (1 - out_of_scope) * 0.6},
               {"name": "inform", "confidence": (1 - out_of_scope) * 0.4}]
    message.set(INTENT, ranking[0])
    message.set("intent_ranking", ranking)
    message.set(TOPIC_KEY, {"name": topic, "confidence": topic_confidence})
    return TopicScopeGuard(TopicScopeGuard.get_default_config()).process([message])[0]


def test_a_sure_topic_keeps_a_message_in_scope_unless_out_of_scope_is_sure_too() -> None:
    kept = guarded(0.7, "rural_returnee_startup", 0.9)
    assert kept.get(INTENT)["name"] == "ask_policy" and kept.get(ACT_CHOSEN_BY_KEY) == "TopicScopeGuard"
    assert [entry["name"] for entry in kept.get("intent_ranking")] == ["ask_policy", "out_of_scope", "inform"]
    assert guarded(0.85, "rural_returnee_startup", 0.9).get(INTENT)["name"] == "out_of_scope"  # sure: stays out
    assert guarded(0.7, "rural_returnee_startup", 0.6).get(INTENT)["name"] == "out_of_scope"  # topic unsure
    assert guarded(0.7, NO_TOPIC, 0.95).get(INTENT)["name"] == "out_of_scope"


def cascade_messages(counts: scipy.sparse.csr_matrix, texts: list[str]) -> list[Message]:
    """Messages as a lazy pipeline serves them: the count features, no embedding yet."""
    from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE
    from rasa.shared.nlu.training_data.features import Features

    messages = []
    for index, text in enumerate(texts):
        message = Message(data={TEXT: text})
        message.add_features(Features(counts[index], FEATURE_TYPE_SENTENCE, TEXT, "counts"))
        messages.append(message)
    return messages


@pytest.mark.parametrize("gate", [0.0, "median", 1.01])
def test_the_cascade_embeds_only_the_messages_the_counts_alone_are_unsure_of(gate: float | str) -> None:
    from nlu.components.sentence_embedding_featurizer import EMBEDDING_DIMENSION, EMBEDDING_KEY, embed
    from nlu.components.two_axis_classifiers import ActClassifier

    texts = [f"{word}创业补贴怎么申请" for word in ("大学生", "返乡", "科研人员", "残疾人", "退役军人", "农民工")] * 5
    counts, _, labels = random_data(rows=len(texts))
    dense = embed(texts).astype(np.float64)
    assert dense.shape == (len(texts), EMBEDDING_DIMENSION)
    settings = {"C": 10.0, "max_iter": 2000, "random_state": 0}
    full = LinearTextModel.fit(counts, dense, labels, embedding_weight=1.0, **settings)
    counts_only = LinearTextModel.fit(counts, np.zeros((len(texts), 0)), labels, embedding_weight=0.0, **settings)
    quick = counts_only.probabilities(counts, np.zeros((len(texts), 0)))
    if gate == "median":
        gate = float(np.median(quick.max(axis=1)))
    classifier = ActClassifier({**ActClassifier.get_default_config(), "cascade_confidence": gate}, None, None,
                               full, counts_only)
    messages = cascade_messages(counts, texts)
    probabilities = classifier.probabilities(messages)

    unsure = quick.max(axis=1) < gate
    embedded = np.array([message.get(EMBEDDING_KEY) is not None for message in messages])
    np.testing.assert_array_equal(embedded, unsure)  # the embedding is computed for these messages only
    np.testing.assert_allclose(probabilities[~unsure], quick[~unsure])
    np.testing.assert_allclose(probabilities[unsure], full.probabilities(counts, dense)[unsure], atol=1e-6)
    assert unsure.all() if gate > 1 else (not unsure.any() if gate == 0.0 else unsure.any() and not unsure.all())


"""The two axes of understanding: what the user wants to do (the act, Rasa's intent) and which policy (the topic).

One flat list of intents made the 28 topics compete with "which department", "do I qualify" and "here are my
facts", and the topic lost whenever a message did two things. Here two classifiers read the same features:

* ``ActClassifier`` predicts the act (``ask_policy``, ``ask_department``, ``check_eligibility``, ``inform`` …) as
  the message's intent, so Rasa's rules, fallback and forms work as before;
* ``TopicClassifier`` predicts one of the 28 topics or ``none``; the topic is added as a ``topic`` entity (with
  ``confidence_entity``) when it is likely enough, and the whole ranking as ``topic`` / ``topic_ranking`` in the
  parse data, beside ``intent`` / ``intent_ranking``.

Both are ``LinearTextModel``: the count featurizers' sentence features weighted by TF-IDF (sublinear term
frequency, unit length) beside the sentence embedding times ``embedding_weight``, into multinomial logistic
regression. The training labels come from the data: the intent of each example for the act, and the ``topic``
of the intent's metadata (``nlu/data/topics/*.yml``) for the topic, ``none`` where there is none. The fitted model
is stored as plain arrays (``.npz``) and label names (JSON): nothing executable is loaded from a model file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
from joblib import Parallel, delayed
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    METADATA,
    METADATA_INTENT,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.components.fallback import ACT_CHOSEN_BY_KEY
from nlu.components.message_context import add_entity
from nlu.components.sentence_embedding_featurizer import message_embedding

NO_TOPIC = "none"
OUT_OF_SCOPE_ACT = "out_of_scope"
TOPIC_ENTITY = "topic"
TOPIC_KEY = "topic"
TOPIC_RANKING_KEY = "topic_ranking"
MODEL_FILE = "linear_model.npz"
LABELS_FILE = "labels.json"
# The counts-only model of the cascade, beside the full one in the component's storage.
COUNTS_ONLY_DIRECTORY = "counts_only"


class LinearTextModel:
    """TF-IDF-weighted sparse counts and a weighted dense embedding, into multinomial logistic regression."""

    def __init__(self, labels: list[str], idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray,
                 embedding_weight: float) -> None:
        self.labels = labels
        self.idf = idf.astype(np.float64)
        self.embedding_weight = float(embedding_weight)
        self.sparse_width = len(idf)
        # Features × labels, row-major: SciPy's sparse-times-dense product reads the dense matrix in C order (a
        # column-major one is copied, 14 MB, on every message); NumPy's one-row product takes either.
        self.sparse_coef = np.ascontiguousarray(coef[:, :self.sparse_width].T)
        self.dense_coef = np.ascontiguousarray(coef[:, self.sparse_width:].T)
        self.intercept = intercept.astype(np.float64)

    @property
    def dense_width(self) -> int:
        return int(self.dense_coef.shape[0])

    @classmethod
    def fit(cls, counts: scipy.sparse.csr_matrix, dense: np.ndarray, labels: list[str], *, C: float,
            embedding_weight: float, max_iter: int, random_state: int,
            class_weight: str | None = None) -> LinearTextModel:
        from sklearn.feature_extraction.text import TfidfTransformer
        from sklearn.linear_model import LogisticRegression

        idf = TfidfTransformer(sublinear_tf=True).fit(counts).idf_
        features = _design_matrix(tfidf(counts, idf), dense, embedding_weight)
        regression = LogisticRegression(C=C, max_iter=max_iter, random_state=random_state, multi_class="multinomial",
                                        class_weight=class_weight)
        regression.fit(features, labels)
        return cls([str(label) for label in regression.classes_], idf, regression.coef_, regression.intercept_,
                   embedding_weight)

    def probabilities(self, counts: scipy.sparse.csr_matrix, dense: np.ndarray) -> np.ndarray:
        """One row of label probabilities per message (softmax of the linear scores, as scikit-learn's)."""
        scores = np.asarray(tfidf(counts, self.idf) @ self.sparse_coef)
        if self.dense_coef.shape[0]:
            scores = scores + self.embedding_weight * (dense @ self.dense_coef)
        scores += self.intercept
        return softmax(scores)

    def probabilities_of_one(self, columns: np.ndarray, counts: np.ndarray, dense: np.ndarray) -> np.ndarray:
        """``probabilities`` of one message, from its counts as sorted distinct columns and their counts.

        The same arithmetic as ``tfidf`` and the product, on the message's arrays: for one message, building and
        checking SciPy's sparse matrices costs about ten times the arithmetic (0.7 ms against 0.05 ms here).
        """
        weights = np.log(counts.astype(np.float64))
        weights += 1.0
        weights *= self.idf[columns]
        norm = np.sqrt(weights @ weights)
        if norm:
            weights /= norm
        scores = weights @ self.sparse_coef[columns]
        if self.dense_coef.shape[0]:
            scores = scores + self.embedding_weight * (dense @ self.dense_coef)
        scores += self.intercept
        return softmax(scores)

    def save(self, directory: Path) -> None:
        coef = np.hstack([self.sparse_coef.T, self.dense_coef.T])
        np.savez(directory / MODEL_FILE, idf=self.idf, coef=coef, intercept=self.intercept,
                 embedding_weight=np.array(self.embedding_weight))
        (directory / LABELS_FILE).write_text(json.dumps(self.labels, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> LinearTextModel:
        with np.load(directory / MODEL_FILE, allow_pickle=False) as arrays:
            return cls(json.loads((directory / LABELS_FILE).read_text(encoding="utf-8")), arrays["idf"],
                       arrays["coef"], arrays["intercept"], float(arrays["embedding_weight"]))


def softmax(scores: np.ndarray) -> np.ndarray:
    """Probabilities from linear scores along the last axis, as scikit-learn's (``scores`` is overwritten)."""
    scores -= scores.max(axis=-1, keepdims=True)
    np.exp(scores, out=scores)
    return scores / scores.sum(axis=-1, keepdims=True)


def tfidf(counts: scipy.sparse.csr_matrix, idf: np.ndarray) -> scipy.sparse.csr_matrix:
    """scikit-learn's ``TfidfTransformer(sublinear_tf=True)`` transform: (1 + log tf) × idf, rows of unit length."""
    weighted = scipy.sparse.csr_matrix(counts, dtype=np.float64, copy=True)
    np.log(weighted.data, out=weighted.data)
    weighted.data += 1.0
    weighted.data *= idf[weighted.indices]
    squared = weighted.multiply(weighted).sum(axis=1).A1
    norms = np.sqrt(squared)
    norms[norms == 0.0] = 1.0
    weighted.data /= np.repeat(norms, np.diff(weighted.indptr))
    return weighted


def _design_matrix(weighted: scipy.sparse.csr_matrix, dense: np.ndarray, embedding_weight: float) -> Any:
    if dense.shape[1] == 0:
        return weighted
    return scipy.sparse.hstack([weighted, scipy.sparse.csr_matrix(embedding_weight * dense)], format="csr")


def side_by_side(rows: list[list[scipy.sparse.spmatrix]]) -> scipy.sparse.csr_matrix:
    """One CSR row per message: its one-row blocks side by side (equal to ``vstack`` of ``hstack``ed rows).

    Every message has blocks of the same widths (the same featurizers). The result is in canonical form (indices
    sorted, duplicates summed), as scipy's stacking leaves it.
    """
    widths = [block.shape[1] for block in rows[0]]
    offsets = np.concatenate(([0], np.cumsum(widths)[:-1]))
    data, indices, indptr = [], [], [0]
    for blocks in rows:
        if [block.shape for block in blocks] != [(1, width) for width in widths]:
            raise ValueError(f"sentence features of unequal shapes: {[block.shape for block in blocks]}")
        for block, offset in zip(blocks, offsets, strict=True):
            coo = block.tocoo()
            data.append(coo.data)
            indices.append(coo.col.astype(np.int64) + offset)
        indptr.append(indptr[-1] + sum(block.nnz for block in blocks))
    dtype = np.result_type(*(block.dtype for block in rows[0]))
    matrix = scipy.sparse.csr_matrix(
        (np.concatenate(data).astype(dtype, copy=False), np.concatenate(indices), np.array(indptr)),
        shape=(len(rows), int(sum(widths))))
    matrix.sum_duplicates()
    return matrix


def message_features(messages: list[Message]) -> tuple[scipy.sparse.csr_matrix, np.ndarray]:
    """The sparse sentence counts side by side, and the dense sentence features side by side, one row each."""
    sparse_rows, dense_rows = [], []
    for message in messages:
        sentence = [feature for feature in message.features
                    if feature.attribute == TEXT and feature.type == FEATURE_TYPE_SENTENCE]
        sparse_rows.append([feature.features for feature in sentence if feature.is_sparse()])
        dense_rows.append([np.asarray(feature.features, dtype=np.float64).reshape(-1)
                           for feature in sentence if feature.is_dense()])
    widths = {tuple(block.shape[1] for block in row) for row in sparse_rows}
    if len(widths) != 1 or not next(iter(widths)):
        raise ValueError("every message needs the same sparse sentence features (are the count featurizers first?)")
    if len({sum(len(block) for block in row) for row in dense_rows}) != 1:
        raise ValueError("every message needs the same dense sentence features (is the embedding featurizer on? "
                         "a lazy one adds none to messages being served)")
    dense = np.array([np.concatenate(row) if row else np.zeros(0) for row in dense_rows], dtype=np.float64)
    return side_by_side(sparse_rows), dense


def sentence_features_of_one(message: Message) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """One message's sentence features: the sparse counts side by side as sorted distinct columns and their
    counts (the row ``side_by_side`` makes, without a sparse matrix), their total width, and the dense features
    side by side."""
    columns, counts, dense = [], [], []
    width = 0
    for feature in message.features:
        if feature.attribute != TEXT or feature.type != FEATURE_TYPE_SENTENCE:
            continue
        if feature.is_sparse():
            block = feature.features.tocoo()
            if block.shape[0] != 1:
                raise ValueError(f"a sentence feature of {block.shape[0]} rows")
            columns.append(block.col.astype(np.int64) + width)
            counts.append(block.data)
            width += block.shape[1]
        else:
            dense.append(np.asarray(feature.features, dtype=np.float64).reshape(-1))
    all_columns = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    all_counts = np.concatenate(counts).astype(np.float64) if counts else np.zeros(0)
    if np.any(np.diff(all_columns) <= 0):  # unsorted or repeated: sorted and summed, as SciPy's canonical form
        all_columns, where = np.unique(all_columns, return_inverse=True)
        all_counts = np.bincount(where, weights=all_counts)
    return all_columns, all_counts, width, (np.concatenate(dense) if dense else np.zeros(0))


def ranking(model: LinearTextModel, probabilities: np.ndarray, length: int) -> list[dict[str, Any]]:
    order = np.argsort(-probabilities)[:length]
    return [{INTENT_NAME_KEY: model.labels[index], PREDICTED_CONFIDENCE_KEY: float(probabilities[index])}
            for index in order]


class LinearClassifierComponent(GraphComponent):
    """Training, storage and prediction shared by the act and the topic classifier; subclasses say which label."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # cascade_confidence: with a lazy embedding featurizer, a counts-only model is trained too, and a message
        # it is at least this sure of is decided without the embedding (None: no cascade).
        return {"C": 30.0, "embedding_weight": 1.0, "max_iter": 2000, "random_state": 42, "ranking_length": 10,
                "class_weight": None, "cascade_confidence": None}

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 model: LinearTextModel | None = None, counts_only: LinearTextModel | None = None) -> None:
        self.config = config
        self._model_storage = model_storage
        self._resource = resource
        self.model = model
        self.counts_only = counts_only

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> LinearClassifierComponent:
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> LinearClassifierComponent:
        model = counts_only = None
        try:
            with model_storage.read_from(resource) as directory:
                model = LinearTextModel.load(directory)
                if (directory / COUNTS_ONLY_DIRECTORY).is_dir():
                    counts_only = LinearTextModel.load(directory / COUNTS_ONLY_DIRECTORY)
        except ValueError:  # nothing stored: the pipeline had no training data for it
            pass
        return cls(config, model_storage, resource, model, counts_only)

    def label(self, message: Message) -> str | None:
        raise NotImplementedError

    def apply(self, message: Message, probabilities: np.ndarray) -> None:
        raise NotImplementedError

    def train(self, training_data: TrainingData) -> Resource:
        examples = [message for message in training_data.intent_examples if self.label(message) is not None]
        counts, dense = message_features(examples)
        labels = [self.label(message) for message in examples]
        settings = {"C": self.config["C"], "max_iter": self.config["max_iter"],
                    "random_state": self.config["random_state"], "class_weight": self.config["class_weight"]}
        fits = [(dense, self.config["embedding_weight"])]
        if self.config["cascade_confidence"] is not None:
            fits.append((np.zeros((len(examples), 0)), 0.0))
        # The cascade's two models are independent: fitted side by side, one core each (joblib, from scikit-learn).
        models = Parallel(n_jobs=len(fits))(
            delayed(LinearTextModel.fit)(counts, features, labels, embedding_weight=weight, **settings)
            for features, weight in fits)
        self.model, self.counts_only = models[0], (models[1] if len(models) > 1 else None)
        with self._model_storage.write_to(self._resource) as directory:
            self.model.save(directory)
            if self.counts_only is not None:
                (directory / COUNTS_ONLY_DIRECTORY).mkdir()
                self.counts_only.save(directory / COUNTS_ONLY_DIRECTORY)
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.model is None:
            return messages
        with_text = [message for message in messages if (message.get(TEXT) or "").strip() and message.features]
        if not with_text:
            return messages
        for message, probabilities in zip(with_text, self.probabilities(with_text), strict=True):
            self.apply(message, probabilities)
        return messages

    def probabilities(self, messages: list[Message]) -> np.ndarray:
        """One row of label probabilities per message (``probabilities_of_one``)."""
        return np.array([self.probabilities_of_one(message) for message in messages])

    def probabilities_of_one(self, message: Message) -> np.ndarray:
        """The full model's probabilities, or the counts-only model's when it is sure of the message and the
        embedding featurizer left the embedding to be computed on demand (the cascade).

        Messages are served one at a time; a message on its own is scored on its arrays (see
        ``LinearTextModel.probabilities_of_one``).
        """
        columns, counts, width, dense = sentence_features_of_one(message)
        if width != self.model.sparse_width:
            raise ValueError(f"sparse sentence features {width} wide, the model was trained on "
                             f"{self.model.sparse_width} (are the count featurizers first?)")
        if dense.shape[0] == self.model.dense_width:  # the features are all there (training data, eager)
            return self.model.probabilities_of_one(columns, counts, dense)
        gate = self.config["cascade_confidence"]
        # Whether a text was served before does not matter: the same text always gets the same reading.
        if self.counts_only is not None and gate is not None:
            quick = self.counts_only.probabilities_of_one(columns, counts, np.zeros(0))
            if quick.max() >= gate:
                return quick
        return self.model.probabilities_of_one(columns, counts, message_embedding(message).astype(np.float64))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class ActClassifier(LinearClassifierComponent, IntentClassifier):
    """What the user wants to do, as the message's intent and intent ranking.

    ``out_of_scope_threshold``: out of scope wins whenever it is at least this likely, even when another act is
    likelier. A question outside the plan answered with a measure misleads; a policy question called out of scope
    is rarer and says how to ask (the threshold is chosen by cross-validation, README "NLU").
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LinearClassifierComponent.get_default_config(), "out_of_scope_threshold": 1.0}

    def label(self, message: Message) -> str | None:
        return message.get(INTENT)

    def apply(self, message: Message, probabilities: np.ndarray) -> None:
        ranked = ranking(self.model, probabilities, self.config["ranking_length"])
        out_of_scope = next((entry for entry in ranked if entry[INTENT_NAME_KEY] == OUT_OF_SCOPE_ACT), None)
        if out_of_scope and out_of_scope[PREDICTED_CONFIDENCE_KEY] >= self.config["out_of_scope_threshold"]:
            if ranked[0] is not out_of_scope:  # chosen by the threshold, not as the likeliest (see fallback.py)
                message.set(ACT_CHOSEN_BY_KEY, "out_of_scope_threshold", add_to_output=True)
            ranked = [out_of_scope, *(entry for entry in ranked if entry is not out_of_scope)]
        message.set(INTENT, ranked[0], add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranked, add_to_output=True)


def example_topic(message: Message) -> str:
    """The topic an example was written for: its intent block's ``metadata: {topic: …}``, else ``none``."""
    metadata = message.get(METADATA) or {}
    intent_metadata = metadata.get(METADATA_INTENT) if isinstance(metadata, dict) else None
    topic = intent_metadata.get(TOPIC_KEY) if isinstance(intent_metadata, dict) else None
    return str(topic) if topic else NO_TOPIC


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TopicClassifier(LinearClassifierComponent):
    """Which of the policy topics the message is about: a ``topic`` entity, and the ranking in the parse data.

    ``threshold``: the least confidence at which the top topic becomes an entity (below it, the actions may
    still offer the ranking as choices). ``exclude_acts``: acts whose examples do not train the topic. Out-of-scope
    examples are left out by default: many name a measure of another region ("深圳创业担保贷款"), and the act
    classifier, not the topic, decides that such a question is not answered; as ``none`` they taught the topic
    classifier that loan words mean no topic.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LinearClassifierComponent.get_default_config(), "threshold": 0.35, "ranking_length": 5,
                "exclude_acts": ["out_of_scope"]}

    def label(self, message: Message) -> str | None:
        intent = message.get(INTENT)
        if not intent or intent in self.config["exclude_acts"]:
            return None
        return example_topic(message)

    def apply(self, message: Message, probabilities: np.ndarray) -> None:
        ranked = ranking(self.model, probabilities, len(self.model.labels))
        best = ranked[0]
        message.set(TOPIC_KEY, best, add_to_output=True)
        message.set(TOPIC_RANKING_KEY, [entry for entry in ranked if entry[INTENT_NAME_KEY] != NO_TOPIC]
                    [:self.config["ranking_length"]], add_to_output=True)
        if best[INTENT_NAME_KEY] == NO_TOPIC or best[PREDICTED_CONFIDENCE_KEY] < self.config["threshold"]:
            return
        add_entity(message, TOPIC_ENTITY, best[INTENT_NAME_KEY], type(self).__name__,
                   confidence_entity=best[PREDICTED_CONFIDENCE_KEY])


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class TopicScopeGuard(GraphComponent):
    """Keeps a message whose topic is sure in scope unless out of scope is sure too.

    Runs after both classifiers. People who describe their life before asking ("在新疆摘棉花好几年了 想回老家养鸡
    有啥帮扶没") write like chit-chat to the act classifier, while the topic classifier, which never learns from
    out-of-scope examples, recognises the measure. When the topic is at least ``topic_confidence`` sure and out of
    scope less than ``out_of_scope_below`` likely, the likeliest other act is taken (marked as chosen by this rule,
    so the fallback's ambiguity check does not undo it). Both values were chosen by cross-validation on the training
    data (``bench/nlu_cv.py``, README "NLU"). Another region's measures are decided later, by RegionScope.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"topic_confidence": 0.8, "out_of_scope_below": 0.8}

    def __init__(self, config: dict[str, Any]) -> None:
        self.topic_confidence = float(config["topic_confidence"])
        self.out_of_scope_below = float(config["out_of_scope_below"])

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> TopicScopeGuard:
        return cls(config)

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            act = message.get(INTENT) or {}
            topic = message.get(TOPIC_KEY) or {}
            if (act.get(INTENT_NAME_KEY) != OUT_OF_SCOPE_ACT or topic.get(INTENT_NAME_KEY) in (None, NO_TOPIC)
                    or topic.get(PREDICTED_CONFIDENCE_KEY, 0.0) < self.topic_confidence
                    or act.get(PREDICTED_CONFIDENCE_KEY, 1.0) >= self.out_of_scope_below):
                continue
            ranking = message.get(INTENT_RANKING_KEY) or []
            others = [entry for entry in ranking if entry.get(INTENT_NAME_KEY) != OUT_OF_SCOPE_ACT]
            if not others:
                continue
            out_of_scope = [entry for entry in ranking if entry.get(INTENT_NAME_KEY) == OUT_OF_SCOPE_ACT]
            message.set(INTENT, others[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, [others[0], *out_of_scope, *others[1:]], add_to_output=True)
            message.set(ACT_CHOSEN_BY_KEY, type(self).__name__, add_to_output=True)
        return messages

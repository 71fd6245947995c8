"""Rasa's logistic-regression intent classifier on TF-IDF-weighted features instead of raw counts.

The featurizers before it count words, character n-grams and pinyin n-grams; raw counts let a long message's
many common n-grams outweigh the few that name a topic. Here the counts are weighted the way text classifiers
usually are (scikit-learn's ``TfidfTransformer``: sublinear term frequency, inverse document frequency, unit
length) before scikit-learn's ``LogisticRegression``. Both live in one scikit-learn ``Pipeline``, so Rasa's own
training, prediction, intent ranking and skops persistence are reused unchanged. ``C`` and the fallback
threshold were chosen by 5-fold cross-validation on the training data (README, "NLU pipeline").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from sklearn.feature_extraction.text import TfidfTransformer

# Beyond skops' defaults: the sparse matrix in which TfidfTransformer keeps its IDF weights (data, no code).
TRUSTED_TYPES = {"scipy.sparse._csr.csr_matrix"}


class UntrustedModelError(RuntimeError):
    """The stored classifier contains types that are not known to be safe to load."""


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    """``LogisticRegressionClassifier`` with TF-IDF weighting and a configurable regularisation strength ``C``."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "C": 1.0, "sublinear_tf": True}

    def __init__(self, config: dict[str, Any], name: str, model_storage: ModelStorage, resource: Resource) -> None:
        from sklearn.pipeline import Pipeline

        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=self.config["C"])
        self.clf = Pipeline([("tfidf", TfidfTransformer(sublinear_tf=self.config["sublinear_tf"])),
                             ("logistic_regression", self.clf)])

    def _create_X(self, messages: list[Message]) -> scipy.sparse.csr_matrix:
        """The messages' sparse sentence features, one row each (what Rasa's version gives, built for less).

        Rasa's version asks each message for its combined sequence *and* sentence features, deep-copying and
        stacking every featurizer's matrices, then stacks an empty dense block onto each row. Here only the
        sentence features are put side by side, in the same order, straight into one CSR matrix (scipy's
        ``hstack``/``vstack`` cost more than the classifier for a one-row message). Messages with dense features
        go Rasa's way.
        """
        rows = []
        for message in messages:
            if any(feature.is_dense() for feature in message.features):
                return super()._create_X(messages)
            blocks = [feature.features for feature in message.features
                      if feature.attribute == TEXT and feature.is_sparse() and feature.type == FEATURE_TYPE_SENTENCE]
            if not blocks:
                return super()._create_X(messages)
            rows.append(blocks)
        return side_by_side(rows)

    @classmethod
    def load(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> TfidfLogisticRegressionClassifier:
        """Load the fitted pipeline; its weights are stored column-major (``bot.performance``: no copy per message).

        skops refuses types outside its default trust list; the fitted ``TfidfTransformer`` keeps its IDF weights
        in a SciPy sparse matrix, which is trusted here by name. Anything else is refused loudly (Rasa's own
        load would quietly return an untrained classifier).
        """
        import skops.io as sio

        component = cls(config, execution_context.node_name, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                path = model_dir / f"{resource.name}.skops"
                untrusted = sio.get_untrusted_types(file=path)
                refused = sorted(set(untrusted) - TRUSTED_TYPES)
                if refused:
                    raise UntrustedModelError(f"{path.name} holds types that are not trusted: {refused}")
                component.clf = sio.load(path, trusted=untrusted)
        except ValueError:  # no stored resource: Rasa's behaviour, an untrained component
            return component
        regression = component.clf.named_steps["logistic_regression"]
        regression.coef_ = np.asfortranarray(regression.coef_)
        tfidf = component.clf.named_steps["tfidf"]
        if type(tfidf) is TfidfTransformer:
            tfidf.__class__ = FittedTfidfTransformer
        return component


class FittedTfidfTransformer(TfidfTransformer):
    """scikit-learn's ``TfidfTransformer``, given to a loaded (fitted) one, that computes ``idf_`` once.

    ``transform`` reads the ``idf_`` property on every call only to check that the transformer is fitted, and
    scikit-learn 1.1 computes it each time by summing the whole diagonal IDF matrix (vocabulary × vocabulary):
    about a tenth of a message's parse here. The transform itself is scikit-learn's, unchanged.
    """

    @property
    def idf_(self) -> np.ndarray:
        if self.__dict__.get("_idf_vector") is None:
            self.__dict__["_idf_vector"] = np.ravel(self._idf_diag.sum(axis=0))
        return self.__dict__["_idf_vector"]

    @idf_.setter
    def idf_(self, value: Any) -> None:
        TfidfTransformer.idf_.fset(self, value)
        self.__dict__["_idf_vector"] = None

    def fit(self, X: Any, y: Any = None) -> FittedTfidfTransformer:
        self.__dict__["_idf_vector"] = None
        return super().fit(X, y)


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

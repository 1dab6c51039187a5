"""Keras metrics: running state in Variables, updated with ops (``update_state``, ``result``,
``reset_state``), so a metric update can sit inside a ``wb.function`` training step."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.keras import losses
from workbench.keras.metric_base import (
    Mean,
    MeanMetricWrapper,
    Metric,
    _argmax_last,
    _hits,
)
from workbench.keras.metrics_confusion import AUC, Precision, Recall
from workbench.keras.metrics_more import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    KLDivergence,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
    RootMeanSquaredError,
    SparseCategoricalCrossentropy,
    SparseTopKCategoricalAccuracy,
    SquaredHinge,
    Sum,
    TopKCategoricalAccuracy,
)
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh


class Accuracy(Metric):
    """How often ``y_pred`` equals ``y_true``."""

    def values(self, y_true, y_pred):
        return _hits(sh.reshape(y_true, y_pred.shape), y_pred)


class BinaryAccuracy(Metric):
    """How often ``y_pred > threshold`` matches the 0/1 ``y_true``."""

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5):
        self.threshold = threshold
        super().__init__(name, dtype)

    def values(self, y_true, y_pred):
        above = ew.cast(y_pred > self.threshold, y_true.dtype)
        return red.mean(_hits(sh.reshape(y_true, y_pred.shape), above), axis=-1)


class CategoricalAccuracy(Metric):
    """How often the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``.

    >>> m = CategoricalAccuracy(); m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    >>> float(m.result())
    0.5
    """

    def values(self, y_true, y_pred):
        return _hits(_argmax_last(y_true), _argmax_last(y_pred))


class SparseCategoricalAccuracy(Metric):
    """How often the argmax of ``y_pred`` is the integer label ``y_true``.

    >>> m = SparseCategoricalAccuracy(); m.update_state([1, 0, 1], [[0.2, 0.8]] * 3)
    >>> round(float(m.result()), 4)
    0.6667
    """

    def values(self, y_true, y_pred):
        labels = sh.reshape(ew.cast(y_true, np.int64), y_pred.shape[:-1])
        return _hits(labels, ew.cast(_argmax_last(y_pred), np.int64))


def get(identifier: Any, loss: Any = None) -> Metric:
    """A metric from a name; ``'acc'``/``'accuracy'`` picks the accuracy that fits ``loss``."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type):
        return identifier()
    if identifier in ("acc", "accuracy"):
        return _accuracy_for(loss)(name=identifier)
    if isinstance(identifier, str):
        name = identifier.lower()
        if name in _NAMES:
            return _NAMES[name]()
        return MeanMetricWrapper(losses.get(name), name=identifier)
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"cannot use {identifier!r} as a metric")


def _accuracy_for(loss: Any) -> type[Metric]:
    fn = getattr(loss, "fn", loss)
    if isinstance(loss, str):
        fn = losses.get(loss)
    if fn is losses.sparse_categorical_crossentropy:
        return SparseCategoricalAccuracy
    if fn is losses.categorical_crossentropy:
        return CategoricalAccuracy
    if fn is losses.binary_crossentropy:
        return BinaryAccuracy
    return Accuracy


_NAMES = {"categorical_accuracy": CategoricalAccuracy,
          "sparse_categorical_accuracy": SparseCategoricalAccuracy,
          "binary_accuracy": BinaryAccuracy, "auc": AUC, "precision": Precision,
          "recall": Recall, "top_k_categorical_accuracy": TopKCategoricalAccuracy,
          "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
          "root_mean_squared_error": RootMeanSquaredError}

__all__ = ["AUC", "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
           "CategoricalCrossentropy", "CategoricalHinge", "CosineSimilarity", "Hinge",
           "KLDivergence", "LogCoshError", "Mean", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanMetricWrapper", "MeanSquaredError",
           "MeanSquaredLogarithmicError", "Metric", "Poisson", "Precision", "Recall",
           "RootMeanSquaredError", "SparseCategoricalAccuracy",
           "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy",
           "SquaredHinge", "Sum", "TopKCategoricalAccuracy", "get"]

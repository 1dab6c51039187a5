"""Keras metrics: running state in NumPy (``update_state``, ``result``, ``reset_state``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.keras import losses
from workbench.tensor import Tensor, constant


def _np(x: Any) -> np.ndarray:
    return x.numpy() if isinstance(x, Tensor) else np.asarray(x)


class Metric:
    """A weighted running mean of per-sample values; subclasses say what the values are."""

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = np.dtype(dtype or np.float32)
        self.reset_state()

    def values(self, y_true: Any, y_pred: Any) -> np.ndarray:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any = None, sample_weight: Any = None) -> None:
        self._accumulate(self.values(y_true, y_pred), sample_weight)

    def _accumulate(self, values: Any, sample_weight: Any) -> None:
        v = np.asarray(values, dtype=np.float64)
        w = np.ones_like(v) if sample_weight is None else \
            np.broadcast_to(np.asarray(sample_weight, dtype=np.float64), v.shape)
        self.total += float(np.sum(v * w))
        self.count += float(np.sum(w))

    def result(self) -> Tensor:
        """The mean so far (0 before any update)."""
        return constant(np.asarray(self.total / self.count if self.count else 0.0,
                                   dtype=self.dtype))

    def reset_state(self) -> None:
        self.total, self.count = 0.0, 0.0

    reset_states = reset_state

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        self.update_state(*args, **kwargs)
        return self.result()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}: {float(self.result()):.4f}>"


class Mean(Metric):
    """The running (weighted) mean of the values given.

    >>> m = Mean(); m.update_state([1.0, 3.0]); m.update_state(5.0); float(m.result())
    3.0
    """

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self._accumulate(_np(values), sample_weight)


class Accuracy(Metric):
    """How often ``y_pred`` equals ``y_true``."""

    def values(self, y_true, y_pred):
        return _np(y_true).reshape(_np(y_pred).shape) == _np(y_pred)


class BinaryAccuracy(Metric):
    """How often ``y_pred > threshold`` matches the 0/1 ``y_true``."""

    def __init__(self, name: str | None = None, dtype: Any = None, threshold: float = 0.5):
        self.threshold = threshold
        super().__init__(name, dtype)

    def values(self, y_true, y_pred):
        p = _np(y_pred)
        return np.mean(_np(y_true).reshape(p.shape) == (p > self.threshold), axis=-1)


class CategoricalAccuracy(Metric):
    """How often the argmax of ``y_pred`` is the argmax of the one-hot ``y_true``.

    >>> m = CategoricalAccuracy(); m.update_state([[0, 1], [1, 0]], [[0.2, 0.8], [0.3, 0.7]])
    >>> float(m.result())
    0.5
    """

    def values(self, y_true, y_pred):
        return np.argmax(_np(y_true), axis=-1) == np.argmax(_np(y_pred), axis=-1)


class SparseCategoricalAccuracy(Metric):
    """How often the argmax of ``y_pred`` is the integer label ``y_true``.

    >>> m = SparseCategoricalAccuracy(); m.update_state([1, 0, 1], [[0.2, 0.8]] * 3)
    >>> round(float(m.result()), 4)
    0.6667
    """

    def values(self, y_true, y_pred):
        p = _np(y_pred)
        return _np(y_true).reshape(p.shape[:-1]).astype(np.int64) == np.argmax(p, axis=-1)


class MeanMetricWrapper(Metric):
    """A running mean of ``fn(y_true, y_pred)`` (how a loss function becomes a metric)."""

    def __init__(self, fn: Any, name: str | None = None, dtype: Any = None):
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", "metric"), dtype)

    def values(self, y_true, y_pred):
        return _np(self.fn(y_true, y_pred))


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


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


_NAMES = {"categorical_accuracy": CategoricalAccuracy,
          "sparse_categorical_accuracy": SparseCategoricalAccuracy,
          "binary_accuracy": BinaryAccuracy}

__all__ = ["Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "Mean", "MeanMetricWrapper",
           "Metric", "SparseCategoricalAccuracy", "get"]

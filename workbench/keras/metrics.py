"""Keras metrics: running state in Variables, updated with ops (``update_state``, ``result``,
``reset_state``), so a metric update can sit inside a ``wb.function`` training step."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.keras import losses
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.tensor import Tensor, Variable, as_input

_F64 = np.dtype(np.float64)


def _t(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else as_input(np.asarray(x))


def _hits(a: Tensor, b: Any) -> Tensor:
    """1.0 where ``a == b``, else 0.0 (float64)."""
    return ew.cast(a == b, _F64)


def _argmax_last(x: Tensor) -> Tensor:
    return red.argmax(x, axis=x.ndim - 1)


class Metric:
    """A weighted running mean of per-sample values; subclasses say what the values are."""

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or _snake(type(self).__name__)
        self.dtype = np.dtype(dtype or np.float32)
        self.total = Variable(0.0, trainable=False, name=f"{self.name}/total", dtype=_F64)
        self.count = Variable(0.0, trainable=False, name=f"{self.name}/count", dtype=_F64)

    def values(self, y_true: Any, y_pred: Any) -> Tensor:
        raise NotImplementedError

    def update_state(self, y_true: Any, y_pred: Any = None, sample_weight: Any = None) -> None:
        self._accumulate(self.values(_t(y_true), _t(y_pred)), sample_weight)

    def _accumulate(self, values: Tensor, sample_weight: Any) -> None:
        v = ew.cast(values, _F64) if values.dtype != _F64 else values
        if sample_weight is None:
            self.total.assign_add(red.sum(v))
            self.count.assign_add(float(np.prod(v.shape, dtype=np.int64)))
            return
        w = sh.broadcast_to(ew.cast(_t(sample_weight), _F64), v.shape)
        self.total.assign_add(red.sum(ew.mul(v, w)))
        self.count.assign_add(red.sum(w))

    def result(self) -> Tensor:
        """The mean so far (0 before any update)."""
        empty = self.count == 0.0
        mean = ew.div(self.total, ew.where(empty, 1.0, self.count))
        return ew.cast(ew.where(empty, 0.0, mean), self.dtype)

    def reset_state(self) -> None:
        self.total.assign(0.0)
        self.count.assign(0.0)

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
        self._accumulate(_t(values), sample_weight)


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


class MeanMetricWrapper(Metric):
    """A running mean of ``fn(y_true, y_pred)`` (how a loss function becomes a metric)."""

    def __init__(self, fn: Any, name: str | None = None, dtype: Any = None):
        self.fn = fn
        super().__init__(name or getattr(fn, "__name__", "metric"), dtype)

    def values(self, y_true, y_pred):
        return self.fn(y_true, y_pred)


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

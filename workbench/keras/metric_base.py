"""The base of the Keras metrics: ``Metric`` (a weighted running mean whose state lives in
Variables updated with ops), ``Mean`` and ``MeanMetricWrapper``."""

from __future__ import annotations

from typing import Any

import numpy as np

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

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments (``type(m)(**m.get_config())`` makes it again)."""
        return {"name": self.name, "dtype": self.dtype.name}

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


class MeanMetricWrapper(Metric):
    """A running mean of ``fn(y_true, y_pred, **kwargs)`` (how a loss function becomes a metric).

    >>> m = MeanMetricWrapper(lambda t, p, scale: (p - t) * scale, name="gap", scale=2.0)
    >>> m.update_state([0.0, 0.0], [1.0, 2.0]); float(m.result())
    3.0
    """

    def __init__(self, fn: Any, name: str | None = None, dtype: Any = None, **kwargs: Any):
        self.fn, self._fn_kwargs = fn, kwargs
        super().__init__(name or getattr(fn, "__name__", "metric"), dtype)

    def values(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype.name, **self._fn_kwargs}


def _snake(name: str) -> str:
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")

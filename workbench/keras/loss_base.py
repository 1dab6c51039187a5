"""The base of the Keras losses: the ``Loss`` class (reductions, sample weights, configs) and
how targets and predictions become Tensors."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.tensor import Tensor, as_input

EPSILON = 1e-7  # Keras's backend epsilon: probabilities are clipped to [eps, 1 - eps]


def _pred(y_pred: Any) -> Tensor:
    return y_pred if isinstance(y_pred, Tensor) else as_input(np.asarray(y_pred))


def _true(y_true: Any, like: Tensor) -> Any:
    """Targets in the prediction's dtype (labels are data; a Tensor stays a Tensor)."""
    if isinstance(y_true, Tensor):
        return ew.cast(y_true, like.dtype) if y_true.dtype != like.dtype else y_true
    return np.asarray(y_true, dtype=like.dtype)


class Loss:
    """A loss object: ``loss(y_true, y_pred)`` is the mean of the per-sample losses."""

    fn: Any = None

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None,
                 **kwargs: Any):
        if reduction not in ("sum_over_batch_size", "auto", "sum", "none"):
            raise ValueError(f"unknown reduction {reduction!r}")
        self.reduction, self.name, self.kwargs = reduction, name or type(self).__name__, kwargs

    def call(self, y_true: Any, y_pred: Any) -> Tensor:
        return type(self).fn(y_true, y_pred, **self.kwargs)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Tensor:
        per = self.call(y_true, y_pred)
        if sample_weight is not None:
            per = ew.mul(per, np.asarray(sample_weight, dtype=per.dtype).reshape(per.shape))
        if self.reduction == "none":
            return per
        if self.reduction == "sum":
            return red.sum(per)
        return red.mean(per)

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments (``type(loss).from_config(config)`` makes it again)."""
        return {"name": self.name, "reduction": self.reduction, **self.kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Loss:
        return cls(**config)

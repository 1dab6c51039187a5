"""More Keras metrics: the losses as running means (MeanSquaredError, ...), RootMeanSquaredError,
Sum, top-k accuracies, and the confusion-matrix metrics Precision, Recall and AUC."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.keras import losses
from workbench.keras.metric_base import _F64, MeanMetricWrapper, Metric, _t
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.tensor import Tensor


class _LossMetric(MeanMetricWrapper):
    """A running mean of ``FN`` with its own keyword arguments ``ARGS`` (name, default)."""

    FN: Any = None
    NAME = "metric"
    ARGS: tuple[tuple[str, Any], ...] = ()

    def __init__(self, name: str | None = None, dtype: Any = None, **kwargs: Any):
        unknown = sorted(set(kwargs) - {k for k, _ in self.ARGS})
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments {unknown}")
        super().__init__(type(self).FN, name or self.NAME, dtype, **{**dict(self.ARGS), **kwargs})


def _cosine(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    return ew.neg(losses.cosine_similarity(y_true, y_pred, axis=axis))


class MeanSquaredError(_LossMetric):
    """Running mean of ``mean_squared_error``.

    >>> m = MeanSquaredError(); m.update_state([[0.0, 1.0]], [[1.0, 1.0]]); float(m.result())
    0.5
    """

    FN, NAME = staticmethod(losses.mean_squared_error), "mean_squared_error"


class MeanAbsoluteError(_LossMetric):
    """Running mean of ``mean_absolute_error``."""

    FN, NAME = staticmethod(losses.mean_absolute_error), "mean_absolute_error"


class MeanAbsolutePercentageError(_LossMetric):
    """Running mean of ``mean_absolute_percentage_error``."""

    FN = staticmethod(losses.mean_absolute_percentage_error)
    NAME = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_LossMetric):
    """Running mean of ``mean_squared_logarithmic_error``."""

    FN = staticmethod(losses.mean_squared_logarithmic_error)
    NAME = "mean_squared_logarithmic_error"


class CosineSimilarity(_LossMetric):
    """Running mean of the cosine similarity (positive: 1 when aligned) along ``axis``."""

    FN, NAME, ARGS = staticmethod(_cosine), "cosine_similarity", (("axis", -1),)


class LogCoshError(_LossMetric):
    """Running mean of ``log_cosh``."""

    FN, NAME = staticmethod(losses.log_cosh), "logcosh"


class Hinge(_LossMetric):
    """Running mean of ``hinge``."""

    FN, NAME = staticmethod(losses.hinge), "hinge"


class SquaredHinge(_LossMetric):
    """Running mean of ``squared_hinge``."""

    FN, NAME = staticmethod(losses.squared_hinge), "squared_hinge"


class CategoricalHinge(_LossMetric):
    """Running mean of ``categorical_hinge``."""

    FN, NAME = staticmethod(losses.categorical_hinge), "categorical_hinge"


class KLDivergence(_LossMetric):
    """Running mean of ``kl_divergence``."""

    FN, NAME = staticmethod(losses.kl_divergence), "kl_divergence"


class Poisson(_LossMetric):
    """Running mean of ``poisson``."""

    FN, NAME = staticmethod(losses.poisson), "poisson"


class BinaryCrossentropy(_LossMetric):
    """Running mean of ``binary_crossentropy`` (``from_logits``, ``label_smoothing``)."""

    FN, NAME = staticmethod(losses.binary_crossentropy), "binary_crossentropy"
    ARGS = (("from_logits", False), ("label_smoothing", 0.0))


class CategoricalCrossentropy(_LossMetric):
    """Running mean of ``categorical_crossentropy`` (``from_logits``, ``label_smoothing``)."""

    FN, NAME = staticmethod(losses.categorical_crossentropy), "categorical_crossentropy"
    ARGS = (("from_logits", False), ("label_smoothing", 0.0), ("axis", -1))


class SparseCategoricalCrossentropy(_LossMetric):
    """Running mean of ``sparse_categorical_crossentropy`` (``from_logits``)."""

    FN = staticmethod(losses.sparse_categorical_crossentropy)
    NAME = "sparse_categorical_crossentropy"
    ARGS = (("from_logits", False), ("axis", -1))


class RootMeanSquaredError(Metric):
    """``sqrt`` of the running mean of the squared errors (over every element).

    >>> m = RootMeanSquaredError(); m.update_state([0.0, 0.0], [3.0, 4.0])
    >>> round(float(m.result()), 5)
    3.53553
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name, dtype)

    def values(self, y_true, y_pred):
        t = sh.reshape(ew.cast(y_true, y_pred.dtype), y_pred.shape)
        return ew.square(ew.sub(y_pred, t))

    def result(self) -> Tensor:
        return ew.sqrt(super().result())


class Sum(Metric):
    """The running (weighted) sum of the values given.

    >>> m = Sum(); m.update_state([1.0, 3.0]); m.update_state(5.0); float(m.result())
    9.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(name, dtype)

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self._accumulate(_t(values), sample_weight)

    def result(self) -> Tensor:
        return ew.cast(self.total, self.dtype)


def _in_top_k(scores: Tensor, target_scores: Tensor, k: int) -> Tensor:
    """1.0 where fewer than ``k`` scores beat the target's (ties count as in, as ``in_top_k``)."""
    better = red.sum(ew.cast(scores > sh.expand_dims(target_scores, -1), _F64), axis=-1)
    return ew.cast(better < k, _F64)


class TopKCategoricalAccuracy(Metric):
    """How often the one-hot ``y_true``'s class is among the ``k`` (5) highest predictions.

    >>> m = TopKCategoricalAccuracy(k=2)
    >>> m.update_state([[0, 0, 1], [1, 0, 0]], [[0.5, 0.3, 0.2], [0.1, 0.6, 0.3]])
    >>> float(m.result())
    0.0
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        self.k = int(k)
        super().__init__(name, dtype)

    def _labels(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return red.argmax(y_true, axis=y_true.ndim - 1)

    def values(self, y_true, y_pred):
        labels = sh.reshape(ew.cast(self._labels(y_true, y_pred), np.int64), y_pred.shape[:-1])
        onehot = ew.cast(sh.expand_dims(labels, -1) == np.arange(y_pred.shape[-1]), y_pred.dtype)
        return _in_top_k(y_pred, red.sum(ew.mul(onehot, y_pred), axis=-1), self.k)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "k": self.k}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """How often the integer label is among the ``k`` (5) highest predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy",
                 dtype: Any = None):
        super().__init__(k, name, dtype)

    def _labels(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        return y_true

"""More Keras losses (Keras 3's formulas): Huber, KL divergence, log-cosh, Poisson, the hinges,
cosine similarity, MAPE, MSLE and binary focal cross-entropy; functions and classes."""

from __future__ import annotations

import math
from typing import Any

from workbench.keras.loss_base import EPSILON, Loss, _pred, _true
from workbench.ops import elementwise as ew
from workbench.ops import nn
from workbench.ops import reduce as red
from workbench.ops.losses import l2_normalize
from workbench.tensor import Tensor


def _pair(y_true: Any, y_pred: Any) -> tuple[Tensor, Any]:
    p = _pred(y_pred)
    return p, _true(y_true, p)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Tensor:
    """Mean over the last axis of ``e²/2`` where ``|e| <= delta``, else ``delta |e| - delta²/2``
    (``e = y_pred - y_true``).

    >>> huber([[0.0, 0.0]], [[0.5, 3.0]]).numpy()
    array([1.3125])
    """
    p, t = _pair(y_true, y_pred)
    e = ew.sub(p, t)
    a = ew.abs(e)
    per = ew.where(a <= delta, ew.mul(0.5, ew.square(e)), ew.sub(ew.mul(delta, a), 0.5 * delta**2))
    return red.mean(per, axis=-1)


def kl_divergence(y_true: Any, y_pred: Any) -> Tensor:
    """``sum(t log(t / p))`` over the last axis, both clipped to ``[1e-7, 1]``.

    >>> kl_divergence([[0.5, 0.5]], [[0.5, 0.5]]).numpy()
    array([0.])
    """
    p, t = _pair(y_true, y_pred)
    t, p = ew.clip(t, EPSILON, 1.0), ew.clip(p, EPSILON, 1.0)
    return red.sum(ew.mul(t, ew.log(ew.div(t, p))), axis=-1)


def log_cosh(y_true: Any, y_pred: Any) -> Tensor:
    """Mean over the last axis of ``log(cosh(y_pred - y_true))``, as
    ``x + softplus(-2x) - log 2`` (finite for large errors).

    >>> log_cosh([[0.0]], [[1000.0]]).numpy().round(4)
    array([999.3069])
    """
    p, t = _pair(y_true, y_pred)
    x = ew.sub(p, t)
    return red.mean(ew.sub(ew.add(x, nn.softplus(ew.mul(-2.0, x))), math.log(2.0)), axis=-1)


def poisson(y_true: Any, y_pred: Any) -> Tensor:
    """Mean over the last axis of ``y_pred - y_true log(y_pred + 1e-7)``.

    >>> poisson([[1.0]], [[1.0]]).numpy().round(6)
    array([1.])
    """
    p, t = _pair(y_true, y_pred)
    return red.mean(ew.sub(p, ew.mul(t, ew.log(ew.add(p, EPSILON)))), axis=-1)


def _hinge_labels(t: Any) -> Any:
    """0/1 labels become -1/1 (Keras converts them when every label is 0 or 1)."""
    values = getattr(t, "_value", t)
    binary = bool(((values == 0) | (values == 1)).all())
    return ew.sub(ew.mul(2.0, t), 1.0) if binary else t


def _margins(y_true: Any, y_pred: Any) -> Tensor:
    p, t = _pair(y_true, y_pred)
    return ew.maximum(ew.sub(1.0, ew.mul(_hinge_labels(t), p)), 0.0)


def hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Mean over the last axis of ``max(1 - y_true y_pred, 0)``; labels -1/1 (0/1 converted).

    >>> hinge([[1.0, 0.0]], [[0.5, 0.5]]).numpy()
    array([1.])
    """
    return red.mean(_margins(y_true, y_pred), axis=-1)


def squared_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """Mean over the last axis of ``max(1 - y_true y_pred, 0)²``.

    >>> squared_hinge([[1.0, 0.0]], [[0.5, 0.5]]).numpy()
    array([1.25])
    """
    return red.mean(ew.square(_margins(y_true, y_pred)), axis=-1)


def categorical_hinge(y_true: Any, y_pred: Any) -> Tensor:
    """``max(max((1 - t) p) - sum(t p) + 1, 0)`` over the last axis (one-hot ``t``).

    >>> categorical_hinge([[0.0, 1.0]], [[0.3, 0.9]]).numpy().round(6)
    array([0.4])
    """
    p, t = _pair(y_true, y_pred)
    pos = red.sum(ew.mul(t, p), axis=-1)
    neg = red.max(ew.mul(ew.sub(1.0, t), p), axis=-1)
    return ew.maximum(ew.add(ew.sub(neg, pos), 1.0), 0.0)


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Minus the cosine of the angle between ``y_true`` and ``y_pred`` along ``axis`` (so that
    minimizing it aligns them).

    >>> cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]]).numpy()
    array([-1.])
    """
    p, t = _pair(y_true, y_pred)
    return ew.neg(red.sum(ew.mul(l2_normalize(t, axis), l2_normalize(p, axis)), axis=axis))


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Tensor:
    """``100 * mean(|(t - p) / max(|t|, 1e-7)|)`` over the last axis.

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]]).numpy()
    array([37.5])
    """
    p, t = _pair(y_true, y_pred)
    diff = ew.abs(ew.div(ew.sub(t, p), ew.maximum(ew.abs(t), EPSILON)))
    return ew.mul(100.0, red.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean((log(max(p, 1e-7) + 1) - log(max(t, 1e-7) + 1))²)`` over the last axis.

    >>> mean_squared_logarithmic_error([[0.0]], [[1.0]]).numpy().round(6)
    array([0.480453])
    """
    p, t = _pair(y_true, y_pred)
    first = ew.log(ew.add(ew.maximum(p, EPSILON), 1.0))
    second = ew.log(ew.add(ew.maximum(t, EPSILON), 1.0))
    return red.mean(ew.square(ew.sub(first, second)), axis=-1)


def binary_focal_crossentropy(y_true: Any, y_pred: Any, apply_class_balancing: bool = False,
                              alpha: float = 0.25, gamma: float = 2.0,
                              from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: int = -1) -> Tensor:
    """Binary cross-entropy scaled by ``(1 - p_t)^gamma`` (``p_t`` the probability given to
    the true class), and by ``alpha``/``1 - alpha`` with ``apply_class_balancing``.

    >>> binary_focal_crossentropy([[1.0]], [[0.5]], gamma=0.0).numpy().round(6)
    array([0.693147])
    """
    p, t = _pair(y_true, y_pred)
    if label_smoothing:
        t = ew.add(ew.mul(t, 1.0 - label_smoothing), 0.5 * label_smoothing)
    if from_logits:
        p = nn.sigmoid(p)
    q = ew.clip(p, EPSILON, 1.0 - EPSILON)
    bce = ew.neg(ew.add(ew.mul(t, ew.log(q)), ew.mul(ew.sub(1.0, t), ew.log(ew.sub(1.0, q)))))
    p_t = ew.add(ew.mul(t, p), ew.mul(ew.sub(1.0, t), ew.sub(1.0, p)))
    focal = ew.mul(ew.power(ew.sub(1.0, p_t), gamma), bce)
    if apply_class_balancing:
        focal = ew.mul(ew.add(ew.mul(t, alpha), ew.mul(ew.sub(1.0, t), 1.0 - alpha)), focal)
    return red.mean(focal, axis=axis)


class _ArgLoss(Loss):
    """A Loss whose own arguments (``ARGS``: name, default; positional in that order) go to
    ``fn``; ``NAME`` is Keras's default name."""

    ARGS: tuple[tuple[str, Any], ...] = ()
    NAME = "loss"

    def __init__(self, *args: Any, reduction: str = "sum_over_batch_size",
                 name: str | None = None, **kwargs: Any):
        names = [key for key, _ in self.ARGS]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes at most {len(names)} positional "
                            f"arguments ({names}), got {len(args)}")
        unknown = sorted(set(kwargs) - set(names))
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments {unknown}; "
                            f"it takes {names}, reduction and name")
        own = {**dict(self.ARGS), **dict(zip(names, args, strict=False)), **kwargs}
        super().__init__(reduction=reduction, name=name or self.NAME, **own)


class Huber(_ArgLoss):
    """Mean over the batch of ``huber`` (``delta`` 1.0)."""

    fn, ARGS, NAME = staticmethod(huber), (("delta", 1.0),), "huber_loss"


class KLDivergence(_ArgLoss):
    """Mean over the batch of ``kl_divergence``."""

    fn, NAME = staticmethod(kl_divergence), "kl_divergence"


class LogCosh(_ArgLoss):
    """Mean over the batch of ``log_cosh``."""

    fn, NAME = staticmethod(log_cosh), "log_cosh"


class Poisson(_ArgLoss):
    """Mean over the batch of ``poisson``."""

    fn, NAME = staticmethod(poisson), "poisson"


class Hinge(_ArgLoss):
    """Mean over the batch of ``hinge``."""

    fn, NAME = staticmethod(hinge), "hinge"


class SquaredHinge(_ArgLoss):
    """Mean over the batch of ``squared_hinge``."""

    fn, NAME = staticmethod(squared_hinge), "squared_hinge"


class CategoricalHinge(_ArgLoss):
    """Mean over the batch of ``categorical_hinge``."""

    fn, NAME = staticmethod(categorical_hinge), "categorical_hinge"


class CosineSimilarity(_ArgLoss):
    """Mean over the batch of ``cosine_similarity`` (``axis`` -1).

    >>> round(float(CosineSimilarity()([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]])), 6)
    -0.5
    """

    fn, ARGS, NAME = staticmethod(cosine_similarity), (("axis", -1),), "cosine_similarity"


class MeanAbsolutePercentageError(_ArgLoss):
    """Mean over the batch of ``mean_absolute_percentage_error``."""

    fn = staticmethod(mean_absolute_percentage_error)
    NAME = "mean_absolute_percentage_error"


class MeanSquaredLogarithmicError(_ArgLoss):
    """Mean over the batch of ``mean_squared_logarithmic_error``."""

    fn = staticmethod(mean_squared_logarithmic_error)
    NAME = "mean_squared_logarithmic_error"


class BinaryFocalCrossentropy(_ArgLoss):
    """Mean over the batch of ``binary_focal_crossentropy``."""

    fn = staticmethod(binary_focal_crossentropy)
    ARGS = (("apply_class_balancing", False), ("alpha", 0.25), ("gamma", 2.0),
            ("from_logits", False), ("label_smoothing", 0.0), ("axis", -1))
    NAME = "binary_focal_crossentropy"


mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber

NAMES = {"huber": huber, "huber_loss": huber, "kl_divergence": kl_divergence, "kld": kl_divergence,
         "kullback_leibler_divergence": kl_divergence, "log_cosh": log_cosh,
         "logcosh": log_cosh, "poisson": poisson, "hinge": hinge, "squared_hinge": squared_hinge,
         "categorical_hinge": categorical_hinge, "cosine_similarity": cosine_similarity,
         "mape": mean_absolute_percentage_error,
         "mean_absolute_percentage_error": mean_absolute_percentage_error,
         "msle": mean_squared_logarithmic_error,
         "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
         "binary_focal_crossentropy": binary_focal_crossentropy}

__all__ = ["MAPE", "MSLE", "BinaryFocalCrossentropy", "CategoricalHinge", "CosineSimilarity",
           "Hinge", "Huber", "KLDivergence", "LogCosh", "MeanAbsolutePercentageError",
           "MeanSquaredLogarithmicError", "Poisson", "SquaredHinge", "binary_focal_crossentropy",
           "categorical_hinge", "cosine_similarity", "hinge", "huber", "kl_divergence",
           "log_cosh", "mape", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "msle", "poisson", "squared_hinge"]

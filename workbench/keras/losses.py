"""Keras losses: per-sample functions (``categorical_crossentropy``...) and reducing classes."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.keras import activations, losses_more
from workbench.keras.loss_base import EPSILON, Loss, _pred, _true
from workbench.keras.losses_more import (
    MAPE,
    MSLE,
    BinaryFocalCrossentropy,
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    Poisson,
    SquaredHinge,
    binary_focal_crossentropy,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mape,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    msle,
    poisson,
    squared_hinge,
)
from workbench.ops import elementwise as ew
from workbench.ops import nn
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.tensor import Tensor, as_input


def mean_squared_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean((y_true - y_pred)²)`` over the last axis.

    >>> float(mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])[0])
    0.5
    """
    p = _pred(y_pred)
    return red.mean(ew.square(ew.sub(p, _true(y_true, p))), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Tensor:
    """``mean(|y_true - y_pred|)`` over the last axis."""
    p = _pred(y_pred)
    return red.mean(ew.abs(ew.sub(p, _true(y_true, p))), axis=-1)


def categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                             label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``-sum(y_true * log(p))`` per sample; ``p`` is renormalized and clipped, as Keras does,
    except for the output of a Keras ``softmax`` activation, whose logits are used instead
    (``log_softmax``: as Keras does too). ``label_smoothing`` moves the targets towards
    uniform: ``y_true (1 - s) + s / classes``.

    >>> round(float(categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])[0]), 6)
    0.693147
    """
    p = _pred(y_pred)
    t = _smoothed(_true(y_true, p), label_smoothing, 1.0 / p.shape[axis])
    logits = getattr(p, "_keras_logits", None)
    if logits is not None and not from_logits and axis == -1:  # a Keras softmax's output
        logp = activations.log_softmax_of(p)  # from the softmax's own shift and sum
        if logp is None:
            logp = nn.log_softmax(logits, axis=axis)
    elif from_logits:
        logp = nn.log_softmax(p, axis=axis)
    else:
        p = ew.div(p, red.sum(p, axis=axis, keepdims=True))
        logp = ew.log(ew.clip(p, EPSILON, 1.0 - EPSILON))
    return ew.neg(red.sum(ew.mul(t, logp), axis=axis))


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                                    axis: int = -1) -> Tensor:
    """Categorical cross-entropy with integer labels (``y_true`` of shape (batch,) or (batch, 1)).

    >>> round(float(sparse_categorical_crossentropy([1], [[0.0, 0.0]], from_logits=True)[0]), 6)
    0.693147
    """
    p = _pred(y_pred)
    labels = y_true if isinstance(y_true, Tensor) else as_input(np.asarray(y_true))
    n = p.shape[axis]
    seen = np.asarray(labels._value)  # checked by value (inside wb.function: the traced batch)
    if seen.size and (seen.min() < 0 or seen.max() >= n):
        raise ValueError(f"sparse_categorical_crossentropy: labels must be in [0, {n}), got "
                         f"values from {seen.min()} to {seen.max()}")
    labels = sh.reshape(labels, p.shape[:-1] + (1,))
    onehot = ew.cast(labels == np.arange(n), p.dtype)  # built from ops, so it can be traced
    return categorical_crossentropy(onehot, p, from_logits=from_logits, axis=axis)


def _smoothed(t: Any, label_smoothing: float, uniform: float) -> Any:
    s = float(label_smoothing)
    if not 0.0 <= s <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    return t if s == 0.0 else ew.add(ew.mul(t, 1.0 - s), s * uniform)


def binary_crossentropy(y_true: Any, y_pred: Any, from_logits: bool = False,
                        label_smoothing: float = 0.0, axis: int = -1) -> Tensor:
    """``-mean(y log p + (1 - y) log(1 - p))`` over ``axis`` (logits: the stable form);
    ``label_smoothing`` moves the targets towards 1/2: ``y (1 - s) + s / 2``.

    >>> round(float(binary_crossentropy([[1.0]], [[0.0]], from_logits=True)[0]), 6)
    0.693147
    """
    p = _pred(y_pred)
    t = _smoothed(_true(y_true, p), label_smoothing, 0.5)
    logits = getattr(p, "_keras_logits", None)
    if logits is not None and not from_logits:  # a Keras sigmoid's output
        p, from_logits = logits, True
    if from_logits:  # softplus(x) - x y never overflows
        per = ew.sub(nn.softplus(p), ew.mul(p, t))
    else:
        q = ew.clip(p, EPSILON, 1.0 - EPSILON)
        per = ew.neg(ew.add(ew.mul(t, ew.log(q)), ew.mul(ew.sub(1.0, t), ew.log(ew.sub(1.0, q)))))
    return red.mean(per, axis=axis)


class MeanSquaredError(Loss):
    """Mean over the batch of ``mean_squared_error``."""

    fn = staticmethod(mean_squared_error)


class MeanAbsoluteError(Loss):
    """Mean over the batch of ``mean_absolute_error``."""

    fn = staticmethod(mean_absolute_error)


class CategoricalCrossentropy(Loss):
    """Mean over the batch of ``categorical_crossentropy`` (``from_logits`` as Keras)."""

    fn = staticmethod(categorical_crossentropy)

    def __init__(self, from_logits: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        self.kwargs["from_logits"] = from_logits


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Mean over the batch of ``sparse_categorical_crossentropy``.

    >>> loss = SparseCategoricalCrossentropy(from_logits=True)
    >>> round(float(loss([0, 1], [[0.0, 0.0], [0.0, 0.0]])), 6)
    0.693147
    """

    fn = staticmethod(sparse_categorical_crossentropy)


class BinaryCrossentropy(CategoricalCrossentropy):
    """Mean over the batch of ``binary_crossentropy``."""

    fn = staticmethod(binary_crossentropy)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_NAMES = {"mse": mean_squared_error, "mean_squared_error": mean_squared_error,
          "mae": mean_absolute_error, "mean_absolute_error": mean_absolute_error,
          "categorical_crossentropy": categorical_crossentropy,
          "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
          "binary_crossentropy": binary_crossentropy, **losses_more.NAMES}


def get(identifier: Any) -> Any:
    """A loss from a name (``"categorical_crossentropy"``), a class, a Loss or a function."""
    if isinstance(identifier, str):
        try:
            return _NAMES[identifier.lower()]
        except KeyError:
            raise ValueError(f"unknown loss {identifier!r}; known: {sorted(_NAMES)}") from None
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"cannot use {identifier!r} as a loss")


__all__ = [
    "MAPE",
    "MSLE",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "Loss",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "get",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mape",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "msle",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
]

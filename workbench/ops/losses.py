"""TensorFlow's ``tf.nn`` losses: softmax and sigmoid cross-entropies (stable for any finite
logits), ``l2_loss``, ``l2_normalize``; compositions of primitives, so every engine sees them."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.nn import softplus
from workbench.tensor import Tensor, as_input, constant


def _logits(logits: Any) -> Tensor:
    logits = as_input(logits)
    logits = logits if isinstance(logits, Tensor) else constant(logits)
    if logits.dtype.kind != "f":
        raise TypeError(f"logits must be a floating Tensor, got dtype {logits.dtype.name}; "
                        "cast them with wb.cast(logits, wb.float32)")
    if logits.ndim == 0:
        raise ValueError("logits must have at least one axis (the classes), got a scalar")
    return logits


def softmax_cross_entropy_with_logits(labels, logits, axis: int = -1,
                                      name: str | None = None) -> Tensor:
    """``-sum(labels * log_softmax(logits), axis)``, one loss per example (``tf.nn`` semantics).

    Computed through ``logsumexp``, so logits of any finite size give finite losses; the gradient
    wrt ``logits`` is ``softmax(logits) - labels`` for labels that sum to 1.

    >>> import workbench as wb
    >>> loss = wb.nn.softmax_cross_entropy_with_logits(
    ...     labels=[[0.0, 1.0]], logits=[[1000.0, 0.0]])
    >>> loss.numpy()
    array([1000.])
    """
    del name  # accepted for TensorFlow compatibility
    logits = _logits(logits)
    labels = as_input(labels)
    if not isinstance(labels, Tensor):
        labels = constant(labels, dtype=logits.dtype)
    elif labels.dtype != logits.dtype:
        labels = ew.cast(labels, logits.dtype)
    if tuple(np.broadcast_shapes(labels.shape, logits.shape)) != logits.shape:
        raise ValueError(f"softmax_cross_entropy_with_logits: labels of shape {labels.shape} do "
                         f"not match logits of shape {logits.shape}; give one label per logit")
    axis = int(axis)
    if not -logits.ndim <= axis < logits.ndim:
        raise ValueError(f"axis {axis} is out of range for logits of rank {logits.ndim}")
    log_p = ew.sub(logits, red.logsumexp(logits, axis=axis, keepdims=True))
    return ew.neg(red.sum(ew.mul(labels, log_p), axis=axis))


def sparse_softmax_cross_entropy_with_logits(labels, logits, name: str | None = None) -> Tensor:
    """Cross-entropy against integer class ``labels`` (shape ``logits.shape[:-1]``), as
    ``tf.nn.sparse_softmax_cross_entropy_with_logits``; stable for any finite logits.

    The gradient wrt ``logits`` is ``softmax(logits) - one_hot(labels)``.

    >>> import workbench as wb
    >>> loss = wb.nn.sparse_softmax_cross_entropy_with_logits(
    ...     labels=[1], logits=[[1000.0, 0.0]])
    >>> loss.numpy()
    array([1000.])
    """
    del name  # accepted for TensorFlow compatibility
    logits = _logits(logits)
    labels = as_input(labels)
    labels = labels if isinstance(labels, Tensor) else constant(np.asarray(labels))
    if labels.dtype.kind not in "iu":
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be integer class "
                        f"indices, got dtype {labels.dtype.name}; for one-hot or soft labels use "
                        "softmax_cross_entropy_with_logits")
    if labels.shape != logits.shape[:-1]:
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels of shape "
                         f"{labels.shape} must have logits' shape without its last axis, "
                         f"{logits.shape[:-1]}")
    classes = logits.shape[-1]
    values = np.asarray(labels._value)
    if values.size and (values.min() < 0 or values.max() >= classes):
        raise ValueError(f"sparse_softmax_cross_entropy_with_logits: labels must lie in "
                         f"[0, {classes}), got values from {values.min()} to {values.max()}")
    # The label's logit, picked by a comparison (so a compiled trace keeps the labels an input).
    hit = sh.expand_dims(labels, -1) == np.arange(classes)
    picked = red.sum(ew.where(hit, logits, 0.0), axis=-1)
    return ew.sub(red.logsumexp(logits, axis=-1), picked)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name: str | None = None) -> Tensor:
    """Elementwise binary cross-entropy of ``sigmoid(logits)`` against ``labels`` (same shape),
    as ``tf.nn.sigmoid_cross_entropy_with_logits``: ``max(x, 0) - x z + log(1 + exp(-|x|))``.

    Finite for any finite logits; the gradient wrt ``logits`` is ``sigmoid(logits) - labels``
    (0.5 - z at 0 too).

    >>> import workbench as wb
    >>> wb.nn.sigmoid_cross_entropy_with_logits(labels=[1.0, 0.0], logits=[-100.0, 0.0]).numpy()
    array([100.        ,   0.69314718])
    """
    del name  # accepted for TensorFlow compatibility
    if labels is None or logits is None:
        raise ValueError("sigmoid_cross_entropy_with_logits needs both labels= and logits=")
    logits = as_input(logits)
    logits = logits if isinstance(logits, Tensor) else constant(logits)
    if logits.dtype.kind != "f":
        raise TypeError(f"logits must be a floating Tensor, got dtype {logits.dtype.name}")
    labels = as_input(labels)
    if not isinstance(labels, Tensor):
        labels = constant(labels, dtype=logits.dtype)
    elif labels.dtype != logits.dtype:
        labels = ew.cast(labels, logits.dtype)
    if labels.shape != logits.shape:
        raise ValueError(f"sigmoid_cross_entropy_with_logits: labels of shape {labels.shape} and "
                         f"logits of shape {logits.shape} must have the same shape")
    # Both branches chosen by one mask, so the gradient at logits == 0 is sigmoid(0) - z.
    positive = logits >= 0
    relu_logits = ew.where(positive, logits, 0.0)
    neg_abs_logits = ew.where(positive, ew.neg(logits), logits)
    return ew.add(ew.sub(relu_logits, ew.mul(logits, labels)), softplus(neg_abs_logits))


def l2_normalize(x, axis=None, epsilon: float = 1e-12, name: str | None = None) -> Tensor:
    """``x / sqrt(max(sum(x ** 2, axis), epsilon))`` (``tf.math.l2_normalize``).

    >>> import workbench as wb
    >>> wb.nn.l2_normalize(wb.constant([3.0, 4.0])).numpy()
    array([0.6, 0.8])
    """
    del name  # accepted for TensorFlow compatibility
    squares = red.sum(ew.square(x), axis=axis, keepdims=True)
    return ew.div(x, ew.sqrt(ew.maximum(squares, epsilon)))


def l2_loss(t, name: str | None = None) -> Tensor:
    """``sum(t ** 2) / 2`` (``tf.nn.l2_loss``).

    >>> import workbench as wb
    >>> float(wb.nn.l2_loss(wb.constant([1.0, 2.0])))
    2.5
    """
    del name  # accepted for TensorFlow compatibility
    return ew.mul(red.sum(ew.square(t)), 0.5)

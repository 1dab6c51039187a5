"""Keras activation names mapped to workbench ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.ops import elementwise as ew
from workbench.ops import nn
from workbench.tensor import Tensor


def linear(x: Any) -> Any:
    """The identity."""
    return x


def _with_logits(out: Any, logits: Any) -> Any:
    """``out`` remembering the logits it came from: the cross-entropy losses then compute from
    the logits (log-softmax, softplus), as Keras does for its own activations: exact where the
    probabilities would be clipped, and fewer ops."""
    if isinstance(out, Tensor):
        out._keras_logits = logits
    return out


def softmax(x: Any, axis: int = -1) -> Any:
    """``softmax`` along ``axis``; along the last axis its output keeps its logits for the losses.

    >>> import workbench as wb
    >>> p = softmax(wb.constant([[0.0, 0.0]]))
    >>> p.numpy(), p._keras_logits.numpy()
    (array([[0.5, 0.5]]), array([[0., 0.]]))
    """
    out = nn.softmax(x, axis=axis)
    return _with_logits(out, x) if axis == -1 else out


def sigmoid(x: Any) -> Any:
    """``sigmoid``; its output keeps its logits for ``binary_crossentropy``.

    >>> import workbench as wb
    >>> float(sigmoid(wb.constant(0.0)))
    0.5
    """
    return _with_logits(nn.sigmoid(x), x)


_NAMES: dict[str, Callable[[Any], Any]] = {
    "linear": linear, "relu": nn.relu, "sigmoid": sigmoid, "softmax": softmax,
    "softplus": nn.softplus, "tanh": ew.tanh, "elu": nn.elu, "log_softmax": nn.log_softmax,
}


def get(identifier: Any) -> Callable[[Any], Any]:
    """An activation function from a name, a callable, or None (the identity).

    >>> get("relu").name, get(None) is linear
    ('relu', True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, str):
        try:
            return _NAMES[identifier.lower()]
        except KeyError:
            raise ValueError(f"unknown activation {identifier!r}; known: "
                             f"{sorted(_NAMES)}") from None
    if callable(identifier):
        return identifier
    raise TypeError(f"cannot use {identifier!r} as an activation")


relu, tanh = nn.relu, ew.tanh

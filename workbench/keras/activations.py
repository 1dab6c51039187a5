"""Keras activation names mapped to workbench ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.ops import elementwise as ew
from workbench.ops import nn
from workbench.ops import reduce as red
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
    """``softmax`` along ``axis``; along the last axis its output keeps its logits for the losses,
    and the shift and sum of exponentials it computed (``log_softmax`` reuses them).

    >>> import workbench as wb
    >>> p = softmax(wb.constant([[0.0, 0.0]]))
    >>> p.numpy(), p._keras_logits.numpy()
    (array([[0.5, 0.5]]), array([[0., 0.]]))
    """
    if axis != -1:
        return nn.softmax(x, axis=axis)
    shift, e, total = red.exp_shifted(x, -1)  # nn.softmax's ops
    out = ew.div(e, total)
    if isinstance(out, Tensor):
        out._keras_partition = (shift, total)
    return _with_logits(out, x)


def log_softmax_of(p: Any) -> Any:
    """``log_softmax`` of the logits of ``p``, a Keras softmax's output: the ops of
    ``nn.log_softmax`` on the shift and sum the softmax computed (the same values), or None if
    ``p`` is no such output.

    >>> import workbench as wb
    >>> log_softmax_of(softmax(wb.constant([[0.0, 0.0]]))).numpy().round(4)
    array([[-0.6931, -0.6931]])
    """
    parts = getattr(p, "_keras_partition", None)
    if parts is None:
        return None
    shift, total = parts
    return ew.sub(p._keras_logits, ew.add(ew.log(total), shift))


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

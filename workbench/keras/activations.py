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


def hard_sigmoid(x: Any) -> Any:
    """``relu6(x + 3) / 6`` (Keras 3's piecewise-linear sigmoid).

    >>> import workbench as wb
    >>> hard_sigmoid(wb.constant([-4.0, 0.0, 4.0])).numpy().round(4)
    array([0. , 0.5, 1. ])
    """
    return ew.div(nn.relu6(ew.add(x, 3.0)), 6.0)


def hard_silu(x: Any) -> Any:
    """``x * hard_sigmoid(x)`` (also ``hard_swish``).

    >>> import workbench as wb
    >>> float(hard_silu(wb.constant(3.0)))
    3.0
    """
    return ew.mul(x, hard_sigmoid(x))


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))``.

    >>> import workbench as wb
    >>> round(float(mish(wb.constant(1.0))), 6)
    0.865098
    """
    return ew.mul(x, ew.tanh(nn.softplus(x)))


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """``x`` for x > 0, ``negative_slope * x`` otherwise (Keras's default slope 0.2).

    >>> import workbench as wb
    >>> leaky_relu(wb.constant([-1.0, 2.0])).numpy()
    array([-0.2,  2. ])
    """
    return nn.leaky_relu(x, alpha=negative_slope)


def silu(x: Any) -> Any:
    """``x * sigmoid(x)`` (also ``swish``).

    >>> import workbench as wb
    >>> round(float(silu(wb.constant(1.0))), 6)
    0.731059
    """
    return nn.silu(x)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """``x - logsumexp(x)`` along ``axis``.

    >>> import workbench as wb
    >>> log_softmax(wb.constant([0.0, 0.0])).numpy().round(4)
    array([-0.6931, -0.6931])
    """
    return nn.log_softmax(x, axis=axis)


elu, selu, gelu, relu6 = nn.elu, nn.selu, nn.gelu, nn.relu6
softplus, softsign, exponential = nn.softplus, nn.softsign, ew.exp
swish, hard_swish = silu, hard_silu

_NAMES: dict[str, Callable[[Any], Any]] = {
    "linear": linear, "relu": nn.relu, "sigmoid": sigmoid, "softmax": softmax,
    "softplus": softplus, "tanh": ew.tanh, "elu": elu, "log_softmax": log_softmax,
    "selu": selu, "gelu": gelu, "silu": silu, "swish": silu, "softsign": softsign,
    "hard_sigmoid": hard_sigmoid, "hard_silu": hard_silu, "hard_swish": hard_silu,
    "exponential": exponential, "leaky_relu": leaky_relu, "relu6": relu6, "mish": mish,
}


def serialize(activation: Any) -> str:
    """The name of a known activation function (as ``get_config`` stores it).

    >>> serialize(get("gelu"))
    'gelu'
    """
    for name, fn in _NAMES.items():
        if fn is activation:
            return name
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"cannot name the activation {activation!r}")
    return name


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
deserialize = get

"""Keras activation names mapped to workbench ops."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.ops import elementwise as ew
from workbench.ops import nn


def linear(x: Any) -> Any:
    """The identity."""
    return x


_NAMES: dict[str, Callable[[Any], Any]] = {
    "linear": linear, "relu": nn.relu, "sigmoid": nn.sigmoid, "softmax": nn.softmax,
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


relu, sigmoid, softmax, tanh = nn.relu, nn.sigmoid, nn.softmax, ew.tanh

"""Keras's merging layers, called on a list of inputs (also in the functional API):
Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum, and their function forms."""

from __future__ import annotations

from functools import reduce
from typing import Any

import numpy as np

from workbench.keras.layer import Layer
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.tensor import Tensor


class _Merge(Layer):
    """Combines a list of same-shape inputs elementwise with ``combine(a, b)``."""

    min_inputs = 2

    def _inputs(self, inputs: Any) -> list[Tensor]:
        if not isinstance(inputs, list | tuple) or len(inputs) < self.min_inputs:
            raise ValueError(f"{type(self).__name__} takes a list of at least "
                             f"{self.min_inputs} inputs, got {type(inputs).__name__}"
                             + (f" of length {len(inputs)}" if isinstance(inputs, list | tuple)
                                else ""))
        xs = [Layer._cast(self, x) for x in inputs]
        self._check_shapes([tuple(x.shape) for x in xs])
        return xs

    def _check_shapes(self, shapes: list[tuple]) -> None:
        if any(s[1:] != shapes[0][1:] for s in shapes) and not _broadcastable(shapes):
            raise ValueError(f"{type(self).__name__}: the inputs must have the same shape, got "
                             f"{shapes}")

    def combine(self, a: Tensor, b: Tensor) -> Tensor:
        raise NotImplementedError

    def call(self, inputs):
        return reduce(self.combine, self._inputs(inputs))


def _broadcastable(shapes: list[tuple]) -> bool:
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        return False
    return True


class Add(_Merge):
    """The sum of the inputs.

    >>> import workbench as wb
    >>> Add()([wb.ones((2, 3)), wb.ones((2, 3))]).numpy()[0]
    array([2., 2., 2.])
    """

    def combine(self, a, b):
        return ew.add(a, b)


class Subtract(_Merge):
    """The first input minus the second (exactly two inputs)."""

    def call(self, inputs):
        xs = self._inputs(inputs)
        if len(xs) != 2:
            raise ValueError(f"Subtract takes exactly 2 inputs, got {len(xs)}")
        return ew.sub(xs[0], xs[1])


class Multiply(_Merge):
    """The elementwise product of the inputs."""

    def combine(self, a, b):
        return ew.mul(a, b)


class Maximum(_Merge):
    """The elementwise maximum of the inputs."""

    def combine(self, a, b):
        return ew.maximum(a, b)


class Minimum(_Merge):
    """The elementwise minimum of the inputs."""

    def combine(self, a, b):
        return ew.minimum(a, b)


class Average(_Merge):
    """The elementwise mean of the inputs.

    >>> import workbench as wb
    >>> Average()([wb.zeros((1, 2)), wb.ones((1, 2))]).numpy()
    array([[0.5, 0.5]])
    """

    def call(self, inputs):
        xs = self._inputs(inputs)
        return ew.div(reduce(ew.add, xs), float(len(xs)))


class Concatenate(_Merge):
    """The inputs joined along ``axis`` (the last by default); the other axes must agree.

    >>> import workbench as wb
    >>> Concatenate()([wb.ones((2, 3)), wb.zeros((2, 1))]).shape
    (2, 4)
    """

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def _check_shapes(self, shapes: list[tuple]) -> None:
        ndim = len(shapes[0])
        if any(len(s) != ndim for s in shapes) or not -ndim <= self.axis < ndim:
            raise ValueError(f"Concatenate: the inputs must have the same rank, with axis "
                             f"{self.axis} in range, got {shapes}")
        axis = self.axis % ndim
        rest = [s[:axis] + s[axis + 1:] for s in shapes]
        if any(r != rest[0] for r in rest):
            raise ValueError(f"Concatenate: the inputs must agree on every axis but {self.axis}, "
                             f"got {shapes}")

    def call(self, inputs):
        return sh.concat(self._inputs(inputs), axis=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


def add(inputs: list[Any], **kwargs: Any) -> Any:
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs: list[Any], **kwargs: Any) -> Any:
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs: list[Any], **kwargs: Any) -> Any:
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs: list[Any], **kwargs: Any) -> Any:
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def maximum(inputs: list[Any], **kwargs: Any) -> Any:
    """``Maximum(**kwargs)(inputs)``."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs: list[Any], **kwargs: Any) -> Any:
    """``Minimum(**kwargs)(inputs)``."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """``Concatenate(axis, **kwargs)(inputs)``.

    >>> import workbench as wb
    >>> a = wb.keras.Input(shape=(3,)); b = wb.keras.Input(shape=(2,))
    >>> model = wb.keras.Model([a, b], wb.keras.layers.Dense(1)(concatenate([a, b])))
    >>> model([wb.ones((4, 3)), wb.ones((4, 2))]).shape, model.count_params()
    ((4, 1), 6)
    """
    return Concatenate(axis=axis, **kwargs)(inputs)


__all__ = ["Add", "Average", "Concatenate", "Maximum", "Minimum", "Multiply", "Subtract", "add",
           "average", "concatenate", "maximum", "minimum", "multiply", "subtract"]

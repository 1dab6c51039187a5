"""Tensor creation (not recorded: new tensors depend on nothing) and seeded random numbers."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.dtypes import default_dtype
from workbench.tensor import Tensor

_RNG = [np.random.default_rng()]


def _float(dtype: Any) -> np.dtype:
    return default_dtype() if dtype is None else np.dtype(dtype)


def _shape(shape: Any) -> tuple[int, ...]:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of zeros. ``wb.zeros((2, 3))``"""
    return Tensor(np.zeros(_shape(shape), dtype=_float(dtype)))


def ones(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ones.

    >>> import workbench as wb
    >>> wb.ones(2).numpy()
    array([1., 1.])
    """
    return Tensor(np.ones(_shape(shape), dtype=_float(dtype)))


def fill(shape: Any, value: Any, dtype: Any = None) -> Tensor:
    """A tensor with every element ``value``."""
    return Tensor(np.full(_shape(shape), value, dtype=_float(dtype)))


def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """Zeros with the shape (and dtype) of ``x``."""
    return Tensor(np.zeros(np.shape(_raw(x)), dtype=dtype or np.result_type(_raw(x))))


def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """Ones with the shape (and dtype) of ``x``."""
    return Tensor(np.ones(np.shape(_raw(x)), dtype=dtype or np.result_type(_raw(x))))


def linspace(start: float, stop: float, num: int = 50, dtype: Any = None) -> Tensor:
    """``num`` evenly spaced values from ``start`` to ``stop`` inclusive.

    >>> import workbench as wb
    >>> wb.linspace(0.0, 1.0, 3).numpy()
    array([0. , 0.5, 1. ])
    """
    return Tensor(np.linspace(start, stop, int(num), dtype=_float(dtype)))


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (NumPy's ``arange``)."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return Tensor(values.astype(dtype) if dtype is not None else values)


def eye(n: int, m: int | None = None, dtype: Any = None) -> Tensor:
    """The identity matrix (``n x m``)."""
    return Tensor(np.eye(int(n), m, dtype=_float(dtype)))


def set_seed(seed: int) -> None:
    """Seed ``wb.random``: the same seed gives the same numbers.

    >>> import workbench as wb
    >>> wb.random.set_seed(0); a = wb.random.normal((2,)).numpy()
    >>> wb.random.set_seed(0); bool((a == wb.random.normal((2,)).numpy()).all())
    True
    """
    _RNG[0] = np.random.default_rng(seed)


def normal(shape: Any = (), mean: float = 0.0, stddev: float = 1.0, dtype: Any = None) -> Tensor:
    """Samples from a normal distribution."""
    return Tensor(_RNG[0].normal(mean, stddev, _shape(shape)).astype(_float(dtype)))


def uniform(shape: Any = (), minval: float = 0.0, maxval: float = 1.0, dtype: Any = None) -> Tensor:
    """Samples from a uniform distribution on ``[minval, maxval)``."""
    return Tensor(_RNG[0].uniform(minval, maxval, _shape(shape)).astype(_float(dtype)))


def _raw(x: Any) -> Any:
    return x._value if isinstance(x, Tensor) else x

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


def zeros_like(x: Any, dtype: Any = None, *, shape: Any = None) -> Tensor:
    """Zeros with the shape (and dtype) of ``x``, or ``shape`` where given."""
    shape = np.shape(_raw(x)) if shape is None else _shape(shape)
    return Tensor(np.zeros(shape, dtype=dtype or np.result_type(_raw(x))))


def ones_like(x: Any, dtype: Any = None, *, shape: Any = None) -> Tensor:
    """Ones with the shape (and dtype) of ``x``, or ``shape`` where given."""
    shape = np.shape(_raw(x)) if shape is None else _shape(shape)
    return Tensor(np.ones(shape, dtype=dtype or np.result_type(_raw(x))))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True,
             retstep: bool = False, dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (inclusive unless ``endpoint``
    is False), as NumPy's ``linspace``. Tensor (or array) ends give a differentiable result:
    ``start + (stop - start) * i / steps``, with the new axis at ``axis``.

    >>> import workbench as wb
    >>> wb.linspace(0.0, 1.0, 3).numpy()
    array([0. , 0.5, 1. ])
    >>> a = wb.constant(1.0)
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(a)
    ...     y = wb.reduce_sum(wb.linspace(a, 3.0, 4))
    >>> float(tape.gradient(y, a))
    2.0
    """
    num = int(num)
    if num < 0:
        raise ValueError(f"linspace: num must be >= 0, got {num}")
    if not isinstance(start, Tensor) and not isinstance(stop, Tensor):
        out = np.linspace(start, stop, num, endpoint=endpoint, retstep=retstep,
                          dtype=_float(dtype) if np.ndim(start) == np.ndim(stop) == 0 else dtype,
                          axis=axis)
        return (Tensor(out[0]), out[1]) if retstep else Tensor(out)
    from workbench.convert import constant
    from workbench.ops import elementwise as ew
    from workbench.ops.arrays import moveaxis

    start, stop = (v if type(v) in (int, float) else constant(v) for v in (start, stop))
    span = ew.sub(stop, start)  # Python numbers stay weak: float32 ends stay float32
    steps = (num - 1 if endpoint else num) or 1
    ndim = span.ndim
    frac = np.arange(num, dtype=np.result_type(span.dtype, np.float16)) / steps
    out = ew.add(start, ew.mul(span, frac.reshape((num,) + (1,) * ndim)))
    if endpoint and num > 1:  # the last point is stop itself, as NumPy makes it
        last = np.arange(num).reshape((num,) + (1,) * ndim) == num - 1
        out = ew.where(Tensor(last), stop, out)
    if dtype is not None:
        out = ew.cast(out, dtype)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    return (out, ew.div(span, float(steps))) if retstep else out


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)`` (NumPy's ``arange``)."""
    values = np.arange(start, stop, step) if stop is not None else np.arange(start)
    return Tensor(values.astype(dtype) if dtype is not None else values)


def eye(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> Tensor:
    """The ``N x M`` matrix with ones on diagonal ``k`` (NumPy's ``eye``).

    >>> import workbench as wb
    >>> wb.eye(2, 3, k=1).numpy()
    array([[0., 1., 0.],
           [0., 0., 1.]])
    """
    return Tensor(np.eye(int(N), M, k=int(k), dtype=_float(dtype)))


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

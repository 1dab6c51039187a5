"""Statistics and logical reductions as composites: var/std (with ``ddof``), average, ptp,
nansum/nanmean, any/all/count_nonzero."""

from __future__ import annotations

import math

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.axes import reduction_axes
from workbench.tensor import Tensor


def _count(x: Tensor, axis) -> tuple[tuple[int, ...] | None, int]:
    axes = reduction_axes(axis, x.ndim)
    return axes, math.prod(x.shape) if axes is None else math.prod(x.shape[a] for a in axes)


def var(x, axis=None, ddof: int = 0, keepdims: bool = False, *, dtype=None,
        correction=None) -> Tensor:
    """Variance over ``axis``: the mean squared deviation, divided by ``N - ddof`` (NumPy's
    ``var``; ``ddof=1`` is the unbiased estimate). ``N - ddof <= 0`` raises ValueError.

    >>> import workbench as wb
    >>> float(wb.var([1.0, 2.0, 3.0, 4.0])), float(wb.var([1.0, 2.0, 3.0, 4.0], ddof=1))
    (1.25, 1.6666666666666667)
    """
    x = constant(red.in_dtype(x, dtype))
    ddof = ddof if correction is None else correction  # NumPy 2's name for ddof
    axes, n = _count(x, axis)
    if n - ddof <= 0 and n:  # no elements at all: NaN, as NumPy (which also warns)
        raise ValueError(f"var/std: ddof={ddof} leaves no degrees of freedom for {n} elements "
                         f"per group (axis={axis!r}, shape {x.shape}); use ddof < {n}")
    centered = ew.sub(x, red.mean(x, axis=axes, keepdims=True))
    return ew.div(red.sum(ew.square(centered), axis=axes, keepdims=keepdims), float(n - ddof))


def std(x, axis=None, ddof: int = 0, keepdims: bool = False, *, dtype=None,
        correction=None) -> Tensor:
    """Standard deviation, ``sqrt(var(x, axis, ddof))``.

    Where the variance is exactly 0 (one element, or all equal) ``std`` has no derivative (it
    grows like ``|t|`` along any direction); workbench returns the gradient 0 there (the
    subgradient of least norm). TensorFlow and JAX compute ``sqrt``'s infinite slope times a
    zero and give NaN.

    >>> import workbench as wb
    >>> x = wb.constant([3.0])
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     s = wb.std(x)
    >>> float(s), tape.gradient(s, x).numpy()
    (0.0, array([0.]))
    """
    v = var(x, axis=axis, ddof=ddof, keepdims=keepdims, dtype=dtype, correction=correction)
    flat = v == 0.0  # NaN is not 0: a NaN variance still gives a NaN std
    return ew.where(flat, 0.0, ew.sqrt(ew.where(flat, 1.0, v)))


def reduce_variance(x, axis=None, keepdims: bool = False) -> Tensor:
    """``tf.math.reduce_variance``: the population variance (``ddof=0``)."""
    return var(x, axis=axis, keepdims=keepdims)


def reduce_std(x, axis=None, keepdims: bool = False) -> Tensor:
    """``tf.math.reduce_std``: the population standard deviation (gradient 0 where it is 0)."""
    return std(x, axis=axis, keepdims=keepdims)


def average(a, axis=None, weights=None, returned: bool = False, keepdims: bool = False):
    """NumPy's ``average``: ``sum(a * w) / sum(w)`` over ``axis``; 1-d ``weights`` run along
    ``axis``. With ``returned=True`` also the sum of the weights (broadcast like the result).

    >>> import workbench as wb
    >>> float(wb.average([1.0, 2.0, 4.0], weights=[3.0, 1.0, 0.0]))
    1.25
    """
    a = constant(a)
    if weights is None:
        axes, n = _count(a, axis)
        avg = red.mean(a, axis=axes, keepdims=keepdims)
        total = constant(np.full(avg.shape, float(n), dtype=avg.dtype))
    else:
        w = constant(weights)
        if w.shape != a.shape:
            if not isinstance(axis, int | np.integer):
                raise TypeError(f"average: weights of shape {w.shape} differ from a's {a.shape}; "
                                "give one integer axis they run along")
            ax = reduction_axes(axis, a.ndim)[0]
            if w.shape != (a.shape[ax],):
                raise ValueError(f"average: 1-d weights must have length {a.shape[ax]} "
                                 f"(a.shape[{axis}]), got shape {w.shape}")
            w = sh.reshape(w, [d if k == ax else 1 for k, d in enumerate(a.shape)])
        axes = reduction_axes(axis, a.ndim)
        w = sh.broadcast_to(w, np.broadcast_shapes(w.shape, a.shape))
        total = red.sum(w, axis=axes, keepdims=keepdims)
        avg = ew.div(red.sum(ew.mul(a, w), axis=axes, keepdims=keepdims), total)
    return (avg, total) if returned else avg


def ptp(x, axis=None, keepdims: bool = False) -> Tensor:
    """Peak to peak: ``max - min`` over ``axis``.

    >>> import workbench as wb
    >>> float(wb.ptp([4.0, -1.0, 2.0]))
    5.0
    """
    x = constant(x)
    top = red.max(x, axis=axis, keepdims=keepdims)
    return ew.sub(top, red.min(x, axis=axis, keepdims=keepdims))


def nansum(x, axis=None, keepdims: bool = False, *, dtype=None) -> Tensor:
    """Sum treating NaN as 0 (its gradient there is 0).

    >>> import numpy as np, workbench as wb
    >>> float(wb.nansum([1.0, np.nan, 2.0]))
    3.0
    """
    x = constant(red.in_dtype(x, dtype))
    if x.dtype.kind not in "fc":  # no NaN to skip: NumPy's plain sum (bool, int32 -> int64)
        return red.sum(x, axis=axis, keepdims=keepdims)
    return red.sum(ew.where(x != x, 0.0, x), axis=axis, keepdims=keepdims)  # noqa: PLR0124


def nanmean(x, axis=None, keepdims: bool = False, *, dtype=None) -> Tensor:
    """Mean of the non-NaN elements (NaN where there are none, as NumPy).

    >>> import numpy as np, workbench as wb
    >>> float(wb.nanmean([1.0, np.nan, 2.0]))
    1.5
    """
    x = constant(red.in_dtype(x, dtype))
    kept = ew.cast(x == x, dtype=x.dtype)  # noqa: PLR0124 - not NaN
    count = red.sum(kept, axis=axis, keepdims=keepdims)
    return ew.div(nansum(x, axis=axis, keepdims=keepdims), count)


def count_nonzero(x, axis=None, keepdims: bool = False) -> Tensor:
    """Number of non-zero (true) elements over ``axis``, as int64 (not differentiable).

    >>> import workbench as wb
    >>> int(wb.count_nonzero([[0.0, 1.0], [2.0, 0.0]]))
    2
    """
    x = constant(x)
    return red.sum(ew.cast(x != 0, dtype=np.int64), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims: bool = False) -> Tensor:
    """Whether any element over ``axis`` is non-zero (true): a boolean Tensor.

    >>> import workbench as wb
    >>> wb.any([[0.0, 1.0], [0.0, 0.0]], axis=1).numpy()
    array([ True, False])
    """
    return count_nonzero(x, axis=axis, keepdims=keepdims) > 0


def all(x, axis=None, keepdims: bool = False) -> Tensor:
    """Whether every element over ``axis`` is non-zero (true): a boolean Tensor.

    >>> import workbench as wb
    >>> bool(wb.all([1.0, 2.0])), bool(wb.all([]))
    (True, True)
    """
    x = constant(x)
    return red.sum(ew.cast(x == 0, dtype=np.int64), axis=axis, keepdims=keepdims) == 0

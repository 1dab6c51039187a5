"""NumPy's NaN-ignoring reductions, order statistics (median, quantile, partition), and the
numerical helpers built on slices (trapezoid, convolve, polyval, vander) as composites."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.arrays import _along, diff, flip, moveaxis
from workbench.ops.axes import normalize_axis_index, reduction_axes
from workbench.ops.cumulative import cumprod, cumsum, prod
from workbench.ops.elementwise_composite import isnan, logical_not
from workbench.ops.indexing import take, take_along_axis
from workbench.ops.joining import concatenate
from workbench.ops.sorting import sort
from workbench.ops.statistics import nanmean
from workbench.tensor import Tensor, as_input


# --- NaN-ignoring reductions ----------------------------------------------------------------
def _nan_filled(x: Any, fill: float) -> tuple[Tensor, Tensor]:
    """``x`` with NaN replaced by ``fill``, and the mask of where NaN was."""
    x = constant(x)
    nan = isnan(x)
    return ew.where(nan, fill, x), nan


def _exact(a: Any) -> bool:
    """True for bool and integer data: no NaN to skip, so NumPy runs the plain reduction (and
    keeps its dtype rules: ``nansum`` of int32 is int64, ``nanmax`` of int32 int32)."""
    return ew.dtype_of(a if isinstance(a, Tensor | int | float) else np.asarray(a)).kind in "biu"


def _counts(x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    """The number of non-NaN elements over ``axis``, in ``x``'s dtype."""
    return red.sum(ew.cast(logical_not(isnan(x)), x.dtype), axis=axis, keepdims=keepdims)


def nanmax(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum ignoring NaN (NaN where a slice is all NaN, as NumPy, which also warns).

    >>> import numpy as np, workbench as wb
    >>> float(wb.nanmax([1.0, np.nan, 3.0]))
    3.0
    """
    if _exact(a):
        return red.max(a, axis=axis, keepdims=keepdims)
    filled = _nan_filled(a, -np.inf)[0]
    top = red.max(filled, axis=axis, keepdims=keepdims)
    all_nan = _counts(constant(a), axis, keepdims) == 0
    return ew.where(all_nan, np.nan, top)


def nanmin(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum ignoring NaN.

    >>> import numpy as np, workbench as wb
    >>> float(wb.nanmin([1.0, np.nan, 3.0]))
    1.0
    """
    if _exact(a):
        return red.min(a, axis=axis, keepdims=keepdims)
    return ew.neg(nanmax(ew.neg(constant(a)), axis=axis, keepdims=keepdims))


def nanprod(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product treating NaN as 1.

    >>> import numpy as np, workbench as wb
    >>> float(wb.nanprod([2.0, np.nan, 3.0]))
    6.0
    """
    if _exact(a):
        return prod(a, axis=axis, keepdims=keepdims)
    return prod(_nan_filled(a, 1.0)[0], axis=axis, keepdims=keepdims)


def nancumsum(a: Any, axis: int | None = None) -> Tensor:
    """Running sum treating NaN as 0.

    >>> import numpy as np, workbench as wb
    >>> wb.nancumsum([1.0, np.nan, 2.0]).numpy()
    array([1., 1., 3.])
    """
    if _exact(a):
        return cumsum(a, axis=axis)
    return cumsum(_nan_filled(a, 0.0)[0], axis=axis)


def nancumprod(a: Any, axis: int | None = None) -> Tensor:
    """Running product treating NaN as 1.

    >>> import numpy as np, workbench as wb
    >>> wb.nancumprod([2.0, np.nan, 3.0]).numpy()
    array([2., 2., 6.])
    """
    if _exact(a):
        return cumprod(a, axis=axis)
    return cumprod(_nan_filled(a, 1.0)[0], axis=axis)


def nanvar(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Variance of the non-NaN elements, divided by ``count - ddof``.

    >>> import numpy as np, workbench as wb
    >>> float(wb.nanvar([1.0, np.nan, 3.0]))
    1.0
    """
    x = constant(a)
    axes = reduction_axes(axis, x.ndim)
    filled, nan = _nan_filled(x, 0.0)
    count = _counts(x, axes, True)
    centered = ew.where(nan, 0.0, ew.sub(filled, nanmean(x, axis=axes, keepdims=True)))
    total = red.sum(ew.square(centered), axis=axes, keepdims=True)
    out = ew.div(total, ew.sub(count, float(ddof)))
    return out if keepdims else sh.squeeze(out, axis=axes) if axes else sh.reshape(out, ())


def nanstd(a: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> Tensor:
    """Standard deviation of the non-NaN elements (gradient 0 where it is 0, as ``std``).

    >>> import numpy as np, workbench as wb
    >>> float(wb.nanstd([1.0, np.nan, 3.0]))
    1.0
    """
    v = nanvar(a, axis=axis, ddof=ddof, keepdims=keepdims)
    flat = v == 0.0
    return ew.where(flat, 0.0, ew.sqrt(ew.where(flat, 1.0, v)))


# --- order statistics -----------------------------------------------------------------------
def quantile_dtype(x: Tensor, q: Any) -> np.dtype:
    """NumPy's result dtype: the data's float type, widened by an array ``q`` (a Python
    number ``q`` is weak, so float32 data stays float32)."""
    weak = isinstance(q, int | float) and not isinstance(q, bool)
    return np.result_type(x.dtype, np.float16, q if weak else np.asarray(q))


def median_dtype(x: Tensor) -> np.dtype:
    """NumPy's median dtype: a mean's (floats stay, bool and integers give float64)."""
    return np.dtype(x.dtype) if x.dtype.kind in "fc" else np.dtype(np.float64)


def percent_to_fraction(q: Any) -> Any:
    """A percentile's ``q`` as a quantile's (``q / 100``); a Tensor stays on the tape."""
    return ew.div(q, 100.0) if isinstance(q, Tensor) else np.asarray(q, dtype=float) / 100.0


def _quantile(x: Tensor, q: Any, axis: Any, keepdims: bool, method: str) -> Tensor:
    if method != "linear":
        raise NotImplementedError(f"quantile: method={method!r}; only 'linear' is supported")
    q = as_input(q) if isinstance(q, Tensor) else q
    qs = np.asarray(q, dtype=float)
    if np.any((qs < 0) | (qs > 1)):
        raise ValueError(f"quantile: q must lie in [0, 1], got {q!r}")
    axes = reduction_axes(axis, x.ndim)
    axes = tuple(range(x.ndim)) if axes is None else axes
    kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    rest = [i for i in range(x.ndim) if i not in axes]
    flat = sh.reshape(sh.transpose(x, rest + list(axes)), tuple(x.shape[i] for i in rest) + (-1,))
    s = sort(flat, axis=-1)
    n = s.shape[-1]
    pos = qs.ravel() * (n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = (pos - lo).astype(np.result_type(s.dtype, np.float16))  # float32 stays float32
    if isinstance(q, Tensor):  # d/dq = (x_hi - x_lo) * (n - 1): frac carries q's gradient
        frac = ew.sub(ew.mul(sh.reshape(q, (-1,)), float(n - 1)), lo.astype(frac.dtype))
    picked = ew.add(ew.mul(take(s, lo, axis=-1), 1.0 - frac), ew.mul(take(s, hi, axis=-1), frac))
    picked = moveaxis(picked, -1, 0)  # q's axes first, as NumPy
    shape = kept if keepdims else tuple(x.shape[i] for i in rest)
    return sh.reshape(picked, qs.shape + shape)


def quantile(a: Any, q: Any, axis: Any = None, keepdims: bool = False, *,
             method: str = "linear") -> Tensor:
    """The ``q``-th quantile(s) over ``axis`` with linear interpolation between order
    statistics (NumPy's default method); the gradient flows to the two neighbours, and to a
    Tensor ``q`` as ``(x_hi - x_lo) * (n - 1)`` (the slope between them).

    >>> import workbench as wb
    >>> float(wb.quantile([1.0, 4.0, 2.0, 3.0], 0.5))
    2.5
    """
    x = constant(a)
    return ew.cast(_quantile(x, q, axis, keepdims, method), quantile_dtype(x, q))


def percentile(a: Any, q: Any, axis: Any = None, keepdims: bool = False, *,
               method: str = "linear") -> Tensor:
    """The ``q``-th percentile(s) (``q`` in [0, 100]); see :func:`quantile`.

    >>> import workbench as wb
    >>> float(wb.percentile([1.0, 2.0, 3.0], 50))
    2.0
    """
    x = constant(a)
    return ew.cast(_quantile(x, percent_to_fraction(q), axis, keepdims, method),
                   quantile_dtype(x, q))


def median(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The median over ``axis``: the middle element, or the mean of the two middle ones.

    >>> import workbench as wb
    >>> float(wb.median([3.0, 1.0, 2.0, 10.0]))
    2.5
    """
    x = constant(a)
    return ew.cast(_quantile(x, 0.5, axis, keepdims, "linear"), median_dtype(x))


def partition(a: Any, kth: Any, axis: int | None = -1) -> Tensor:
    """``a`` rearranged along ``axis`` so that the ``kth`` element is where sorting puts it,
    smaller ones before and larger after, in NumPy's order (``np.argpartition``); the gradient
    flows back through that permutation.

    >>> import workbench as wb
    >>> float(wb.partition(wb.constant([3.0, 1.0, 2.0]), 1)[1])
    2.0
    """
    x = constant(a)
    if axis is None:
        x, axis = sh.reshape(x, (-1,)), 0
    axis = normalize_axis_index(axis, x.ndim)
    return take_along_axis(x, np.argpartition(np.asarray(x), kth, axis=axis), axis=axis)


# --- numerical helpers on slices ------------------------------------------------------------
def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> Tensor:
    """The integral of ``y`` along ``axis`` by the trapezoid rule (sample points ``x`` or
    spacing ``dx``); differentiable in ``y`` and ``x``.

    >>> import workbench as wb
    >>> float(wb.trapezoid([1.0, 2.0, 3.0]))
    4.0
    """
    y = constant(y)
    given, axis = axis, normalize_axis_index(axis, y.ndim)
    n = y.shape[axis]
    mid = ew.add(y[_along(axis, slice(1, None))], y[_along(axis, slice(None, n - 1))])
    if x is None:
        return ew.mul(red.sum(mid, axis=axis), dx / 2.0)
    x = constant(x)
    if x.ndim > 1:  # as NumPy: the gaps and the sum along the axis as given, broadcasting y
        return ew.div(red.sum(ew.mul(mid, diff(x, axis=given)), axis=given), 2.0)
    d = sh.reshape(diff(x), (-1,) + (1,) * (y.ndim - 1 - axis))
    return ew.div(red.sum(ew.mul(mid, d), axis=axis), 2.0)


def ediff1d(ary: Any, to_end: Any = None, to_begin: Any = None) -> Tensor:
    """Differences of the flattened tensor, with optional values before and after.

    >>> import workbench as wb
    >>> wb.ediff1d(wb.constant([1.0, 4.0, 9.0])).numpy()
    array([3., 5.])
    """
    parts = [diff(sh.reshape(constant(ary), (-1,)))]
    if to_begin is not None:
        parts.insert(0, sh.reshape(ew.cast(constant(to_begin), parts[0].dtype), (-1,)))
    if to_end is not None:
        parts.append(sh.reshape(ew.cast(constant(to_end), parts[0].dtype), (-1,)))
    return concatenate(parts, axis=0) if len(parts) > 1 else parts[0]


def _cumulative(x: Any, axis: Any, include_initial: bool, scan, initial: float,
                name: str) -> Tensor:
    x = constant(x)
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: give axis for a tensor of rank {x.ndim}")
        axis = 0
    x = sh.reshape(x, (1,)) if x.ndim == 0 else x
    axis = normalize_axis_index(axis, x.ndim)
    out = scan(x, axis=axis)
    if include_initial:
        start_shape = x.shape[:axis] + (1,) + x.shape[axis + 1:]
        start = Tensor(np.full(start_shape, initial, dtype=out.dtype))
        out = concatenate([start, out], axis=axis)
    return out


def cumulative_sum(x: Any, *, axis: int | None = None, dtype: Any = None,
                   include_initial: bool = False) -> Tensor:
    """``np.cumulative_sum``: a running sum, optionally starting with 0.

    >>> import workbench as wb
    >>> wb.cumulative_sum(wb.constant([1.0, 2.0]), include_initial=True).numpy()
    array([0., 1., 3.])
    """
    x = constant(x) if dtype is None else ew.cast(constant(x), dtype)
    return _cumulative(x, axis, include_initial, cumsum, 0.0, "cumulative_sum")


def cumulative_prod(x: Any, *, axis: int | None = None, dtype: Any = None,
                    include_initial: bool = False) -> Tensor:
    """``np.cumulative_prod``: a running product, optionally starting with 1.

    >>> import workbench as wb
    >>> wb.cumulative_prod(wb.constant([2.0, 3.0])).numpy()
    array([2., 6.])
    """
    x = constant(x) if dtype is None else ew.cast(constant(x), dtype)
    return _cumulative(x, axis, include_initial, cumprod, 1.0, "cumulative_prod")


def _conv_full(a: Tensor, v: Tensor) -> Tensor:
    m = v.shape[0]
    rows = [ew.mul(a, v[j]) for j in range(m)]  # a shifted by j, times v[j]
    padded = [concatenate([Tensor(np.zeros(j, a.dtype)), r, Tensor(np.zeros(m - 1 - j, a.dtype))],
                          axis=0) for j, r in enumerate(rows)]
    out = padded[0]
    for p in padded[1:]:
        out = ew.add(out, p)
    return out


def convolve(a: Any, v: Any, mode: str = "full") -> Tensor:
    """The discrete linear convolution of two vectors (modes 'full', 'same', 'valid').

    >>> import workbench as wb
    >>> wb.convolve(wb.constant([1.0, 2.0, 3.0]), wb.constant([0.0, 1.0, 0.5])).numpy()
    array([0. , 1. , 2.5, 4. , 1.5])
    """
    a, v = (sh.reshape(t, (1,)) if t.ndim == 0 else t for t in (constant(a), constant(v)))
    if a.ndim != 1 or v.ndim != 1 or not a.shape[0] or not v.shape[0]:
        raise ValueError(f"convolve: needs two non-empty vectors, got {a.shape} and {v.shape}")
    if v.shape[0] > a.shape[0]:
        a, v = v, a
    full = _conv_full(a, v)
    n, m = a.shape[0], v.shape[0]
    if mode == "full":
        return full
    if mode == "same":
        start = (m - 1) // 2
        return full[start:start + n]
    if mode == "valid":
        return full[m - 1:n]
    raise ValueError(f"convolve: mode must be 'full', 'same' or 'valid', got {mode!r}")


def correlate(a: Any, v: Any, mode: str = "valid") -> Tensor:
    """The cross-correlation of two real vectors, ``convolve(a, v[::-1])`` (as ``np.correlate``).

    >>> import workbench as wb
    >>> wb.correlate(wb.constant([1.0, 2.0, 3.0]), wb.constant([0.0, 1.0])).numpy()
    array([2., 3.])
    """
    a, v = constant(a), constant(v)
    if v.shape[0] > a.shape[0]:
        return flip(convolve(v, flip(a, 0), mode), 0)  # NumPy swaps, then reverses
    return convolve(a, flip(v, 0), mode)


def polyval(p: Any, x: Any) -> Tensor:
    """The polynomial with coefficients ``p`` (highest power first) at ``x``, by Horner's rule.

    >>> import workbench as wb
    >>> wb.polyval([1.0, 0.0, -1.0], wb.constant([2.0, 3.0])).numpy()
    array([3., 8.])
    """
    p, x = constant(p), constant(x)
    out = Tensor(np.zeros(x.shape, x.dtype))  # NumPy's zeros_like(x): bool stays bool
    for i in range(p.shape[0]):
        out = ew.add(ew.mul(out, x), p[i])
    return out


def vander(x: Any, N: int | None = None, increasing: bool = False) -> Tensor:
    """The Vandermonde matrix of a vector: columns are powers of ``x`` (highest first).

    >>> import workbench as wb
    >>> wb.vander(wb.constant([2.0, 3.0]), 3).numpy()
    array([[4., 2., 1.],
           [9., 3., 1.]])
    """
    x = constant(x)
    x = ew.cast(x, np.promote_types(x.dtype, np.int64))  # NumPy's dtype (float32 -> float64)
    if x.ndim != 1:
        raise ValueError(f"vander: x must be a vector, got shape {x.shape}")
    n = x.shape[0] if N is None else int(N)
    powers = np.arange(n) if increasing else np.arange(n)[::-1]
    cols = [ew.power(x, int(k)) for k in powers]
    return sh.stack(cols, axis=1) if cols else Tensor(np.zeros((x.shape[0], 0), x.dtype))

"""NumPy's vector products, covariance, polynomials, interpolation, binning and functional
helpers (piecewise, apply_along_axis) as composites of workbench ops."""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.arrays import moveaxis
from workbench.ops.einsum import einsum
from workbench.ops.joining import atleast_1d
from workbench.ops.numpy_stats import convolve
from workbench.ops.ufunc_dtypes import dot_dtype
from workbench.tensor import Tensor


# --- vector products ------------------------------------------------------------------------
def vecdot(x1: Any, x2: Any, /, *, axis: int = -1) -> Tensor:
    """The dot product over ``axis`` with broadcasting (``np.vecdot``, real inputs).

    >>> import workbench as wb
    >>> wb.vecdot(wb.constant([[1.0, 2.0], [3.0, 4.0]]), wb.constant([1.0, 1.0])).numpy()
    array([3., 7.])
    """
    return dot_dtype(red.sum(ew.mul(x1, x2), axis=axis), x1, x2)


def matvec(x1: Any, x2: Any, /) -> Tensor:
    """Matrix times vector over the last axes, broadcasting the rest (``np.matvec``).

    >>> import workbench as wb
    >>> wb.matvec(wb.constant([[1.0, 2.0], [3.0, 4.0]]), wb.constant([1.0, 0.0])).numpy()
    array([1., 3.])
    """
    x2 = constant(x2)
    return dot_dtype(red.sum(ew.mul(x1, sh.expand_dims(x2, -2)), axis=-1), x1, x2)


def vecmat(x1: Any, x2: Any, /) -> Tensor:
    """Vector times matrix over the last axes, broadcasting the rest (``np.vecmat``).

    >>> import workbench as wb
    >>> wb.vecmat(wb.constant([1.0, 0.0]), wb.constant([[1.0, 2.0], [3.0, 4.0]])).numpy()
    array([1., 2.])
    """
    x1 = constant(x1)
    return dot_dtype(red.sum(ew.mul(sh.expand_dims(x1, -1), x2), axis=-2), x1, x2)


# --- covariance -----------------------------------------------------------------------------
def cov(m: Any, y: Any = None, rowvar: builtins.bool = True, bias: builtins.bool = False,
        ddof: int | None = None, fweights: Any = None, aweights: Any = None, *,
        dtype: Any = None) -> Tensor:
    """The covariance matrix of the variables in the rows of ``m`` (columns if not ``rowvar``),
    normalized by ``N - 1`` (``N`` if ``bias``, or ``N - ddof``); frequency and
    reliability weights are not supported.

    >>> import workbench as wb
    >>> wb.cov(wb.constant([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0]])).numpy()
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    if fweights is not None or aweights is not None:
        raise NotImplementedError("cov: fweights and aweights are not supported")
    rows = []
    for part in (m, y):
        if part is None:
            continue
        t = constant(part)
        if t.ndim > 2:
            raise ValueError(f"cov: m and y must have at most 2 axes, got shape {t.shape}")
        t = sh.reshape(t, (1, -1)) if t.ndim < 2 else t
        rows.append(t if rowvar or t.shape[0] == 1 else sh.transpose(t))
    x = rows[0] if len(rows) == 1 else sh.concat(rows, axis=0)
    x = ew.cast(x, dtype or np.result_type(x.dtype, np.float64))
    n = x.shape[1]
    ddof = (0 if bias else 1) if ddof is None else ddof
    centered = ew.sub(x, red.mean(x, axis=1, keepdims=True))
    c = ew.div(einsum("ik,jk->ij", centered, centered), float(n - ddof))
    return sh.squeeze(c)


def corrcoef(x: Any, y: Any = None, rowvar: builtins.bool = True, *, dtype: Any = None) -> Tensor:
    """Pearson correlation coefficients, ``cov / sqrt(var_i var_j)`` clipped to [-1, 1].

    >>> import workbench as wb
    >>> wb.corrcoef(wb.constant([[0.0, 1.0, 2.0], [0.0, 2.0, 4.0]])).numpy()
    array([[1., 1.],
           [1., 1.]])
    """
    c = cov(x, y, rowvar, dtype=dtype)
    if c.ndim == 0:
        return ew.div(c, c)
    d = ew.sqrt(einsum("ii->i", c))
    r = ew.div(ew.div(c, sh.expand_dims(d, 1)), sh.expand_dims(d, 0))
    return ew.clip(r, -1.0, 1.0)


# --- polynomials (coefficients highest power first) -----------------------------------------
def _aligned(a1: Any, a2: Any, name: str) -> tuple[Tensor, Tensor]:
    """The coefficient arrays with the shorter one padded by leading zeros along axis 0, as
    NumPy's polyadd/polysub (arrays of equal length are combined as they are, any rank)."""
    a, b = atleast_1d(constant(a1)), atleast_1d(constant(a2))
    if a.shape[0] == b.shape[0]:
        return a, b
    if a.ndim > 1 or b.ndim > 1:
        raise ValueError(f"{name}: coefficient arrays of shapes {a.shape} and {b.shape} have "
                         "different lengths; only 1-D ones are padded (as NumPy)")
    n = builtins.max(a.shape[0], b.shape[0])

    def front(t: Tensor) -> Tensor:
        pad = n - t.shape[0]
        return t if not pad else sh.concat([Tensor(np.zeros(pad, t.dtype)), t], axis=0)

    return front(a), front(b)


def polyadd(a1: Any, a2: Any) -> Tensor:
    """The sum of two polynomials.

    >>> import workbench as wb
    >>> wb.polyadd(wb.constant([1.0, 2.0]), wb.constant([1.0, 0.0, 3.0])).numpy()
    array([1., 1., 5.])
    """
    a, b = _aligned(a1, a2, "polyadd")
    return ew.add(a, b)


def polysub(a1: Any, a2: Any) -> Tensor:
    """The difference of two polynomials.

    >>> import workbench as wb
    >>> wb.polysub(wb.constant([1.0, 2.0]), wb.constant([1.0, 0.0, 3.0])).numpy()
    array([-1.,  1., -1.])
    """
    a, b = _aligned(a1, a2, "polysub")
    return ew.sub(a, b)


def polymul(a1: Any, a2: Any) -> Tensor:
    """The product of two polynomials (their coefficients' convolution).

    >>> import workbench as wb
    >>> wb.polymul(wb.constant([1.0, 1.0]), wb.constant([1.0, -1.0])).numpy()
    array([ 1.,  0., -1.])
    """
    return convolve(sh.reshape(constant(a1), (-1,)), sh.reshape(constant(a2), (-1,)))


def polyder(p: Any, m: int = 1) -> Tensor:
    """The ``m``-th derivative of a polynomial.

    >>> import workbench as wb
    >>> wb.polyder(wb.constant([1.0, 2.0, 3.0])).numpy()
    array([2., 2.])
    """
    p = constant(p)
    if p.ndim > 1:
        raise ValueError(f"polyder: p must be a vector of coefficients, got shape {p.shape}")
    p = sh.reshape(p, (-1,))
    for _ in range(int(m)):
        n = p.shape[0] - 1
        if n <= 0:  # past the degree: no coefficients left, as NumPy
            return Tensor(np.zeros(0, np.result_type(p.dtype, np.int64)))
        p = ew.mul(p[:n], np.arange(n, 0, -1))  # NumPy's promotion: float32 -> float64
    return p


def polyint(p: Any, m: int = 1, k: Any = None) -> Tensor:
    """The ``m``-th antiderivative of a polynomial, with integration constants ``k`` (0).

    >>> import workbench as wb
    >>> wb.polyint(wb.constant([3.0, 2.0])).numpy()
    array([1.5, 2. , 0. ])
    """
    p = sh.reshape(constant(p), (-1,))
    ks = np.zeros(int(m)) if k is None else np.broadcast_to(np.asarray(k, float), (int(m),))
    for i in range(int(m)):
        n = p.shape[0]
        scaled = ew.div(p, np.arange(n, 0, -1))  # NumPy's promotion: float32 -> float64
        p = sh.concat([scaled, Tensor(np.asarray([ks[i]], scaled.dtype))], axis=0)
    return p


# --- binning and searching (indices: not differentiable) ------------------------------------
def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Tensor:
    """Where each ``v`` would go in the sorted vector ``a``: the number of entries below it
    (``'left'``) or not above it (``'right'``), counted with comparisons so it traces.

    >>> import workbench as wb
    >>> wb.searchsorted(wb.constant([1.0, 2.0, 3.0]), [2.0, 2.5]).numpy()
    array([1, 2])
    """
    a = constant(a)
    if sorter is not None:
        a = a[np.asarray(sorter)]
    v = constant(v)
    col = sh.expand_dims(v, -1)
    if side == "left":
        below = a < col
    elif side == "right":
        below = a <= col
    else:
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    return red.sum(ew.cast(below, np.int64), axis=-1)


def digitize(x: Any, bins: Any, right: builtins.bool = False) -> Tensor:
    """The bin of each ``x`` in the monotonic ``bins`` (``np.digitize``).

    >>> import workbench as wb
    >>> wb.digitize(wb.constant([0.5, 1.5, 3.0]), [1.0, 2.0, 3.0]).numpy()
    array([0, 1, 3])
    """
    b = np.asarray(bins)
    side = "left" if right else "right"
    if b.size > 1 and b[0] > b[-1]:
        return ew.sub(b.size, searchsorted(b[::-1], x, side=side))
    return searchsorted(b, x, side=side)


def argwhere(a: Any) -> Tensor:
    """The indices of the non-zero elements, one row each (not traceable: the shape depends
    on the values).

    >>> import workbench as wb
    >>> wb.argwhere(wb.constant([[0.0, 1.0], [2.0, 0.0]])).numpy()
    array([[0, 1],
           [1, 0]])
    """
    return Tensor(np.argwhere(np.asarray(constant(a))))


def flatnonzero(a: Any) -> Tensor:
    """The indices of the non-zero elements of the flattened tensor.

    >>> import workbench as wb
    >>> wb.flatnonzero(wb.constant([[0.0, 1.0], [2.0, 0.0]])).numpy()
    array([1, 2])
    """
    return Tensor(np.flatnonzero(np.asarray(constant(a))))


def bincount(x: Any, weights: Any = None, minlength: int = 0) -> Tensor:
    """Counts of each non-negative integer in ``x`` (or sums of ``weights``, differentiable).

    >>> import workbench as wb
    >>> wb.bincount([0, 2, 2], weights=wb.constant([1.0, 0.5, 0.25])).numpy()
    array([1.  , 0.  , 0.75])
    """
    idx = np.asarray(x)
    if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
        raise TypeError(f"bincount: x must be a vector of integers, got {idx.dtype.name} "
                        f"of shape {idx.shape}")
    n = builtins.max(int(minlength), int(idx.max()) + 1 if idx.size else 0)
    if weights is None:
        return Tensor(np.bincount(idx, minlength=n))
    w = constant(weights)
    hits = (idx[:, None] == np.arange(n)).astype(np.float64)  # NumPy sums in float64
    return red.sum(ew.mul(sh.expand_dims(ew.cast(w, np.float64), 1), hits), axis=0)


# --- functional helpers ---------------------------------------------------------------------
def piecewise(x: Any, condlist: Any, funclist: Sequence[Any], *args: Any, **kw: Any) -> Tensor:
    """``funclist[i]`` (a function of ``x`` or a value) where ``condlist[i]`` holds, an extra
    last entry elsewhere, 0 where nothing holds (later conditions win, as NumPy).

    >>> import workbench as wb
    >>> x = wb.constant([-1.0, 2.0])
    >>> wb.piecewise(x, [x < 0, x >= 0], [lambda t: -t, lambda t: t ** 2]).numpy()
    array([1., 4.])
    """
    x = constant(x)
    conds = [condlist] if isinstance(condlist, Tensor | np.ndarray) and np.ndim(
        condlist) == x.ndim and not isinstance(condlist, list) else list(condlist)
    if len(funclist) == len(conds) + 1:
        anyc = np.zeros(x.shape, bool)
        for c in conds:
            anyc = anyc | np.asarray(c, bool)
        conds.append(~anyc)
    if len(funclist) != len(conds):
        raise ValueError(f"piecewise: {len(funclist)} functions for {len(conds)} conditions")
    out = ew.mul(x, 0)
    for c, f in zip(conds, funclist, strict=True):
        value = f(x, *args, **kw) if callable(f) else f
        out = ew.where(c, value, out)
    return out


def apply_along_axis(func1d: Callable[..., Any], axis: int, arr: Any, *args: Any,
                     **kwargs: Any) -> Tensor:
    """``func1d`` applied to every 1-D slice along ``axis``; its outputs (scalars or arrays)
    take that axis's place, as ``np.apply_along_axis``.

    >>> import workbench as wb
    >>> wb.apply_along_axis(wb.sum, 1, wb.constant([[1.0, 2.0], [3.0, 4.0]])).numpy()
    array([3., 7.])
    """
    a = constant(arr)
    axis = axis + a.ndim if axis < 0 else axis
    moved = moveaxis(a, axis, -1)
    outer = moved.shape[:-1]
    flat = sh.reshape(moved, (-1, moved.shape[-1]))
    outs = [constant(func1d(flat[i], *args, **kwargs)) for i in range(flat.shape[0])]
    stacked = sh.reshape(sh.stack(outs, axis=0), outer + outs[0].shape)
    k, m = outs[0].ndim, len(outer)  # the function's axes go where ``axis`` was
    perm = list(range(axis)) + [m + j for j in range(k)] + list(range(axis, m))
    return sh.transpose(stacked, perm)


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None) -> Tensor:
    """Piecewise-linear interpolation of the points ``(xp, fp)`` at ``x`` (``xp`` increasing):
    ``fp[0] + sum_j slope_j * clip(x - xp[j], 0, xp[j+1] - xp[j])``, a sum over the pieces,
    so it traces and compiles; differentiable in ``fp`` and ``x``, not in ``xp``.

    >>> import workbench as wb
    >>> wb.interp([0.5, 1.5], [0.0, 1.0, 2.0], wb.constant([0.0, 2.0, 0.0])).numpy()
    array([1., 1.])
    """
    x, fp = constant(x), constant(fp)
    xp = np.asarray(xp, dtype=float)
    if xp.ndim != 1 or fp.ndim != 1 or xp.shape[0] != fp.shape[0] or not xp.shape[0]:
        raise ValueError(f"interp: xp and fp must be vectors of one length, got {xp.shape} "
                         f"and {fp.shape}")
    out = ew.add(ew.mul(x, 0.0), fp[0])
    for j in np.flatnonzero(np.diff(xp) > 0):
        width = float(xp[j + 1] - xp[j])
        slope = ew.div(ew.sub(fp[j + 1], fp[j]), width)
        out = ew.add(out, ew.mul(slope, ew.clip(ew.sub(x, float(xp[j])), 0.0, width)))
    if left is not None:
        out = ew.where(x < xp[0], left, out)
    if right is not None:
        out = ew.where(x > xp[-1], right, out)
    return out

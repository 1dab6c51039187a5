"""Reductions over axes (sum, max) and the composites built on them (mean, logsumexp, ...)."""

from __future__ import annotations

import math

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops import numba_rules as nb
from workbench.ops import shape as sh
from workbench.ops.axes import normalize_axis_index, reduction_axes
from workbench.primitive import NON_DIFFERENTIABLE, NotSupported, defprimitive
from workbench.tensor import Tensor, as_input

RED = "reduce"


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with the reduced axes kept as size 1 (what keepdims=True gives)."""
    return tuple(1 if axis is None or i in axis else d for i, d in enumerate(shape))


def _spread(g: Tensor, ans: Tensor, x: Tensor, axis) -> Tensor:
    """Broadcast a reduction's cotangent back over the reduced axes (keeping batch axes)."""
    batch = g.shape[: g.ndim - ans.ndim]
    shape = batch + _kept_shape(x.shape, axis)
    kept = g if g.shape == shape else sh.reshape_p(g, shape=shape)  # keepdims: as it is
    return sh.broadcast_to_p(kept, shape=batch + x.shape)


def _max_vjp(g, ans, x, axis, keepdims):
    # Ties share the gradient equally. The mask is built from ops (a comparison, a cast, a sum) so
    # a tracing tape keeps it in the graph; gradient tapes do not record comparisons, so for them
    # it is a constant with no derivative of its own.
    kept = _kept_shape(x.shape, axis)
    mask = ew.cast(x == sh.reshape_p(ans, shape=kept), dtype=x.dtype)
    share = ew.div(mask, reduce_sum_p(mask, axis=axis, keepdims=True))
    batch = g.shape[: g.ndim - ans.ndim]
    return ew.mul(sh.reshape(g, batch + kept), share)


# np.sum and np.max are these reductions behind a Python wrapper (the eager hot path skips it).
_add_reduce, _max_reduce = np.add.reduce, np.maximum.reduce

reduce_sum_p = defprimitive(
    "sum", lambda x, axis, keepdims: _add_reduce(x, axis=axis, keepdims=keepdims),
    vjp=(lambda g, ans, x, axis, keepdims: _spread(g, ans, x, axis),),
    sympy=lambda x, axis, keepdims: x.sum(axis, keepdims),
    kind=RED,
    numba=nb.reduce_sum,
)
reduce_max_p = defprimitive(
    "max", lambda x, axis, keepdims: _max_reduce(x, axis=axis, keepdims=keepdims),
    vjp=(_max_vjp,),
    sympy=lambda x, axis, keepdims: x.max(axis, keepdims),
    kind=RED,
    numba=nb.reduce_max,
)
argmax_p = defprimitive(
    "argmax", lambda x, axis: np.argmax(x, axis=axis),
    vjp=NON_DIFFERENTIABLE,
    sympy=NotSupported("argmax is an index, not a formula"),
    kind=RED,
    numba=nb.argmax,
)
argmin_p = defprimitive(
    "argmin", lambda x, axis: np.argmin(x, axis=axis),
    vjp=NON_DIFFERENTIABLE,
    sympy=NotSupported("argmin is an index, not a formula"),
    kind=RED,
    numba=nb.argmin,
)


def _arg_axis(axis, ndim: int) -> int | None:
    if axis is None:
        return None
    if ndim == 0:  # as in NumPy, axis 0 or -1 of a rank-0 tensor is its one element
        reduction_axes(axis, 0)
        return None
    return normalize_axis_index(axis, ndim)


def _ndim(x) -> int:
    return np.ndim(x._value if isinstance(x, Tensor) else x)


def in_dtype(x, dtype=None):
    """``x`` as an op input, cast to ``dtype`` first where one is given (NumPy's ``dtype=``)."""
    x = as_input(x)
    return x if dtype is None else ew.cast(x, dtype)


def sum(x, axis=None, keepdims: bool = False, *, dtype=None) -> Tensor:
    """Sum over ``axis`` (all axes by default).

    >>> import workbench as wb
    >>> wb.sum(wb.constant([[1.0, 2.0], [3.0, 4.0]]), axis=0).numpy()
    array([4., 6.])
    """
    x = in_dtype(x, dtype)
    return reduce_sum_p(x, axis=reduction_axes(axis, _ndim(x)), keepdims=bool(keepdims))


def max(x, axis=None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis``; tied maxima share the gradient equally.

    >>> import workbench as wb
    >>> float(wb.max(wb.constant([1.0, 5.0, 2.0])))
    5.0
    """
    x = as_input(x)
    return reduce_max_p(x, axis=reduction_axes(axis, _ndim(x)), keepdims=bool(keepdims))


def min(x, axis=None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` (``-max(-x)``; bools and unsigned integers, where ``-`` does not
    reverse the order, as ``top - max(top - x)``)."""
    kind = ew.dtype_of(as_input(x)).kind
    if kind == "b":
        return max(as_input(x) < 1, axis=axis, keepdims=keepdims) < 1  # all(x) = not any(not x)
    if kind == "u":
        top = np.iinfo(ew.dtype_of(x)).max
        return ew.sub(top, max(ew.sub(top, x), axis=axis, keepdims=keepdims))
    return ew.neg(max(ew.neg(x), axis=axis, keepdims=keepdims))


def mean(x, axis=None, keepdims: bool = False, *, dtype=None) -> Tensor:
    """Mean over ``axis``.

    >>> import workbench as wb
    >>> float(wb.mean(wb.constant([1.0, 2.0, 6.0])))
    3.0
    """
    x = in_dtype(x, dtype)
    axes = reduction_axes(axis, _ndim(x))
    shape = np.shape(x._value if isinstance(x, Tensor) else x)
    count = math.prod(shape) if axes is None else math.prod(shape[a] for a in axes)
    return ew.div(sum(x, axis=axes, keepdims=keepdims), float(count))


def _kept_index(i: Tensor, x, axis, keepdims: bool) -> Tensor:
    """An argmax/argmin result with the reduced axis kept as size 1 (NumPy's ``keepdims``)."""
    if not keepdims:
        return i
    shape = np.shape(x._value if isinstance(x, Tensor) else x)
    ax = _arg_axis(axis, len(shape))
    return sh.reshape(i, _kept_shape(shape, None if ax is None else (ax,)))


def argmax(x, axis=None, *, keepdims: bool = False) -> Tensor:
    """Index of the maximum (not differentiable: its gradient is None)."""
    x = as_input(x)
    return _kept_index(argmax_p(x, axis=_arg_axis(axis, _ndim(x))), x, axis, keepdims)


def argmin(x, axis=None, *, keepdims: bool = False) -> Tensor:
    """Index of the minimum (not differentiable: its gradient is None)."""
    x = as_input(x)
    return _kept_index(argmin_p(x, axis=_arg_axis(axis, _ndim(x))), x, axis, keepdims)


def exp_shifted(x, axis) -> tuple[Tensor, Tensor, Tensor]:
    """``(shift, e, total)`` with ``shift = stop_gradient(max(x))`` over ``axis``,
    ``e = exp(x - shift)`` and ``total = sum(e)`` over ``axis`` (reduced axes kept): the parts
    that softmax (``e / total``) and logsumexp (``log(total) + shift``) share.

    >>> import workbench as wb
    >>> [t.numpy().tolist() for t in exp_shifted(wb.constant([0.0, 0.0]), -1)]
    [[0.0], [1.0, 1.0], [2.0]]
    """
    shift = ew.stop_gradient(max(x, axis=axis, keepdims=True))
    e = ew.exp(ew.sub(x, shift))
    return shift, e, sum(e, axis=axis, keepdims=True)


def logsumexp(x, axis=None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` computed without overflow.

    >>> import workbench as wb
    >>> round(float(wb.logsumexp(wb.constant([1000.0, 1000.0]))), 4)
    1000.6931
    """
    x = as_input(x)
    shift, _, total = exp_shifted(x, axis)
    out = ew.add(ew.log(total), shift)
    if keepdims:
        return out
    axes = reduction_axes(axis, _ndim(x))
    shape = tuple(d for i, d in enumerate(out.shape) if axes is not None and i not in axes)
    return sh.reshape(out, shape)


def sum_to(ct: Tensor, batch: tuple[int, ...], shape: tuple[int, ...]) -> Tensor:
    """Sum ``ct`` (shaped ``batch + broadcast(shape, ...)``) down to ``batch + shape``.

    This is the one place broadcasting is undone in the reverse pass.
    """
    want = batch + tuple(shape)
    have = ct.shape
    if have == want:
        return ct
    nb, extra = len(batch), len(have) - len(want)
    if extra < 0:
        return sh.broadcast_to(ct, want)
    axes = list(range(nb, nb + extra))
    for i, dim in enumerate(shape):
        if dim == 1 and have[nb + extra + i] != 1:
            axes.append(nb + extra + i)
    summed = reduce_sum_p(ct, axis=tuple(axes), keepdims=False) if axes else ct
    return summed if summed.shape == want else sh.reshape(summed, want)

"""Products and running totals: ``prod``, ``cumsum`` (primitives) and ``cumprod`` (a scan).

Nothing here divides by an input: gradients are exact where inputs are zero, at every order.
``cumprod`` is a Hillis-Steele scan of multiplications (log2(n) steps), so autodiff through it
is exact; ``prod``'s VJP multiplies the exclusive scans from both ends ("product of the others").
"""

from __future__ import annotations

import math

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import numba_products as nbp
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.axes import reduction_axes
from workbench.ops.einsum import element_array
from workbench.ops.ufunc_dtypes import accumulator_dtype
from workbench.primitive import defprimitive
from workbench.tensor import Tensor, as_input


def _along(ndim: int, axis: int, part: slice) -> tuple:
    return (slice(None),) * axis + (part,) + (slice(None),) * (ndim - axis - 1)


def _flip(x: Tensor, axis: int) -> Tensor:
    return sh.getitem_p(x, index=_along(x.ndim, axis, slice(None, None, -1)))


def _scan_mul(x: Tensor, axis: int, combine=ew.mul) -> Tensor:
    """Inclusive running product (or running ``combine``, an associative binary op) along
    ``axis`` by doubling strides (only ``combine`` and slices)."""
    n, step, y = x.shape[axis], 1, x
    while step < n:
        head = sh.getitem_p(y, index=_along(y.ndim, axis, slice(0, step)))
        tail = combine(sh.getitem_p(y, index=_along(y.ndim, axis, slice(step, None))),
                       sh.getitem_p(y, index=_along(y.ndim, axis, slice(0, n - step))))
        y = sh.concat_p(head, tail, axis=axis)
        step *= 2
    return y


def _shift_in(y: Tensor, axis: int, fill: float) -> Tensor:
    """``y`` moved one step along ``axis`` with ``fill`` entering first (an exclusive scan)."""
    shape = list(y.shape)
    shape[axis] = 1
    first = np.full(shape, fill, dtype=y.dtype)
    rest = sh.getitem_p(y, index=_along(y.ndim, axis, slice(0, y.shape[axis] - 1)))
    return sh.concat_p(as_input(first), rest, axis=axis)


def _scan(x: Tensor, axis: int, exclusive: bool, reverse: bool, op: str) -> Tensor:
    """Running ``op`` ("sum" or "mul") along ``axis``, TensorFlow's flags."""
    if x.shape[axis] == 0:
        return x
    if op == "sum" and not exclusive:
        return cumsum_p(x, axis=axis, reverse=reverse)
    if reverse:
        return _flip(_scan(_flip(x, axis), axis, exclusive, False, op), axis)
    y = cumsum_p(x, axis=axis, reverse=False) if op == "sum" else _scan_mul(x, axis)
    return _shift_in(y, axis, 0.0 if op == "sum" else 1.0) if exclusive else y


def _others(x: Tensor, axes: tuple[int, ...] | None) -> Tensor:
    """At each element, the product of the other elements of its reduction group."""
    axes = tuple(range(x.ndim)) if axes is None else axes
    kept = tuple(k for k in range(x.ndim) if k not in axes)
    moved = sh.transpose_p(x, axes=kept + axes)
    lead = tuple(x.shape[k] for k in kept)
    n = math.prod(x.shape[k] for k in axes)
    flat = sh.reshape_p(moved, shape=lead + (n,))
    if n == 0:
        return ew.mul(x, 0.0)
    last = len(lead)
    both = ew.mul(_scan(flat, last, True, False, "mul"), _scan(flat, last, True, True, "mul"))
    back = sh.reshape_p(both, shape=moved.shape)
    return sh.transpose_p(back, axes=tuple(int(i) for i in np.argsort(kept + axes)))


def _prod_sympy(x, axis, keepdims):
    a = element_array(x, "prod")
    return type(x)(np.asarray(np.prod(a, axis=axis, keepdims=keepdims), dtype=object))


reduce_prod_p = defprimitive(
    "prod", lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    vjp=(lambda g, ans, x, axis, keepdims: ew.mul(red._spread(g, ans, x, axis), _others(x, axis)),),
    sympy=_prod_sympy,
    kind=red.RED,
    numba=nbp.reduce_prod,
)


def _cumsum_np(x, axis, reverse):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)
    return np.cumsum(x, axis=axis)


def _cumsum_sympy(x, axis, reverse):
    return type(x)(np.asarray(_cumsum_np(element_array(x, "cumsum"), axis, reverse), dtype=object))


def _cumsum_vjp(g, ans, x, axis, reverse):
    return cumsum_p(g, axis=axis + g.ndim - ans.ndim, reverse=not reverse)


cumsum_p = defprimitive(
    "cumsum", _cumsum_np,
    vjp=(_cumsum_vjp,),
    sympy=_cumsum_sympy,
    kind=red.RED,
    numba=nbp.cumsum,
)


def prod(x, axis=None, keepdims: bool = False, *, dtype=None) -> Tensor:
    """Product over ``axis`` (all axes by default); the gradient is exact where ``x`` has zeros.

    >>> import workbench as wb
    >>> x = wb.constant([2.0, 0.0, 3.0])
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = wb.prod(x)
    >>> tape.gradient(y, x).numpy()
    array([0., 6., 0.])
    """
    x = red.in_dtype(x, dtype)
    axes = reduction_axes(axis, red._ndim(x))
    return reduce_prod_p(x, axis=axes, keepdims=bool(keepdims))


def _prepare(x, axis) -> tuple[Tensor, int]:
    x = constant(x)
    if axis is None:
        return sh.reshape(x, (-1,)), 0
    if not isinstance(axis, int | np.integer):
        raise TypeError(f"cumulative ops take one integer axis (or None), got {axis!r}")
    (axis,) = reduction_axes(int(axis), x.ndim)
    return x, axis


def cumsum(x, axis=None, exclusive: bool = False, reverse: bool = False, *,
           dtype=None) -> Tensor:
    """Running sum along ``axis`` (NumPy: ``axis=None`` flattens first); TensorFlow's
    ``exclusive`` (start from 0) and ``reverse`` (from the end) are supported too.

    >>> import workbench as wb
    >>> wb.cumsum(wb.constant([[1.0, 2.0], [3.0, 4.0]])).numpy()
    array([ 1.,  3.,  6., 10.])
    >>> wb.cumsum(wb.constant([1.0, 2.0, 3.0]), axis=0, exclusive=True).numpy()
    array([0., 1., 3.])
    """
    x, axis = _prepare(red.in_dtype(x, dtype), axis)
    return _scan(x, axis, bool(exclusive), bool(reverse), "sum")


def cumprod(x, axis=None, exclusive: bool = False, reverse: bool = False, *,
            dtype=None) -> Tensor:
    """Running product along ``axis`` (``axis=None`` flattens first), exact gradients with zeros.

    >>> import workbench as wb
    >>> wb.cumprod(wb.constant([1.0, 2.0, 3.0, 4.0]), axis=0).numpy()
    array([ 1.,  2.,  6., 24.])
    >>> wb.cumprod(wb.constant([1.0, 2.0, 3.0]), axis=0, reverse=True).numpy()
    array([6., 6., 3.])
    """
    x = red.in_dtype(x, dtype)
    if dtype is None and accumulator_dtype(ew.dtype_of(x)) != ew.dtype_of(x):
        x = ew.cast(x, accumulator_dtype(ew.dtype_of(x)))  # NumPy: bool, int32 -> int64
    x, axis = _prepare(x, axis)
    return _scan(x, axis, bool(exclusive), bool(reverse), "mul")


def math_cumsum(x, axis: int = 0, exclusive: bool = False, reverse: bool = False) -> Tensor:
    """``tf.math.cumsum``: like :func:`cumsum` but along axis 0 by default."""
    return cumsum(x, axis=axis, exclusive=exclusive, reverse=reverse)


def math_cumprod(x, axis: int = 0, exclusive: bool = False, reverse: bool = False) -> Tensor:
    """``tf.math.cumprod``: like :func:`cumprod` but along axis 0 by default."""
    return cumprod(x, axis=axis, exclusive=exclusive, reverse=reverse)

"""NumPy's remaining array functions as composites of workbench ops: complex parts of real
tensors, sign bits, creation from values, rotations, splits and selections (no rules of their own).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.arrays import flip, moveaxis, swapaxes
from workbench.ops.axes import normalize_axis_index
from workbench.ops.elementwise_more import arctan2
from workbench.ops.indexing import take
from workbench.ops.joining import split
from workbench.ops.ufunc_dtypes import dot_dtype, like_ufunc
from workbench.tensor import Tensor


def _real_only(x: Any, name: str) -> Tensor:
    t = constant(x)
    if t.dtype.kind == "c":
        raise TypeError(f"{name}: complex tensors are not supported (got {t.dtype.name}); "
                        "split them into real and imaginary parts")
    return t


def _zeros_from(x: Tensor) -> Tensor:
    """Zeros shaped like ``x`` that stay connected to it (gradient zero, not None)."""
    return ew.where(Tensor(np.ones(x.shape, bool)), np.zeros((), x.dtype), x)


# --- elementwise ----------------------------------------------------------------------------
def real(val: Any) -> Tensor:
    """The real part: a real tensor itself (``np.real``; gradient 1).

    >>> import workbench as wb
    >>> wb.real(wb.constant([1.0, -2.0])).numpy()
    array([ 1., -2.])
    """
    t = _real_only(val, "real")
    return sh.reshape(t, t.shape)  # a new Tensor of the same dtype (bool stays bool)


def imag(val: Any) -> Tensor:
    """The imaginary part of a real tensor: zeros (``np.imag``; gradient zero).

    >>> import workbench as wb
    >>> wb.imag(wb.constant([1.0, -2.0])).numpy()
    array([0., 0.])
    """
    return _zeros_from(_real_only(val, "imag"))


@like_ufunc(np.conjugate)
def conj(x: Any) -> Tensor:
    """The complex conjugate of a real tensor: the tensor itself (``np.conj``, ``np.conjugate``).

    >>> import workbench as wb
    >>> wb.conj(wb.constant([1.0, -2.0])).numpy()
    array([ 1., -2.])
    """
    return real(x)


def angle(z: Any, deg: bool = False) -> Tensor:
    """The argument of a real number: 0 where ``z >= 0``, pi (or 180) below (``np.angle``;
    gradient zero).

    >>> import workbench as wb
    >>> wb.angle(wb.constant([2.0, -1.0])).numpy()
    array([0.        , 3.14159265])
    """
    z = _real_only(z, "angle")
    zeros = _zeros_from(z)
    return ew.where(z < 0, ew.add(zeros, 180.0 if deg else np.pi), zeros)


def signbit(x: Any) -> Tensor:
    """True where the sign bit is set (negative numbers and -0.0; NaN counts as unsigned);
    ``arctan2(0, x)`` is pi exactly there, so this traces and compiles. Not differentiable.

    >>> import workbench as wb
    >>> wb.signbit(wb.constant([-1.0, -0.0, 0.0, 2.0])).numpy()
    array([ True,  True, False, False])
    """
    x = constant(x)
    if x.dtype.kind in "iub":
        return x < 0
    return arctan2(0.0, x) > 0


@like_ufunc(np.copysign)
def copysign(x1: Any, x2: Any) -> Tensor:
    """``|x1|`` with the sign of ``x2`` (``np.copysign``): the gradient wrt ``x1`` is
    ``sign(x1) * (+-1)`` and wrt ``x2`` zero.

    >>> import workbench as wb
    >>> wb.copysign(wb.constant([1.0, -2.0]), -1.0).numpy()
    array([-1., -2.])
    """
    return ew.where(signbit(x2), ew.neg(ew.abs(x1)), ew.abs(x1))


@like_ufunc(np.floor_divide)
def floor_divide(x1: Any, x2: Any) -> Tensor:
    """``floor(x1 / x2)`` as NumPy and Python compute it (``np.floor_divide``, ``//``): the
    exact quotient ``(x1 - x1 mod x2) / x2`` rounded; not differentiable (gradient None).

    >>> import workbench as wb
    >>> wb.floor_divide(wb.constant([7.0, -7.0, 7.0]), wb.constant([2.0, 2.0, 0.1])).numpy()
    array([ 3., -4., 69.])
    """
    dtype = np.result_type(ew.dtype_of(x1), ew.dtype_of(x2))
    quotient = ew.round(ew.div(ew.sub(x1, ew.mod(x1, x2)), x2))
    zero = x2 == 0 if isinstance(x2, Tensor) else Tensor(np.asarray(x2) == 0)
    if dtype.kind in "iub":  # an integer divided by 0 gives 0, as NumPy (which also warns)
        return ew.cast(ew.where(zero, 0, quotient), dtype)
    # x / 0 is inf or NaN, as NumPy; stop_gradient keeps the whole result off the gradient path
    return ew.where(zero, ew.stop_gradient(ew.div(x1, x2)), quotient)


# --- creation and conversion ----------------------------------------------------------------
def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` filled with ``fill_value`` (a Tensor value stays differentiable).

    >>> import workbench as wb
    >>> wb.full((2,), 1.5).numpy()
    array([1.5, 1.5])
    """
    value = constant(fill_value, dtype)
    if dtype is None and not isinstance(fill_value, Tensor):
        value = constant(np.array(fill_value))
    shape = (shape,) if np.ndim(shape) == 0 else tuple(shape)
    return sh.broadcast_to(value, shape)


def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> Tensor:
    """A tensor like ``a`` (its shape and dtype) filled with ``fill_value``.

    >>> import workbench as wb
    >>> wb.full_like(wb.ones(2), 3).numpy()
    array([3., 3.])
    """
    a = constant(a)
    return full(a.shape if shape is None else shape, ew.cast(fill_value, dtype or a.dtype))


def empty(shape: Any, dtype: Any = float) -> Tensor:
    """A tensor of ``shape``: workbench fills it with zeros (``np.empty`` leaves it undefined).

    >>> import workbench as wb
    >>> wb.empty(2).shape
    (2,)
    """
    return Tensor(np.zeros(shape, dtype))


def empty_like(prototype: Any, dtype: Any = None, shape: Any = None) -> Tensor:
    """Zeros shaped like ``prototype`` (``np.empty_like``'s contents are undefined anyway).

    >>> import workbench as wb
    >>> wb.empty_like(wb.ones((2, 1))).shape
    (2, 1)
    """
    a = constant(prototype)
    return Tensor(np.zeros(a.shape if shape is None else shape, dtype or a.dtype))


def array(object: Any, dtype: Any = None, copy: bool = True, ndmin: int = 0) -> Tensor:
    """``np.array``: a Tensor from nested lists that may hold Tensors (they stay on the tape).
    Python floats become float64, as in NumPy.

    >>> import workbench as wb
    >>> x = wb.constant(2.0)
    >>> wb.array([[x, 1.0], [0.0, x]]).numpy()
    array([[2., 1.],
           [0., 2.]])
    """
    out = constant(object, dtype)
    if out.ndim < ndmin:
        out = sh.reshape(out, (1,) * (ndmin - out.ndim) + out.shape)
    return out


def asarray(a: Any, dtype: Any = None) -> Tensor:
    """``np.asarray``: a Tensor passes through, anything else is converted (see ``array``).

    >>> import workbench as wb
    >>> wb.asarray([1.0, 2.0]).shape
    (2,)
    """
    return array(a, dtype)


def copy(a: Any) -> Tensor:
    """A copy of ``a``: a new Tensor with the same value (gradient 1).

    >>> import workbench as wb
    >>> wb.copy(wb.constant([1.0])).numpy()
    array([1.])
    """
    a = constant(a)
    return sh.reshape(a, a.shape)


def vdot(a: Any, b: Any) -> Tensor:
    """The dot product of the flattened tensors (real inputs: no conjugation needed).

    >>> import workbench as wb
    >>> float(wb.vdot(wb.constant([[1.0, 2.0]]), wb.constant([3.0, 4.0])))
    11.0
    """
    a, b = sh.reshape(constant(a), (-1,)), sh.reshape(constant(b), (-1,))
    if a.shape != b.shape:
        raise ValueError(f"vdot: the tensors have {a.shape[0]} and {b.shape[0]} elements")
    return dot_dtype(red.sum(ew.mul(_real_only(a, "vdot"), _real_only(b, "vdot"))), a, b)


# --- shapes ---------------------------------------------------------------------------------
def rot90(m: Any, k: int = 1, axes: Sequence[int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes`` (first toward second).

    >>> import workbench as wb
    >>> wb.rot90(wb.constant([[1.0, 2.0], [3.0, 4.0]])).numpy()
    array([[2., 4.],
           [1., 3.]])
    """
    m = constant(m)
    if len(axes) != 2:
        raise ValueError(f"rot90: axes must name two axes, got {axes}")
    a0, a1 = (normalize_axis_index(a, m.ndim, "axes") for a in axes)
    if a0 == a1:
        raise ValueError(f"rot90: axes {axes} name the same axis twice")
    k %= 4
    if k == 0:
        return copy(m)
    if k == 2:
        return flip(flip(m, a0), a1)
    if k == 1:
        return swapaxes(flip(m, a1), a0, a1)
    return flip(swapaxes(m, a0, a1), a1)


def rollaxis(a: Any, axis: int, start: int = 0) -> Tensor:
    """Move ``axis`` so that it lies before position ``start`` (``np.rollaxis``).

    >>> import workbench as wb
    >>> wb.rollaxis(wb.ones((2, 3, 4)), 2).shape
    (4, 2, 3)
    """
    a = constant(a)
    axis = normalize_axis_index(axis, a.ndim)
    if not -a.ndim <= start <= a.ndim:
        raise ValueError(f"rollaxis: start {start} is out of range for rank {a.ndim}")
    start = start + a.ndim if start < 0 else start
    return moveaxis(a, axis, start - 1 if axis < start else start)


def matrix_transpose(x: Any) -> Tensor:
    """Swap the last two axes (``np.matrix_transpose``).

    >>> import workbench as wb
    >>> wb.matrix_transpose(wb.ones((2, 3, 4))).shape
    (2, 4, 3)
    """
    x = constant(x)
    if x.ndim < 2:
        raise ValueError(f"matrix_transpose needs rank >= 2, got shape {x.shape}")
    return swapaxes(x, -1, -2)


def _split_along(x: Any, sections: Any, axis: int, name: str, min_ndim: int) -> list[Tensor]:
    x = constant(x)
    if x.ndim < min_ndim:
        raise ValueError(f"{name} needs rank >= {min_ndim}, got shape {x.shape}")
    return split(x, sections, axis=axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along axis 1 (axis 0 for vectors), as ``np.hsplit``.

    >>> import workbench as wb
    >>> [t.shape for t in wb.hsplit(wb.ones((2, 4)), 2)]
    [(2, 2), (2, 2)]
    """
    x = constant(ary)
    return _split_along(x, indices_or_sections, 1 if x.ndim > 1 else 0, "hsplit", 1)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along axis 0 (rank >= 2), as ``np.vsplit``.

    >>> import workbench as wb
    >>> [t.shape for t in wb.vsplit(wb.ones((4, 2)), [1])]
    [(1, 2), (3, 2)]
    """
    return _split_along(ary, indices_or_sections, 0, "vsplit", 2)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Tensor]:
    """Split along axis 2 (rank >= 3), as ``np.dsplit``.

    >>> import workbench as wb
    >>> [t.shape for t in wb.dsplit(wb.ones((1, 2, 4)), 2)]
    [(1, 2, 2), (1, 2, 2)]
    """
    return _split_along(ary, indices_or_sections, 2, "dsplit", 3)


def unstack(x: Any, num: int | None = None, axis: int = 0, name: str | None = None
            ) -> tuple[Tensor, ...]:
    """The slices of ``x`` along ``axis`` (``np.unstack``, ``tf.unstack``; differentiable).

    >>> import workbench as wb
    >>> [t.shape for t in wb.unstack(wb.ones((2, 3)), axis=1)]
    [(2,), (2,), (2,)]
    """
    x = constant(x)
    axis = normalize_axis_index(axis, x.ndim)
    if num is not None and num != x.shape[axis]:
        raise ValueError(f"unstack: num={num} but axis {axis} has size {x.shape[axis]}")
    return tuple(take(x, i, axis=axis) for i in range(x.shape[axis]))


def broadcast_arrays(*args: Any) -> tuple[Tensor, ...]:
    """The arguments broadcast to their common shape.

    >>> import workbench as wb
    >>> [t.shape for t in wb.broadcast_arrays(wb.ones((2, 1)), wb.ones(3))]
    [(2, 3), (2, 3)]
    """
    ts = [constant(a) for a in args]
    shape = np.broadcast_shapes(*(t.shape for t in ts))
    return tuple(sh.broadcast_to(t, shape) for t in ts)

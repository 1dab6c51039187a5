"""More of NumPy's namespace as composites: float decomposition (ldexp, frexp, modf, divmod),
log-spaced grids, closeness tests, and dtype queries."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.dtypes import default_dtype
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.arrays import moveaxis
from workbench.ops.creation import linspace
from workbench.ops.elementwise_composite import isinf, isnan, logical_and, logical_or
from workbench.ops.numpy_more import floor_divide
from workbench.ops.ufunc_dtypes import like_ufunc
from workbench.tensor import Tensor

# dtype and shape utilities work on dtypes and shapes, not on values: NumPy's own serve
broadcast_shapes, can_cast, isdtype, isscalar = (
    np.broadcast_shapes, np.can_cast, np.isdtype, np.isscalar)
issubdtype, min_scalar_type, promote_types = np.issubdtype, np.min_scalar_type, np.promote_types


def _float_dtype(x: Tensor) -> np.dtype:
    return x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)


# --- float decomposition --------------------------------------------------------------------
@like_ufunc(np.ldexp)
def ldexp(x1: Any, x2: Any) -> Tensor:
    """``x1 * 2**x2`` for integer ``x2`` (exact: a power of two); differentiable in ``x1``.

    >>> import workbench as wb
    >>> wb.ldexp(wb.constant([1.5, -3.0]), [2, -1]).numpy()
    array([ 6. , -1.5])
    """
    x1 = constant(x1)
    dtype = _float_dtype(x1)
    x2 = x2 if isinstance(x2, Tensor) else constant(np.asarray(x2))
    if x2.dtype.kind not in "iub":
        raise TypeError(f"ldexp: the exponent must be integer, got {x2.dtype.name}")
    return ew.mul(ew.cast(x1, dtype), ew.power(np.asarray(2.0, dtype), ew.cast(x2, dtype)))


def frexp(x: Any) -> tuple[Tensor, Tensor]:
    """``(mantissa, exponent)`` with ``x == mantissa * 2**exponent`` and ``0.5 <= |mantissa| <
    1``; the mantissa is differentiable (``x / 2**exponent``), the exponent is not.

    >>> import workbench as wb
    >>> [t.numpy() for t in wb.frexp(wb.constant([8.0, 0.75]))]
    [array([0.5 , 0.75]), array([4, 0], dtype=int32)]
    """
    x = constant(x)
    exponent = np.frexp(np.asarray(x))[1]
    scale = np.ldexp(np.ones((), _float_dtype(x)), -exponent)
    return ew.mul(ew.cast(x, _float_dtype(x)), scale), Tensor(exponent)


def modf(x: Any) -> tuple[Tensor, Tensor]:
    """``(fractional, integral)`` parts, both with the sign of ``x``; the fractional part has
    gradient 1.

    >>> import workbench as wb
    >>> [t.numpy() for t in wb.modf(wb.constant([2.5, -1.25]))]
    [array([ 0.5 , -0.25]), array([ 2., -1.])]
    """
    x = constant(x)
    whole = ew.trunc(x)
    return ew.sub(x, whole), whole


def divmod(x1: Any, x2: Any) -> tuple[Tensor, Tensor]:
    """``(x1 // x2, x1 % x2)``, as ``np.divmod``.

    >>> import workbench as wb
    >>> [t.numpy() for t in wb.divmod(wb.constant([7.0, -7.0]), 2.0)]
    [array([ 3., -4.]), array([1., 1.])]
    """
    return floor_divide(x1, x2), ew.mod(x1, x2)


# --- grids ----------------------------------------------------------------------------------
def logspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, base: Any = 10.0,
             dtype: Any = None, axis: int = 0) -> Tensor:
    """``base ** linspace(start, stop, num)``; differentiable in ``start`` and ``stop``.

    >>> import workbench as wb
    >>> wb.logspace(0.0, 2.0, 3).numpy()
    array([  1.,  10., 100.])
    """
    exponents = linspace(start, stop, num, endpoint=endpoint, axis=axis)
    out = ew.power(base, exponents)
    return out if dtype is None else ew.cast(out, dtype)


def geomspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Tensor:
    """Geometrically spaced values from ``start`` to ``stop`` (both of one sign, non-zero),
    with the ends exactly ``start`` and ``stop`` as NumPy makes them.

    >>> import workbench as wb
    >>> wb.geomspace(1.0, 1000.0, 4).numpy()
    array([   1.,   10.,  100., 1000.])
    """
    s, e = np.asarray(start), np.asarray(stop)
    if np.any(s == 0) or np.any(e == 0) or np.any(np.sign(s) != np.sign(e)):
        raise ValueError("geomspace: start and stop must be non-zero and of one sign")
    sign = np.sign(s)
    start, stop = ew.mul(start, sign), ew.mul(stop, sign)
    out = ew.exp(linspace(ew.log(start), ew.log(stop), num, endpoint=endpoint))
    n = int(num)
    first = Tensor((np.arange(n) == 0).reshape((n,) + (1,) * (out.ndim - 1)))
    out = ew.where(first, start, out) if n else out
    if endpoint and n > 1:
        last = Tensor((np.arange(n) == n - 1).reshape((n,) + (1,) * (out.ndim - 1)))
        out = ew.where(last, stop, out)
    out = ew.mul(out, sign)
    out = out if axis == 0 else moveaxis(out, 0, axis)
    if dtype is None:  # NumPy: float64 (the default float) even for float32 ends
        dtype = np.result_type(out.dtype, default_dtype())
    return out if out.dtype == dtype else ew.cast(out, dtype)


# --- closeness and equality (booleans: not differentiable) ----------------------------------
def isclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|a - b| <= atol + rtol * |b|``; infinities are close only to themselves.

    >>> import workbench as wb
    >>> wb.isclose(wb.constant([1.0, 1.1]), 1.0 + 1e-9).numpy()
    array([ True, False])
    """
    a, b = constant(a), constant(b)
    with np.errstate(invalid="ignore"):  # inf - inf: the infinite case is decided below
        finite = ew.abs(ew.sub(a, b)) <= ew.add(atol, ew.mul(rtol, ew.abs(b)))
    either_inf = logical_or(isinf(a), isinf(b))
    out = ew.where(either_inf, a == b, finite)
    if equal_nan:
        out = logical_or(out, logical_and(isnan(a), isnan(b)))
    return out


def allclose(a: Any, b: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> builtins.bool:
    """Whether every element of ``a`` is close to ``b`` (a Python bool, as NumPy).

    >>> import workbench as wb
    >>> wb.allclose(wb.constant([1.0, 2.0]), [1.0, 2.0 + 1e-9])
    True
    """
    return builtins.bool(np.all(np.asarray(isclose(a, b, rtol, atol, equal_nan))))


def array_equal(a1: Any, a2: Any, equal_nan: bool = False) -> builtins.bool:
    """Whether ``a1`` and ``a2`` have one shape and equal elements (a Python bool).

    >>> import workbench as wb
    >>> wb.array_equal(wb.constant([1.0, 2.0]), [1.0, 2.0]), wb.array_equal([1.0], [1.0, 1.0])
    (True, False)
    """
    x, y = np.asarray(constant(a1)), np.asarray(constant(a2))
    return builtins.bool(np.array_equal(x, y, equal_nan=equal_nan))


def array_equiv(a1: Any, a2: Any) -> builtins.bool:
    """Whether ``a1`` and ``a2`` broadcast to one shape with equal elements (a Python bool).

    >>> import workbench as wb
    >>> wb.array_equiv(wb.constant([1.0, 1.0]), 1.0)
    True
    """
    return builtins.bool(np.array_equiv(np.asarray(constant(a1)), np.asarray(constant(a2))))


def isposinf(x: Any) -> Tensor:
    """True at +inf.

    >>> import workbench as wb
    >>> wb.isposinf(wb.constant([1.0, float("inf"), -float("inf")])).numpy()
    array([False,  True, False])
    """
    x = constant(x)
    return x == np.inf


def isneginf(x: Any) -> Tensor:
    """True at -inf.

    >>> import workbench as wb
    >>> wb.isneginf(wb.constant([1.0, float("inf"), -float("inf")])).numpy()
    array([False, False,  True])
    """
    x = constant(x)
    return x == -np.inf


def isreal(x: Any) -> Tensor:
    """True everywhere: workbench tensors are real.

    >>> import workbench as wb
    >>> wb.isreal(wb.constant([1.0, 2.0])).numpy()
    array([ True,  True])
    """
    return Tensor(np.ones(constant(x).shape, bool))


def iscomplex(x: Any) -> Tensor:
    """False everywhere: workbench tensors are real.

    >>> import workbench as wb
    >>> wb.iscomplex(wb.constant([1.0])).numpy()
    array([False])
    """
    return Tensor(np.zeros(constant(x).shape, bool))


def isrealobj(x: Any) -> builtins.bool:
    """Whether ``x`` has a non-complex dtype.

    >>> import workbench as wb
    >>> wb.isrealobj(wb.constant([1.0]))
    True
    """
    return constant(x).dtype.kind != "c"


def iscomplexobj(x: Any) -> builtins.bool:
    """Whether ``x`` has a complex dtype.

    >>> import workbench as wb
    >>> wb.iscomplexobj(wb.constant([1.0]))
    False
    """
    return constant(x).dtype.kind == "c"


def real_if_close(a: Any, tol: float = 100) -> Tensor:
    """A real tensor as it is (``np.real_if_close`` of a real input).

    >>> import workbench as wb
    >>> wb.real_if_close(wb.constant([1.0])).numpy()
    array([1.])
    """
    return constant(a)


# --- casts and dtypes ----------------------------------------------------------------
def astype(x: Any, dtype: Any, *, copy: builtins.bool = True, device: Any = None) -> Tensor:
    """``x`` cast to ``dtype`` (``np.astype``; the gradient returns in ``x``'s dtype).

    >>> import workbench as wb
    >>> wb.astype(wb.constant([1.5]), "float32").dtype
    dtype('float32')
    """
    return ew.cast(x, dtype)


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """NumPy's type promotion, with Tensors standing for their dtype (Python numbers weak).

    >>> import numpy as np, workbench as wb
    >>> wb.result_type(wb.constant(np.float32(1.0)), 2.0)
    dtype('float32')
    """
    return np.result_type(*[a.dtype if isinstance(a, Tensor) else a for a in arrays_and_dtypes])


# --- conversions that change only the memory layout (Tensors have none to change) ----------
def ascontiguousarray(a: Any, dtype: Any = None) -> Tensor:
    """``a`` as a Tensor of rank >= 1 (``np.ascontiguousarray``: the layout is NumPy's business).

    >>> import workbench as wb
    >>> wb.ascontiguousarray([1.0, 2.0]).shape, wb.ascontiguousarray(3.0).shape
    ((2,), (1,))
    """
    t = constant(a, dtype)
    return sh.reshape(t, (1,)) if t.ndim == 0 else t


def asarray_chkfinite(a: Any, dtype: Any = None) -> Tensor:
    """``a`` as a Tensor, refusing NaN and infinities (``np.asarray_chkfinite``).

    >>> import workbench as wb
    >>> wb.asarray_chkfinite([1.0, 2.0]).shape
    (2,)
    """
    t = constant(a, dtype)
    if t.dtype.kind in "fc" and not np.all(np.isfinite(np.asarray(t))):
        raise ValueError("asarray_chkfinite: the array must not contain infs or NaNs")
    return t


asfortranarray = ascontiguousarray


# --- NaN-ignoring indices and phase unwrapping ----------------------------------------------
def nanargmax(a: Any, axis: int | None = None, *, keepdims: builtins.bool = False) -> Tensor:
    """The index of the maximum ignoring NaN (an all-NaN slice raises, as NumPy).

    >>> import numpy as np, workbench as wb
    >>> int(wb.nanargmax([1.0, np.nan, 3.0]))
    2
    """
    return _nan_arg(a, axis, keepdims, red.argmax, -np.inf)


def nanargmin(a: Any, axis: int | None = None, *, keepdims: builtins.bool = False) -> Tensor:
    """The index of the minimum ignoring NaN.

    >>> import numpy as np, workbench as wb
    >>> int(wb.nanargmin([1.0, np.nan, -3.0]))
    2
    """
    return _nan_arg(a, axis, keepdims, red.argmin, np.inf)


def _nan_arg(a: Any, axis: Any, keepdims: builtins.bool, arg: Callable, fill: float) -> Tensor:
    x = constant(a)
    nan = isnan(x)
    if np.any(np.all(np.asarray(nan), axis=axis)):
        raise ValueError("All-NaN slice encountered")
    return arg(ew.where(nan, fill, x), axis=axis, keepdims=keepdims)


def argpartition(a: Any, kth: Any, axis: int | None = -1, kind: str = "introselect") -> Tensor:
    """Indices that partition ``a`` around ``kth`` (NumPy's own order; not differentiable).

    >>> import workbench as wb
    >>> int(wb.argpartition(wb.constant([3.0, 1.0, 2.0]), 0)[0])
    1
    """
    return Tensor(np.argpartition(np.asarray(constant(a)), kth, axis=axis, kind=kind))


def unwrap(p: Any, discont: Any = None, axis: int = -1, *, period: float = 2 * np.pi) -> Tensor:
    """Remove jumps larger than ``discont`` (half a period by default) along ``axis`` by adding
    whole periods (``np.unwrap``): the corrections are constant, so the gradient is 1.

    >>> import workbench as wb
    >>> wb.unwrap(wb.constant([0.0, 3.0, 6.5])).numpy().round(4)
    array([0.    , 3.    , 0.2168])
    """
    x = constant(p)
    shifted = np.unwrap(np.asarray(x), discont=discont, axis=axis, period=period)
    return ew.add(x, Tensor(shifted - np.asarray(x)))

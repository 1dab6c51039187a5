"""Elementwise functions that are exact compositions of primitives (no rules of their own):
stable log-add-exp, NaN-aware extrema, sinc, selection, tests and logic on boolean Tensors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops.elementwise_more import identity
from workbench.ops.nn import softplus
from workbench.ops.ufunc_dtypes import like_ufunc
from workbench.tensor import Tensor, as_input, constant

_LN2 = math.log(2.0)


# --- tests and logic: boolean Tensors (comparisons; gradient tapes never record them) ----------
def isnan(x) -> Tensor:
    """True where ``x`` is NaN (``tf.math.is_nan``).

    >>> import workbench as wb
    >>> wb.isnan(wb.constant([1.0, float("nan")])).numpy()
    array([False,  True])
    """
    x = constant(x)
    return x != x  # noqa: PLR0124 - elementwise: NaN is the one value unequal to itself


def isinf(x) -> Tensor:
    """True where ``x`` is +inf or -inf (``tf.math.is_inf``).

    >>> import workbench as wb
    >>> wb.isinf(wb.constant([1.0, -float("inf")])).numpy()
    array([False,  True])
    """
    return ew.abs(constant(x)) == np.inf


def isfinite(x) -> Tensor:
    """True where ``x`` is neither NaN nor infinite (``tf.math.is_finite``).

    >>> import workbench as wb
    >>> wb.isfinite(wb.constant([1.0, float("nan"), float("inf")])).numpy()
    array([ True, False, False])
    """
    return ew.abs(constant(x)) < np.inf


def _truth(x: Any) -> Tensor:
    x = constant(x)
    return x if x.dtype == np.bool_ else x != 0


def logical_not(x) -> Tensor:
    """Elementwise NOT of a boolean (or truth-valued) Tensor.

    >>> import workbench as wb
    >>> wb.logical_not(wb.constant([True, False])).numpy()
    array([False,  True])
    """
    return _truth(x) == False


def logical_and(x, y) -> Tensor:
    """Elementwise AND.

    >>> import workbench as wb
    >>> wb.logical_and(wb.constant([True, True]), wb.constant([True, False])).numpy()
    array([ True, False])
    """
    x, y = _truth(x), _truth(y)
    return ew.where(x, y, x)


def logical_or(x, y) -> Tensor:
    """Elementwise OR.

    >>> import workbench as wb
    >>> wb.logical_or(wb.constant([False, False]), wb.constant([True, False])).numpy()
    array([ True, False])
    """
    x, y = _truth(x), _truth(y)
    return ew.where(x, x, y)


def logical_xor(x, y) -> Tensor:
    """Elementwise XOR."""
    return _truth(x) != _truth(y)


def equal(x, y) -> Tensor:
    """``x == y`` elementwise, as a boolean Tensor.

    >>> import workbench as wb
    >>> wb.equal([1.0, 2.0], 2.0).numpy()
    array([False,  True])
    """
    return constant(x) == y


def not_equal(x, y) -> Tensor:
    """``x != y`` elementwise, as a boolean Tensor."""
    return constant(x) != y


def less(x, y) -> Tensor:
    """``x < y`` elementwise, as a boolean Tensor."""
    return constant(x) < y


def less_equal(x, y) -> Tensor:
    """``x <= y`` elementwise, as a boolean Tensor."""
    return constant(x) <= y


def greater(x, y) -> Tensor:
    """``x > y`` elementwise, as a boolean Tensor."""
    return constant(x) > y


def greater_equal(x, y) -> Tensor:
    """``x >= y`` elementwise, as a boolean Tensor."""
    return constant(x) >= y


# --- arithmetic ----------------------------------------------------------------------------
def positive(x) -> Tensor:
    """``+x`` (``np.positive``): a recorded identity."""
    return identity(constant(x))


def true_divide(x, y) -> Tensor:
    """NumPy's name for ``x / y``."""
    return ew.div(x, y)


def float_power(x, y) -> Tensor:
    """``x ** y`` computed in float64 (``np.float_power``); gradients return to the inputs' dtypes.

    >>> import numpy as np, workbench as wb
    >>> wb.float_power(wb.constant(np.float32(2.0)), 3).dtype
    dtype('float64')
    """
    def f64(v: Any) -> Any:  # Python numbers stay weak scalars (a constant exponent stays one)
        return v if type(v) in (int, float) else ew.cast(constant(v), np.float64)

    base = f64(x)
    return ew.power(constant(base, dtype=np.float64) if type(base) in (int, float) else base,
                    f64(y))


def divide_no_nan(x, y) -> Tensor:
    """``x / y``, and 0 where ``y == 0`` (``tf.math.divide_no_nan``); no NaN in the gradient there.

    >>> import workbench as wb
    >>> wb.math.divide_no_nan(wb.constant([1.0, 1.0]), wb.constant([0.0, 4.0])).numpy()
    array([0.  , 0.25])
    """
    zero = constant(y) == 0
    return ew.where(zero, 0.0, ew.div(x, ew.where(zero, 1.0, y)))


def squared_difference(x, y) -> Tensor:
    """``(x - y) ** 2`` (``tf.math.squared_difference``)."""
    return ew.square(ew.sub(x, y))


def rsqrt(x) -> Tensor:
    """``1 / sqrt(x)`` (``tf.math.rsqrt``)."""
    return ew.div(1.0, ew.sqrt(x))


def xlogy(x, y) -> Tensor:
    """``x * log(y)``, and 0 where ``x == 0`` (even at ``y == 0``), as ``tf.math.xlogy``.

    >>> import workbench as wb
    >>> wb.math.xlogy(wb.constant([0.0, 2.0]), wb.constant([0.0, 1.0])).numpy()
    array([0., 0.])
    """
    zero = constant(x) == 0
    return ew.where(zero, 0.0, ew.mul(x, ew.log(ew.where(zero, 1.0, y))))


# --- exponentials and logarithms -------------------------------------------------------------
@like_ufunc(np.exp2)
def exp2(x) -> Tensor:
    """``2 ** x``.

    >>> import workbench as wb
    >>> wb.exp2(wb.constant([3.0, -1.0])).numpy()
    array([8. , 0.5])
    """
    return ew.power(2.0, x)


def _larger_and_gap(x, y) -> tuple[Tensor, Tensor]:
    """``max(x, y)`` and ``min - max`` (<= 0); 0 where both are the same infinity (not NaN).

    Ties pick ``x`` as the larger one in both, so each input gets half the gradient there."""
    x, y = as_input(x), as_input(y)  # Python numbers stay weak scalars
    first = x >= y
    hi, lo = ew.where(first, x, y), ew.where(first, y, x)
    same_inf = logical_and(x == y, isinf(x))
    return hi, ew.where(same_inf, 0.0, ew.sub(lo, hi))


@like_ufunc(np.logaddexp)
def logaddexp(x, y) -> Tensor:
    """``log(exp(x) + exp(y))`` without overflow: ``max + softplus(min - max)``; exact at
    infinities (``logaddexp(-inf, 5) == 5``) and at ties (each input gets half the gradient).

    >>> import workbench as wb
    >>> float(wb.logaddexp(1000.0, 1000.0)), float(wb.logaddexp(-float("inf"), 5.0))
    (1000.6931471805599, 5.0)
    """
    hi, gap = _larger_and_gap(x, y)
    return ew.add(hi, softplus(gap))


@like_ufunc(np.logaddexp2)
def logaddexp2(x, y) -> Tensor:
    """``log2(2**x + 2**y)`` without overflow: ``max + log2(1 + 2**(min - max))``.

    >>> import workbench as wb
    >>> float(wb.logaddexp2(3.0, 3.0))
    4.0
    """
    hi, gap = _larger_and_gap(x, y)
    return ew.add(hi, ew.div(softplus(ew.mul(gap, _LN2)), _LN2))


@like_ufunc(np.deg2rad)
def deg2rad(x) -> Tensor:
    """Degrees to radians."""
    return ew.mul(x, math.pi / 180.0)


@like_ufunc(np.rad2deg)
def rad2deg(x) -> Tensor:
    """Radians to degrees."""
    return ew.mul(x, 180.0 / math.pi)


_SINC_SERIES = (1.0, -1.0 / 6, 1.0 / 120, -1.0 / 5040, 1.0 / 362880)  # sin(t)/t in powers of t**2


def sinc(x) -> Tensor:
    """NumPy's normalized sinc ``sin(pi x) / (pi x)``, 1 at 0.

    Near 0 it is its Taylor series (exact to rounding for ``|pi x| < 0.1``), so every derivative
    is finite and right there too.

    >>> import workbench as wb
    >>> wb.sinc(wb.constant([0.0, 0.5])).numpy()
    array([1.        , 0.63661977])
    """
    t = ew.mul(constant(x), math.pi)
    near = ew.abs(t) < 0.1
    t2 = ew.mul(t, t)
    series = _SINC_SERIES[-1]
    for c in _SINC_SERIES[-2::-1]:
        series = ew.add(ew.mul(series, t2), c)
    safe = ew.where(near, 1.0, t)
    return ew.where(near, series, ew.div(ew.sin(safe), safe))


# --- extrema, selection, steps -----------------------------------------------------------------
def fmax(x, y) -> Tensor:
    """Elementwise maximum that ignores NaN (``np.fmax``): NaN only where both are NaN.

    >>> import workbench as wb
    >>> wb.fmax(wb.constant([1.0, float("nan")]), 0.0).numpy()
    array([1., 0.])
    """
    x, y = as_input(x), as_input(y)  # Python numbers stay weak scalars
    return ew.where(logical_or(y != y, x >= y), x, y)  # noqa: PLR0124 - y != y: NaN test


def fmin(x, y) -> Tensor:
    """Elementwise minimum that ignores NaN (``np.fmin``): NaN only where both are NaN."""
    x, y = as_input(x), as_input(y)  # Python numbers stay weak scalars
    return ew.where(logical_or(y != y, x <= y), x, y)  # noqa: PLR0124 - y != y: NaN test


def nan_to_num(x, copy: bool = True, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """NaN to ``nan``, +-inf to ``posinf``/``neginf`` (default: the dtype's largest finite values).
    ``copy`` is NumPy's (a Tensor is never changed in place).

    The gradient is 1 where ``x`` is finite, 0 elsewhere.

    >>> import workbench as wb
    >>> wb.nan_to_num(wb.constant([float("nan"), 2.0]), nan=-1.0).numpy()
    array([-1.,  2.])
    """
    x = constant(x)
    if x.dtype.kind != "f":
        return identity(x)
    big = float(np.finfo(x.dtype).max)
    posinf = big if posinf is None else posinf
    neginf = -big if neginf is None else neginf
    out = ew.where(x == np.inf, posinf, ew.where(x == -np.inf, neginf, x))
    return ew.where(x != x, nan, out)  # noqa: PLR0124 - NaN test


def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Tensor:
    """``np.select``: at each element, the choice of the first true condition, else ``default``;
    differentiable wrt the choices (and ``default``).

    >>> import workbench as wb
    >>> x = wb.constant([-2.0, 0.5, 3.0])
    >>> wb.select([x < 0, x > 1], [-x, x * 10], default=x).numpy()
    array([ 2. ,  0.5, 30. ])
    """
    if len(condlist) != len(choicelist):
        raise ValueError(f"select: condlist has {len(condlist)} entries but choicelist has "
                         f"{len(choicelist)}; give one choice per condition")
    out = constant(default) if not isinstance(default, int | float) else default
    for cond, choice in zip(reversed(condlist), reversed(choicelist), strict=True):
        out = ew.where(_truth(cond), choice, out)
    return constant(out)


@like_ufunc(np.heaviside)
def heaviside(x, h0) -> Tensor:
    """The step function (``np.heaviside``): 0 for x < 0, ``h0`` at 0, 1 for x > 0, NaN at NaN.

    Not differentiable wrt ``x`` (its gradient is None); the gradient wrt ``h0`` is 1 at x == 0.

    >>> import workbench as wb
    >>> wb.heaviside(wb.constant([-1.0, 0.0, 2.0]), 0.5).numpy()
    array([0. , 0.5, 1. ])
    """
    x = constant(x)
    steps = ew.where(x > 0, 1.0, ew.where(x < 0, 0.0, ew.stop_gradient(x)))
    return ew.where(x == 0, h0, steps)

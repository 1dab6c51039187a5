"""Elementwise primitives with NumPy broadcasting: arithmetic and math functions.

VJP rules return cotangents shaped like the output; the reverse pass un-broadcasts them.
"""

from __future__ import annotations

import numpy as np
import sympy

from workbench.primitive import NON_DIFFERENTIABLE, defprimitive
from workbench.tensor import Tensor

EW = "elementwise"


def dtype_of(x) -> np.dtype:
    """The dtype of a Tensor or of a Python/NumPy number."""
    return x.dtype if isinstance(x, Tensor) else np.result_type(x)


def _piecewise_where(c, x, y):
    return sympy.Piecewise((x, c), (y, True))


def _round_half_even(x):
    # NumPy rounds ties to even: floor(x + 1/2), minus one at a tie that lands on an odd number.
    up = sympy.floor(x + sympy.S.Half)
    odd_tie = sympy.And(sympy.Eq(up - x, sympy.S.Half), sympy.Eq(sympy.Mod(up, 2), 1))
    return up - sympy.Piecewise((1, odd_tie), (0, True))


neg = defprimitive(
    "neg", np.negative,
    vjp=(lambda g, ans, x: neg(g),),
    sympy=lambda x: -x,
    kind=EW,
    numba=None,
)
add = defprimitive(
    "add", np.add,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    sympy=lambda x, y: x + y,
    kind=EW,
    numba=None,
)
sub = defprimitive(
    "sub", np.subtract,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: neg(g)),
    sympy=lambda x, y: x - y,
    kind=EW,
    numba=None,
)
mul = defprimitive(
    "mul", np.multiply,
    vjp=(lambda g, ans, x, y: mul(g, y), lambda g, ans, x, y: mul(g, x)),
    sympy=lambda x, y: x * y,
    kind=EW,
    numba=None,
)
div = defprimitive(
    "div", np.true_divide,
    vjp=(lambda g, ans, x, y: div(g, y), lambda g, ans, x, y: neg(div(mul(g, ans), y))),
    sympy=lambda x, y: x / y,
    kind=EW,
    numba=None,
)


def _power_dx(g, ans, x, y):
    y_minus_1 = sub(y, 1) if isinstance(y, Tensor) else y - 1
    return mul(g, mul(y, power(x, y_minus_1)))


def _power_dy(g, ans, x, y):
    # d(x**y)/dy = log(x) x**y; where x <= 0 the real power has no derivative in y: use 0 there.
    positive = x > 0
    return mul(g, where(positive, mul(log(where(positive, x, 1.0)), ans), 0.0))


power = defprimitive(
    "power", np.power,
    vjp=(_power_dx, _power_dy),
    sympy=lambda x, y: x**y,
    kind=EW,
    numba=None,
)
exp = defprimitive(
    "exp", np.exp,
    vjp=(lambda g, ans, x: mul(g, ans),),
    sympy=sympy.exp,
    kind=EW,
    numba=None,
)
log = defprimitive(
    "log", np.log,
    vjp=(lambda g, ans, x: div(g, x),),
    sympy=sympy.log,
    kind=EW,
    numba=None,
)
log1p = defprimitive(
    "log1p", np.log1p,
    vjp=(lambda g, ans, x: div(g, add(x, 1.0)),),
    sympy=lambda x: sympy.log(1 + x),
    kind=EW,
    numba=None,
)
expm1 = defprimitive(
    "expm1", np.expm1,
    vjp=(lambda g, ans, x: mul(g, add(ans, 1.0)),),
    sympy=lambda x: sympy.exp(x) - 1,
    kind=EW,
    numba=None,
)
sin = defprimitive(
    "sin", np.sin,
    vjp=(lambda g, ans, x: mul(g, cos(x)),),
    sympy=sympy.sin,
    kind=EW,
    numba=None,
)
cos = defprimitive(
    "cos", np.cos,
    vjp=(lambda g, ans, x: neg(mul(g, sin(x))),),
    sympy=sympy.cos,
    kind=EW,
    numba=None,
)
tan = defprimitive(
    "tan", np.tan,
    vjp=(lambda g, ans, x: mul(g, add(1.0, mul(ans, ans))),),
    sympy=sympy.tan,
    kind=EW,
    numba=None,
)
arcsin = defprimitive(
    "arcsin", np.arcsin,
    vjp=(lambda g, ans, x: div(g, sqrt(sub(1.0, mul(x, x)))),),
    sympy=sympy.asin,
    kind=EW,
    numba=None,
)
arccos = defprimitive(
    "arccos", np.arccos,
    vjp=(lambda g, ans, x: neg(div(g, sqrt(sub(1.0, mul(x, x))))),),
    sympy=sympy.acos,
    kind=EW,
    numba=None,
)
arctan = defprimitive(
    "arctan", np.arctan,
    vjp=(lambda g, ans, x: div(g, add(1.0, mul(x, x))),),
    sympy=sympy.atan,
    kind=EW,
    numba=None,
)
sinh = defprimitive(
    "sinh", np.sinh,
    vjp=(lambda g, ans, x: mul(g, cosh(x)),),
    sympy=sympy.sinh,
    kind=EW,
    numba=None,
)
cosh = defprimitive(
    "cosh", np.cosh,
    vjp=(lambda g, ans, x: mul(g, sinh(x)),),
    sympy=sympy.cosh,
    kind=EW,
    numba=None,
)
tanh = defprimitive(
    "tanh", np.tanh,
    vjp=(lambda g, ans, x: mul(g, sub(1.0, mul(ans, ans))),),
    sympy=sympy.tanh,
    kind=EW,
    numba=None,
)
sqrt = defprimitive(
    "sqrt", np.sqrt,
    vjp=(lambda g, ans, x: div(mul(g, 0.5), ans),),
    sympy=sympy.sqrt,
    kind=EW,
    numba=None,
)
abs = defprimitive(  # noqa: A001 - the NumPy name
    "abs", np.abs,
    vjp=(lambda g, ans, x: mul(g, sign(x)),),
    sympy=sympy.Abs,
    kind=EW,
    numba=None,
)
sign = defprimitive(
    "sign", np.sign,
    vjp=NON_DIFFERENTIABLE,
    sympy=sympy.sign,
    kind=EW,
    numba=None,
)
round = defprimitive(  # noqa: A001 - the NumPy name
    "round", np.round,
    vjp=NON_DIFFERENTIABLE,
    sympy=_round_half_even,
    kind=EW,
    numba=None,
)
floor = defprimitive(
    "floor", np.floor,
    vjp=NON_DIFFERENTIABLE,
    sympy=sympy.floor,
    kind=EW,
    numba=None,
)
ceil = defprimitive(
    "ceil", np.ceil,
    vjp=NON_DIFFERENTIABLE,
    sympy=sympy.ceiling,
    kind=EW,
    numba=None,
)
maximum = defprimitive(  # ties send the gradient to x, as TensorFlow does
    "maximum", np.maximum,
    vjp=(lambda g, ans, x, y: where(x >= y, g, 0.0), lambda g, ans, x, y: where(x >= y, 0.0, g)),
    sympy=sympy.Max,
    kind=EW,
    numba=None,
)
minimum = defprimitive(  # ties send the gradient to x, as TensorFlow does
    "minimum", np.minimum,
    vjp=(lambda g, ans, x, y: where(x <= y, g, 0.0), lambda g, ans, x, y: where(x <= y, 0.0, g)),
    sympy=sympy.Min,
    kind=EW,
    numba=None,
)
where = defprimitive(
    "where", np.where,
    vjp=(None, lambda g, ans, c, x, y: where(c, g, 0.0), lambda g, ans, c, x, y: where(c, 0.0, g)),
    sympy=_piecewise_where,
    kind=EW,
    numba=None,
)
cast = defprimitive(
    "cast", lambda x, dtype: np.asarray(x).astype(dtype),
    vjp=(lambda g, ans, x, dtype: cast(g, dtype=dtype_of(x)),),
    sympy=lambda x, dtype: x,
    kind=EW,
    numba=None,
)
stop_gradient = defprimitive(
    "stop_gradient", lambda x: x,
    vjp=NON_DIFFERENTIABLE,
    sympy=lambda x: x,
    kind=EW,
    numba=None,
)


def square(x):
    """``x ** 2``.

    >>> import workbench as wb
    >>> float(wb.square(3.0))
    9.0
    """
    return power(x, 2)


def reciprocal(x):
    """``1 / x``."""
    return div(1.0, x)


def subtract(x, y):
    """NumPy's name for ``x - y``."""
    return sub(x, y)


def multiply(x, y):
    """NumPy's name for ``x * y``."""
    return mul(x, y)


def divide(x, y):
    """NumPy's name for ``x / y``."""
    return div(x, y)


def clip(x, lo, hi):
    """Clip ``x`` to ``[lo, hi]`` (gradient 1 inside, 0 outside)."""
    return minimum(maximum(x, lo), hi)

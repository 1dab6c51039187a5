"""Elementwise primitives with NumPy broadcasting: arithmetic and math functions.

VJP rules return cotangents shaped like the output; the reverse pass un-broadcasts them.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from workbench.ops.lazy_sympy import sympy
from workbench.primitive import NON_DIFFERENTIABLE, defprimitive
from workbench.tensor import Tensor

EW = "elementwise"


def dtype_of(x) -> np.dtype:
    """The dtype of a Tensor or of a Python/NumPy number."""
    return x.dtype if isinstance(x, Tensor) else np.result_type(x)


def _one_and_square(ufunc, v):
    """``ufunc(1.0, v * v)`` on NumPy values, an array result written into the square's buffer."""
    sq = v * v
    return ufunc(1.0, sq, out=sq) if type(sq) is np.ndarray else ufunc(1.0, sq)


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
    vjp_numpy=(lambda g, ans, x: -g,),
    sympy=lambda x: -x,
    kind=EW,
    numba="(-{0})",
)
add = defprimitive(
    "add", np.add,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    vjp_numpy=(lambda g, ans, x, y: g, lambda g, ans, x, y: g),
    sympy=lambda x, y: x + y,
    kind=EW,
    numba="({0} + {1})",
)
sub = defprimitive(
    "sub", np.subtract,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: neg(g)),
    vjp_numpy=(lambda g, ans, x, y: g, lambda g, ans, x, y: -g),
    sympy=lambda x, y: x - y,
    kind=EW,
    numba="({0} - {1})",
)
mul = defprimitive(
    "mul", np.multiply,
    vjp=(lambda g, ans, x, y: mul(g, y), lambda g, ans, x, y: mul(g, x)),
    vjp_numpy=(lambda g, ans, x, y: g * y, lambda g, ans, x, y: g * x),
    sympy=lambda x, y: x * y,
    kind=EW,
    numba="({0} * {1})",
)
div = defprimitive(
    "div", np.true_divide,
    vjp=(lambda g, ans, x, y: div(g, y), lambda g, ans, x, y: neg(div(mul(g, ans), y))),
    vjp_numpy=(lambda g, ans, x, y: g / y, lambda g, ans, x, y: -(g * ans / y)),
    sympy=lambda x, y: x / y,
    kind=EW,
    numba="({0} / {1})",
)


def _power_dx(g, ans, x, y):
    # d(x**y)/dx = y x**(y-1), which is 0 where y == 0 (even at x == 0, where 0 * 0**-1 is NaN).
    if not isinstance(y, Tensor):
        return mul(g, 0.0) if y == 0 else mul(g, mul(y, power(x, y - 1)))
    zero = y == 0
    # The masked branch is evaluated at exponent 1 where y == 0, so it and its own derivatives
    # stay finite there and the mask's zeros never meet an inf (second order stays finite).
    safe_y = where(zero, np.ones((), y.dtype), y)
    return mul(g, where(zero, 0.0, mul(y, power(x, sub(safe_y, 1)))))


def _power_dy(g, ans, x, y):
    # d(x**y)/dy = log(x) x**y; where x <= 0 the real power has no derivative in y: use 0 there.
    if not isinstance(x, Tensor):  # a Python number base stays a weak scalar (float32 stays)
        return mul(g, mul(math.log(x), ans)) if x > 0 else mul(g, 0.0)
    positive = x > 0
    return mul(g, where(positive, mul(log(where(positive, x, 1.0)), ans), 0.0))


@functools.cache
def _step_floor() -> type:
    """``floor`` whose derivative is 0 (true wherever it is defined), so that ``sympy.diff`` of
    the ``mod``/``fmod`` rules gives their VJPs; prints as ``floor``. Built on first use, since
    SymPy is only loaded by the symbolic engine."""

    class StepFloor(sympy.floor):
        def fdiff(self, argindex: int = 1):
            return sympy.S.Zero

        def _sympystr(self, printer) -> str:
            return f"floor({printer._print(self.args[0])})"

    return StepFloor


def _sympy_mod(x, y):
    return x - y * _step_floor()(x / y)


def _sympy_fmod(x, y):
    q = x / y
    return x - y * sympy.Piecewise((_step_floor()(q), q >= 0), (-_step_floor()(-q), True))


power = defprimitive(
    "power", np.power,
    vjp=(_power_dx, _power_dy),
    sympy=lambda x, y: x**y,
    kind=EW,
    numba="({0} ** {1})",
)
mod = defprimitive(  # floor division's remainder: the sign of y, as NumPy and Python
    "mod", np.mod,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: neg(mul(g, floor(div(x, y))))),
    sympy=_sympy_mod,
    kind=EW,
    numba="({0} % {1})",
)
fmod = defprimitive(  # C's remainder: the sign of x (truncating division)
    "fmod", np.fmod,
    vjp=(lambda g, ans, x, y: g, lambda g, ans, x, y: neg(mul(g, trunc(div(x, y))))),
    sympy=_sympy_fmod,
    kind=EW,
    # |x| % |y| is exact for positive operands; this form needs only what CPU and CUDA both have
    numba="{T}(math.copysign(abs({0}) % abs({1}), {0}))",
)
exp = defprimitive(
    "exp", np.exp,
    vjp=(lambda g, ans, x: mul(g, ans),),
    vjp_numpy=(lambda g, ans, x: g * ans,),
    sympy=sympy.exp,
    kind=EW,
    numba="{T}(vecmath.exp(np.float64({0})))",  # vectorises on the CPU; CUDA: math.exp
)
log = defprimitive(
    "log", np.log,
    vjp=(lambda g, ans, x: div(g, x),),
    vjp_numpy=(lambda g, ans, x: g / x,),
    sympy=sympy.log,
    kind=EW,
    numba="math.log({0})",
)
log1p = defprimitive(
    "log1p", np.log1p,
    vjp=(lambda g, ans, x: div(g, add(x, 1.0)),),
    vjp_numpy=(lambda g, ans, x: g / (x + 1.0),),
    sympy=lambda x: sympy.log(1 + x),
    kind=EW,
    numba="math.log1p({0})",
)
expm1 = defprimitive(
    "expm1", np.expm1,
    vjp=(lambda g, ans, x: mul(g, add(ans, 1.0)),),
    vjp_numpy=(lambda g, ans, x: g * (ans + 1.0),),
    sympy=lambda x: sympy.exp(x) - 1,
    kind=EW,
    numba="math.expm1({0})",
)
sin = defprimitive(
    "sin", np.sin,
    vjp=(lambda g, ans, x: mul(g, cos(x)),),
    vjp_numpy=(lambda g, ans, x: g * np.cos(x),),
    sympy=sympy.sin,
    kind=EW,
    numba="math.sin({0})",
)
cos = defprimitive(
    "cos", np.cos,
    vjp=(lambda g, ans, x: neg(mul(g, sin(x))),),
    vjp_numpy=(lambda g, ans, x: -(g * np.sin(x)),),
    sympy=sympy.cos,
    kind=EW,
    numba="math.cos({0})",
)
tan = defprimitive(
    "tan", np.tan,
    vjp=(lambda g, ans, x: mul(g, add(1.0, mul(ans, ans))),),
    vjp_numpy=(lambda g, ans, x: g * _one_and_square(np.add, ans),),
    sympy=sympy.tan,
    kind=EW,
    numba="math.tan({0})",
)
arcsin = defprimitive(
    "arcsin", np.arcsin,
    vjp=(lambda g, ans, x: div(g, sqrt(sub(1.0, mul(x, x)))),),
    vjp_numpy=(lambda g, ans, x: g / np.sqrt(_one_and_square(np.subtract, x)),),
    sympy=sympy.asin,
    kind=EW,
    numba="math.asin({0})",
)
arccos = defprimitive(
    "arccos", np.arccos,
    vjp=(lambda g, ans, x: neg(div(g, sqrt(sub(1.0, mul(x, x))))),),
    vjp_numpy=(lambda g, ans, x: -(g / np.sqrt(_one_and_square(np.subtract, x))),),
    sympy=sympy.acos,
    kind=EW,
    numba="math.acos({0})",
)
arctan = defprimitive(
    "arctan", np.arctan,
    vjp=(lambda g, ans, x: div(g, add(1.0, mul(x, x))),),
    vjp_numpy=(lambda g, ans, x: g / _one_and_square(np.add, x),),
    sympy=sympy.atan,
    kind=EW,
    numba="math.atan({0})",
)
sinh = defprimitive(
    "sinh", np.sinh,
    vjp=(lambda g, ans, x: mul(g, cosh(x)),),
    vjp_numpy=(lambda g, ans, x: g * np.cosh(x),),
    sympy=sympy.sinh,
    kind=EW,
    numba="math.sinh({0})",
)
cosh = defprimitive(
    "cosh", np.cosh,
    vjp=(lambda g, ans, x: mul(g, sinh(x)),),
    vjp_numpy=(lambda g, ans, x: g * np.sinh(x),),
    sympy=sympy.cosh,
    kind=EW,
    numba="math.cosh({0})",
)
tanh = defprimitive(
    "tanh", np.tanh,
    vjp=(lambda g, ans, x: mul(g, sub(1.0, mul(ans, ans))),),
    vjp_numpy=(lambda g, ans, x: g * _one_and_square(np.subtract, ans),),
    sympy=sympy.tanh,
    kind=EW,
    numba="{T}(vecmath.tanh(np.float64({0})))",  # vectorises on the CPU; CUDA: math.tanh
)
sqrt = defprimitive(
    "sqrt", np.sqrt,
    vjp=(lambda g, ans, x: div(mul(g, 0.5), ans),),
    vjp_numpy=(lambda g, ans, x: g * 0.5 / ans,),
    sympy=sympy.sqrt,
    kind=EW,
    numba="math.sqrt({0})",
)
abs = defprimitive(
    "abs", np.abs,
    vjp=(lambda g, ans, x: mul(g, sign(x)),),
    vjp_numpy=(lambda g, ans, x: g * np.sign(x),),
    sympy=sympy.Abs,
    kind=EW,
    numba="abs({0})",
)
sign = defprimitive(
    "sign", np.sign,
    vjp=NON_DIFFERENTIABLE,
    sympy=sympy.sign,
    kind=EW,
    numba="({T}(1) if {0} > 0 else {T}(-1) if {0} < 0 else {T}(0) if {0} == 0 else {0})",
)
round = defprimitive(
    "round", np.round,
    vjp=NON_DIFFERENTIABLE,
    sympy=_round_half_even,
    kind=EW,
    numba="np.rint({0})",
)
floor = defprimitive(
    "floor", np.floor,
    vjp=NON_DIFFERENTIABLE,
    sympy=sympy.floor,
    kind=EW,
    numba="np.floor({0})",
)
ceil = defprimitive(
    "ceil", np.ceil,
    vjp=NON_DIFFERENTIABLE,
    sympy=sympy.ceiling,
    kind=EW,
    numba="np.ceil({0})",
)
maximum = defprimitive(  # ties send the gradient to x, as TensorFlow does
    "maximum", np.maximum,
    vjp=(lambda g, ans, x, y: where(x >= y, g, 0.0), lambda g, ans, x, y: where(x >= y, 0.0, g)),
    vjp_numpy=(lambda g, ans, x, y: np.where(x >= y, g, 0.0),
               lambda g, ans, x, y: np.where(x >= y, 0.0, g)),
    sympy=sympy.Max,
    kind=EW,
    numba="({0} if {0} >= {1} or {0} != {0} else {1})",
)
minimum = defprimitive(  # ties send the gradient to x, as TensorFlow does
    "minimum", np.minimum,
    vjp=(lambda g, ans, x, y: where(x <= y, g, 0.0), lambda g, ans, x, y: where(x <= y, 0.0, g)),
    vjp_numpy=(lambda g, ans, x, y: np.where(x <= y, g, 0.0),
               lambda g, ans, x, y: np.where(x <= y, 0.0, g)),
    sympy=sympy.Min,
    kind=EW,
    numba="({0} if {0} <= {1} or {0} != {0} else {1})",
)
where = defprimitive(
    "where", np.where,
    vjp=(None, lambda g, ans, c, x, y: where(c, g, 0.0), lambda g, ans, c, x, y: where(c, 0.0, g)),
    vjp_numpy=(None, lambda g, ans, c, x, y: np.where(c, g, 0.0),
               lambda g, ans, c, x, y: np.where(c, 0.0, g)),
    sympy=_piecewise_where,
    kind=EW,
    numba="({1} if {0} else {2})",
)
cast_p = defprimitive(
    "cast", lambda x, dtype: np.asarray(x).astype(dtype),
    vjp=(lambda g, ans, x, dtype: cast(g, dtype=dtype_of(x)),),
    vjp_numpy=(lambda g, ans, x, dtype: np.asarray(g).astype(np.result_type(x)),),
    sympy=lambda x, dtype: x,
    kind=EW,
    numba="{T}({0})",
)
stop_gradient = defprimitive(
    "stop_gradient", lambda x: x,
    vjp=NON_DIFFERENTIABLE,
    sympy=lambda x: x,
    kind=EW,
    numba="{0}",
)


def cast(x, dtype) -> Tensor:
    """``x`` converted to ``dtype`` (``tf.cast``); the gradient returns to ``x``'s dtype.

    >>> import numpy as np, workbench as wb
    >>> wb.cast(wb.constant([1.5, 2.0]), np.float32).dtype
    dtype('float32')
    """
    return cast_p(x, dtype=np.dtype(dtype))


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


def trunc(x) -> Tensor:
    """Round toward zero (``np.trunc``; not differentiable: its gradient is None).

    >>> import workbench as wb
    >>> wb.trunc(wb.constant([-1.7, 1.7])).numpy()
    array([-1.,  1.])
    """
    return where(x >= 0, floor(x), ceil(x))


def remainder(x, y) -> Tensor:
    """``x mod y`` with the sign of ``y`` (``np.remainder``, ``np.mod``, ``tf.math.floormod``,
    the ``%`` operator); the gradient is 1 wrt ``x`` and ``-floor(x / y)`` wrt ``y``.

    >>> import workbench as wb
    >>> wb.remainder(wb.constant([5.0, -5.0]), 3.0).numpy()
    array([2., 1.])
    """
    return mod(x, y)


def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    """Clip ``a`` to ``[a_min, a_max]`` (gradient 1 inside, 0 outside); a bound of None is
    absent. NumPy's keywords ``min``/``max`` are accepted too.

    >>> import workbench as wb
    >>> wb.clip(wb.constant([-2.0, 0.5, 3.0]), -1.0, a_max=1.0).numpy()
    array([-1. ,  0.5,  1. ])
    """
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    if lo is not None:
        a = maximum(a, lo)
    return a if hi is None else minimum(a, hi)

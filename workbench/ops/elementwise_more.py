"""More elementwise primitives: base-2/10 logarithms, inverse hyperbolics, atan2, hypot, erf,
cbrt and a recorded identity; each is a primitive where a composite would lose accuracy."""

from __future__ import annotations

import math

import numpy as np

from workbench.ops.elementwise import add, div, exp, mul, neg, sqrt, sub
from workbench.ops.lazy_sympy import sympy
from workbench.primitive import defprimitive

EW = "elementwise"
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_erf_values = np.vectorize(math.erf, otypes=[np.float64])


def _erf(x):
    x = np.asarray(x)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    return _erf_values(x).astype(dtype, copy=False)


log2 = defprimitive(
    "log2", np.log2,
    vjp=(lambda g, ans, x: div(g, mul(x, _LN2)),),
    sympy=lambda x: sympy.log(x, 2),
    kind=EW,
    numba="math.log2({0})",
)
log10 = defprimitive(
    "log10", np.log10,
    vjp=(lambda g, ans, x: div(g, mul(x, _LN10)),),
    sympy=lambda x: sympy.log(x, 10),
    kind=EW,
    numba="math.log10({0})",
)
hypot = defprimitive(  # sqrt(x**2 + y**2) without overflow for large x, y
    "hypot", np.hypot,
    vjp=(lambda g, ans, x, y: div(mul(g, x), ans), lambda g, ans, x, y: div(mul(g, y), ans)),
    sympy=lambda x, y: sympy.sqrt(x**2 + y**2),
    kind=EW,
    numba="math.hypot({0}, {1})",
)
arcsinh = defprimitive(
    "arcsinh", np.arcsinh,
    vjp=(lambda g, ans, x: div(g, hypot(x, 1.0)),),
    sympy=sympy.asinh,
    kind=EW,
    numba="math.asinh({0})",
)
arccosh = defprimitive(
    "arccosh", np.arccosh,
    vjp=(lambda g, ans, x: div(g, mul(sqrt(sub(x, 1.0)), sqrt(add(x, 1.0)))),),
    sympy=sympy.acosh,
    kind=EW,
    numba="math.acosh({0})",
)
arctanh = defprimitive(
    "arctanh", np.arctanh,
    vjp=(lambda g, ans, x: div(g, mul(sub(1.0, x), add(1.0, x))),),
    sympy=sympy.atanh,
    kind=EW,
    numba="math.atanh({0})",
)


def _atan2_dy(g, ans, y, x):
    return div(mul(g, x), add(mul(x, x), mul(y, y)))


def _atan2_dx(g, ans, y, x):
    return neg(div(mul(g, y), add(mul(x, x), mul(y, y))))


arctan2 = defprimitive(  # the angle of the point (x, y): arctan2(y, x), as NumPy orders them
    "arctan2", np.arctan2,
    vjp=(_atan2_dy, _atan2_dx),
    sympy=sympy.atan2,
    kind=EW,
    numba="math.atan2({0}, {1})",
)
erf = defprimitive(
    "erf", _erf,
    vjp=(lambda g, ans, x: mul(g, mul(_TWO_OVER_SQRT_PI, exp(neg(mul(x, x))))),),
    sympy=sympy.erf,
    kind=EW,
    numba="{T}(math.erf({0}))",
)
cbrt = defprimitive(  # the real cube root (negative for negative x)
    "cbrt", np.cbrt,
    vjp=(lambda g, ans, x: div(g, mul(3.0, mul(ans, ans))),),
    sympy=lambda x: sympy.sign(x) * sympy.Abs(x) ** sympy.Rational(1, 3),
    kind=EW,
    numba="np.cbrt({0})",
)
identity = defprimitive(
    "identity", lambda x: x,
    vjp=(lambda g, ans, x: g,),
    sympy=lambda x: x,
    kind=EW,
    numba="{0}",
)

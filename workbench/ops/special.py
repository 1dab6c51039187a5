"""Special functions under TensorFlow's ``tf.math`` names (erfc, lgamma, digamma, polygamma, zeta,
Bessel I0/I1, erfinv, ndtri, regularized incomplete gammas); SciPy computes the NumPy forward."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.special as sc

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops.lazy_sympy import sympy
from workbench.primitive import NotSupported, defprimitive
from workbench.tensor import Tensor

EW = "elementwise"
_NO_NUMBA = NotSupported("Numba's math module has no such function; call it outside wb.function")
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _floating(fun):
    """``fun`` (a SciPy ufunc) keeping a floating input's dtype (float32 stays float32)."""
    def forward(*xs):
        dtype = np.result_type(*xs)
        out = fun(*xs)
        return out.astype(dtype, copy=False) if dtype.kind == "f" else out
    return forward


def _no_grad_wrt(name: str, arg: str):
    def rule(g, ans, *xs, **params):
        raise NotImplementedError(
            f"{name}: the gradient with respect to '{arg}' is not implemented; pass '{arg}' as a "
            f"constant (wb.stop_gradient) or differentiate with respect to the other argument")
    return rule


erfc = defprimitive(  # 1 - erf(x), accurate where erf(x) is near 1
    "erfc", _floating(sc.erfc),
    vjp=(lambda g, ans, x: ew.mul(g, ew.mul(-_TWO_OVER_SQRT_PI, ew.exp(ew.neg(ew.mul(x, x))))),),
    sympy=sympy.erfc,
    kind=EW,
    numba="{T}(math.erfc({0}))",
)
polygamma_p = defprimitive(  # the n-th derivative of digamma; n is a static integer
    "polygamma", lambda x, n: _floating(lambda v: sc.polygamma(n, v))(x),
    vjp=(lambda g, ans, x, n: ew.mul(g, polygamma_p(x, n=n + 1)),),
    sympy=lambda x, n: sympy.polygamma(n, x),
    kind=EW,
    numba=_NO_NUMBA,
)
digamma = defprimitive(
    "digamma", _floating(sc.digamma),
    vjp=(lambda g, ans, x: ew.mul(g, polygamma_p(x, n=1)),),
    sympy=sympy.digamma,
    kind=EW,
    numba=_NO_NUMBA,
)
lgamma = defprimitive(  # log|Gamma(x)|
    "lgamma", _floating(sc.gammaln),
    vjp=(lambda g, ans, x: ew.mul(g, digamma(x)),),
    sympy=sympy.loggamma,
    kind=EW,
    numba="{T}(math.lgamma({0}))",
)
zeta = defprimitive(  # Hurwitz zeta: sum over k >= 0 of (k + q) ** -x
    "zeta", _floating(sc.zeta),
    vjp=(None, lambda g, ans, x, q: ew.mul(g, ew.mul(ew.neg(x), zeta(ew.add(x, 1.0), q)))),
    sympy=sympy.zeta,
    kind=EW,
    numba=_NO_NUMBA,
)
bessel_i0 = defprimitive(
    "bessel_i0", _floating(sc.i0),
    vjp=(lambda g, ans, x: ew.mul(g, bessel_i1(x)),),
    sympy=lambda x: sympy.besseli(0, x),
    kind=EW,
    numba=_NO_NUMBA,
)
bessel_i0e = defprimitive(  # exp(-|x|) * I0(x)
    "bessel_i0e", _floating(sc.i0e),
    vjp=(lambda g, ans, x: ew.mul(g, ew.sub(bessel_i1e(x), ew.mul(ew.sign(x), ans))),),
    sympy=lambda x: sympy.exp(-sympy.Abs(x)) * sympy.besseli(0, x),
    kind=EW,
    numba=_NO_NUMBA,
)


def _over_x(y: Tensor, x: Tensor) -> Tensor:
    """``y / x`` where ``x != 0``, and 0.5 (the limit of I1(x) / x) at 0, with no NaN in the
    gradient of either branch."""
    at_zero = x == 0.0
    return ew.where(at_zero, 0.5, ew.div(y, ew.where(at_zero, 1.0, x)))


bessel_i1 = defprimitive(  # I1'(x) = I0(x) - I1(x) / x
    "bessel_i1", _floating(sc.i1),
    vjp=(lambda g, ans, x: ew.mul(g, ew.sub(bessel_i0(x), _over_x(ans, x))),),
    sympy=lambda x: sympy.besseli(1, x),
    kind=EW,
    numba=_NO_NUMBA,
)
bessel_i1e = defprimitive(  # exp(-|x|) * I1(x)
    "bessel_i1e", _floating(sc.i1e),
    vjp=(lambda g, ans, x: ew.mul(g, ew.sub(ew.sub(bessel_i0e(x), _over_x(ans, x)),
                                            ew.mul(ew.sign(x), ans))),),
    sympy=lambda x: sympy.exp(-sympy.Abs(x)) * sympy.besseli(1, x),
    kind=EW,
    numba=_NO_NUMBA,
)
erfinv = defprimitive(  # the inverse of erf on (-1, 1)
    "erfinv", _floating(sc.erfinv),
    vjp=(lambda g, ans, x: ew.mul(g, ew.mul(0.5 * math.sqrt(math.pi), ew.exp(ew.mul(ans, ans)))),),
    sympy=sympy.erfinv,
    kind=EW,
    numba=_NO_NUMBA,
)
ndtri = defprimitive(  # the standard normal quantile function on (0, 1)
    "ndtri", _floating(sc.ndtri),
    vjp=(lambda g, ans, x: ew.mul(g, ew.exp(ew.add(ew.mul(0.5, ew.mul(ans, ans)),
                                                   _LOG_SQRT_2PI))),),
    sympy=lambda x: sympy.sqrt(2) * sympy.erfinv(2 * x - 1),
    kind=EW,
    numba=_NO_NUMBA,
)


def _gamma_density(a, x):
    """``x**(a-1) exp(-x) / Gamma(a)``, the x-derivative of the lower regularized gamma."""
    return ew.exp(ew.sub(ew.sub(ew.mul(ew.sub(a, 1.0), ew.log(x)), x), lgamma(a)))


igamma = defprimitive(  # P(a, x): the lower regularized incomplete gamma function
    "igamma", _floating(sc.gammainc),
    vjp=(_no_grad_wrt("igamma", "a"), lambda g, ans, a, x: ew.mul(g, _gamma_density(a, x))),
    sympy=lambda a, x: sympy.lowergamma(a, x) / sympy.gamma(a),
    kind=EW,
    numba=_NO_NUMBA,
)
igammac = defprimitive(  # Q(a, x) = 1 - P(a, x): the upper regularized incomplete gamma
    "igammac", _floating(sc.gammaincc),
    vjp=(_no_grad_wrt("igammac", "a"),
         lambda g, ans, a, x: ew.neg(ew.mul(g, _gamma_density(a, x)))),
    sympy=lambda a, x: sympy.uppergamma(a, x) / sympy.gamma(a),
    kind=EW,
    numba=_NO_NUMBA,
)


def polygamma(a: Any, x: Any) -> Tensor:
    """TensorFlow's ``tf.math.polygamma``: the ``a``-th derivative of ``digamma`` at ``x``.

    ``a`` holds non-negative integers (a number or a tensor broadcasting with ``x``); the
    gradient is taken with respect to ``x`` only (as TensorFlow).

    >>> import workbench as wb
    >>> round(float(wb.math.polygamma(1, 1.0)), 6)  # pi**2 / 6
    1.644934
    """
    order = np.asarray(a._value if isinstance(a, Tensor) else a)
    if order.size and (np.any(order < 0) or np.any(order != np.round(order))):
        raise ValueError(f"polygamma: the order a must hold non-negative integers, got {order}")
    x = constant(x)
    if order.ndim == 0:
        return polygamma_p(x, n=int(order))
    out = None
    for n in np.unique(order):
        term = polygamma_p(x, n=int(n))
        out = term if out is None else ew.where(order == n, term, out)
    return ew.mul(out, np.ones(order.shape, x.dtype))


def lbeta(x: Any) -> Tensor:
    """TensorFlow's ``tf.math.lbeta``: ``log|B(x)|`` of the last axis, ``sum(lgamma(x)) -
    lgamma(sum(x))`` (the multivariate beta function).

    >>> import workbench as wb
    >>> round(float(wb.math.lbeta([1.0, 2.0])), 6)  # log(1/2)
    -0.693147
    """
    x = constant(x)
    return ew.sub(red.sum(lgamma(x), axis=-1), lgamma(red.sum(x, axis=-1)))

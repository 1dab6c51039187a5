"""Transcendental functions for the CPU kernels in place of Numba's scalar libm calls: branch-free
arithmetic that LLVM's loop vectoriser turns into packed SIMD code: ``exp``, ``tanh`` (within
0.55 ULP of the exact value), ``sigmoid`` (NumPy's stable formula on that ``exp``).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from workbench.compile.runtime import _jit


@intrinsic
def _fma(typingctx, a, b, c):
    """``a * b + c`` with one rounding (LLVM's ``llvm.fma``: one instruction where the CPU has
    FMA, packed in vector loops; a correct libm call elsewhere). float64 only."""
    if not all(t == types.float64 for t in (a, b, c)):
        return None

    def codegen(context, builder, signature, args):
        return builder.fma(*args)

    return types.float64(types.float64, types.float64, types.float64), codegen


#: exp(r) = 1 + r + r**2 / 2 + r**3 * Q(r) for |r| <= log(2)/2: a near-minimax fit
#: (mpmath.chebyfit on a slightly wider interval), error of Q about 8e-18; highest degree first.
_EXP_Q = (2.09112987659402e-09, 2.5100472505694996e-08, 2.7557282838800484e-07,
          2.7557268276905696e-06, 2.4801587317228724e-05, 0.00019841269863171557,
          0.0013888888888886537, 0.008333333333330039, 0.041666666666666664,
          0.16666666666666669)
_INV_LN2 = 1.4426950408889634
_LN2_HI = 0.6931471804855391  # log(2) to 33 bits: k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 7.440617110012397e-11  # log(2) - _LN2_HI
_ROUND = 6755399441055744.0  # 1.5 * 2**52: y + _ROUND rounds y to an integer in the low bits
_ROUND_BITS = 0x4338000000000000  # the bits of _ROUND
#: tanh(20) rounds to 1 in float64, so 2|x| is clamped here: exp stays finite, inf gives 1.
_TANH_CLAMP = 40.0
#: Below 2**-27, tanh(x) rounds to x; the pairs above would lose its last bits to cancellation.
_TINY = 2.0 ** -27
#: exp overflows above 709.79 and underflows to 0 below -745.14: clamping just outside keeps
#: the scale's exponent in range and gives the same inf and 0.
_EXP_HIGH, _EXP_LOW = 710.0, -746.0

_Q0, _Q1, _Q2, _Q3, _Q4, _Q5, _Q6, _Q7, _Q8, _Q9 = _EXP_Q


#: The shared parts are inlined where they are used (in Numba's IR), never called.
_inline = njit(inline="always", error_model="numpy")


@_inline
def _exp_pair(y):  # pragma: no cover - runs compiled
    """``exp(y) == 2**k * (eh + el)`` for ``|y| <= 746``, the pair within about 0.03 ULP.

    Cody-Waite reduction ``y = k log 2 + r + rl`` with ``|r| <= log(2)/2``, then
    ``1 + r + r**2/2`` carried exactly as a pair (``fma`` gives ``r * r`` exactly) and
    ``r**3 * Q(r) + rl * exp(r)`` added to its low part: only that small part rounds.
    """
    t = y * _INV_LN2 + _ROUND
    kf = t - _ROUND
    rh = y - kf * _LN2_HI
    c = kf * _LN2_LO
    r = rh - c
    rl = (rh - r) - c
    q = _Q0 * r + _Q1
    q = q * r + _Q2
    q = q * r + _Q3
    q = q * r + _Q4
    q = q * r + _Q5
    q = q * r + _Q6
    q = q * r + _Q7
    q = q * r + _Q8
    q = q * r + _Q9
    r2 = r * r
    r2l = _fma(r, r, -r2)  # r * r == r2 + r2l exactly
    hi = 1.0 + r
    hi2 = hi + 0.5 * r2
    lo = (((1.0 - hi) + r) + ((hi - hi2) + 0.5 * r2)) + (0.5 * r2l + (r2 * r * q + rl * hi2))
    eh = hi2 + lo
    return eh, (hi2 - eh) + lo, np.float64(t).view(np.int64) - _ROUND_BITS


@_inline
def _pow2(k):  # pragma: no cover - runs compiled
    """``2.0 ** k`` for an integer ``-1022 <= k <= 1023``, from its exponent bits."""
    return np.int64((k + 1023) << 52).view(np.float64)


@_jit
def exp(x: float) -> float:  # pragma: no cover - runs compiled
    """exp of a float64, within about 0.53 ULP where the result is normal (one rounding of
    ``eh + el``; a subnormal result rounds a second time). inf above 709.79, 0 below -745.14,
    NaN propagates. No branches or calls: in a loop it compiles to packed SIMD code.

    >>> import numpy as np
    >>> bool(exp(1.0) == np.e), exp(-800.0), exp(800.0)
    (True, 0.0, inf)
    """
    y = max(min(x, _EXP_HIGH), _EXP_LOW)  # a NaN x stays NaN (both keep their first argument)
    eh, el, k = _exp_pair(y)
    k1 = k >> 1
    return (eh + el) * _pow2(k1) * _pow2(k - k1)  # exact but for inf or a subnormal


@_jit
def tanh(x: float) -> float:  # pragma: no cover - runs compiled
    """tanh of a float64, within 0.55 ULP of the exact value (measured; NumPy's is within 1).

    ``1 - 2 / (exp(2|x|) + 1)`` in compensated arithmetic: ``exp(2|x|) = 2**k * (eh + el)``
    (``_exp_pair``); ``q = 2 / (d + dl)`` is ``q0`` plus the correction from the exact residual
    ``fma(-q0, d, 2)``; ``1 - q`` is an exact two-sum, so only the last addition rounds. 2|x| is
    clamped at 40 (the result is 1 there, also for inf); NaN propagates; below 2**-27 the
    result is x itself (subnormals and -0.0 included). Two selects and no calls: in a loop it
    compiles to packed SIMD code.

    >>> import numpy as np
    >>> bool(tanh(0.5) == np.tanh(0.5)), tanh(-0.0), tanh(float("inf"))
    (True, -0.0, 1.0)
    """
    a = abs(x)
    y = min(a + a, _TANH_CLAMP)  # a NaN stays NaN (min keeps its first argument then)
    eh, el, k = _exp_pair(y)
    scale = _pow2(k)
    big = eh * scale
    d = big + 1.0
    dl = ((big - d) + 1.0) + el * scale
    q0 = 2.0 / d
    q1 = (_fma(-q0, d, 2.0) - q0 * dl) * (0.5 * q0)
    s = 1.0 - q0
    res = s + (((1.0 - s) - q0) - q1)
    res = a if a < _TINY else res  # there x - tanh(x) < x**3 / 3 is below half an ULP of x
    return math.copysign(res, x)


@_jit
def sigmoid(x: float) -> float:  # pragma: no cover - runs compiled
    """The logistic function of a float64 by NumPy's stable formula, as the eager rule:
    ``e = exp(-|x|)``, then ``1 / (1 + e)`` for x >= 0, else ``e / (1 + e)`` (a select, so it
    vectorises). Within 2 ULP of the exact value; float32 computed this way and rounded once
    is correctly rounded but for rare double roundings.

    >>> sigmoid(0.0), sigmoid(-800.0), sigmoid(800.0)
    (0.5, 0.0, 1.0)
    """
    e = exp(-abs(x))
    return (1.0 if x >= 0 else e) / (1.0 + e)

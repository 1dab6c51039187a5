"""Neural-network activations: numerically stable sigmoid, softplus, relu, softmax, log_softmax."""

from __future__ import annotations

import numpy as np
import sympy

from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.primitive import defprimitive
from workbench.tensor import Tensor

EW = "elementwise"


def _stable_sigmoid(x):
    # exp(-|x|) never overflows; each branch is exact on its own side of zero.
    e = np.exp(-np.abs(x))
    return np.where(np.asarray(x) >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(np.result_type(x))


sigmoid = defprimitive(
    "sigmoid", _stable_sigmoid,
    vjp=(lambda g, ans, x: ew.mul(g, ew.mul(ans, ew.sub(1.0, ans))),),
    sympy=lambda x: 1 / (1 + sympy.exp(-x)),
    kind=EW,
    numba=("({T}(1) / ({T}(1) + math.exp(-{0})) if {0} >= 0 "
             "else math.exp({0}) / ({T}(1) + math.exp({0})))"),
)
softplus = defprimitive(
    "softplus", lambda x: np.logaddexp(0.0, x).astype(np.result_type(x)),
    vjp=(lambda g, ans, x: ew.mul(g, sigmoid(x)),),
    sympy=lambda x: sympy.log(1 + sympy.exp(x)),
    kind=EW,
    numba=("({T}(0.6931471805599453) if {0} == 0 else math.log1p(math.exp({0})) if {0} < 0 "
             "else {0} + math.log1p(math.exp(-{0})) if {0} > 0 else {0})"),
)
relu = defprimitive(  # relu'(0) = 0, as in TensorFlow and PyTorch
    "relu", lambda x: np.maximum(x, 0).astype(np.result_type(x)),
    vjp=(lambda g, ans, x: ew.where(x > 0, g, 0.0),),
    sympy=lambda x: sympy.Max(x, 0),
    kind=EW,
    numba="({0} if {0} >= 0 or {0} != {0} else {T}(0))",
)


def softmax(x, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the max so it never overflows.

    >>> import workbench as wb
    >>> wb.nn.softmax(wb.constant([0.0, 0.0])).numpy()
    array([0.5, 0.5])
    """
    shift = ew.stop_gradient(red.max(x, axis=axis, keepdims=True))
    e = ew.exp(ew.sub(x, shift))
    return ew.div(e, red.sum(e, axis=axis, keepdims=True))


def log_softmax(x, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``; finite for any finite input.

    >>> import workbench as wb
    >>> wb.nn.log_softmax(wb.constant([1000.0, 0.0])).numpy()
    array([    0., -1000.])
    """
    return ew.sub(x, red.logsumexp(x, axis=axis, keepdims=True))


def leaky_relu(x, alpha: float = 0.2) -> Tensor:
    """``x`` for x > 0, ``alpha * x`` otherwise."""
    return ew.where(x > 0, x, ew.mul(alpha, x))


def elu(x, alpha: float = 1.0) -> Tensor:
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""
    return ew.where(x > 0, x, ew.mul(alpha, ew.expm1(ew.minimum(x, 0.0))))

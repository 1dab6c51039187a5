"""Neural-network activations: numerically stable sigmoid, softplus, relu, softmax, log_softmax
and the composites built on them (elu, selu, gelu, silu, ...)."""

from __future__ import annotations

import math

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops.elementwise_more import erf
from workbench.ops.lazy_sympy import sympy
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
    numba="{T}(vecmath.sigmoid(np.float64({0})))",  # vectorises on the CPU; CUDA: compile/cuda.py
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
    "relu", lambda x: np.maximum(x, 0).astype(np.result_type(x), copy=False),
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
    _, e, total = red.exp_shifted(x, axis)
    return ew.div(e, total)


def log_softmax(x, axis: int = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``; finite for any finite input.

    >>> import workbench as wb
    >>> wb.nn.log_softmax(wb.constant([1000.0, 0.0])).numpy()
    array([    0., -1000.])
    """
    return ew.sub(x, red.logsumexp(x, axis=axis, keepdims=True))


def leaky_relu(features, alpha: float = 0.2) -> Tensor:
    """``x`` for x > 0, ``alpha * x`` otherwise (``tf.nn.leaky_relu``).

    >>> import workbench as wb
    >>> wb.nn.leaky_relu(wb.constant([-1.0, 2.0])).numpy()
    array([-0.2,  2. ])
    """
    return ew.where(features > 0, features, ew.mul(alpha, features))


def elu(features, alpha: float = 1.0) -> Tensor:
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise; at 0 the gradient is 1 (the
    linear branch, as TensorFlow's ``elu`` and ``selu`` gradients).

    >>> import workbench as wb
    >>> wb.nn.elu(wb.constant([0.0, 2.0])).numpy()
    array([0., 2.])
    """
    return ew.where(features >= 0, features,
                    ew.mul(alpha, ew.expm1(ew.minimum(features, 0.0))))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(features) -> Tensor:
    """Scaled ELU (``tf.nn.selu``): ``scale * elu(x, alpha)`` with the self-normalizing constants.

    >>> import workbench as wb
    >>> round(float(wb.nn.selu(1.0)), 6)
    1.050701
    """
    return ew.mul(_SELU_SCALE, elu(features, _SELU_ALPHA))


def relu6(features) -> Tensor:
    """``min(max(x, 0), 6)``; the gradient is 1 strictly inside (0, 6), as ``tf.nn.relu6``.

    >>> import workbench as wb
    >>> wb.nn.relu6(wb.constant([-1.0, 3.0, 9.0])).numpy()
    array([0., 3., 6.])
    """
    return ew.where(features >= 6, 6.0, relu(features))


def gelu(features, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit: ``x * Phi(x)`` with ``erf``, or TensorFlow's tanh form when
    ``approximate=True``.

    >>> import workbench as wb
    >>> round(float(wb.nn.gelu(1.0)), 6), round(float(wb.nn.gelu(1.0, approximate=True)), 6)
    (0.841345, 0.841192)
    """
    half_x = ew.mul(features, 0.5)
    if approximate:
        cubic = ew.add(features, ew.mul(0.044715, ew.power(features, 3)))
        return ew.mul(half_x, ew.add(1.0, ew.tanh(ew.mul(math.sqrt(2.0 / math.pi), cubic))))
    return ew.mul(half_x, ew.add(1.0, erf(ew.mul(features, 1.0 / math.sqrt(2.0)))))


def silu(features, beta: float = 1.0) -> Tensor:
    """``x * sigmoid(beta * x)`` (``tf.nn.silu``, also ``swish``).

    >>> import workbench as wb
    >>> float(wb.nn.silu(0.0))
    0.0
    """
    return ew.mul(features, sigmoid(ew.mul(beta, features)))


swish = silu


def log_sigmoid(x) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, finite for any finite x (``tf.math.log_sigmoid``).

    >>> import workbench as wb
    >>> float(wb.math.log_sigmoid(-1000.0))
    -1000.0
    """
    return ew.neg(softplus(ew.neg(x)))


def softsign(features) -> Tensor:
    """``x / (1 + |x|)`` (``tf.nn.softsign``).

    >>> import workbench as wb
    >>> wb.nn.softsign(wb.constant([-1.0, 3.0])).numpy()
    array([-0.5 ,  0.75])
    """
    return ew.div(features, ew.add(1.0, ew.abs(features)))

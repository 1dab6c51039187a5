"""``wb.math``: elementwise math (TensorFlow's ``tf.math`` names)."""

from workbench.ops.cumulative import math_cumprod as cumprod
from workbench.ops.cumulative import math_cumsum as cumsum
from workbench.ops.cumulative import prod as reduce_prod
from workbench.ops.elementwise import (
    abs,
    add,
    arccos,
    arcsin,
    arctan,
    ceil,
    cos,
    cosh,
    divide,
    exp,
    expm1,
    floor,
    log,
    log1p,
    maximum,
    minimum,
    multiply,
    neg,
    power,
    reciprocal,
    round,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
)
from workbench.ops.nn import sigmoid, softplus
from workbench.ops.reduce import logsumexp
from workbench.ops.statistics import all as reduce_all
from workbench.ops.statistics import any as reduce_any
from workbench.ops.statistics import count_nonzero, reduce_std, reduce_variance

negative = neg
pow = power
acos, asin, atan = arccos, arcsin, arctan
reduce_logsumexp = logsumexp

__all__ = [
    "abs", "acos", "add", "arccos", "arcsin", "arctan", "asin", "atan", "ceil", "cos", "cosh",
    "divide", "exp", "expm1", "floor", "log", "log1p", "maximum", "minimum", "multiply", "neg",
    "negative", "pow", "power", "reciprocal", "reduce_logsumexp", "round", "sigmoid", "sign",
    "sin", "sinh", "softplus", "sqrt", "square", "subtract", "tan", "tanh",
]
__all__ += [  # reductions
    "count_nonzero", "cumprod", "cumsum", "reduce_all", "reduce_any", "reduce_prod", "reduce_std",
    "reduce_variance",
]

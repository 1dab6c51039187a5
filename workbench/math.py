"""``wb.math``: elementwise math (TensorFlow's ``tf.math`` names)."""

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
from workbench.ops.norms import reduce_euclidean_norm
from workbench.ops.reduce import logsumexp

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
__all__ += ["reduce_euclidean_norm"]

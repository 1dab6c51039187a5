"""workbench: derive a derivative symbolically, compute it with a tape, check one against the other.

>>> import workbench as wb
>>> x = wb.constant(3.0)
>>> with wb.GradientTape() as tape:
...     tape.watch(x)
...     y = x ** 3
>>> float(tape.gradient(y, x))
27.0
"""

import importlib as _importlib

from workbench import _exports
from workbench.dtypes import (
    bool,
    default_dtype,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    set_default_dtype,
    uint8,
)
from workbench.ops.axes import AxisError
from workbench.ops.elementwise import (
    abs,
    add,
    arccos,
    arcsin,
    arctan,
    cast,
    ceil,
    clip,
    cos,
    cosh,
    divide,
    exp,
    expm1,
    floor,
    fmod,
    log,
    log1p,
    maximum,
    minimum,
    mod,
    multiply,
    neg,
    power,
    remainder,
    round,
    sign,
    sin,
    sinh,
    sqrt,
    stop_gradient,
    subtract,
    tan,
    tanh,
    trunc,
)
from workbench.ops.numpy_ufuncs import fabs, reciprocal, rint, square
from workbench.ops.reduce import argmax, argmin, logsumexp, max, mean, min, sum
from workbench.ops.shape import (
    broadcast_to,
    concat,
    expand_dims,
    flatten,
    getitem,
    ndim,
    reshape,
    shape,
    size,
    squeeze,
    stack,
    transpose,
)
from workbench.primitive import (
    NON_DIFFERENTIABLE,
    REGISTRY,
    MissingRule,
    NotSupported,
    Primitive,
    defprimitive,
)
from workbench.tape import GradientTape, UnconnectedGradients
from workbench.tensor import Tensor, Variable, constant
from workbench.tf_types import DType, TensorShape, as_dtype

__version__ = "0.1.0"

# Other spellings (TensorFlow's, NumPy's) of the names above.
convert_to_tensor = constant
negative = neg
reduce_sum, reduce_mean, reduce_max, reduce_min, amax, amin = sum, mean, max, min, max, min
reduce_logsumexp = logsumexp
fix, around, absolute, pow = trunc, round, abs, power
acos, asin, atan = arccos, arcsin, arctan
truediv = realdiv = divide
permute_dims, rank = transpose, ndim

__all__ = [
    "NON_DIFFERENTIABLE", "REGISTRY", "AxisError", "DType", "GradientTape", "MissingRule",
    "NotSupported", "Primitive", "Tensor", "TensorShape", "UnconnectedGradients", "Variable", "abs", "absolute", "acos", "add", "amax",
    "amin", "arccos", "arcsin", "arctan", "argmax", "argmin", "around", "as_dtype", "asin",
    "atan", "bool", "broadcast_to", "cast", "ceil", "clip", "concat", "constant",
    "convert_to_tensor", "cos", "cosh", "default_dtype", "defprimitive", "divide", "exp",
    "expand_dims", "expm1", "fabs", "fix", "flatten", "float16", "float32", "float64", "floor",
    "fmod", "getitem", "int8", "int16", "int32", "int64", "log", "log1p", "logsumexp", "max",
    "maximum", "mean", "min", "minimum", "mod", "multiply", "ndim", "neg", "negative",
    "permute_dims", "pow", "power", "rank", "realdiv", "reciprocal", "reduce_logsumexp",
    "reduce_max", "reduce_mean", "reduce_min", "reduce_sum", "remainder", "reshape", "rint",
    "round", "set_default_dtype", "shape", "sign", "sin", "sinh", "size", "sqrt", "square",
    "squeeze", "stack", "stop_gradient", "subtract", "sum", "tan", "tanh", "transpose",
    "truediv", "trunc", "uint8",
]
__all__ += _exports.PUBLIC  # noqa: PLE0605 - the names loaded on first use, from _exports.py


def __getattr__(name: str):
    """Import the module behind a lazy public name on first use, then keep the name here."""
    try:
        module_name, attribute = _exports.LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'workbench' has no attribute {name!r}") from None
    value = _importlib.import_module(module_name)
    if attribute is not None:
        value = getattr(value, attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_exports.LAZY))

"""workbench: derive a derivative symbolically, compute it with a tape, check one against the other.

>>> import workbench as wb
>>> x = wb.constant(3.0)
>>> with wb.GradientTape() as tape:
...     tape.watch(x)
...     y = x ** 3
>>> float(tape.gradient(y, x))
27.0
"""

from workbench import linalg, math, nn, optim, random, symbolic
from workbench import data, keras  # Keras-shaped training (layers call ops) and input pipelines
from workbench.check import GradientMismatch, GradientReport, check_gradients
from workbench.compile import function
from workbench.custom import custom_gradient
from workbench.dtypes import default_dtype, set_default_dtype
from workbench.ir import Eqn, Graph, Literal, Var
from workbench.ops.creation import arange, eye, fill, linspace, ones, ones_like, zeros, zeros_like
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
    stop_gradient,
    subtract,
    tan,
    tanh,
    where,
)
from workbench.ops.linalg import matmul
from workbench.ops.reduce import (
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    std,
    sum,
    variance,
)
from workbench.ops.shape import (
    broadcast_to,
    concat,
    expand_dims,
    flatten,
    getitem,
    reshape,
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
from workbench.symbolic import Derivation, SymbolicBudgetExceeded
from workbench.tape import GradientTape, UnconnectedGradients
from workbench.tensor import Tensor, Variable, constant  # first: ops build on Tensor

convert_to_tensor = constant
negative = neg
reduce_sum, reduce_mean, reduce_max, reduce_min = sum, mean, max, min
reduce_logsumexp = logsumexp

__version__ = "0.1.0"

__all__ = [
    "NON_DIFFERENTIABLE", "REGISTRY", "Derivation", "Eqn", "GradientTape", "Graph", "Literal", "MissingRule",
    "NotSupported", "Primitive", "SymbolicBudgetExceeded", "Tensor", "UnconnectedGradients", "Var", "Variable", "abs", "add",
    "arange", "arccos", "arcsin", "arctan", "argmax", "argmin", "broadcast_to", "cast", "ceil",
    "clip", "concat", "constant", "convert_to_tensor", "cos", "cosh", "custom_gradient",
    "default_dtype", "defprimitive", "divide", "exp", "expand_dims", "expm1", "eye", "fill",
    "flatten", "floor", "function", "getitem", "linalg", "linspace", "log", "log1p", "logsumexp", "math",
    "matmul", "max", "maximum", "mean", "min", "minimum", "multiply", "neg", "negative", "nn",
    "ones", "ones_like", "optim", "power", "random", "reciprocal", "reduce_logsumexp",
    "reduce_max", "reduce_mean", "reduce_min", "reduce_sum", "reshape", "round", "set_default_dtype",
    "sign", "sin", "sinh", "sqrt", "square", "squeeze", "stack", "std", "stop_gradient",
    "subtract", "sum", "symbolic", "tan", "tanh", "transpose", "variance", "where", "zeros", "zeros_like",
]
__all__ += ["GradientMismatch", "GradientReport", "check_gradients"]  # gradient verification
__all__ += ["data", "keras"]  # Keras-shaped training and tf.data-shaped pipelines

"""``wb.math``: elementwise math and reductions under TensorFlow's ``tf.math`` names."""

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
    fmod,
    log,
    log1p,
    maximum,
    minimum,
    mod,
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
from workbench.ops.elementwise_composite import (
    divide_no_nan,
    equal,
    greater,
    greater_equal,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    not_equal,
    rsqrt,
    squared_difference,
    xlogy,
)
from workbench.ops.elementwise_more import arccosh, arcsinh, arctan2, arctanh, erf
from workbench.ops.losses import l2_normalize
from workbench.ops.nn import log_sigmoid, log_softmax, sigmoid, softmax, softplus, softsign
from workbench.ops.norms import reduce_euclidean_norm
from workbench.ops.reduce import argmax, argmin, logsumexp, max, mean, min, sum
from workbench.ops.statistics import all as reduce_all
from workbench.ops.statistics import any as reduce_any
from workbench.ops.statistics import count_nonzero, reduce_std, reduce_variance

negative = neg
pow = power
acos, asin, atan = arccos, arcsin, arctan
acosh, asinh, atanh, atan2 = arccosh, arcsinh, arctanh, arctan2
floormod, truncatemod = mod, fmod
truediv = divide
rint = round
is_nan, is_inf, is_finite = isnan, isinf, isfinite
reduce_logsumexp = logsumexp
reduce_sum, reduce_mean, reduce_max, reduce_min = sum, mean, max, min

__all__ = [
    "abs", "acos", "add", "arccos", "arcsin", "arctan", "asin", "atan", "ceil", "cos", "cosh",
    "divide", "exp", "expm1", "floor", "log", "log1p", "maximum", "minimum", "multiply", "neg",
    "negative", "pow", "power", "reciprocal", "reduce_logsumexp", "round", "sigmoid", "sign",
    "sin", "sinh", "softplus", "sqrt", "square", "subtract", "tan", "tanh",
]
__all__ += [  # reductions
    "count_nonzero", "cumprod", "cumsum", "reduce_all", "reduce_any", "reduce_prod",
]
__all__ += [  # elementwise and reduction coverage
    "acosh",
    "arccosh",
    "arcsinh",
    "arctan2",
    "arctanh",
    "argmax",
    "argmin",
    "asinh",
    "atan2",
    "atanh",
    "divide_no_nan",
    "equal",
    "erf",
    "floordiv",
    "floormod",
    "fmod",
    "greater",
    "greater_equal",
    "is_finite",
    "is_inf",
    "is_nan",
    "isfinite",
    "isinf",
    "isnan",
    "l2_normalize",
    "less",
    "less_equal",
    "log_sigmoid",
    "log_softmax",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "mod",
    "not_equal",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_std",
    "reduce_sum",
    "reduce_variance",
    "rint",
    "rsqrt",
    "softmax",
    "softsign",
    "squared_difference",
    "truediv",
    "truncatemod",
    "xlogy",
]
__all__ += ["reduce_euclidean_norm"]

from workbench.ops.numpy_more import floor_divide as floordiv
from workbench.ops.sorting import top_k
from workbench.tf_more import add_n

__all__ += ["add_n", "top_k"]

# special functions, segments, scatter and counting helpers
from workbench.ops.segments import (
    segment_max,
    segment_mean,
    segment_min,
    segment_prod,
    segment_sum,
    unsorted_segment_max,
    unsorted_segment_mean,
    unsorted_segment_min,
    unsorted_segment_prod,
    unsorted_segment_sqrt_n,
    unsorted_segment_sum,
)
from workbench.ops.special import (
    bessel_i0,
    bessel_i0e,
    bessel_i1,
    bessel_i1e,
    digamma,
    erfc,
    erfinv,
    igamma,
    igammac,
    lbeta,
    lgamma,
    ndtri,
    polygamma,
    zeta,
)
from workbench.ops.tf_math_misc import (
    bincount,
    confusion_matrix,
    cumulative_logsumexp,
    in_top_k,
    polyval,
)

__all__ += [
    "bessel_i0", "bessel_i0e", "bessel_i1", "bessel_i1e", "bincount", "confusion_matrix",
    "cumulative_logsumexp", "digamma", "erfc", "erfinv", "igamma", "igammac", "in_top_k", "lbeta",
    "lgamma", "ndtri", "polygamma", "polyval", "segment_max", "segment_mean", "segment_min",
    "segment_prod", "segment_sum", "unsorted_segment_max", "unsorted_segment_mean",
    "unsorted_segment_min", "unsorted_segment_prod", "unsorted_segment_sqrt_n",
    "unsorted_segment_sum", "zeta",
]

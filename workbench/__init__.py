"""workbench: derive a derivative symbolically, compute it with a tape, check one against the other.

>>> import workbench as wb
>>> x = wb.constant(3.0)
>>> with wb.GradientTape() as tape:
...     tape.watch(x)
...     y = x ** 3
>>> float(tape.gradient(y, x))
27.0
"""

from workbench import (  # Keras-shaped training (layers call ops) and input pipelines
    data,
    keras,
    linalg,
    math,
    nn,
    optim,
    random,
)
from workbench.check import GradientMismatch, GradientReport, check_gradients
from workbench.custom import custom_gradient
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
from workbench.ir import Eqn, Graph, Literal, Var
from workbench.ops.arrays import (  # array / shape functions (NumPy names and TF's)
    clip_by_norm,
    diff,
    flip,
    fliplr,
    flipud,
    moveaxis,
    pad,
    ravel,
    repeat,
    reverse,
    roll,
    swapaxes,
    tile,
)
from workbench.ops.axes import AxisError
from workbench.ops.creation import arange, eye, fill, linspace, ones, ones_like, zeros, zeros_like
from workbench.ops.cumulative import cumprod, cumsum, prod
from workbench.ops.einsum import einsum
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
    reciprocal,
    remainder,
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
    trunc,
)
from workbench.ops.elementwise_composite import (
    deg2rad,
    equal,
    exp2,
    float_power,
    fmax,
    fmin,
    greater,
    greater_equal,
    heaviside,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    logaddexp,
    logaddexp2,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    nan_to_num,
    not_equal,
    positive,
    rad2deg,
    select,
    sinc,
    true_divide,
)
from workbench.ops.elementwise_more import (
    arccosh,
    arcsinh,
    arctan2,
    arctanh,
    cbrt,
    erf,
    hypot,
    identity,
    log2,
    log10,
)
from workbench.ops.indexing import (
    gather,
    gather_nd,
    meshgrid,
    nonzero,
    one_hot,
    take,
    take_along_axis,
    where,
)
from workbench.ops.joining import (
    append,
    array_split,
    atleast_1d,
    atleast_2d,
    atleast_3d,
    column_stack,
    concatenate,
    dstack,
    hstack,
    split,
    vstack,
)
from workbench.ops.matrix_functions import diag, diagonal, tril, triu
from workbench.ops.norms import tf_norm as norm
from workbench.ops.products import cross, dot, inner, kron, outer, tensordot, trace
from workbench.ops.reduce import (
    argmax,
    argmin,
    logsumexp,
    max,
    mean,
    min,
    sum,
)
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
from workbench.ops.sorting import argsort, sort
from workbench.ops.statistics import (
    all,
    any,
    average,
    count_nonzero,
    nanmean,
    nansum,
    ptp,
    reduce_std,
    reduce_variance,
    std,
    var,
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
from workbench.tensor import Tensor, Variable, constant  # first: ops build on Tensor

convert_to_tensor = constant
negative = neg
reduce_sum, reduce_mean, reduce_max, reduce_min = sum, mean, max, min
reduce_logsumexp = logsumexp
variance, amax, amin, reduce_prod, reduce_any, reduce_all = var, max, min, prod, any, all

__version__ = "0.1.0"

# Heavy parts load on first use: the symbolic engine (SymPy) and the plotting helpers (matplotlib).
_LAZY = {
    "symbolic": ("workbench.symbolic", None),
    "Derivation": ("workbench.symbolic", "Derivation"),
    "SymbolicBudgetExceeded": ("workbench.symbolic", "SymbolicBudgetExceeded"),
    "plot": ("workbench.plot", None),
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        module = importlib.import_module(module_name)
        return module if attr is None else getattr(module, attr)
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")

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
__all__ += [  # array / shape functions
    "AxisError", "append", "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "clip_by_norm",
    "column_stack", "concatenate", "diff", "dstack", "flip", "fliplr", "flipud", "gather",
    "gather_nd", "hstack", "meshgrid", "moveaxis", "nonzero", "one_hot", "pad", "ravel", "repeat",
    "reverse", "roll", "sort", "argsort", "split", "swapaxes", "take", "take_along_axis", "tile", "vstack",
]
__all__ += [  # reductions, products, statistics
    "all", "amax", "amin", "any", "average", "count_nonzero", "cross", "cumprod", "cumsum", "dot",
    "einsum", "inner", "kron", "nanmean", "nansum", "outer", "prod", "ptp", "reduce_all",
    "reduce_any", "reduce_prod", "reduce_std", "reduce_variance", "tensordot", "trace", "var",
]
__all__ += ["GradientMismatch", "GradientReport", "check_gradients"]  # gradient verification
fix, rint = trunc, round
__all__ += [  # elementwise coverage and TensorFlow's dtype names
    "arccosh", "arcsinh", "arctan2", "arctanh", "bool", "cbrt", "deg2rad", "equal", "erf", "exp2",
    "fix", "float16", "float32", "float64", "float_power", "fmax", "fmin", "fmod", "greater",
    "greater_equal", "heaviside", "hypot", "identity", "int8", "int16", "int32", "int64",
    "isfinite", "isinf", "isnan", "less", "less_equal", "log10", "log2", "logaddexp", "logaddexp2",
    "logical_and", "logical_not", "logical_or", "logical_xor", "mod", "nan_to_num", "not_equal",
    "positive", "rad2deg", "remainder", "rint", "select", "sinc", "true_divide", "trunc", "uint8",
]
__all__ += ["diag", "diagonal", "norm", "tril", "triu"]  # matrix helpers (linear algebra)
__all__ += ["data", "keras"]  # Keras-shaped training and tf.data-shaped pipelines
from workbench.ops.numpy_misc import (
    allclose,
    argpartition,
    array_equal,
    array_equiv,
    asarray_chkfinite,
    ascontiguousarray,
    asfortranarray,
    astype,
    broadcast_shapes,
    can_cast,
    divmod,
    frexp,
    geomspace,
    isclose,
    iscomplex,
    iscomplexobj,
    isdtype,
    isneginf,
    isposinf,
    isreal,
    isrealobj,
    isscalar,
    issubdtype,
    ldexp,
    logspace,
    min_scalar_type,
    modf,
    nanargmax,
    nanargmin,
    promote_types,
    real_if_close,
    result_type,
    unwrap,
)
from workbench.ops.numpy_more import (  # NumPy's remaining array functions
    angle,
    array,
    asarray,
    broadcast_arrays,
    conj,
    copy,
    copysign,
    dsplit,
    empty,
    empty_like,
    floor_divide,
    full,
    full_like,
    hsplit,
    imag,
    matrix_transpose,
    real,
    rollaxis,
    rot90,
    signbit,
    unstack,
    vdot,
    vsplit,
)
from workbench.ops.numpy_poly import (
    apply_along_axis,
    argwhere,
    bincount,
    corrcoef,
    cov,
    digitize,
    flatnonzero,
    interp,
    matvec,
    piecewise,
    polyadd,
    polyder,
    polyint,
    polymul,
    polysub,
    searchsorted,
    vecdot,
    vecmat,
)
from workbench.ops.numpy_selection import (
    block,
    c_,
    choose,
    compress,
    delete,
    extract,
    insert,
    r_,
    resize,
)
from workbench.ops.numpy_stats import (
    convolve,
    correlate,
    cumulative_prod,
    cumulative_sum,
    ediff1d,
    gradient,
    median,
    nancumprod,
    nancumsum,
    nanmax,
    nanmin,
    nanprod,
    nanstd,
    nanvar,
    partition,
    percentile,
    polyval,
    quantile,
    trapezoid,
    vander,
)

absolute, fabs, pow, around, degrees, radians = abs, abs, power, round, rad2deg, deg2rad
acos, asin, atan, atan2 = arccos, arcsin, arctan, arctan2
acosh, asinh, atanh = arccosh, arcsinh, arctanh
conjugate, asanyarray, row_stack, permute_dims = conj, asarray, vstack, transpose
rank = ndim
__all__ += [  # NumPy coverage
    "absolute", "acos", "acosh", "angle", "around", "array", "asanyarray", "asarray", "asin",
    "asinh", "atan", "atan2", "atanh", "block", "broadcast_arrays", "choose", "compress", "conj",
    "conjugate", "convolve", "copy", "copysign", "correlate", "cumulative_prod", "cumulative_sum",
    "degrees", "delete", "dsplit", "ediff1d", "empty", "empty_like", "extract", "fabs",
    "floor_divide", "full", "full_like", "gradient", "hsplit", "imag", "insert", "interp",
    "matrix_transpose", "median", "nancumprod", "nancumsum", "nanmax", "nanmin", "nanprod",
    "nanstd", "nanvar", "partition", "percentile", "permute_dims", "polyval", "pow", "quantile",
    "radians", "real", "resize", "rollaxis", "rot90", "row_stack", "signbit", "trapezoid",
    "unstack", "vander", "vdot", "vsplit",
    "allclose", "apply_along_axis", "argwhere", "array_equal", "array_equiv", "astype",
    "bincount", "broadcast_shapes", "can_cast", "corrcoef", "cov", "digitize", "divmod",
    "flatnonzero", "frexp", "geomspace", "iscomplex", "iscomplexobj", "isclose", "isdtype",
    "isneginf", "isposinf", "isreal", "isrealobj", "isscalar", "issubdtype", "ldexp", "logspace",
    "matvec", "min_scalar_type", "modf", "ndim", "rank", "piecewise", "polyadd", "polyder",
    "polyint",
    "polymul", "polysub", "promote_types", "real_if_close", "result_type", "searchsorted", "shape",
    "size", "vecdot", "vecmat", "r_", "c_", "argpartition", "asarray_chkfinite",
    "ascontiguousarray", "asfortranarray", "nanargmax", "nanargmin", "unwrap",
]
from workbench.functional import (  # autograd-style function transformations
    checkpoint,
    deriv,
    elementwise_grad,
    grad,
    grad_and_aux,
    grad_named,
    hessian,
    hessian_tensor_product,
    hessian_vector_product,
    jacobian,
    make_hvp,
    make_jvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    value_and_grad,
    vector_jacobian_product,
)

__all__ += [
    "checkpoint", "deriv", "elementwise_grad", "grad", "grad_and_aux", "grad_named", "hessian",
    "hessian_tensor_product", "hessian_vector_product", "jacobian", "make_hvp", "make_jvp",
    "make_vjp", "multigrad_dict", "tensor_jacobian_product", "value_and_grad",
    "vector_jacobian_product",
]
from workbench.ops.bitwise import (  # NumPy's bitwise functions (& | ^ ~ on Tensors)
    bitwise_and,
    bitwise_or,
    bitwise_xor,
    gcd,
    invert,
    lcm,
    left_shift,
    right_shift,
)

bitwise_not = bitwise_invert = invert
bitwise_left_shift, bitwise_right_shift = left_shift, right_shift
__all__ += [
    "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_not", "bitwise_or",
    "bitwise_right_shift", "bitwise_xor", "gcd", "invert", "lcm", "left_shift", "right_shift",
]
from workbench.ops.numpy_nanorder import nanmedian, nanpercentile, nanquantile

__all__ += ["nanmedian", "nanpercentile", "nanquantile"]
from workbench.ops.numpy_windows import (  # constant-producing helpers
    bartlett,
    blackman,
    fromfunction,
    hamming,
    hanning,
    indices,
    ix_,
    kaiser,
    tri,
)

__all__ += [
    "bartlett", "blackman", "fromfunction", "hamming", "hanning", "indices", "ix_", "kaiser",
    "tri",
]
# TensorFlow's spellings and types (tf.matmul(transpose_b=), tf.range, tf.print, DType, TensorShape)
from workbench.tf_names import (
    TensorSpec,
    clip_by_value,
    function,
    matmul,
    newaxis,
    print,
    range,
)
from workbench.tf_types import DType, TensorShape, as_dtype

__all__ += ["DType", "TensorShape", "TensorSpec", "as_dtype", "clip_by_value", "newaxis", "print",
            "range"]
from workbench import nest
from workbench.nn import sigmoid
from workbench.ops.elementwise_composite import rsqrt, squared_difference
from workbench.tf_more import (
    add_n,
    boolean_mask,
    clip_by_global_norm,
    cond,
    executing_eagerly,
    is_tensor,
    while_loop,
)

floordiv, truediv, realdiv = floor_divide, divide, divide
__all__ += [
    "add_n", "boolean_mask", "clip_by_global_norm", "cond", "executing_eagerly", "floordiv",
    "is_tensor", "nest", "realdiv", "rsqrt", "sigmoid", "squared_difference", "truediv",
    "while_loop",
]

"""Where each public name of ``workbench`` that loads on first use lives (``wb.X`` imports its module).

``import workbench`` loads only the tape, the Tensor and the core op families; the rest is listed here.
"""

#: Public names defined under the same name in a module that is imported on first use.
FROM_MODULE: dict[str, tuple[str, ...]] = {
    "workbench.check": ("GradientMismatch", "GradientReport", "check_gradients"),
    "workbench.control_flow": ("foldl", "foldr", "map_fn", "scan", "vectorized_map"),
    "workbench.custom": ("custom_gradient",),
    "workbench.functional": (
        "checkpoint", "deriv", "elementwise_grad", "grad", "grad_and_aux", "grad_named", "hessian",
        "hessian_tensor_product", "hessian_vector_product", "jacobian", "make_hvp", "make_jvp",
        "make_vjp", "multigrad_dict", "tensor_jacobian_product", "value_and_grad",
        "vector_jacobian_product"),
    "workbench.ir": ("Eqn", "Graph", "Literal", "Var"),
    "workbench.ops.arrays": (
        "clip_by_norm", "diff", "flip", "fliplr", "flipud", "moveaxis", "pad", "ravel", "repeat",
        "reverse", "roll", "swapaxes", "tile"),
    "workbench.ops.bitwise": (
        "bitwise_and", "bitwise_or", "bitwise_xor", "gcd", "invert", "lcm", "left_shift",
        "right_shift"),
    "workbench.ops.creation": (
        "arange", "eye", "fill", "linspace", "ones", "ones_like", "zeros", "zeros_like"),
    "workbench.ops.cumulative": ("cumprod", "cumsum", "prod"),
    "workbench.ops.einsum": ("einsum",),
    "workbench.ops.elementwise_composite": (
        "deg2rad", "equal", "exp2", "float_power", "fmax", "fmin", "greater", "greater_equal",
        "heaviside", "isfinite", "isinf", "isnan", "less", "less_equal", "logaddexp", "logaddexp2",
        "logical_and", "logical_not", "logical_or", "logical_xor", "nan_to_num", "not_equal",
        "positive", "rad2deg", "rsqrt", "select", "sinc", "squared_difference", "true_divide"),
    "workbench.ops.elementwise_more": (
        "arccosh", "arcsinh", "arctan2", "arctanh", "cbrt", "erf", "hypot", "identity", "log10",
        "log2"),
    "workbench.ops.indexing": (
        "gather", "gather_nd", "meshgrid", "nonzero", "one_hot", "take", "take_along_axis",
        "where"),
    "workbench.ops.joining": (
        "append", "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "column_stack",
        "concatenate", "dstack", "hstack", "split", "vstack"),
    "workbench.ops.matrix_functions": ("diag", "diagonal", "tril", "triu"),
    "workbench.ops.nn": ("sigmoid",),
    "workbench.ops.numpy_misc": (
        "allclose", "argpartition", "array_equal", "array_equiv", "asarray_chkfinite",
        "ascontiguousarray", "asfortranarray", "astype", "broadcast_shapes", "can_cast", "divmod",
        "frexp", "geomspace", "isclose", "iscomplex", "iscomplexobj", "isdtype", "isneginf",
        "isposinf", "isreal", "isrealobj", "isscalar", "issubdtype", "ldexp", "logspace",
        "min_scalar_type", "modf", "nanargmax", "nanargmin", "promote_types", "real_if_close",
        "result_type", "unwrap"),
    "workbench.ops.numpy_more": (
        "angle", "array", "asarray", "broadcast_arrays", "conj", "copy", "copysign", "dsplit",
        "empty", "empty_like", "floor_divide", "full", "full_like", "hsplit", "imag",
        "matrix_transpose", "real", "rollaxis", "rot90", "signbit", "unstack", "vdot", "vsplit"),
    "workbench.ops.numpy_nanorder": ("nanmedian", "nanpercentile", "nanquantile"),
    "workbench.ops.numpy_poly": (
        "apply_along_axis", "argwhere", "bincount", "corrcoef", "cov", "digitize", "flatnonzero",
        "interp", "matvec", "piecewise", "polyadd", "polyder", "polyint", "polymul", "polysub",
        "searchsorted", "vecdot", "vecmat"),
    "workbench.ops.numpy_selection": (
        "block", "c_", "choose", "compress", "delete", "extract", "insert", "r_", "resize"),
    "workbench.ops.numpy_gradient": ("gradient",),
    "workbench.ops.numpy_stats": (
        "convolve", "correlate", "cumulative_prod", "cumulative_sum", "ediff1d", "median",
        "nancumprod", "nancumsum", "nanmax", "nanmin", "nanprod", "nanstd", "nanvar",
        "partition", "percentile", "polyval", "quantile", "trapezoid", "vander"),
    "workbench.ops.numpy_windows": (
        "bartlett", "blackman", "fromfunction", "hamming", "hanning", "indices", "ix_", "kaiser",
        "tri"),
    "workbench.ops.products": ("cross", "dot", "inner", "kron", "outer", "tensordot", "trace"),
    "workbench.ops.sorting": ("argsort", "sort"),
    "workbench.ops.statistics": (
        "all", "any", "average", "count_nonzero", "nanmean", "nansum", "ptp", "reduce_std",
        "reduce_variance", "std", "var"),
    "workbench.symbolic": ("Derivation", "SymbolicBudgetExceeded"),
    # special functions, segments, scatter and TensorFlow's counting helpers
    "workbench.ops.scatter": (
        "scatter_nd", "tensor_scatter_nd_add", "tensor_scatter_nd_max", "tensor_scatter_nd_min",
        "tensor_scatter_nd_sub", "tensor_scatter_nd_update"),
    "workbench.ops.special": ("digamma", "erfc", "erfinv", "ndtri", "polygamma", "zeta"),
    "workbench.ops.tf_math_misc": (
        "histogram_fixed_width", "reverse_sequence", "sequence_mask", "unique",
        "unique_with_counts"),
    "workbench.tf_more": (
        "add_n", "boolean_mask", "clip_by_global_norm", "cond", "executing_eagerly", "is_tensor",
        "while_loop"),
    "workbench.tf_gradients": ("hessians", "recompute_grad"),
    "workbench.tf_names": (
        "TensorSpec", "clip_by_value", "function", "matmul", "newaxis", "print", "range"),
}

#: Public names that are another spelling (NumPy's, TensorFlow's) of a name in a lazy module.
RENAMED: dict[str, tuple[str, str]] = {
    "norm": ("workbench.ops.norms", "tf_norm"),
    "variance": ("workbench.ops.statistics", "var"),
    "reduce_any": ("workbench.ops.statistics", "any"),
    "reduce_all": ("workbench.ops.statistics", "all"),
    "reduce_prod": ("workbench.ops.cumulative", "prod"),
    "degrees": ("workbench.ops.elementwise_composite", "rad2deg"),
    "radians": ("workbench.ops.elementwise_composite", "deg2rad"),
    "atan2": ("workbench.ops.elementwise_more", "arctan2"),
    "acosh": ("workbench.ops.elementwise_more", "arccosh"),
    "asinh": ("workbench.ops.elementwise_more", "arcsinh"),
    "atanh": ("workbench.ops.elementwise_more", "arctanh"),
    "conjugate": ("workbench.ops.numpy_more", "conj"),
    "asanyarray": ("workbench.ops.numpy_more", "asarray"),
    "floordiv": ("workbench.ops.numpy_more", "floor_divide"),
    "row_stack": ("workbench.ops.joining", "vstack"),
    "bitwise_not": ("workbench.ops.bitwise", "invert"),
    "bitwise_invert": ("workbench.ops.bitwise", "invert"),
    "bitwise_left_shift": ("workbench.ops.bitwise", "left_shift"),
    "bitwise_right_shift": ("workbench.ops.bitwise", "right_shift"),
    # SciPy's names of special functions
    "gammaln": ("workbench.ops.special", "lgamma"),
    "gammainc": ("workbench.ops.special", "igamma"),
    "gammaincc": ("workbench.ops.special", "igammac"),
    "i0": ("workbench.ops.special", "bessel_i0"),
    "i0e": ("workbench.ops.special", "bessel_i0e"),
    "i1": ("workbench.ops.special", "bessel_i1"),
    "i1e": ("workbench.ops.special", "bessel_i1e"),
}

#: Subpackages that are public names (``wb.keras``, ``wb.nn``...), imported when first touched.
SUBMODULES = ("data", "keras", "linalg", "math", "nest", "nn", "optim", "random", "symbolic")

#: Subpackages reachable as attributes (``wb.plot``, ``wb.compile.TraceError``) but not in
#: ``__all__``: ``from workbench import *`` leaves them out.
OTHER_SUBMODULES = ("check", "cli", "compile", "plot", "testing")


def _locations() -> dict[str, tuple[str, str | None]]:
    """``name -> (module, attribute)``; the attribute is None where the name is the module."""
    where: dict[str, tuple[str, str | None]] = {}
    for module, names in FROM_MODULE.items():
        where.update((name, (module, name)) for name in names)
    where.update(RENAMED)
    where.update((name, (f"workbench.{name}", None)) for name in SUBMODULES + OTHER_SUBMODULES)
    return where


#: Every name ``workbench.__getattr__`` resolves.
LAZY = _locations()
#: The lazy names that are part of ``workbench.__all__``.
PUBLIC = [name for name in LAZY if name not in OTHER_SUBMODULES]

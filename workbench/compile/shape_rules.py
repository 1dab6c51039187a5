"""The shape and dtype of a primitive's result from its inputs' shapes and dtypes, for tracing.

Each rule is exact or refuses (``NoRule``): NumPy itself does the shape logic where that costs
nothing (views of zero-byte arrays, forwards on one-element samples), explicit rules do it where
running NumPy would compute on the data (reductions, products), and forwards on small
value-independent stand-ins cover the rest of the built-in primitives up to ``SMALL`` elements.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from workbench.primitive import REGISTRY, Primitive

#: Stand-ins of at most this many elements (all inputs together) may run a forward for real.
SMALL = 1 << 18
VOID = np.dtype([])  # zero bytes per element: arrays of any shape cost nothing
_NUMBERS = (bool, int, float, complex)
Rule = Callable[[Primitive, list, dict], tuple[tuple, Any]]


class NoRule(Exception):
    """No exact rule gives this result's shape without the data."""


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a stand-in, an array or a Python number."""
    return tuple(np.shape(value))


def dtype_of(value: Any) -> np.dtype:
    """The dtype of a stand-in or array; NumPy's dtype for a Python number."""
    dtype = getattr(value, "dtype", None)
    return np.dtype(dtype) if dtype is not None else np.asarray(value).dtype


def evaluate(prim: Primitive, values: list, params: dict) -> tuple[tuple[int, ...], np.dtype]:
    """``(shape, dtype)`` of ``prim(*values, **params)``; stand-ins have ``shape`` and ``dtype``.

    >>> from workbench.ops import linalg
    >>> evaluate(linalg.matmul, [np.empty((10**7, 10)), np.empty(10)], {})
    ((10000000,), dtype('float64'))
    """
    rule = _rule(prim)
    if rule is None:
        raise NoRule(f"primitive {prim.name!r} has no shape rule")
    if any(np.size(v) == 0 for v in values if type(v) not in _NUMBERS):
        raise NoRule(f"{prim.name} of an empty array")  # NumPy's errors there depend on shapes
    shape, dtype = rule(prim, values, params)
    return tuple(int(d) for d in shape), np.dtype(dtype)


def _rule(prim: Primitive) -> Rule | None:
    if REGISTRY.get(prim.name) is not prim:
        return None  # an unregistered or user primitive: its forward may depend on values
    rule = RULES.get(prim.name)
    if rule is None and prim.kind == "elementwise" and _builtin(prim):
        return _elementwise
    return rule


def _builtin(prim: Primitive) -> bool:
    module = getattr(prim.forward, "__module__", None) or ""
    return module == "numpy" or module.startswith(("numpy.", "workbench."))


def _sample(value: Any, shape: tuple = ()) -> Any:
    """A stand-in with ``value``'s dtype and ``shape`` (ones); Python numbers stay as they are
    (NumPy types them by kind, not by dtype)."""
    if type(value) in _NUMBERS:
        return value
    return np.ones(shape, dtype_of(value))


def _probe(prim: Primitive, samples: list, params: dict) -> Any:
    """The forward on small samples (their values do not matter to what is kept)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prim.forward(*samples, **params)


def _probe_dtype(prim: Primitive, values: list, params: dict, rank: bool = False) -> np.dtype:
    """The result dtype from the forward on one-element samples (of the same rank if ``rank``)."""
    samples = [_sample(v, (1,) * np.ndim(v) if rank else ()) for v in values]
    return dtype_of(_probe(prim, samples, params))


def _elementwise(prim: Primitive, values: list, params: dict) -> tuple:
    shape = np.broadcast_shapes(*[shape_of(v) for v in values])
    return shape, _probe_dtype(prim, values, params)


def _void(value: Any) -> np.ndarray:
    return np.empty(shape_of(value), VOID)


def _structural(prim: Primitive, values: list, params: dict) -> tuple:
    """Views and selections: NumPy runs the forward on zero-byte arrays of the same shapes
    (the result keeps the input's dtype)."""
    out = _probe(prim, [_void(v) for v in values], params)
    return np.shape(out), dtype_of(values[0])


def _scatter_add(prim: Primitive, values: list, params: dict) -> tuple:
    """``zeros(shape)`` with ``g`` added at ``index``: ``g`` must broadcast to the selection."""
    picked = np.empty(params["shape"], VOID)[params["index"]].shape
    if np.broadcast_shapes(picked, shape_of(values[0])) != picked:
        raise ValueError(f"scatter_add: {shape_of(values[0])} does not fit the selection {picked}")
    return params["shape"], dtype_of(values[0])


def _reduction(prim: Primitive, values: list, params: dict) -> tuple:
    shape = shape_of(values[0])
    axis = params.get("axis")
    axes = tuple(range(len(shape))) if axis is None else normalize_axis_tuple(axis, len(shape))
    if params.get("keepdims"):
        out = tuple(1 if i in axes else d for i, d in enumerate(shape))
    else:
        out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return out, _probe_dtype(prim, values, params, rank=True)


def _cumsum(prim: Primitive, values: list, params: dict) -> tuple:
    shape = shape_of(values[0])
    axis = params.get("axis")
    out = (int(np.prod(shape)),) if axis is None else shape
    if axis is not None:
        normalize_axis_index(axis, len(shape))
    return out, _probe_dtype(prim, values, params, rank=True)


def _same_shape(prim: Primitive, values: list, params: dict) -> tuple:
    axis = params.get("axis")
    if axis is not None:
        normalize_axis_index(axis, np.ndim(values[0]))
    return shape_of(values[0]), _probe_dtype(prim, values, params, rank=True)


def _matmul(prim: Primitive, values: list, params: dict) -> tuple:
    a, b = (shape_of(v) for v in values)
    if not a or not b:
        raise ValueError("matmul: a rank-0 operand")
    a2, b2 = (a if len(a) > 1 else (1,) + a), (b if len(b) > 1 else b + (1,))
    if a2[-1] != b2[-2]:
        raise ValueError(f"matmul: shapes {a} and {b} do not align")
    out = np.broadcast_shapes(a2[:-2], b2[:-2]) + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out, _probe_dtype(prim, values, params, rank=True)


def _einsum(prim: Primitive, values: list, params: dict) -> tuple:
    subscripts = params["subscripts"].replace(" ", "")
    if "." in subscripts:
        return _small(prim, values, params)
    ins, _, out = subscripts.partition("->")
    terms = ins.split(",")
    if len(terms) != len(values):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands, got {len(values)}")
    sizes: dict[str, int] = {}
    for term, v in zip(terms, values, strict=True):
        shape = shape_of(v)
        if len(term) != len(shape):
            raise ValueError(f"einsum: {term!r} does not match an operand of shape {shape}")
        for label, d in zip(term, shape, strict=True):
            known = sizes.setdefault(label, d)
            if known != d:  # NumPy broadcasts size-1 labels: leave those to it
                raise NoRule(f"einsum: label {label!r} of sizes {known} and {d}")
    if "->" not in subscripts:
        out = "".join(sorted(c for c in sizes if ins.count(c) == 1))
    samples = [_sample(v, (1,) * np.ndim(v)) for v in values]
    return tuple(sizes[c] for c in out), dtype_of(_probe(prim, samples, params))


def _concat(prim: Primitive, values: list, params: dict) -> tuple:
    out = _probe(prim, [_void(v) for v in values], params)
    return np.shape(out), _probe_dtype(prim, values, params, rank=True)


def _small(prim: Primitive, values: list, params: dict) -> tuple:
    """Value-independent forwards (decompositions) on small stand-ins: a broadcast identity per
    matrix, so factorisations exist and nothing is singular."""
    out = _probe(prim, _stand_ins(prim, values), params)
    return np.shape(out), dtype_of(out)


def _per_sample(prim: Primitive, values: list, params: dict) -> tuple:
    """NHWC convolutions and pools treat each sample alike: the forward on stand-ins of the
    first sample (batch 1), then the batch put back (not for a filter gradient, which sums
    over it)."""
    batched, shape_param, keeps_batch = _PER_SAMPLE[prim.name]
    n = {shape_of(values[i])[0] for i in batched}
    if len(n) != 1:
        raise NoRule(f"{prim.name}: inputs of different batch sizes")
    one = [(v[:1] if isinstance(v, np.ndarray) else _Like((1, *shape_of(v)[1:]), v))
           if i in batched else v for i, v in enumerate(values)]
    if shape_param is not None:
        params = {**params, shape_param: (1, *params[shape_param][1:])}
    out = _probe(prim, _stand_ins(prim, one), params)
    shape = (n.pop(), *np.shape(out)[1:]) if keeps_batch else np.shape(out)
    return shape, dtype_of(out)


class _Like:
    """The shape and dtype of one sample of a stand-in."""

    def __init__(self, shape: tuple, like: Any):
        self.shape, self.dtype = shape, dtype_of(like)


def _stand_ins(prim: Primitive, values: list) -> list:
    if sum(int(np.prod(shape_of(v))) for v in values if type(v) not in _NUMBERS) > SMALL:
        raise NoRule(f"{prim.name} of large arrays has no explicit shape rule")
    return [_identity(v) for v in values]


def _identity(value: Any) -> Any:
    if type(value) in _NUMBERS or isinstance(value, np.ndarray):
        return value
    shape, dtype = shape_of(value), dtype_of(value)
    if len(shape) < 2:
        return np.ones(shape, dtype)
    return np.broadcast_to(np.eye(shape[-2], shape[-1], dtype=dtype), shape)


#: Per NHWC primitive: the inputs with a batch axis, the parameter naming a batched input
#: shape, and whether the result keeps the batch axis.
_PER_SAMPLE = {
    "conv2d": ((0,), None, True), "conv2d_backprop_input": ((0,), "input_shape", True),
    "conv2d_backprop_filter": ((0, 1), None, False), "avg_pool2d": ((0,), None, True),
    "avg_pool2d_grad": ((0,), "input_shape", True), "max_pool2d": ((0,), None, True),
    "max_pool2d_grad": ((0, 1), None, True), "max_pool2d_gather": ((0, 1), None, True),
}


RULES: dict[str, Rule] = {
    "sum": _reduction, "max": _reduction, "prod": _reduction,
    "argmax": _reduction, "argmin": _reduction,
    "cumsum": _cumsum,
    "reshape": _structural, "transpose": _structural, "broadcast_to": _structural,
    "getitem": _structural, "concat": _concat, "scatter_add": _scatter_add,
    "argsort": _same_shape,
    "matmul": _matmul, "einsum": _einsum,
    **dict.fromkeys(("inv", "det", "solve", "cholesky", "eigh", "eigvalsh", "svd", "svdvals",
                     "slogdet", "qr", "pinv", "sort_by", "unsort_by"), _small),
    **dict.fromkeys(_PER_SAMPLE, _per_sample),
}
RULES["expm"] = _small  # the matrix exponential (workbench/ops/expm.py)

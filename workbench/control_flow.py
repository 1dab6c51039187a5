"""TensorFlow's functional control flow (``map_fn``, ``vectorized_map``, ``scan``, ``foldl``,
``foldr``) unrolled over the leading axis with recorded ``unstack``/``stack``, so tapes see
every step and ``wb.function`` traces the unrolled loop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from workbench import nest
from workbench.convert import constant
from workbench.dtypes import default_dtype
from workbench.ops import shape as sh
from workbench.ops.numpy_more import unstack
from workbench.tensor import Tensor


def _leaves(elems: Any, op: str) -> tuple[list[Tensor], int]:
    """The tensors of the nested ``elems`` and their common leading size."""
    flat = [constant(e) for e in nest.flatten(elems)]
    if not flat:
        raise ValueError(f"{op}: elems must hold at least one tensor")
    for t in flat:
        if t.ndim == 0:
            raise ValueError(f"{op}: every tensor of elems needs a leading axis to iterate "
                             f"over, got a scalar; pass wb.reshape(x, (1,)) or a 1-D tensor")
    sizes = sorted({t.shape[0] for t in flat})
    if len(sizes) > 1:
        shapes = [t.shape for t in flat]
        raise ValueError(f"{op}: all tensors of elems must have the same leading size, got "
                         f"shapes {shapes}")
    return flat, sizes[0]


def _slices(elems: Any, op: str) -> tuple[list[Any], int]:
    """``elems[i]`` for each ``i`` (a structure like ``elems``), and their number."""
    flat, n = _leaves(elems, op)
    columns = [unstack(t) for t in flat]
    return [nest.pack_sequence_as(elems, [c[i] for c in columns]) for i in range(n)], n


def _stack(results: list[Any]) -> Any:
    """The structures in ``results`` (one per step) stacked leaf by leaf along a new axis 0."""
    first = results[0]
    for other in results[1:]:
        nest.assert_same_structure(first, other)
    columns = zip(*(nest.flatten(r) for r in results), strict=True)
    return nest.pack_sequence_as(first, [sh.stack([constant(v) for v in c]) for c in columns])


def _empty(like: Any) -> Any:
    """Zero-length stacks shaped like the structure ``like`` (specs, dtypes or tensors)."""
    def one(leaf: Any) -> Tensor:
        if isinstance(leaf, Tensor | np.ndarray):
            shape, dtype = np.shape(leaf), leaf.dtype
        elif hasattr(leaf, "shape") and hasattr(leaf, "dtype"):  # TensorSpec
            shape, dtype = tuple(leaf.shape or ()), leaf.dtype
        else:  # a dtype: scalar results
            shape, dtype = (), leaf
        if any(d is None for d in shape):
            raise ValueError(f"map_fn: fn_output_signature shape {shape} must be fully known "
                             "when elems are empty")
        return Tensor(np.zeros((0,) + tuple(shape), dtype=np.dtype(dtype or default_dtype())))

    return nest.map_structure(one, like)


def map_fn(fn: Callable[[Any], Any], elems: Any, dtype: Any = None,
           parallel_iterations: int | None = None, back_prop: bool = True,
           swap_memory: bool = False, infer_shape: bool = True, name: str | None = None,
           fn_output_signature: Any = None) -> Any:
    """``fn`` applied to each slice ``elems[i]`` along axis 0, the results stacked
    (``tf.map_fn``). ``elems`` may be a nested structure (a tuple, list or dict of tensors of
    one leading size); ``fn`` gets the matching structure of slices and may return any
    structure (the same each call). Empty ``elems`` need ``fn_output_signature`` (a dtype, a
    ``wb.TensorSpec`` or a structure of them). Differentiable: every step is recorded.

    >>> import workbench as wb
    >>> wb.map_fn(lambda row: wb.sum(row ** 2), wb.constant([[1.0, 2.0], [3.0, 4.0]])).numpy()
    array([ 5., 25.])
    >>> a, b = wb.map_fn(lambda t: (t[0] + t[1], t[0] * t[1]),
    ...                  (wb.constant([1.0, 2.0]), wb.constant([3.0, 4.0])))
    >>> a.numpy(), b.numpy()
    (array([4., 6.]), array([3., 8.]))
    """
    slices, n = _slices(elems, "map_fn")
    signature = fn_output_signature if fn_output_signature is not None else dtype
    if n == 0:
        if signature is None:
            raise ValueError("map_fn: elems are empty, so fn never runs and the result's shape "
                             "is unknown: pass fn_output_signature (a dtype for scalar "
                             "results, or wb.TensorSpec(shape, dtype))")
        return _empty(signature)
    return _stack([fn(s) for s in slices])


def vectorized_map(fn: Callable[[Any], Any], elems: Any,
                   fallback_to_while_loop: bool = True, warn: bool = True) -> Any:
    """``fn`` mapped over axis 0 of ``elems`` (``tf.vectorized_map``): the same results as
    ``map_fn``, computed step by step (nothing here rewrites ``fn`` into batched ops).

    >>> import workbench as wb
    >>> wb.vectorized_map(lambda v: wb.linalg.matvec(wb.eye(2) * 2.0, v),
    ...                   wb.constant([[1.0, 0.0], [0.0, 3.0]])).numpy()
    array([[2., 0.],
           [0., 6.]])
    """
    return map_fn(fn, elems)


def _accumulate(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any, reverse: bool,
                op: str) -> tuple[Any, list[Any], list[int], Any]:
    """Run ``a = fn(a, x)`` over the slices; returns ``(a, per-step outputs, their slice
    indices, initializer)``. Without an initializer the first slice visited is the start (and
    its own output)."""
    slices, n = _slices(elems, op)
    order = list(range(n))[::-1] if reverse else list(range(n))
    if initializer is None:
        if n == 0:
            raise ValueError(f"{op}: elems are empty and there is no initializer; pass "
                             "initializer= (the result for empty elems)")
        acc, outputs, visited = slices[order[0]], [slices[order[0]]], [order[0]]
        order = order[1:]
    else:
        acc, outputs, visited = initializer, [], []
    for i in order:
        acc = fn(acc, slices[i])
        outputs.append(acc)
        visited.append(i)
    return acc, outputs, visited, initializer


def scan(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
         parallel_iterations: int | None = None, back_prop: bool = True,
         swap_memory: bool = False, infer_shape: bool = True, reverse: bool = False,
         name: str | None = None) -> Any:
    """Every accumulator of ``a = fn(a, elems[i])``, stacked (``tf.scan``). ``a`` starts at
    ``initializer`` (any structure), else at ``elems[0]`` (which is then the first output);
    ``reverse=True`` runs from the last slice to the first, each output at its slice's
    position. Differentiable in ``elems`` and ``initializer``.

    >>> import workbench as wb
    >>> wb.scan(lambda a, x: a + x, wb.constant([1.0, 2.0, 3.0])).numpy()
    array([1., 3., 6.])
    >>> wb.scan(lambda a, x: a * x, wb.constant([1.0, 2.0, 3.0]), reverse=True).numpy()
    array([6., 6., 3.])
    """
    _, outputs, visited, init = _accumulate(fn, elems, initializer, reverse, "scan")
    if not outputs:  # empty elems: zero-length stacks shaped like the initializer
        return _empty(nest.map_structure(constant, init))
    by_position = [outputs[visited.index(i)] for i in sorted(visited)]
    return _stack(by_position)


def foldl(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
          parallel_iterations: int | None = None, back_prop: bool = True,
          swap_memory: bool = False, name: str | None = None) -> Any:
    """The last accumulator of ``a = fn(a, elems[i])`` from the first slice to the last
    (``tf.foldl``); ``a`` starts at ``initializer`` or ``elems[0]``.

    >>> import workbench as wb
    >>> float(wb.foldl(lambda a, x: a - x, wb.constant([1.0, 2.0, 3.0])))
    -4.0
    """
    return _accumulate(fn, elems, initializer, False, "foldl")[0]


def foldr(fn: Callable[[Any, Any], Any], elems: Any, initializer: Any = None,
          parallel_iterations: int | None = None, back_prop: bool = True,
          swap_memory: bool = False, name: str | None = None) -> Any:
    """``foldl`` from the last slice to the first (``tf.foldr``); ``a`` starts at
    ``initializer`` or the last slice.

    >>> import workbench as wb
    >>> float(wb.foldr(lambda a, x: a - x, wb.constant([1.0, 2.0, 3.0])))
    0.0
    """
    return _accumulate(fn, elems, initializer, True, "foldr")[0]

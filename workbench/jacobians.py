"""Jacobians from recorded equations: batched one-hot cotangents (rows), or for tall Jacobians
(many outputs, few source elements) columns from the reverse pass of the reverse pass.

Every VJP rule accepts cotangents with leading batch axes, so an n-row Jacobian costs one pass
over n-wide cotangents (in chunks that bound memory) instead of n passes. A purely elementwise
path has a diagonal Jacobian, which one ordinary pass gives. A tall Jacobian is built column by
column: the reverse pass is linear in its cotangent ``g``, so differentiating it w.r.t. ``g``
along one-hot source directions gives ``J @ e_j`` -- memory proportional to the Jacobian.
Graphs with a rule that cannot batch fall back to a loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from workbench import autodiff, tape_state
from workbench.ops import shape as sh
from workbench.tensor import Tensor, constant

#: Cotangent elements per chunk of the vectorized pass (bounds its memory).
CHUNK_ELEMENTS = 2**25
#: Jacobians with more rows than this (and than source elements) are built by columns.
TALL_ROWS = 256

Block = Callable[[int, int], np.ndarray]


def jacobian_rows(records: list, y: Tensor, groups: list[list[int]],
                  shapes: list[tuple[int, ...]], recorder: Any = None) -> list[Tensor | None]:
    """For each source group, the Jacobian of ``y`` as ``(y.size,) + source.shape`` (or None).

    ``shapes`` are the sources' shapes; ``recorder`` (a tape class) enables the column method
    for tall Jacobians.
    """
    n = math.prod(y.shape)
    if n == 0:
        return [constant(np.zeros((0,) + tuple(s), dtype=y.dtype)) for s in shapes]
    if _is_elementwise_path(records, y, groups):
        ones = constant(np.ones(y.shape, dtype=y.dtype))
        return [_diagonal(g, n) for g in autodiff.reverse_pass(records, [(y, ones)], groups)]
    m = sum(math.prod(s) for s, g in zip(shapes, groups, strict=True) if g)
    if recorder is not None and n > max(m, TALL_ROWS) and _recordable(records, groups):
        cols = _columns(records, y, groups, shapes, recorder)
        if cols is not None:
            return cols
    return _batched_pass(records, y, n, _one_hot(n, y.shape, y.dtype), groups)


def batch_jacobian_rows(records: list, y: Tensor, group: list[int]) -> Tensor | None:
    """Per-example Jacobian rows ``(batch, y.size/batch) + source.shape[1:]`` (or None).

    Example ``b`` of ``y`` must depend only on example ``b`` of the source: then one cotangent
    per inner output element, repeated over the batch, gives every example's row at once.
    """
    inner = y.shape[1:]
    m = math.prod(inner)
    one_hot = _one_hot(m, (1,) + inner, y.dtype)

    def block(start: int, stop: int) -> np.ndarray:
        return np.broadcast_to(one_hot(start, stop), (stop - start,) + y.shape)

    (g,) = _batched_pass(records, y, m, block, [group])
    if g is None:
        return None
    return sh.transpose_p(g, axes=(1, 0) + tuple(range(2, g.ndim)))


def _one_hot(n: int, shape: tuple[int, ...], dtype: Any) -> Block:
    """Rows ``start:stop`` of the n x n identity, each reshaped to ``shape`` (built on demand)."""
    def block(start: int, stop: int) -> np.ndarray:
        out = np.zeros((stop - start, n), dtype=dtype)
        out[np.arange(stop - start), np.arange(start, stop)] = 1
        return out.reshape((stop - start,) + tuple(shape))

    return block


def _is_elementwise_path(records: list, y: Tensor, groups: list[list[int]]) -> bool:
    """True if every op from the one source to ``y`` is elementwise on one common shape.

    Then output element i depends on input element i only: the Jacobian is diagonal.
    """
    if len(groups) != 1 or not groups[0]:
        return False
    reach, live = autodiff.forward_reach(records, set(groups[0]))
    shape = y.shape
    return id(y) in reach and all(
        prim.kind == "elementwise" and out.shape == shape
        and all(id(a) not in reach or a.shape == shape for a in inputs)
        for prim, inputs, out, _ in live
    )


def _diagonal(g: Tensor | None, n: int) -> Tensor | None:
    """The n x n matrix with ``g`` (flattened) on its diagonal, built by a differentiable op."""
    if g is None:
        return None
    diag = np.arange(n)
    return sh.scatter_add_p(sh.reshape(g, (n,)), index=(diag, diag), shape=(n, n))


def _recordable(records: list, groups: list[list[int]]) -> bool:
    """True if every VJP on the path is written in workbench ops (not a user's grad_fn)."""
    _, live = autodiff.forward_reach(records, {i for g in groups for i in g})
    return all(prim.kind != "custom" and prim.batchable for prim, _, _, _ in live)


def _columns(records: list, y: Tensor, groups: list[list[int]], shapes: list[tuple[int, ...]],
             recorder: Any) -> list[Tensor | None] | None:
    """Tall Jacobians by columns; None if the check against one ordinary pass fails."""
    n = math.prod(y.shape)
    g = constant(np.ones(y.shape, dtype=y.dtype))
    back = recorder(persistent=True)
    with back:
        back.watch(g)
        vjps = autodiff.reverse_pass(records, [(y, g)], groups)
    out: list[Tensor | None] = []
    for v, shape in zip(vjps, shapes, strict=True):
        m = math.prod(shape)
        if v is None or m == 0:
            out.append(None if v is None else constant(np.zeros((n,) + tuple(shape), y.dtype)))
            continue
        (cols,) = _batched_pass(back._records, v, m, _one_hot(m, v.shape, v.dtype), [[id(g)]])
        if cols is None:  # the gradient does not depend on the cotangent: J is zero
            cols = constant(np.zeros((m,) + y.shape, dtype=y.dtype))
        rows = sh.transpose_p(sh.reshape(cols, (m, n)), axes=(1, 0))
        out.append(sh.reshape(rows, (n,) + tuple(shape)))
    return out if _agrees(records, y, groups, out) else None


def _agrees(records: list, y: Tensor, groups: list[list[int]], jac: list) -> bool:
    """``w @ J`` from the columns equals one reverse pass with cotangent ``w`` (random)."""
    w = np.random.default_rng(0).standard_normal(y.shape).astype(y.dtype)
    with tape_state.paused():
        ref = autodiff.reverse_pass(records, [(y, constant(w))], groups)
    rtol = 10 * float(np.finfo(np.promote_types(y.dtype, np.float16)).eps) ** 0.5
    for r, j in zip(ref, jac, strict=True):
        if (r is None) != (j is None):
            return False
        if r is not None:
            rows = np.asarray(j._value, dtype=np.float64)
            got = np.tensordot(w.ravel(), rows, axes=(0, 0))
            scale = np.tensordot(np.abs(w).ravel(), np.abs(rows), axes=(0, 0))
            if not np.all(np.abs(got - np.asarray(r._value)) <= rtol * scale + 1e-300):
                return False
    return True


def _batched_pass(records: list, y: Tensor, rows: int, block: Block,
                  groups: list[list[int]]) -> list[Tensor | None]:
    """Reverse passes for ``rows`` cotangent rows made by ``block(start, stop)``: vectorized
    in chunks that bound memory, or looped where a rule cannot batch."""
    widest = max([math.prod(r[2].shape) for r in records] + [math.prod(y.shape), 1])
    chunk = max(1, min(rows, CHUNK_ELEMENTS // widest))
    parts: list[list] = []
    try:
        for start in range(0, rows, chunk):
            seed = constant(block(start, min(start + chunk, rows)))
            parts.append(autodiff.reverse_pass(records, [(y, seed)], groups, batch_ndim=1))
    except autodiff.BatchingUnsupported:
        parts = [[None if g is None else sh.reshape(g, (1,) + g.shape)
                  for g in autodiff.reverse_pass(records, [(y, constant(block(i, i + 1)[0]))],
                                                 groups)]
                 for i in range(rows)]
    return [_concat_rows([p[i] for p in parts]) for i in range(len(groups))]


def _concat_rows(parts: list) -> Tensor | None:
    if not parts or parts[0] is None:
        return None
    return parts[0] if len(parts) == 1 else sh.concat(parts, axis=0)

"""Jacobians from recorded equations: one reverse pass over a batch of one-hot cotangents.

Every VJP rule accepts cotangents with leading batch axes, so an n-row Jacobian costs one pass
over n-wide cotangents instead of n passes. A purely elementwise path has a diagonal Jacobian,
which one ordinary pass gives. Graphs with a rule that cannot batch fall back to a loop.
"""

from __future__ import annotations

import math

import numpy as np

from workbench import autodiff
from workbench.ops import shape as sh
from workbench.tensor import Tensor, constant

#: Cotangent elements per chunk of the vectorized pass (bounds its memory).
CHUNK_ELEMENTS = 2**25


def jacobian_rows(records: list, y: Tensor, groups: list[list[int]]) -> list[Tensor | None]:
    """For each source group, the Jacobian of ``y`` as ``(y.size,) + source.shape`` (or None)."""
    n = math.prod(y.shape)
    if _is_elementwise_path(records, y, groups):
        ones = constant(np.ones(y.shape, dtype=y.dtype))
        return [_diagonal(g, n) for g in autodiff.reverse_pass(records, [(y, ones)], groups)]
    basis = np.eye(n, dtype=y.dtype).reshape((n,) + y.shape)
    return _batched_pass(records, y, basis, groups)


def batch_jacobian_rows(records: list, y: Tensor, group: list[int]) -> Tensor | None:
    """Per-example Jacobian rows ``(batch, y.size/batch) + source.shape[1:]`` (or None).

    Example ``b`` of ``y`` must depend only on example ``b`` of the source: then one cotangent
    per inner output element, repeated over the batch, gives every example's row at once.
    """
    inner = y.shape[1:]
    m = math.prod(inner)
    eye = np.eye(m, dtype=y.dtype).reshape((m, 1) + inner)
    (g,) = _batched_pass(records, y, np.broadcast_to(eye, (m,) + y.shape), [group])
    if g is None:
        return None
    return sh.transpose_p(g, axes=(1, 0) + tuple(range(2, g.ndim)))


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


def _batched_pass(records: list, y: Tensor, basis: np.ndarray,
                  groups: list[list[int]]) -> list[Tensor | None]:
    """Reverse passes for the cotangent rows of ``basis``: vectorized, chunked, or looped."""
    rows = basis.shape[0]
    widest = max([math.prod(r[2].shape) for r in records] + [1])
    chunk = max(1, min(rows, CHUNK_ELEMENTS // widest))
    parts: list[list] = []
    try:
        for start in range(0, rows, chunk):
            seed = constant(basis[start:start + chunk])
            parts.append(autodiff.reverse_pass(records, [(y, seed)], groups, batch_ndim=1))
    except autodiff.BatchingUnsupported:
        parts = [[None if g is None else sh.reshape(g, (1,) + g.shape)
                  for g in autodiff.reverse_pass(records, [(y, constant(row))], groups)]
                 for row in basis]
    return [_concat_rows([p[i] for p in parts]) for i in range(len(groups))]


def _concat_rows(parts: list) -> Tensor | None:
    if parts[0] is None:
        return None
    return parts[0] if len(parts) == 1 else sh.concat(parts, axis=0)


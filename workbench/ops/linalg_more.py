"""More of ``tf.linalg`` as functions of existing ops: ``expm``, triangular and Cholesky solves,
``lu``/``lu_solve`` (partial pivoting, differentiable elimination), ``normalize``, ``tensor_diag``."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from workbench import random as wb_random
from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import expm as _expm
from workbench.ops import indexing
from workbench.ops import shape as sh
from workbench.ops.linalg import column, solve, swap_last
from workbench.ops.matrix_functions import _square, diag_matrix, diagonal, tril, triu
from workbench.ops.norms import tf_norm
from workbench.tensor import Tensor


class LUResult(NamedTuple):
    lu: Tensor
    p: Tensor


def expm(input: Any, name: str | None = None) -> Tensor:
    """The matrix exponential of each square matrix of the last two axes
    (``tf.linalg.expm``, ``scipy.linalg.expm``); differentiable to any order.

    >>> import workbench as wb
    >>> wb.linalg.expm(wb.constant([[0.0, 1.0], [0.0, 0.0]])).numpy()
    array([[1., 1.],
           [0., 1.]])
    """
    return _expm.expm(_square(input, "expm"))


def _solve_shapes(matrix: Tensor, rhs: Tensor, fn: str) -> None:
    if rhs.ndim < 2 or rhs.shape[-2] != matrix.shape[-1]:
        raise ValueError(f"wb.linalg.{fn}: rhs must be (..., {matrix.shape[-1]}, K) for "
                         f"matrix of shape {matrix.shape}, got {rhs.shape}")


def triangular_solve(matrix: Any, rhs: Any, lower: bool = True, adjoint: bool = False,
                     name: str | None = None) -> Tensor:
    """``x`` with ``a @ x = rhs`` for the lower (``lower=True``) or upper triangle ``a`` of
    ``matrix`` (``tf.linalg.triangular_solve``; ``adjoint=True`` solves with ``a.T``). The other
    triangle is never read, so its gradient is zero.

    >>> import workbench as wb
    >>> wb.linalg.triangular_solve(wb.constant([[2.0, 9.0], [1.0, 1.0]]),
    ...                            wb.constant([[2.0], [3.0]])).numpy()
    array([[1.],
           [2.]])
    """
    matrix, rhs = _square(matrix, "triangular_solve"), constant(rhs)
    _solve_shapes(matrix, rhs, "triangular_solve")
    a = tril(matrix) if lower else triu(matrix)
    return solve(swap_last(a) if adjoint else a, rhs)


def cholesky_solve(chol: Any, rhs: Any, name: str | None = None) -> Tensor:
    """``x`` with ``A @ x = rhs`` given ``A``'s lower Cholesky factor ``chol``
    (``tf.linalg.cholesky_solve``): two triangular solves.

    >>> import workbench as wb
    >>> a = wb.constant([[4.0, 2.0], [2.0, 2.0]])
    >>> wb.linalg.cholesky_solve(wb.linalg.cholesky(a), wb.constant([[6.0], [4.0]])).numpy()
    array([[1.],
           [1.]])
    """
    y = triangular_solve(chol, rhs, lower=True)
    return triangular_solve(chol, y, lower=True, adjoint=True)


def _pivots(a: np.ndarray) -> np.ndarray:
    """LAPACK's partial pivoting order of the rows of each matrix (``getrf``'s choice)."""
    perm = np.empty(a.shape[:-1], dtype=np.int32)
    for idx in np.ndindex(*a.shape[:-2]):
        m = np.array(a[idx], dtype=np.float64)
        order = np.arange(m.shape[-1])
        for k in range(m.shape[-1]):
            p = k + int(np.argmax(np.abs(m[k:, k])))
            m[[k, p]], order[[k, p]] = m[[p, k]], order[[p, k]]
            if m[k, k] != 0.0:
                m[k + 1:] -= np.outer(m[k + 1:, k] / m[k, k], m[k])
        perm[idx] = order
    return perm


def lu(input: Any, output_idx_type: Any = np.int32, name: str | None = None) -> LUResult:
    """``(lu, p)`` with ``input[..., p, :] = L @ U`` (``tf.linalg.lu``): ``lu`` packs the unit
    lower ``L`` below the diagonal and ``U`` on and above it; ``p`` is the row permutation that
    partial pivoting chose. Differentiable in ``input`` (the pivots are locally constant).
    The pivots depend on the values, so ``lu`` runs eagerly only (not inside ``wb.function``).

    >>> import workbench as wb
    >>> lu, p = wb.linalg.lu(wb.constant([[1.0, 2.0], [4.0, 2.0]]))
    >>> lu.numpy(), p.numpy()
    (array([[4.  , 2.  ],
           [0.25, 1.5 ]]), array([1, 0], dtype=int32))
    """
    a = _square(input, "lu")
    if wb_random.compiling():
        raise NotImplementedError("wb.linalg.lu chooses its pivots from the values, which a "
                                  "wb.function trace does not have: call it outside the "
                                  "compiled function")
    n = a.shape[-1]
    perm = _pivots(a._value)
    m = indexing.take_along_axis(a, np.broadcast_to(perm[..., None], a.shape), axis=-2)
    below = np.arange(n)[:, None] > np.arange(n)[None, :]
    factors = []
    for k in range(n):
        pivot = sh.getitem(m, (Ellipsis, k, k))
        pivot = ew.where(pivot == 0.0, 1.0, pivot)  # a zero column below: nothing to eliminate
        col = ew.where(below[:, k],
                       ew.div(sh.getitem(m, (Ellipsis, slice(None), k)), column(pivot)), 0.0)
        m = ew.sub(m, ew.mul(column(col), sh.getitem(m, (Ellipsis, slice(k, k + 1), slice(None)))))
        factors.append(col)
    packed = ew.where(below, sh.stack(factors, axis=-1), m) if n else m
    return LUResult(packed, Tensor(perm.astype(output_idx_type)))


def lu_reconstruct(lower_upper: Any, perm: Any, name: str | None = None) -> Tensor:
    """The matrix ``lu`` factored (``tf.linalg.lu_reconstruct``): ``P^-1 L U``.

    >>> import workbench as wb
    >>> wb.linalg.lu_reconstruct(*wb.linalg.lu(wb.constant([[1.0, 2.0], [4.0, 2.0]]))).numpy()
    array([[1., 2.],
           [4., 2.]])
    """
    packed = _square(lower_upper, "lu_reconstruct")
    n = packed.shape[-1]
    lower = ew.add(tril(packed, -1), np.eye(n, dtype=packed.dtype))
    product = lower @ triu(packed)
    p = np.asarray(perm._value if isinstance(perm, Tensor) else perm)
    inverse = np.argsort(p, axis=-1)
    return indexing.take_along_axis(product, np.broadcast_to(inverse[..., None], product.shape),
                                    axis=-2)


def lu_solve(lower_upper: Any, perm: Any, rhs: Any, validate_args: bool = False,
             name: str | None = None) -> Tensor:
    """``x`` with ``a @ x = rhs`` from ``a``'s ``lu`` factors (``tf.linalg.lu_solve``): the
    rows of ``rhs`` permuted, then two triangular solves.

    >>> import workbench as wb
    >>> lu, p = wb.linalg.lu(wb.constant([[1.0, 2.0], [4.0, 2.0]]))
    >>> wb.linalg.lu_solve(lu, p, wb.constant([[3.0], [6.0]])).numpy()
    array([[1.],
           [1.]])
    """
    packed, rhs = _square(lower_upper, "lu_solve"), constant(rhs)
    _solve_shapes(packed, rhs, "lu_solve")
    p = np.asarray(perm._value if isinstance(perm, Tensor) else perm)
    lead = np.broadcast_shapes(p.shape[:-1], rhs.shape[:-2])
    index = np.broadcast_to(p[..., None], lead + rhs.shape[-2:])
    permuted = indexing.take_along_axis(sh.broadcast_to(rhs, lead + rhs.shape[-2:]), index,
                                        axis=-2)
    n = packed.shape[-1]
    unit_lower = ew.add(tril(packed, -1), np.eye(n, dtype=packed.dtype))
    return triangular_solve(packed, triangular_solve(unit_lower, permuted), lower=False)


def normalize(tensor: Any, ord: Any = "euclidean", axis: Any = None,
              name: str | None = None) -> tuple[Tensor, Tensor]:
    """``(tensor / norm, norm)`` with the norm of ``tf.norm(tensor, ord, axis, keepdims=True)``
    (``tf.linalg.normalize``).

    >>> import workbench as wb
    >>> unit, n = wb.linalg.normalize(wb.constant([3.0, 4.0]))
    >>> unit.numpy(), n.numpy()
    (array([0.6, 0.8]), array([5.]))
    """
    x = constant(tensor)
    norm = tf_norm(x, ord=ord, axis=axis, keepdims=True)
    return ew.div(x, norm), norm


def tensor_diag(diagonal: Any, name: str | None = None) -> Tensor:
    """The tensor of shape ``d.shape + d.shape`` with ``d`` on its diagonal
    (``out[i, j, i, j] = d[i, j]``, zero elsewhere; ``tf.linalg.tensor_diag``).

    >>> import workbench as wb
    >>> wb.linalg.tensor_diag(wb.constant([1.0, 2.0])).numpy()
    array([[1., 0.],
           [0., 2.]])
    """
    d = constant(diagonal)
    return sh.reshape(diag_matrix(sh.reshape(d, (d.size,))), d.shape + d.shape)


def tensor_diag_part(input: Any, name: str | None = None) -> Tensor:
    """``out[i, j] = input[i, j, i, j]`` for an input of shape ``s + s``
    (``tf.linalg.tensor_diag_part``).

    >>> import workbench as wb
    >>> wb.linalg.tensor_diag_part(wb.constant([[1.0, 5.0], [6.0, 2.0]])).numpy()
    array([1., 2.])
    """
    x = constant(input)
    half = x.shape[:x.ndim // 2]
    if x.ndim % 2 or x.shape[x.ndim // 2:] != half:
        raise ValueError(f"tensor_diag_part: input shape must be s + s, got {x.shape}")
    size = int(np.prod(half))
    return sh.reshape(diagonal(sh.reshape(x, (size, size))), half)

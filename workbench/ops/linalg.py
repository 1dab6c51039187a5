"""Linear algebra primitives: matmul, inv, solve, det (NumPy semantics, stacked matrices too).

det's gradient is the cofactor matrix, computed from minors so it is finite at singular matrices.
"""

from __future__ import annotations

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops import numba_rules as nb
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.primitive import defprimitive
from workbench.tensor import Tensor

LINALG = "linalg"


def swap_last(x) -> Tensor:
    """Transpose the last two axes (the matrix transpose of a stack of matrices)."""
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return sh.transpose_p(x, axes=axes)


def column(v) -> Tensor:
    """``v[..., None]``."""
    return sh.reshape_p(v, shape=v.shape + (1,))


def _row(v) -> Tensor:
    """``v[..., None, :]``."""
    return sh.reshape_p(v, shape=v.shape[:-1] + (1, v.shape[-1]))


def _drop_last(v) -> Tensor:
    """``v[..., 0]`` for a trailing axis of size 1."""
    return sh.reshape_p(v, shape=v.shape[:-1])


def _matmul_dx(g, ans, x, y):
    if y.ndim == 1:  # (..., k) @ (k,): every output element pairs a row of x with y
        return ew.mul(column(g), y)
    if x.ndim == 1:  # (k,) @ (..., k, n)
        return _drop_last(matmul(y, column(g)))
    return matmul(g, swap_last(y))


def _matmul_dy(g, ans, x, y):
    if x.ndim == 1 and y.ndim == 1:
        return ew.mul(column(g), x)
    if x.ndim == 1:  # (k,) @ (..., k, n): outer product of x and g
        return ew.mul(column(x), _row(g))
    if y.ndim == 1:  # (..., m, k) @ (k,)
        return _drop_last(matmul(swap_last(x), column(g)))
    return matmul(swap_last(x), g)


matmul = defprimitive(
    "matmul", np.matmul,
    vjp=(_matmul_dx, _matmul_dy),
    sympy=lambda x, y: x.matmul(y),
    kind=LINALG,
    numba=nb.matmul,
)
inv = defprimitive(
    "inv", np.linalg.inv,
    vjp=(lambda g, ans, a: ew.neg(matmul(matmul(swap_last(ans), g), swap_last(ans))),),
    sympy=lambda a: a.inv(),
    kind=LINALG,
    numba=nb.inv,
)


#: Above this size the cofactor matrix is ``det(a) * inv(a).T`` (n**2 minors cost too much).
COFACTOR_BY_MINORS_MAX = 8


def _minor_index(n: int) -> tuple:
    """Index arrays picking, for every (i, j), the rows but i and the columns but j."""
    keep = np.array([[k for k in range(n) if k != i] for i in range(n)])
    return (Ellipsis, keep[:, None, :, None], keep[None, :, None, :])


def cofactor(a) -> Tensor:
    """The cofactor matrix ``C[i, j] = (-1)**(i+j) det(minor_ij(a))``: the gradient of ``det``.

    Computed from the minors' determinants (one stacked ``det``), so it is exact and finite at
    singular matrices and differentiable to any order; matrices larger than
    ``COFACTOR_BY_MINORS_MAX`` use ``det(a) * inv(a).T`` (invertible matrices only).

    >>> import workbench as wb
    >>> cofactor(wb.constant([[1.0, 2.0], [2.0, 4.0]])).numpy()
    array([[ 4., -2.],
           [-2.,  1.]])
    """
    n = a.shape[-1]
    if n == 1:
        return Tensor(np.ones(a.shape, dtype=a.dtype))
    if n > COFACTOR_BY_MINORS_MAX:
        return ew.mul(column(column(det(a))), swap_last(inv(a)))
    signs = (-1.0) ** np.add.outer(np.arange(n), np.arange(n))
    return ew.mul(det(sh.getitem_p(a, index=_minor_index(n))), signs.astype(a.dtype))


def _det_vjp(g, ans, a):
    return ew.mul(column(column(g)), cofactor(a))


det = defprimitive(
    "det", np.linalg.det,
    vjp=(_det_vjp,),
    sympy=lambda a: a.det(),
    kind=LINALG,
    numba=nb.det,
)


def _solve_db(g, ans, a, b):
    if b.ndim == 1:
        return sh.reshape_p(solve(swap_last(a), column(g)), shape=g.shape)
    return solve(swap_last(a), g)


def _solve_da(g, ans, a, b):
    gb = _solve_db(g, ans, a, b)
    if b.ndim == 1:
        return ew.neg(ew.mul(column(gb), _row(ans)))
    return ew.neg(matmul(gb, swap_last(ans)))


solve = defprimitive(
    "solve", np.linalg.solve,
    vjp=(_solve_da, _solve_db),
    sympy=lambda a, b: a.solve(b),
    kind=LINALG,
    numba=nb.solve,
)


def trace(a) -> Tensor:
    """Sum of the diagonal of a matrix.

    >>> import workbench as wb
    >>> float(wb.linalg.trace(wb.eye(3)))
    3.0
    """
    n = min(a.shape[-2:])
    idx = np.arange(n)
    return red.sum(sh.getitem(a, (Ellipsis, idx, idx)), axis=-1)


"""Matrix functions built from primitives: decompositions unpacked into NumPy's result tuples,
logdet, lstsq, matrix_power, and the diagonal / triangle / transpose helpers."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from workbench.convert import constant
from workbench.ops import decompositions as dec
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.axes import planes_last
from workbench.ops.linalg import inv, matmul, swap_last
from workbench.tensor import Tensor


class EighResult(NamedTuple):
    eigenvalues: Tensor
    eigenvectors: Tensor


class SVDResult(NamedTuple):
    U: Tensor
    S: Tensor
    Vh: Tensor


class QRResult(NamedTuple):
    Q: Tensor
    R: Tensor


class SlogdetResult(NamedTuple):
    sign: Tensor
    logabsdet: Tensor


def _matrices(a: Any, fn: str) -> Tensor:
    a = constant(a)
    if a.ndim < 2:
        raise ValueError(f"wb.linalg.{fn} needs a matrix or a stack of matrices (ndim >= 2), "
                         f"got shape {a.shape}")
    return a


def _square(a: Any, fn: str) -> Tensor:
    a = _matrices(a, fn)
    if a.shape[-1] != a.shape[-2]:
        raise ValueError(f"wb.linalg.{fn} needs square matrices, got shape {a.shape}")
    return a


def _uplo(a: Tensor, uplo: str, fn: str) -> Tensor:
    if uplo not in ("L", "U"):
        raise ValueError(f"wb.linalg.{fn}: UPLO must be 'L' or 'U', got {uplo!r}")
    return a if uplo == "L" else swap_last(a)  # the upper triangle is the lower one of a.T


def cholesky(a: Any, upper: bool = False) -> Tensor:
    """The Cholesky factor ``L`` (lower; ``L.T`` if ``upper``) of a symmetric positive-definite
    matrix, reading its lower triangle as NumPy does.

    >>> import workbench as wb
    >>> wb.linalg.cholesky(wb.constant([[4.0, 2.0], [2.0, 2.0]])).numpy()
    array([[2., 0.],
           [1., 1.]])
    """
    low = dec.cholesky(_square(a, "cholesky"))
    return swap_last(low) if upper else low


def eigh(a: Any, UPLO: str = "L") -> EighResult:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix, from its lower
    (``UPLO="L"``) or upper triangle. Gradients need distinct eigenvalues; use ``eigvalsh``
    when only the eigenvalues matter.

    >>> import workbench as wb
    >>> w, v = wb.linalg.eigh(wb.constant([[2.0, 1.0], [1.0, 2.0]]))
    >>> w.numpy()
    array([1., 3.])
    """
    packed = dec.eigh_p(_uplo(_square(a, "eigh"), UPLO, "eigh"))
    return EighResult(dec.row(packed, 0), dec.rows(packed, 1))


def eigvalsh(a: Any, UPLO: str = "L") -> Tensor:
    """Eigenvalues of a symmetric matrix (ascending); the gradient exists for repeated ones too.

    >>> import workbench as wb
    >>> wb.linalg.eigvalsh(wb.eye(2) * 3.0).numpy()
    array([3., 3.])
    """
    return dec.eigvalsh(_uplo(_square(a, "eigvalsh"), UPLO, "eigvalsh"))


def svd(a: Any, full_matrices: bool = True, compute_uv: bool = True,
        hermitian: bool = False) -> SVDResult | Tensor:
    """NumPy's ``(U, S, Vh)`` with ``a = U @ diag(S) @ Vh`` (TensorFlow's ``tf.linalg.svd``
    returns ``(s, u, v)`` instead); only ``S`` if not ``compute_uv``. ``U`` and ``Vh`` are the
    thin factors: ``full_matrices=True`` is accepted for square matrices only, where both agree.
    Gradients through ``U``/``Vh`` need distinct singular values.

    >>> import workbench as wb
    >>> u, s, vh = wb.linalg.svd(wb.constant([[3.0, 0.0], [0.0, -2.0]]))
    >>> s.numpy()
    array([3., 2.])
    """
    a = _matrices(a, "svd")
    del hermitian  # the general algorithm serves symmetric matrices too
    if not compute_uv:
        return dec.svdvals(a)
    m, n = a.shape[-2:]
    if full_matrices and m != n:
        raise ValueError(f"wb.linalg.svd computes thin factors only: pass full_matrices=False "
                         f"for the {m}x{n} matrices of shape {a.shape}")
    packed = dec.svd_p(a)
    return SVDResult(dec.rows(packed, 0, m), dec.row(packed, m), swap_last(dec.rows(packed, m + 1)))


def svdvals(a: Any) -> Tensor:
    """Singular values, descending (``np.linalg.svdvals``); differentiable at repeated ones.

    >>> import workbench as wb
    >>> wb.linalg.svdvals(wb.constant([[0.0, 2.0], [1.0, 0.0]])).numpy()
    array([2., 1.])
    """
    return dec.svdvals(_matrices(a, "svdvals"))


def qr(a: Any, mode: str = "reduced") -> QRResult | Tensor:
    """NumPy's reduced QR: ``a = Q @ R``, ``Q`` with orthonormal columns, ``R`` upper triangular
    (LAPACK's signs, as NumPy); ``mode="r"`` gives ``R`` only, ``"complete"`` is accepted where it
    equals the reduced one (no more rows than columns). The gradient needs ``a``'s leading
    ``min(m, n)`` columns to be independent.

    >>> import workbench as wb
    >>> q, r = wb.linalg.qr(wb.constant([[3.0, 1.0], [4.0, 2.0]]))
    >>> bool(wb.sum(wb.abs(q @ r - wb.constant([[3.0, 1.0], [4.0, 2.0]]))) < 1e-12)
    True
    """
    a = _matrices(a, "qr")
    m, n = a.shape[-2:]
    if mode not in ("reduced", "r", "complete") or (mode == "complete" and m > n):
        raise ValueError(f"wb.linalg.qr supports mode 'reduced', 'r' (and 'complete' when there "
                         f"are no more rows than columns), got {mode!r} for shape {a.shape}")
    packed = dec.qr_p(a)
    r = swap_last(dec.rows(packed, m))
    return r if mode == "r" else QRResult(dec.rows(packed, 0, m), r)


def slogdet(a: Any) -> SlogdetResult:
    """``(sign, log|det a|)``, without the overflow of ``det``; the sign has no gradient.

    >>> import workbench as wb
    >>> sign, logabs = wb.linalg.slogdet(wb.constant([[0.0, 2.0], [3.0, 0.0]]))
    >>> float(sign), round(float(logabs), 6)
    (-1.0, 1.791759)
    """
    packed = dec.slogdet_p(_square(a, "slogdet"))
    return SlogdetResult(sh.getitem_p(packed, index=(Ellipsis, 0)),
                         sh.getitem_p(packed, index=(Ellipsis, 1)))


def logdet(a: Any) -> Tensor:
    """``log(det(a))`` (``tf.linalg.logdet``) for matrices with a positive determinant
    (positive-definite ones above all): NaN where the determinant is negative, as ``log`` is.

    >>> import workbench as wb
    >>> round(float(wb.linalg.logdet(wb.eye(3) * 2.0)), 6)
    2.079442
    """
    sign, logabs = slogdet(a)
    return ew.where(sign < 0.0, math.nan, logabs)


def pinv(a: Any) -> Tensor:
    """The Moore-Penrose pseudo-inverse; its gradient assumes the rank is locally constant.

    >>> import workbench as wb
    >>> wb.linalg.pinv(wb.constant([[2.0, 0.0], [0.0, 0.0]])).numpy()
    array([[0.5, 0. ],
           [0. , 0. ]])
    """
    return dec.pinv_p(_matrices(a, "pinv"))


def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Tensor, Tensor, int, Tensor]:
    """NumPy's ``(x, residuals, rank, s)``: the minimum-norm least-squares solution of
    ``a @ x = b`` (``pinv(a) @ b``, differentiable), the squared residual norms (empty unless
    ``a`` has full column rank and more rows than columns), the rank and ``a``'s singular values.

    >>> import workbench as wb
    >>> x, res, rank, s = wb.linalg.lstsq(wb.constant([[1.0], [1.0]]), wb.constant([1.0, 3.0]))
    >>> x.numpy(), res.numpy(), rank
    (array([2.]), array([2.]), 1)
    """
    a, b = _matrices(a, "lstsq"), constant(b)
    if a.ndim != 2 or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        raise ValueError(f"wb.linalg.lstsq needs a (m, n) matrix and a (m,) or (m, k) right-hand "
                         f"side, got shapes {a.shape} and {b.shape}")
    m, n = a.shape
    x = matmul(pinv(a), b)
    s = svdvals(a)
    tol = (np.finfo(a.dtype).eps * max(m, n) if rcond is None else rcond) * (
        float(np.max(s.numpy())) if s.shape[0] else 0.0)
    rank = int(np.sum(s.numpy() > tol))
    if rank == n and m > n:
        r = ew.sub(b, matmul(a, x))
        res = red.sum(ew.mul(r, r), axis=0)
        res = sh.reshape_p(res, shape=(1,)) if b.ndim == 1 else res
    else:
        res = Tensor(np.zeros((0,), dtype=a.dtype))
    return x, res, rank, s


def matrix_power(a: Any, n: int) -> Tensor:
    """``a`` multiplied by itself ``n`` times (an integer; negative powers invert first).

    >>> import workbench as wb
    >>> wb.linalg.matrix_power(wb.constant([[1.0, 1.0], [0.0, 1.0]]), -2).numpy()
    array([[ 1., -2.],
           [ 0.,  1.]])
    """
    a = _square(a, "matrix_power")
    if int(n) != n:
        raise TypeError(f"wb.linalg.matrix_power needs an integer exponent, got {n!r}")
    n = int(n)
    if n == 0:
        eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.dtype), a.shape)
        return Tensor(np.array(eye))
    base = inv(a) if n < 0 else a
    result = None
    for bit in bin(abs(n))[2:]:  # square and multiply, most significant bit first
        result = None if result is None else matmul(result, result)
        if bit == "1":
            result = base if result is None else matmul(result, base)
    return result


def matrix_transpose(x: Any) -> Tensor:
    """Swap the last two axes (``np.linalg.matrix_transpose``, ``tf.linalg.matrix_transpose``).

    >>> import workbench as wb
    >>> wb.linalg.matrix_transpose(wb.ones((2, 3, 4))).shape
    (2, 4, 3)
    """
    return swap_last(_matrices(x, "matrix_transpose"))


# --- diagonals and triangles ---------------------------------------------------------------
def _diagonal_index(rows: int, cols: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    length = max(0, min(rows - max(-k, 0), cols - max(k, 0)))
    idx = np.arange(length)
    return idx + max(-k, 0), idx + max(k, 0)


def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """``np.diagonal``: the ``offset`` diagonal of the ``(axis1, axis2)`` planes, as the last axis.

    >>> import workbench as wb
    >>> wb.diagonal(wb.constant([[1.0, 2.0], [3.0, 4.0]]), offset=1).numpy()
    array([2.])
    """
    a = constant(a)
    order = planes_last(axis1, axis2, a.ndim, "diagonal")
    moved = sh.transpose_p(a, axes=order)
    r, c = _diagonal_index(a.shape[order[-2]], a.shape[order[-1]], int(offset))
    return sh.getitem_p(moved, index=(Ellipsis, r, c))


def diag_part(x: Any, k: int = 0) -> Tensor:
    """The ``k`` diagonal of the last two axes (``tf.linalg.diag_part``, ``np.linalg.diagonal``).

    >>> import workbench as wb
    >>> wb.linalg.diag_part(wb.eye(3) * 2.0).numpy()
    array([2., 2., 2.])
    """
    return diagonal(x, k, -2, -1)


def matrix_diagonal(x: Any, offset: int = 0) -> Tensor:
    """``np.linalg.diagonal``: the ``offset`` diagonal of the last two axes.

    >>> import workbench as wb
    >>> wb.linalg.diagonal(wb.constant([[1.0, 2.0], [3.0, 4.0]]), offset=-1).numpy()
    array([3.])
    """
    return diagonal(x, offset, -2, -1)


def diag_matrix(v: Any, k: int = 0) -> Tensor:
    """Square matrices with the last axis of ``v`` on their ``k`` diagonal (``tf.linalg.diag``).

    >>> import workbench as wb
    >>> wb.linalg.diag(wb.constant([1.0, 2.0])).numpy()
    array([[1., 0.],
           [0., 2.]])
    """
    v = constant(v)
    if v.ndim < 1:
        raise ValueError("diag needs a vector (or a stack of vectors), got a scalar")
    size = v.shape[-1] + abs(int(k))
    r, c = _diagonal_index(size, size, int(k))
    return sh.scatter_add_p(v, index=(Ellipsis, r, c), shape=v.shape[:-1] + (size, size))


def diag(v: Any, k: int = 0) -> Tensor:
    """``np.diag``: a vector becomes a matrix with it on the ``k`` diagonal; a matrix gives its
    ``k`` diagonal.

    >>> import workbench as wb
    >>> wb.diag(wb.constant([1.0, 2.0]), k=1).shape
    (3, 3)
    """
    v = constant(v)
    if v.ndim == 1:
        return diag_matrix(v, k)
    if v.ndim == 2:
        return diagonal(v, k)
    raise ValueError(f"diag needs a 1-D or 2-D input, got shape {v.shape}")


def _triangle(m: Any, k: int, lower: bool, fn: str) -> Tensor:
    m = constant(m)
    if m.ndim < 2:
        raise ValueError(f"{fn} needs a matrix or a stack of matrices, got shape {m.shape}")
    rows, cols = m.shape[-2:]
    mask = np.tri(rows, cols, k, dtype=bool) if lower else ~np.tri(rows, cols, k - 1, dtype=bool)
    return ew.where(mask, m, np.zeros((), m.dtype))  # the dtype stays, as NumPy


def tril(m: Any, k: int = 0) -> Tensor:
    """Zeros above the ``k`` diagonal of the last two axes (``np.tril``).

    >>> import workbench as wb
    >>> wb.tril(wb.ones((2, 2))).numpy()
    array([[1., 0.],
           [1., 1.]])
    """
    return _triangle(m, int(k), True, "tril")


def triu(m: Any, k: int = 0) -> Tensor:
    """Zeros below the ``k`` diagonal of the last two axes (``np.triu``).

    >>> import workbench as wb
    >>> wb.triu(wb.ones((2, 2))).numpy()
    array([[1., 1.],
           [0., 1.]])
    """
    return _triangle(m, int(k), False, "triu")

"""Matrix decompositions as primitives: cholesky, eigh, eigvalsh, svd, svdvals, slogdet, qr, pinv.

A decomposition with several results is one primitive whose output packs them (layouts below).
"""

from __future__ import annotations

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops import numba_linalg as nbl
from workbench.ops import shape as sh
from workbench.ops.lazy_sympy import sympy
from workbench.ops.linalg import LINALG, column, inv, matmul, solve, swap_last
from workbench.primitive import NotSupported, defprimitive
from workbench.tensor import Tensor

# The IR gives each equation one output, so a decomposition with several results packs them
# along the second-to-last axis: one LAPACK call in every engine (tape, SymPy, Numba), and the
# public functions in workbench.ops.matrix_functions slice the pack apart:
#   eigh     (..., n+1, n): row 0 the eigenvalues (ascending), rows 1.. the eigenvectors
#   svd      (..., m+1+n, k), k = min(m, n): the rows of u, the singular values, then vh.T
#   slogdet  (..., 2): the sign, then log|det|
#   qr       (..., m+n, k): the rows of q, then r.T
# Like NumPy, cholesky, eigh and eigvalsh read only the lower triangle; their gradients are with
# respect to the entries they read (the strict upper triangle gets zero).


def rows(x, start: int, stop: int | None = None) -> Tensor:
    """``x[..., start:stop, :]``."""
    return sh.getitem_p(x, index=(Ellipsis, slice(start, stop), slice(None)))


def row(x, i: int) -> Tensor:
    """``x[..., i, :]``."""
    return sh.getitem_p(x, index=(Ellipsis, i, slice(None)))


def _lower_mask(n: int, dtype) -> np.ndarray:
    """1 below the diagonal, 1/2 on it: ``(G + G.T) * mask`` is the gradient of the lower
    triangle when ``G`` is the gradient of a function of a symmetric matrix."""
    return (np.tril(np.ones((n, n)), -1) + 0.5 * np.eye(n)).astype(dtype)


def _lower_grad(grad) -> Tensor:
    return ew.mul(ew.add(grad, swap_last(grad)), _lower_mask(grad.shape[-1], grad.dtype))


def _diag_matrix(v) -> Tensor:
    """``v[..., None, :] * eye(n)`` without multiplying by zero (an inf would give NaN)."""
    n = v.shape[-1]
    return ew.where(np.eye(n, dtype=bool), sh.reshape_p(v, shape=v.shape[:-1] + (1, n)), 0.0)


def _inverse_gaps(w) -> Tensor:
    """``F[..., i, j] = 1 / (w_j - w_i)`` off the diagonal, 0 on it."""
    n = w.shape[-1]
    gaps = ew.sub(sh.reshape_p(w, shape=w.shape[:-1] + (1, n)), column(w))
    eye = np.eye(n, dtype=bool)
    return ew.where(eye, 0.0, ew.div(1.0, ew.where(eye, 1.0, gaps)))


def _sympy_per_matrix(fn, tail):
    """A SymPy rule applying ``fn`` (sympy.Matrix -> nested list) to each matrix of a stack.

    ``tail(m, n)`` is the shape of one result. The element view gets explicit elements; the
    matrix view gets the explicit matrix (these results have no compact matrix notation).
    """

    def rule(a):
        if a.view != "elements":
            m = sympy.Matrix(a.e)
            out = np.array(fn(m), dtype=object).reshape(tail(*m.shape))
            return type(a)(sympy.ImmutableMatrix(out.reshape(out.shape[0], -1).tolist()),
                           out.shape)
        arr = a.a
        lead = arr.shape[:-2]
        out = np.empty(lead + tail(*arr.shape[-2:]), dtype=object)
        for idx in np.ndindex(*lead):
            res = np.array(fn(sympy.Matrix(arr[idx].tolist())), dtype=object)
            out[idx] = res.reshape(out.shape[len(lead):])
        return type(a)(out)

    return rule


_NO_CLOSED_FORM = NotSupported(
    "SymPy has no closed form for the eigen or singular value decomposition of a general "
    "symbolic matrix")


# --- cholesky --------------------------------------------------------------------------------
def _cholesky_vjp(g, ans, a):
    # S = L^-T Phi(L^T g) L^-1, Phi: lower triangle with the diagonal halved
    lt = swap_last(ans)
    phi = ew.mul(matmul(lt, g), _lower_mask(ans.shape[-1], ans.dtype))
    x = solve(lt, phi)
    return _lower_grad(swap_last(solve(lt, swap_last(x))))


def _cholesky_sympy(m):
    """SymPy's Cholesky of the symmetric matrix that the lower triangle stands for."""
    lower = sympy.Matrix(m.rows, m.cols, lambda i, j: m[max(i, j), min(i, j)])
    return lower.cholesky(hermitian=False).tolist()


cholesky = defprimitive(
    "cholesky", np.linalg.cholesky,
    vjp=(_cholesky_vjp,),
    sympy=_sympy_per_matrix(_cholesky_sympy, lambda m, n: (m, n)),
    kind=LINALG,
    numba=nbl.cholesky,
)


# --- eigh / eigvalsh -------------------------------------------------------------------------
def _eigh_forward(a):
    w, v = np.linalg.eigh(a)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigh_vjp(g, ans, a):
    w, v = row(ans, 0), rows(ans, 1)
    gw, gv = row(g, 0), rows(g, 1)
    inner = ew.add(_diag_matrix(gw), ew.mul(_inverse_gaps(w), matmul(swap_last(v), gv)))
    return _lower_grad(matmul(matmul(v, inner), swap_last(v)))


eigh_p = defprimitive(
    "eigh", _eigh_forward,
    vjp=(_eigh_vjp,),
    sympy=_NO_CLOSED_FORM,
    kind=LINALG,
    numba=nbl.eigh,
)


def _eigvalsh_vjp(g, ans, a):
    v = rows(eigh_p(a), 1)
    return _lower_grad(matmul(ew.mul(v, sh.reshape_p(g, shape=g.shape[:-1] + (1, g.shape[-1]))),
                              swap_last(v)))


eigvalsh = defprimitive(
    "eigvalsh", np.linalg.eigvalsh,
    vjp=(_eigvalsh_vjp,),
    sympy=_NO_CLOSED_FORM,
    kind=LINALG,
    numba=nbl.eigvalsh,
)


# --- svd / svdvals ---------------------------------------------------------------------------
def _svd_forward(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([u, s[..., None, :], np.swapaxes(vh, -1, -2)], axis=-2)


def _svd_parts(packed, m: int):
    return rows(packed, 0, m), row(packed, m), rows(packed, m + 1)


def _svd_vjp(g, ans, a):
    m, n = a.shape[-2:]
    k = min(m, n)
    u, s, v = _svd_parts(ans, m)
    gu, gs, gv = _svd_parts(g, m)
    f = _inverse_gaps(ew.mul(s, s))
    ut_gu, vt_gv = matmul(swap_last(u), gu), matmul(swap_last(v), gv)
    j = ew.mul(f, ew.sub(ut_gu, swap_last(ut_gu)))
    kk = ew.mul(f, ew.sub(vt_gv, swap_last(vt_gv)))
    s_row, s_col = sh.reshape_p(s, shape=s.shape[:-1] + (1, k)), column(s)
    core = ew.add(ew.add(ew.mul(j, s_row), _diag_matrix(gs)), ew.mul(s_col, kk))
    out = matmul(matmul(u, core), swap_last(v))
    if m > k:  # (I - u u^T) gu s^-1 v^T
        rest = ew.sub(gu, matmul(u, ut_gu))
        out = ew.add(out, matmul(ew.div(rest, s_row), swap_last(v)))
    if n > k:  # u s^-1 gv^T (I - v v^T)
        rest = ew.sub(gv, matmul(v, vt_gv))
        out = ew.add(out, matmul(ew.div(u, s_row), swap_last(rest)))
    return out


svd_p = defprimitive(
    "svd", _svd_forward,
    vjp=(_svd_vjp,),
    sympy=_NO_CLOSED_FORM,
    kind=LINALG,
    numba=nbl.svd,
)


def _svdvals_vjp(g, ans, a):
    m, n = a.shape[-2:]
    u, _, v = _svd_parts(svd_p(a), m)
    k = min(m, n)
    return matmul(ew.mul(u, sh.reshape_p(g, shape=g.shape[:-1] + (1, k))), swap_last(v))


svdvals = defprimitive(
    "svdvals", lambda a: np.linalg.svd(a, compute_uv=False),
    vjp=(_svdvals_vjp,),
    sympy=_NO_CLOSED_FORM,
    kind=LINALG,
    numba=nbl.svdvals,
)


# --- slogdet ---------------------------------------------------------------------------------
def _slogdet_forward(a):
    sign, logabs = np.linalg.slogdet(a)
    return np.stack([sign, logabs], axis=-1)


def _slogdet_vjp(g, ans, a):
    glog = sh.getitem_p(g, index=(Ellipsis, 1))
    return ew.mul(column(column(glog)), swap_last(inv(a)))


def _slogdet_sympy(m):
    d = m.det()
    return [d / sympy.Abs(d), sympy.log(sympy.Abs(d))]  # d/|d|: sign with a printable derivative


slogdet_p = defprimitive(
    "slogdet", _slogdet_forward,
    vjp=(_slogdet_vjp,),
    sympy=_sympy_per_matrix(_slogdet_sympy, lambda m, n: (2,)),
    kind=LINALG,
    numba=nbl.slogdet,
)


# --- qr --------------------------------------------------------------------------------------
def _qr_forward(a):
    q, r = np.linalg.qr(a)
    return np.concatenate([q, np.swapaxes(r, -1, -2)], axis=-2)


def _qr_square_vjp(q, r, gq, gr) -> Tensor:
    """The gradient of ``x = q @ r`` for square upper-triangular ``r``:
    ``(gq + q copyltu(M)) r^-T`` with ``M = r gr^T - gq^T q`` and ``copyltu(M)`` the symmetric
    matrix with ``M``'s lower triangle."""
    k = r.shape[-1]
    m = ew.sub(matmul(r, swap_last(gr)), matmul(swap_last(gq), q))
    low = ew.where(np.tri(k, dtype=bool), m, 0.0)
    strict = ew.where(np.tri(k, k=-1, dtype=bool), m, 0.0)
    b = ew.add(gq, matmul(q, ew.add(low, swap_last(strict))))
    return swap_last(solve(r, swap_last(b)))


def _qr_vjp(g, ans, a):
    m, n = a.shape[-2:]
    q, r = rows(ans, 0, m), swap_last(rows(ans, m))
    gq, gr = rows(g, 0, m), swap_last(rows(g, m))
    if m >= n:
        return _qr_square_vjp(q, r, gq, gr)
    # wide: a = [x | y], r = [u | v]: x = q u (square), y = q v with v = q^T y
    left, right = (Ellipsis, slice(None), slice(0, m)), (Ellipsis, slice(None), slice(m, None))
    u, y = sh.getitem_p(r, index=left), sh.getitem_p(a, index=right)
    gu, gv = sh.getitem_p(gr, index=left), sh.getitem_p(gr, index=right)
    gx = _qr_square_vjp(q, u, ew.add(gq, matmul(y, swap_last(gv))), gu)
    gy = matmul(q, gv)
    return sh.concat_p(gx, gy, axis=gx.ndim - 1)


qr_p = defprimitive(
    "qr", _qr_forward,
    vjp=(_qr_vjp,),
    sympy=NotSupported("SymPy's QR makes r's diagonal positive; LAPACK's signs differ"),
    kind=LINALG,
    numba=nbl.qr,
)


# --- pinv ------------------------------------------------------------------------------------
def _pinv_vjp(g, ans, a):
    # d(A+) = -A+ dA A+ + A+ A+^T dA^T (I - A A+) + (I - A+ A) dA^T A+^T A+   (constant rank)
    x, xt = ans, swap_last(ans)
    m, n = a.shape[-2:]
    gt = swap_last(g)
    out = ew.neg(matmul(matmul(xt, g), xt))
    left = ew.sub(np.eye(m, dtype=a.dtype), matmul(a, x))
    out = ew.add(out, matmul(matmul(left, gt), matmul(x, xt)))
    right = ew.sub(np.eye(n, dtype=a.dtype), matmul(x, a))
    return ew.add(out, matmul(matmul(xt, x), matmul(gt, right)))


def _pinv_sympy(m):
    """A generic symbolic matrix has full rank: the pseudo-inverse in closed form."""
    if m.rows == m.cols:
        return m.inv().tolist()
    if m.rows > m.cols:
        return ((m.T * m).inv() * m.T).tolist()
    return (m.T * (m * m.T).inv()).tolist()


pinv_p = defprimitive(
    "pinv", np.linalg.pinv,
    vjp=(_pinv_vjp,),
    sympy=_sympy_per_matrix(_pinv_sympy, lambda m, n: (n, m)),
    kind=LINALG,
    numba=nbl.pinv,
)

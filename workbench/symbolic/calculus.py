"""Matrix calculus in notation: SymPy's ``diff`` where it works, the canonical form of results,
and reading a Hessian ``H`` off the backward graph's ``H*v`` (Hadamard products become diag;
for a matrix source, ``vec(H[V]) = H*vec(V)`` with ``vec(L*V*R) = (R.T ⊗ L)*vec(V)``)."""

from __future__ import annotations

from typing import Any

import sympy
from sympy import DiagMatrix, HadamardProduct, Identity, MatAdd, MatMul, Transpose

from workbench.symbolic.budget import count_ops
from workbench.symbolic.deadline import SIMPLIFY_SECONDS, attempt
from workbench.symbolic.functions import Commutation
from workbench.symbolic.matrix import Elementwise, kron, madd, mm, transpose


class NotMatrixCalculus(Exception):
    """SymPy's matrix calculus gave no usable matrix expression."""


def canonical(expr: Any) -> Any:
    """The canonical closed form: products expanded, transposes on symbols, like terms collected.

    >>> X = sympy.MatrixSymbol("X", 3, 2); b = sympy.MatrixSymbol("b", 2, 1)
    >>> canonical(2 * X.T * (X * b - sympy.MatrixSymbol("y", 3, 1)))
    2*X.T*X*b - 2*X.T*y
    """
    if not isinstance(expr, sympy.MatrixExpr):
        if count_ops(expr) >= 200:
            return expr
        return attempt(sympy.simplify, expr, seconds=SIMPLIFY_SECONDS, otherwise=lambda: expr)
    out = expr.doit().expand()
    return out.doit() if isinstance(out, sympy.MatrixExpr) else out


def matrix_diff(expr: Any, wrt: Any, order: int) -> Any:
    """``order`` derivatives of a scalar (or 1x1) matrix expression by SymPy's matrix calculus,
    as a gradient (shape of ``wrt``) or a Hessian; raises :class:`NotMatrixCalculus` otherwise."""
    if any(isinstance(a, Elementwise) for a in sympy.preorder_traversal(expr)):
        raise NotMatrixCalculus("SymPy cannot differentiate elementwise functions of matrices")
    out = expr
    try:
        for _ in range(order):
            out = sympy.diff(out, wrt)
    except Exception as exc:  # noqa: BLE001 - SymPy raises many types here
        raise NotMatrixCalculus(f"SymPy's matrix diff failed: {exc}") from None
    if not isinstance(out, sympy.MatrixExpr) or any(
            "Array" in type(a).__name__ for a in sympy.preorder_traversal(out)):
        raise NotMatrixCalculus(f"SymPy's matrix diff gave {type(out).__name__}")
    rows = wrt.shape[0]
    want = (rows, wrt.shape[1]) if order == 1 else (rows, rows)
    if tuple(out.shape) != tuple(want):
        if tuple(out.shape[::-1]) == tuple(want):
            return out.T
        raise NotMatrixCalculus(f"SymPy's matrix diff gave shape {out.shape}, expected {want}")
    return out


def push_transposes(expr: Any) -> Any:
    """Transposes moved onto symbols: ``(A*x).T -> x.T*A.T`` (structure otherwise kept)."""
    if isinstance(expr, Transpose):
        return _transpose_of(push_transposes(expr.arg))
    if isinstance(expr, MatMul):
        return mm(*[push_transposes(a) for a in expr.args])
    if isinstance(expr, MatAdd):
        return madd(*[push_transposes(a) for a in expr.args])
    if isinstance(expr, HadamardProduct):
        return HadamardProduct(*[push_transposes(a) for a in expr.args])
    if isinstance(expr, Elementwise):
        return Elementwise(expr.name, expr.fn, push_transposes(expr.arg))
    return expr


def _transpose_of(e: Any) -> Any:
    if isinstance(e, MatMul):
        return mm(*[_transpose_of(a) for a in reversed(e.args)])
    if isinstance(e, MatAdd):
        return madd(*[_transpose_of(a) for a in e.args])
    if isinstance(e, HadamardProduct):
        return HadamardProduct(*[_transpose_of(a) for a in e.args])
    if isinstance(e, Elementwise):
        return Elementwise(e.name, e.fn, _transpose_of(e.arg))
    return transpose(e)


def linear_coefficient(expr: Any, v: sympy.MatrixSymbol) -> Any:
    """The matrix ``H`` with ``expr == H*v`` for an expression linear in the column ``v``.

    Hadamard products with ``v``-terms become ``diag``: ``u∘(A*v) = diag(u)*A*v``. Returns None
    when ``expr`` is not written so that ``v`` can be factored out on the right.

    >>> A = sympy.MatrixSymbol("A", 3, 3); v = sympy.MatrixSymbol("v", 3, 1)
    >>> linear_coefficient(A.T * v + A * v, v)
    A + A.T
    """
    try:
        return _coef(push_transposes(expr), v)
    except _NotLinear:
        return None


class _NotLinear(Exception):
    pass


def _coef(e: Any, v: Any) -> Any:
    if e == v:
        return Identity(v.shape[0])
    if not e.has(v):
        raise _NotLinear
    if isinstance(e, MatAdd):
        return madd(*[_coef(t, v) for t in e.args])
    if isinstance(e, MatMul):
        args = list(e.args)
        if any(a.has(v) for a in args[:-1]):
            raise _NotLinear
        return mm(*args[:-1], _coef(args[-1], v))
    if isinstance(e, HadamardProduct):
        inner = [a for a in e.args if a.has(v)]
        outer = [a for a in e.args if not a.has(v)]
        if len(inner) != 1 or e.shape[1] != 1:
            raise _NotLinear
        u = outer[0] if len(outer) == 1 else HadamardProduct(*outer)
        return mm(DiagMatrix(u), _coef(inner[0], v))
    raise _NotLinear


def vec_coefficient(expr: Any, v: sympy.MatrixSymbol) -> Any:
    """The matrix ``H`` with ``vec(expr) == H*vec(v)`` (``vec`` stacks columns) for an
    expression linear in the matrix ``v``: ``vec(L*v*R) = (R.T ⊗ L)*vec(v)``, ``vec(v.T) =
    K*vec(v)`` (the commutation matrix). None where ``v`` is not written so (inside a Hadamard
    product: that needs ``diag(vec(M))``).

    >>> A = sympy.MatrixSymbol("A", 3, 3); V = sympy.MatrixSymbol("V", 3, 2)
    >>> print(vec_coefficient(A * V + A.T * V, V))
    KroneckerProduct(I, A) + KroneckerProduct(I, A.T)
    """
    try:
        return _vec(push_transposes(expr), v)
    except _NotLinear:
        return None


def _vec(e: Any, v: Any) -> Any:
    if e == v:
        return Identity(v.shape[0] * v.shape[1])
    if not e.has(v):
        raise _NotLinear
    if isinstance(e, Transpose):  # vec(M.T) = K*vec(M)
        return mm(Commutation(*e.arg.shape), _vec(e.arg, v))
    if isinstance(e, MatAdd):
        return madd(*[_vec(t, v) for t in e.args])
    if isinstance(e, MatMul):
        coeff = sympy.Mul(*[a for a in e.args if not isinstance(a, sympy.MatrixExpr)])
        mats = [a for a in e.args if isinstance(a, sympy.MatrixExpr)]
        inner = [k for k, m in enumerate(mats) if m.has(v)]
        if len(inner) != 1 or coeff.has(v):
            raise _NotLinear
        k = inner[0]
        left = mm(*mats[:k]) if k else Identity(mats[k].shape[0])
        right = mm(*mats[k + 1:]) if k + 1 < len(mats) else Identity(mats[k].shape[1])
        return mm(coeff, kron(_transpose_of(right), left), _vec(mats[k], v))
    raise _NotLinear

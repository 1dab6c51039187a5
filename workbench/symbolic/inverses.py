"""The inverse of a product of square matrices written as the product of their inverses where
that lets factors cancel: ``A.T*(A*X*B)^-T*B.T = X^-T``."""

from __future__ import annotations

from typing import Any

from sympy import Identity, Inverse, MatMul, MatrixExpr, Transpose

from workbench.symbolic.matrix import split, transpose


def cancel_inverses(factors: list) -> list:
    """``A.T*(A*X*B)^-T*B.T = X^-T``: the inverse of a product of square matrices written as
    the product of their inverses where that lets a factor cancel against its neighbour (the
    product is invertible, so each square factor is)."""
    for i, f in enumerate(factors):
        parts = _inverse_parts(f)
        if parts is None:
            continue
        out = _cancelled(factors[:i] + parts + factors[i + 1:])
        if len(out) < len(factors) + len(parts) - 1:
            return cancel_inverses(out) if out else [Identity(f.shape[0])]
    return factors


def _inverse_parts(f: Any) -> list | None:
    """``[C^-1, B^-1, A^-1]`` for ``(A*B*C)^-1``, ``[A^-T, B^-T, C^-T]`` for its transpose,
    when every factor is square; else None."""
    flip = isinstance(f, Transpose) and isinstance(f.arg, Inverse)
    inner = f.arg.arg if flip else f.arg if isinstance(f, Inverse) else None
    if isinstance(f, Inverse) and isinstance(inner, Transpose):
        flip, inner = True, inner.arg
    if not isinstance(inner, MatMul):
        return None
    coeff, mats = split(inner)
    if coeff != 1 or not all(m.shape[0] == m.shape[1] for m in mats):
        return None
    return [Inverse(transpose(m)) for m in mats] if flip else [Inverse(m) for m in mats[::-1]]


def _cancelled(factors: list) -> list:
    """Neighbours ``M*M^-1`` and ``M^-1*M`` removed."""
    out: list = []
    for f in factors:
        prev = out[-1] if out else None
        if isinstance(prev, MatrixExpr) and isinstance(f, MatrixExpr) and \
                (isinstance(f, Inverse) and f.arg == prev or
                 isinstance(prev, Inverse) and prev.arg == f):
            out.pop()
        else:
            out.append(f)
    return out

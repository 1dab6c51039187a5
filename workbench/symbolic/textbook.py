"""The textbook form of a matrix expression: 1x1 products folded into scalars, ones and
identities dropped where they are only junk (``diag(1)``, ``1∘X``, ``I`` as the scalar 1),
``1.T*(u∘v)`` as ``u.T*v``, softmax from its exp form, Kronecker mixed products and sums,
inverses of products that cancel, and common factors pulled out (``2*X.T*(X*b - y)``)."""

from __future__ import annotations

from typing import Any

import sympy
from sympy import (
    DiagMatrix,
    HadamardPower,
    HadamardProduct,
    Identity,
    KroneckerProduct,
    MatAdd,
    MatMul,
    MatrixExpr,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions.diagonal import DiagonalOf
from sympy.matrices.expressions.matexpr import MatrixElement

from workbench.symbolic.functions import Elementwise, Softmax
from workbench.symbolic.inverses import cancel_inverses
from workbench.symbolic.matrix import kron, madd, mm, split, transpose


def textbook(expr: Any) -> Any:
    """``expr`` rewritten as a textbook prints it (equal to it, element by element).

    >>> X = sympy.MatrixSymbol("X", 3, 2); b = sympy.MatrixSymbol("b", 2, 1)
    >>> y = sympy.MatrixSymbol("y", 3, 1)
    >>> print(textbook(2 * X.T * X * b - 2 * X.T * y))
    2*X.T*(X*b - y)
    >>> print(textbook(mm(sympy.DiagMatrix(sympy.OneMatrix(3, 1)), X)))
    X
    """
    if not isinstance(expr, sympy.Basic) or expr.is_Atom:
        return expr
    return _rewrite(expr)


def _is_one_by_one(e: Any) -> bool:
    return isinstance(e, MatrixExpr) and tuple(e.shape) == (1, 1)


def scalar_of(e: Any) -> Any:
    """A 1x1 matrix expression as the scalar it is (``I``, ``1`` become 1)."""
    if not _is_one_by_one(e):
        return e
    if isinstance(e, Identity | OneMatrix):
        return sympy.Integer(1)
    if isinstance(e, ZeroMatrix):
        return sympy.Integer(0)
    if isinstance(e, MatAdd):
        return sympy.Add(*[scalar_of(t) for t in e.args])
    if isinstance(e, MatMul):
        coeff = sympy.Mul(*[a for a in e.args if not isinstance(a, MatrixExpr)])
        mats = [a for a in e.args if isinstance(a, MatrixExpr)]
        if all(_is_one_by_one(a) for a in mats):
            return coeff * sympy.Mul(*[scalar_of(a) for a in mats])
        return coeff * _element(mm(*mats))
    if isinstance(e, HadamardProduct):
        return sympy.Mul(*[scalar_of(a) for a in e.args])
    if isinstance(e, HadamardPower):
        return scalar_of(e.base) ** e.exp
    if isinstance(e, Transpose):
        return scalar_of(e.arg)
    if isinstance(e, sympy.MatPow | KroneckerProduct):
        return scalar_of(_rewrite(e))
    return _element(e)


def _element(e: Any) -> Any:
    """The only element of a 1x1 product: ``1.T*(X∘X)*1`` is ``tr(X.T*X)``."""
    args = e.args if isinstance(e, MatMul) else ()
    if len(args) == 3 and isinstance(args[0], OneMatrix) and isinstance(args[2], OneMatrix) \
            and isinstance(args[1], HadamardProduct | HadamardPower) and \
            _square_base(args[1], column=False) is not None:
        u = _square_base(args[1], column=False)
        return sympy.Trace(mm(transpose(u), u))
    return MatrixElement(e, 0, 0)


def _rewrite(e: Any) -> Any:
    if isinstance(e, MatrixElement) and _is_one_by_one(e.parent):
        inner = _rewrite(e.parent)
        return scalar_of(inner) if isinstance(inner, MatrixExpr) else inner
    if not isinstance(e, MatrixExpr):
        if e.is_Atom or not e.args:
            return e
        return e.func(*[_rewrite(a) for a in e.args])
    if isinstance(e, MatMul):
        return _product([_rewrite(a) for a in e.args])
    if isinstance(e, MatAdd):
        return _collect([_rewrite(a) for a in e.args])
    if isinstance(e, HadamardProduct):
        return _hadamard([_rewrite(a) for a in e.args])
    if isinstance(e, HadamardPower):
        base, exp = _rewrite(e.base), _rewrite(e.exp)
        if _is_one_by_one(base):
            return mm(scalar_of(base) ** exp, OneMatrix(1, 1))
        return HadamardPower(base, exp)
    if isinstance(e, Transpose):
        return transpose(_rewrite(e.arg))
    if isinstance(e, DiagMatrix):
        arg = _rewrite(e.args[0])
        if isinstance(arg, OneMatrix):
            return Identity(max(arg.shape))
        c = _ones_coefficient(arg)
        if c is not None:
            return mm(c, Identity(max(arg.shape)))
        return DiagMatrix(arg)
    if isinstance(e, DiagonalOf):
        arg = _rewrite(e.arg)
        mats = split(arg)[1] if isinstance(arg, MatMul) else []
        if len(mats) == 2 and mats[0].shape[1] == 1:  # the diagonal of c*u*v.T is c*u∘v
            return mm(split(arg)[0], HadamardProduct(mats[0], transpose(mats[1])))
        return DiagonalOf(arg)
    if isinstance(e, Elementwise):
        return Elementwise(e.name, e.fn, _rewrite(e.arg))
    if isinstance(e, sympy.MatPow) and _is_one_by_one(e.base):
        return mm(scalar_of(_rewrite(e.base)) ** e.exp, OneMatrix(1, 1))
    if isinstance(e, KroneckerProduct):
        args = [_rewrite(a) for a in e.args]
        small = [a for a in args if _is_one_by_one(a)]
        if small:
            return mm(*[scalar_of(a) for a in small], *[a for a in args if a not in small])
    if e.args and not e.is_Atom and not isinstance(e, sympy.MatrixSymbol | OneMatrix |
                                                    ZeroMatrix | Identity):
        try:
            return e.func(*[_rewrite(a) for a in e.args])
        except Exception:  # noqa: BLE001 - a node SymPy cannot rebuild stays as it is
            return e
    return e


def _ones_coefficient(m: Any) -> Any:
    """``c`` if ``m`` is ``c`` times a matrix of ones (``1`` for plain ones), else None."""
    if isinstance(m, OneMatrix):
        return sympy.Integer(1)
    if isinstance(m, MatMul):
        mats = [a for a in m.args if isinstance(a, MatrixExpr)]
        ones = [a for a in mats if isinstance(a, OneMatrix) and a.shape == m.shape]
        if len(ones) == 1 and all(_is_one_by_one(a) or a is ones[0] for a in mats):
            return sympy.Mul(*[scalar_of(a) for a in m.args if a is not ones[0]])
    return None


def _product(args: list) -> Any:
    """A product with 1x1 factors as scalars and ``1.T*(u∘u)`` as ``u.T*u``."""
    flat = [f for a in args for f in (a.args if isinstance(a, MatMul) and
                                      not _is_one_by_one(a) else [a])]
    scalars: list = [f for f in flat if not isinstance(f, MatrixExpr)]
    args = _mixed_products([f for f in flat if isinstance(f, MatrixExpr)])
    out: list = []
    whole = mm(*args)
    for a in args:
        if isinstance(a, MatrixExpr) and _is_one_by_one(a) and not _is_one_by_one(whole):
            scalars.append(scalar_of(a))
        else:
            out.append(a)
    out = _diag_times_ones(cancel_inverses(out))
    for i, a in enumerate(out[:-1]):
        nxt = out[i + 1]
        if isinstance(a, OneMatrix) and a.shape[0] == 1 and _is_square_of(nxt):
            u = _square_base(nxt)
            out[i:i + 2] = [transpose(u), u]
            break
        if isinstance(a, OneMatrix) and a.shape[0] == 1 and isinstance(nxt, HadamardProduct) \
                and len(nxt.args) == 2 and nxt.shape[1] == 1:  # 1.T*(u∘v) = u.T*v
            out[i:i + 2] = [transpose(nxt.args[0]), nxt.args[1]]
            break
    return _softmax(mm(*scalars, *out))


def _mixed_products(factors: list) -> list:
    """``(A ⊗ B)*(C ⊗ D) = (A*C) ⊗ (B*D)`` for neighbours whose shapes agree."""
    out = list(factors)
    i = 0
    while i < len(out) - 1:
        a, b = out[i], out[i + 1]
        if isinstance(a, KroneckerProduct) and isinstance(b, KroneckerProduct) and \
                len(a.args) == len(b.args) == 2 and \
                all(x.shape[1] == y.shape[0] for x, y in zip(a.args, b.args, strict=True)):
            out[i:i + 2] = [_rewrite(kron(mm(a.args[0], b.args[0]), mm(a.args[1], b.args[1])))]
        else:
            i += 1
    return out


def _softmax(e: Any) -> Any:
    """``exp(u)/(1.T*exp(u))`` (a scalar factor times ``exp(u)``) as ``softmax(u)``."""
    if not isinstance(e, MatMul):
        return e
    coeff, mats = split(e)
    if len(mats) != 1 or not isinstance(mats[0], Elementwise) or mats[0].name != "exp" or \
            mats[0].shape[1] != 1:
        return e
    u = mats[0].arg
    total = MatrixElement(mm(OneMatrix(1, u.shape[0]), mats[0]), 0, 0)
    powers = sympy.Mul.make_args(coeff)
    if total**-1 not in powers:
        return e
    rest = list(powers)
    rest.remove(total**-1)
    return mm(sympy.Mul(*rest), Softmax(u))


def _diag_times_ones(factors: list) -> list:
    """``diag(u)*1 = u*1.T`` and ``1*diag(v) = 1*v.T`` (rows or columns of ones)."""
    out = list(factors)
    changed = True
    while changed:
        changed = False
        for i in range(len(out) - 1):
            a, b = out[i], out[i + 1]
            if isinstance(a, DiagMatrix) and isinstance(b, OneMatrix):
                u = a.args[0] if a.args[0].shape[1] == 1 else transpose(a.args[0])
                out[i:i + 2] = [u] if b.shape[1] == 1 else [u, OneMatrix(1, b.shape[1])]
                changed = True
                break
            if isinstance(a, OneMatrix) and isinstance(b, DiagMatrix):
                v = b.args[0] if b.args[0].shape[1] == 1 else transpose(b.args[0])
                out[i:i + 2] = [transpose(v)] if a.shape[0] == 1 else \
                    [OneMatrix(a.shape[0], 1), transpose(v)]
                changed = True
                break
    return out


def _is_square_of(e: Any) -> bool:
    return _square_base(e) is not None


def _square_base(e: Any, column: bool = True) -> Any:
    """``u`` if ``e`` is ``u∘u`` (a column, unless ``column`` is False), else None."""
    if column and e.shape[1] != 1:
        return None
    if isinstance(e, HadamardPower) and e.exp == 2:
        return e.base
    if isinstance(e, HadamardProduct) and len(e.args) == 2 and e.args[0] == e.args[1]:
        return e.args[0]
    return None


def _hadamard(args: list) -> Any:
    """``(c*1)∘X = c*X`` and ``(2*u - 2*v)∘w = 2*((u - v)∘w)``: numbers and scalars move out;
    a single factor left is the product itself."""
    coeff = sympy.Integer(1)
    rest = []
    for a in args:
        c = _ones_coefficient(a)
        if c is not None:
            coeff *= c
            continue
        c, a = _number_out(a)
        coeff *= c
        rest.append(a)
    if not rest:
        return mm(coeff, args[0] if isinstance(args[0], OneMatrix) else OneMatrix(*args[0].shape))
    if len(rest) == 2:  # M∘(1*v.T) = M*diag(v) and (u*1.T)∘M = diag(u)*M
        for k in (0, 1):
            spread = _spread(rest[k])
            if spread is not None:
                side, v = spread
                other = rest[1 - k]
                return mm(coeff, other, DiagMatrix(v)) if side == "rows" else \
                    mm(coeff, DiagMatrix(v), other)
        for k in (0, 1):
            spread = _over_total_exp(rest[1 - k], rest[k])
            if spread is not None:
                return mm(coeff, spread)
    body = rest[0] if len(rest) == 1 else HadamardProduct(*rest)
    return mm(coeff, body)


def _number_out(m: Any) -> tuple[Any, Any]:
    """(c, m/c) for the scalar coefficient ``c`` of a product, or the number every term of a
    sum shares up to sign; (1, m) otherwise."""
    if isinstance(m, MatMul):
        coeff, mats = split(m)
        return (coeff, mm(*mats)) if coeff != 1 and mats else (sympy.Integer(1), m)
    if isinstance(m, MatAdd):
        c = _common_coefficient([split(t)[0] for t in m.args])
        if c != 1:
            return c, madd(*[mm(split(t)[0] / c, *split(t)[1]) for t in m.args])
    return sympy.Integer(1), m


def _over_total_exp(m: Any, e: Any) -> Any:
    """``(c1*M1 + c2*M2)∘exp(u)`` with every ``ck`` holding ``1/(1.T*exp(u))`` is
    ``softmax(u)∘M1 + ...`` (a term ``1*(1.T*w)``, a column of equal entries, scales it)."""
    if not isinstance(e, Elementwise) or e.name != "exp" or e.shape[1] != 1:
        return None
    total = MatrixElement(mm(OneMatrix(1, e.shape[0]), e), 0, 0) ** -1
    terms = []
    for t in m.args if isinstance(m, MatAdd) else (m,):
        coeff, mats = split(t)
        powers = list(sympy.Mul.make_args(coeff))
        if total not in powers or not mats:
            return None
        powers.remove(total)
        ones = mats[0] if isinstance(mats[0], OneMatrix) and len(mats) > 1 else None
        scale = scalar_of(mm(OneMatrix(1, ones.shape[1]), *mats[1:])) if ones is not None \
            else None
        terms.append(mm(sympy.Mul(*powers), scale, Softmax(e.arg)) if scale is not None else
                     mm(sympy.Mul(*powers), HadamardProduct(Softmax(e.arg), mm(*mats))))
    return _collect(terms)


def _spread(m: Any) -> tuple[str, Any] | None:
    """("rows", v) if ``m`` is ``1*v.T`` (every row v.T), ("cols", u) if it is ``u*1.T``."""
    if not isinstance(m, MatMul) or len(m.args) != 2 or m.shape[0] == 1 or m.shape[1] == 1:
        return None
    a, b = m.args
    if isinstance(a, OneMatrix) and a.shape[1] == 1 and isinstance(b, MatrixExpr):
        return "rows", transpose(b)
    if isinstance(b, OneMatrix) and b.shape[0] == 1 and isinstance(a, MatrixExpr):
        return "cols", a
    return None


def _collect(terms: list) -> Any:
    """Like terms added (``X + X = 2*X``), then the factor shared by most terms pulled out on
    the left or the right (``A*x + A.T*x = (A + A.T)*x``), recursively."""
    merged: dict = {}
    for t in terms:
        coeff, mats = split(t)
        key = tuple(mats)
        merged[key] = merged.get(key, 0) + coeff
    parts = [(c, list(k)) for k, c in merged.items() if c != 0]
    if not parts:
        return ZeroMatrix(*terms[0].shape)
    if len(parts) == 1:
        return mm(parts[0][0], *parts[0][1])
    grouped = _kron_sums(parts)
    if grouped is not None:
        return grouped
    best = None
    for side in (0, -1):
        counts: dict = {}
        for _, mats in parts:
            if len(mats) > 1:
                counts[mats[side]] = counts.get(mats[side], 0) + 1
        for factor, n in counts.items():
            if n >= 2 and (best is None or n > best[2]):
                best = (side, factor, n)
    if best is None:
        return madd(*[mm(c, *m) for c, m in parts])
    side, factor, _ = best
    inside = [(c, m[1:] if side == 0 else m[:-1]) for c, m in parts
              if len(m) > 1 and m[side] == factor]
    outside = [(c, m) for c, m in parts if not (len(m) > 1 and m[side] == factor)]
    common = _common_coefficient([c for c, _ in inside])
    inner = _collect([mm(c / common, *m) for c, m in inside])
    grouped = mm(common, factor, inner) if side == 0 else mm(common, inner, factor)
    if not outside:
        return grouped
    rest = _collect([mm(c, *m) for c, m in outside])
    return madd(grouped, *(rest.args if isinstance(rest, MatAdd) else [rest]))


def _kron_sums(parts: list) -> Any:
    """``P ⊗ Q1 + P ⊗ Q2 = P ⊗ (Q1 + Q2)`` (and a shared right factor likewise), or None."""
    krons = [(c, m[0]) for c, m in parts if len(m) == 1 and isinstance(m[0], KroneckerProduct)
             and len(m[0].args) == 2]
    for side in (0, 1):
        counts: dict = {}
        for _, k in krons:
            counts[k.args[side]] = counts.get(k.args[side], 0) + 1
        shared = next((f for f, n in counts.items() if n >= 2), None)
        if shared is None:
            continue
        inside = [mm(c, k.args[1 - side]) for c, k in krons if k.args[side] == shared]
        summed = _collect(inside)
        grouped = kron(shared, summed) if side == 0 else kron(summed, shared)
        rest = [mm(c, *m) for c, m in parts if not (len(m) == 1 and isinstance(
            m[0], KroneckerProduct) and len(m[0].args) == 2 and m[0].args[side] == shared)]
        return madd(grouped, _collect(rest)) if rest else grouped
    return None


def _common_coefficient(coeffs: list) -> Any:
    """The numeric factor all ``coeffs`` share up to sign (2 for 2 and -2), else 1."""
    nums = [sympy.Abs(c.as_coeff_Mul()[0]) for c in coeffs]
    return nums[0] if all(n == nums[0] for n in nums) and nums[0] != 0 else sympy.Integer(1)

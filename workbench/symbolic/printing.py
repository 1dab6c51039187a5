"""Printing in matrix notation: ``1`` and ``1.T`` for ones, ``∘`` and ``⊗`` for Hadamard and
Kronecker products, ``diag(u)``, ``X^-T`` and ``(X^-2).T``, norms (``||x - a||``, ``||X||_F``),
scalar denominators below (``X/||X||_F``), elementwise functions by name; text and LaTeX."""

from __future__ import annotations

import re
from typing import Any

from sympy import (
    HadamardProduct,
    Integer,
    Inverse,
    MatAdd,
    MatMul,
    MatrixExpr,
    Mul,
    Trace,
    Transpose,
)
from sympy.matrices.expressions.matexpr import MatrixElement
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter


def _precedence(item: Any) -> int:
    """SymPy's precedence without its sign test (which evaluates matrix products)."""
    if isinstance(item, MatAdd):
        return PRECEDENCE["Add"]
    if isinstance(item, MatMul | HadamardProduct):
        return PRECEDENCE["Mul"]
    if isinstance(item, MatrixElement):
        return PRECEDENCE["Atom"]
    return precedence(item)


class _CheapPrecedence:
    """Printers mixing this in parenthesize matrix expressions without evaluating them."""

    def parenthesize(self, item: Any, level: int, strict: bool = False) -> str:
        prec = _precedence(item)
        if prec < level or (not strict and prec <= level):
            return self._wrap(self._print(item))
        return self._print(item)


class MatrixStrPrinter(_CheapPrecedence, StrPrinter):
    """SymPy's ``str`` with readable matrix-calculus notation.

    >>> import sympy
    >>> x = sympy.MatrixSymbol("x", 3, 1)
    >>> y = sympy.MatrixSymbol("y", 3, 1)
    >>> print(to_str(sympy.HadamardProduct(x, y) + sympy.OneMatrix(3, 1)))
    x∘y + 1
    """

    def _wrap(self, text: str) -> str:
        return f"({text})"

    def _print_OneMatrix(self, expr: Any) -> str:
        rows, cols = expr.shape
        return "1.T" if rows == 1 and cols != 1 else "1*1.T" if rows != 1 and cols != 1 else "1"

    def _print_MatMul(self, expr: Any) -> str:
        coeff = [a for a in expr.args if not isinstance(a, MatrixExpr)]
        mats = [a for a in expr.args if isinstance(a, MatrixExpr)]
        sign, parts, den = "", [], Integer(1)
        if coeff:
            c = Mul(*coeff)
            if c.as_coeff_Mul()[0].is_negative:
                sign, c = "-", -c
            c, den = _over(c)
            if c != 1:
                parts.append(self.parenthesize(c, PRECEDENCE["Mul"], strict=True))
        parts += [self.parenthesize(m, PRECEDENCE["Mul"], strict=False) for m in mats]
        below = "" if den == 1 else "/" + self.parenthesize(den, PRECEDENCE["Mul"])
        return sign + "*".join(parts) + below

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        norm = _norm(expr.base)
        if norm is None or not expr.exp.is_number:
            return super()._print_Pow(expr, rational)
        u, frobenius = norm
        text = f"||{self._print(u)}||" + ("_F" if frobenius else "")
        p = 2 * expr.exp
        return text if p == 1 else f"1/{text}" if p == -1 else \
            f"{text}**{self._print(p)}" if p > 0 else f"{text}**({self._print(p)})"

    def _print_HadamardProduct(self, expr: Any) -> str:
        return "∘".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)

    def _print_HadamardPower(self, expr: Any) -> str:
        return f"{self.parenthesize(expr.base, PRECEDENCE['Pow'])}.**{self._print(expr.exp)}"

    def _print_KroneckerProduct(self, expr: Any) -> str:
        return "⊗".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)

    def _print_DiagMatrix(self, expr: Any) -> str:
        return f"diag({self._print(expr.args[0])})"

    def _print_MatrixElement(self, expr: Any) -> str:
        if tuple(expr.parent.shape) == (1, 1):  # a 1x1 product read as the scalar it is
            return f"({self._print(expr.parent)})"
        return super()._print_MatrixElement(expr)

    def _print_Inverse(self, expr: Any) -> str:
        arg = expr.arg
        if isinstance(arg, Transpose):
            return f"{self.parenthesize(arg.arg, PRECEDENCE['Pow'])}^-T"
        return f"{self.parenthesize(arg, PRECEDENCE['Pow'])}^-1"

    def _print_MatPow(self, expr: Any) -> str:
        base, exp = expr.base, expr.exp
        if not exp.is_negative:
            return super()._print_MatPow(expr)
        if isinstance(base, Transpose):  # (X.T)^-2 = (X^-2).T, as the Cookbook prints it
            return f"({self.parenthesize(base.arg, PRECEDENCE['Pow'])}^{self._print(exp)}).T"
        return f"{self.parenthesize(base, PRECEDENCE['Pow'])}^{self._print(exp)}"

    def _print_Transpose(self, expr: Any) -> str:
        if isinstance(expr.arg, Inverse):  # (M^-1).T = M^-T
            return f"{self.parenthesize(expr.arg.arg, PRECEDENCE['Pow'])}^-T"
        return super()._print_Transpose(expr)

    def _print_Determinant(self, expr: Any) -> str:
        return f"det({self._print(expr.arg)})"

    def _print_DiagonalOf(self, expr: Any) -> str:
        return f"diagonal({self._print(expr.arg)})"

    def _print_Trace(self, expr: Any) -> str:
        return f"tr({self._print(expr.arg)})"

    def _print_MatAdd(self, expr: Any) -> str:
        return _join_terms(self, expr)


def _over(c: Any) -> tuple[Any, Any]:
    """A scalar coefficient as (numerator, denominator): factors with negative exponents, and
    rationals' denominators, go below (``X/||X||_F``, not ``1/||X||_F*X``)."""
    num, den = [], []
    for f in Mul.make_args(c):
        if f.is_Pow and f.exp.is_number and f.exp.is_negative:
            den.append(f.base ** -f.exp)
        elif f.is_Rational and f.q != 1:
            num.append(Integer(f.p))
            den.append(Integer(f.q))
        else:
            num.append(f)
    return Mul(*num), Mul(*den)


def _norm(base: Any) -> tuple[Any, bool] | None:
    """(u, False) if ``base`` is ``u.T*u`` of a column ``u`` (a squared 2-norm), (X, True) if
    it is ``tr(X.T*X)`` (a squared Frobenius norm), else None."""
    inner = base.parent if isinstance(base, MatrixElement) and \
        tuple(base.parent.shape) == (1, 1) else base.arg if isinstance(base, Trace) else None
    if not isinstance(inner, MatMul) or len(inner.args) != 2:
        return None
    left, right = inner.args
    if isinstance(left, Transpose) and left.arg == right:
        return (right, isinstance(base, Trace)) if isinstance(base, Trace) or \
            right.shape[1] == 1 else None
    return None


def _join_terms(printer: Any, expr: Any) -> str:
    """A sum with its negated terms last (``1 - s``, not ``-s + 1``)."""
    split = [_sign(t) for t in expr.args]
    ordered = [p for p in split if not p[0]] + [p for p in split if p[0]]
    out = ""
    for k, (neg, t) in enumerate(ordered):
        body = printer._print(t)  # (no parenthesize: its precedence test calls doit)
        body = f"({body})" if isinstance(t, MatAdd) else body
        out += ("-" if neg else "") + body if k == 0 else (" - " if neg else " + ") + body
    return out


def _sign(term: Any) -> tuple[bool, Any]:
    """(negated, the term without its sign)."""
    if isinstance(term, MatMul) and not getattr(term.args[0], "is_Matrix", False) and \
            term.args[0].as_coeff_Mul()[0].is_negative:  # cheap: no doit of the factors
        rest = term.args[1:]
        coeff = -term.args[0]
        return True, rest[0] if coeff == 1 and len(rest) == 1 else MatMul(
            *([coeff] if coeff != 1 else []), *rest)
    return False, term


class MatrixLatexPrinter(_CheapPrecedence, LatexPrinter):
    """LaTeX with ``\\mathbf{1}`` for ones, ``\\operatorname{diag}``, ``\\odot`` for
    Hadamard products, ``\\sigma`` and Greek letters for names, ``A^{-T}``."""

    def _wrap(self, text: str) -> str:
        return rf"\left({text}\right)"

    def _deal_with_super_sub(self, string: str, style: str = "plain") -> str:
        node = re.fullmatch(r"([A-Za-z]+)(\d+)bar", string)  # t3bar: the adjoint of node t3
        if node:
            return rf"\bar{{{node.group(1)}}}_{{{node.group(2)}}}"
        return super()._deal_with_super_sub(string, style)

    def _print_OneMatrix(self, expr: Any) -> str:
        rows, cols = expr.shape
        return r"\mathbf{1}^{T}" if rows == 1 and cols != 1 else \
            r"\mathbf{1}\mathbf{1}^{T}" if rows != 1 and cols != 1 else r"\mathbf{1}"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_HadamardProduct(self, expr: Any) -> str:
        return r" \odot ".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)

    def _print_HadamardPower(self, expr: Any) -> str:
        base = self.parenthesize(expr.base, PRECEDENCE["Pow"])
        return rf"{base}^{{\odot {self._print(expr.exp)}}}"

    def _print_MatrixElement(self, expr: Any) -> str:
        if tuple(expr.parent.shape) == (1, 1):
            return rf"\left({self._print(expr.parent)}\right)"
        return super()._print_MatrixElement(expr)

    def _print_Inverse(self, expr: Any) -> str:
        arg = expr.arg
        if isinstance(arg, Transpose):
            return rf"{self.parenthesize(arg.arg, PRECEDENCE['Pow'])}^{{-T}}"
        return rf"{self.parenthesize(arg, PRECEDENCE['Pow'])}^{{-1}}"

    def _print_MatPow(self, expr: Any) -> str:
        base, exp = expr.base, expr.exp
        if isinstance(base, Transpose) and exp.is_negative:  # (X.T)^-2 = (X^-2).T
            inner = self.parenthesize(base.arg, PRECEDENCE["Pow"])
            return rf"\left({inner}^{{{self._print(exp)}}}\right)^{{T}}"
        return rf"{self.parenthesize(base, PRECEDENCE['Pow'])}^{{{self._print(exp)}}}"

    def _print_Transpose(self, expr: Any) -> str:
        if isinstance(expr.arg, Inverse):  # (M^-1)^T = M^-T
            return rf"{self.parenthesize(expr.arg.arg, PRECEDENCE['Pow'])}^{{-T}}"
        return super()._print_Transpose(expr)

    def _print_Pow(self, expr: Any) -> str:
        norm = _norm(expr.base)
        if norm is None or not expr.exp.is_number:
            return super()._print_Pow(expr)
        u, frobenius = norm
        text = rf"\left\|{self._print(u)}\right\|" + ("_{F}" if frobenius else "")
        p = 2 * expr.exp
        return text if p == 1 else rf"\frac{{1}}{{{text}}}" if p == -1 else \
            rf"{text}^{{{self._print(p)}}}"

    def _print_Determinant(self, expr: Any) -> str:
        return rf"\det\left({self._print(expr.arg)}\right)"

    def _print_DiagonalOf(self, expr: Any) -> str:
        return rf"\operatorname{{diagonal}}\left({self._print(expr.arg)}\right)"

    def _print_Trace(self, expr: Any) -> str:
        return rf"\operatorname{{tr}}\left({self._print(expr.arg)}\right)"

    def _print_MatAdd(self, expr: Any) -> str:
        return _join_terms(self, expr)


def to_str(expr: Any) -> str:
    """``expr`` as text in matrix notation."""
    return MatrixStrPrinter().doprint(_outermost(expr))


def _outermost(expr: Any) -> Any:
    """A 1x1 product read as a scalar needs no parentheses of its own at the top."""
    if isinstance(expr, MatrixElement) and tuple(expr.parent.shape) == (1, 1):
        return expr.parent
    return expr


def to_latex(expr: Any) -> str:
    """``expr`` as LaTeX in matrix notation.

    >>> import sympy
    >>> to_latex(sympy.Symbol("x") ** 3)
    'x^{3}'
    """
    return MatrixLatexPrinter().doprint(_outermost(expr))

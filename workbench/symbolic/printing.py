"""Printing in matrix notation: ``1`` and ``1.T`` for ones, ``∘`` for Hadamard products,
``diag(u)``, elementwise functions by name; plain text and LaTeX."""

from __future__ import annotations

from typing import Any

from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.str import StrPrinter


class MatrixStrPrinter(StrPrinter):
    """SymPy's ``str`` with readable matrix-calculus notation.

    >>> import sympy
    >>> x = sympy.MatrixSymbol("x", 3, 1)
    >>> y = sympy.MatrixSymbol("y", 3, 1)
    >>> print(to_str(sympy.HadamardProduct(x, y) + sympy.OneMatrix(3, 1)))
    x∘y + 1
    """

    def _print_OneMatrix(self, expr: Any) -> str:
        return "1.T" if expr.shape[0] == 1 and expr.shape[1] != 1 else "1"

    def _print_HadamardProduct(self, expr: Any) -> str:
        return "∘".join(self.parenthesize(a, PRECEDENCE["Mul"]) for a in expr.args)

    def _print_HadamardPower(self, expr: Any) -> str:
        return f"{self.parenthesize(expr.base, PRECEDENCE['Pow'])}.**{self._print(expr.exp)}"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return f"diag({self._print(expr.args[0])})"


class MatrixLatexPrinter(LatexPrinter):
    """LaTeX with ``\\mathbf{1}`` for ones and ``\\operatorname{diag}``."""

    def _print_OneMatrix(self, expr: Any) -> str:
        return r"\mathbf{1}^{T}" if expr.shape[0] == 1 and expr.shape[1] != 1 else r"\mathbf{1}"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"


def to_str(expr: Any) -> str:
    """``expr`` as text in matrix notation."""
    return MatrixStrPrinter().doprint(expr)


def to_latex(expr: Any) -> str:
    """``expr`` as LaTeX in matrix notation.

    >>> import sympy
    >>> to_latex(sympy.Symbol("x") ** 3)
    'x^{3}'
    """
    return MatrixLatexPrinter().doprint(expr)

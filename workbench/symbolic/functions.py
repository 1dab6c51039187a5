"""Matrix expressions SymPy lacks: elementwise functions of matrices (``tanh(A*x)``,
``sigmoid(A*x)``), softmax, and the commutation matrix ``K(m,n)`` (``K*vec(A) = vec(A.T)``),
with their element-by-element meaning, text and LaTeX."""

from __future__ import annotations

from typing import Any

import sympy
from sympy import MatrixExpr
from sympy.core.symbol import Str


class Elementwise(MatrixExpr):
    """A scalar function applied to every element of a matrix: ``tanh(A*x)``, ``sigmoid(A*x)``.

    ``as_explicit()`` applies the function's SymPy template element by element.

    >>> x = sympy.MatrixSymbol("x", 2, 1)
    >>> d = sympy.Dummy("d")
    >>> e = Elementwise("exp", sympy.Lambda(d, sympy.exp(d)), x)
    >>> e.as_explicit()[1, 0]
    exp(x[1, 0])
    """

    def __new__(cls, name: str | Str, fn: sympy.Lambda, arg: MatrixExpr):
        return MatrixExpr.__new__(cls, Str(str(name)), fn, arg)

    @property
    def name(self) -> str:
        return self.args[0].name

    @property
    def fn(self) -> sympy.Lambda:
        return self.args[1]

    @property
    def arg(self) -> MatrixExpr:
        return self.args[2]

    @property
    def shape(self) -> tuple:
        return self.arg.shape

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sympy.Expr:
        return self.fn(self.arg._entry(i, j, **kwargs))

    def doit(self, **hints: Any) -> Any:
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(arg, sympy.MatrixBase):
            return arg.applyfunc(self.fn)
        return Elementwise(self.name, self.fn, arg)

    def _eval_transpose(self) -> Elementwise:
        return Elementwise(self.name, self.fn, self.arg.T)

    def _sympystr(self, printer: Any) -> str:
        return f"{self.name}({printer._print(self.arg)})"

    def _latex(self, printer: Any) -> str:
        name = LATEX_NAMES.get(self.name, rf"\operatorname{{{self.name}}}")
        return rf"{name}\left({printer._print(self.arg)}\right)"


LATEX_NAMES = {
    "sigmoid": r"\sigma", "exp": r"\exp", "log": r"\log", "sin": r"\sin", "cos": r"\cos",
    "tan": r"\tan", "tanh": r"\tanh", "sinh": r"\sinh", "cosh": r"\cosh", "sqrt": r"\sqrt",
}



class Softmax(MatrixExpr):
    """``softmax(u) = exp(u) / (1.T*exp(u))`` of a column ``u``.

    >>> u = sympy.MatrixSymbol("u", 2, 1)
    >>> Softmax(u).as_explicit()[0, 0]
    exp(u[0, 0])/(exp(u[0, 0]) + exp(u[1, 0]))
    """

    def __new__(cls, arg: MatrixExpr):
        return MatrixExpr.__new__(cls, arg)

    @property
    def arg(self) -> MatrixExpr:
        return self.args[0]

    @property
    def shape(self) -> tuple:
        return self.arg.shape

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sympy.Expr:
        rows = self.arg.shape[0]
        total = sympy.Add(*[sympy.exp(self.arg._entry(k, j, **kwargs)) for k in range(rows)])
        return sympy.exp(self.arg._entry(i, j, **kwargs)) / total

    def doit(self, **hints: Any) -> Any:
        arg = self.arg.doit(**hints) if hints.get("deep", True) else self.arg
        if isinstance(arg, sympy.MatrixBase):
            return Softmax(arg).as_explicit()
        return Softmax(arg)

    def _sympystr(self, printer: Any) -> str:
        return f"softmax({printer._print(self.arg)})"

    def _latex(self, printer: Any) -> str:
        return rf"\operatorname{{softmax}}\left({printer._print(self.arg)}\right)"


class Commutation(MatrixExpr):
    """The commutation matrix ``K(m,n)``: ``K(m,n)*vec(A) = vec(A.T)`` for an m x n matrix ``A``
    (``vec`` stacks columns).

    >>> Commutation(2, 3).as_explicit()[1, 2]
    1
    """

    def __new__(cls, m: Any, n: Any):
        return MatrixExpr.__new__(cls, sympy.Integer(m), sympy.Integer(n))

    @property
    def shape(self) -> tuple:
        m, n = self.args
        return (m * n, m * n)

    def _entry(self, i: Any, j: Any, **kwargs: Any) -> sympy.Expr:
        m, n = (int(a) for a in self.args)  # row i*n + jj of vec(A.T) is A[i, jj] = vec(A)[i + jj*m]
        row, col = int(i), int(j)
        return sympy.Integer(int(col == row // n + (row % n) * m))

    def doit(self, **hints: Any) -> Any:
        return sympy.ImmutableMatrix(self.as_explicit())

    def _sympystr(self, printer: Any) -> str:
        return f"K({self.args[0]},{self.args[1]})"

    def _latex(self, printer: Any) -> str:
        return rf"K_{{{self.args[0]},{self.args[1]}}}"


"""Closed forms as fast NumPy functions (``lambdify`` with CSE), and central differences."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
from sympy.printing.numpy import SciPyPrinter

from workbench.symbolic.elements import Elements


class WorkbenchNumPyPrinter(SciPyPrinter):
    """NumPy code for the matrix notation workbench prints (ones, diag, elementwise maps); special
    functions (erf, gamma, ...) through ``scipy.special``, which works on arrays as ``math`` does not."""

    def _print_OneMatrix(self, expr: Any) -> str:
        return f"numpy.ones({self._print(expr.shape)})"

    def _print_Softmax(self, expr: Any) -> str:
        e = f"numpy.exp({self._print(expr.arg)})"
        return f"({e} / numpy.sum({e}, axis=0, keepdims=True))"

    def _print_Commutation(self, expr: Any) -> str:
        m, n = (int(a) for a in expr.args)
        rows = f"(numpy.arange({m})[:, None] + {m} * numpy.arange({n})[None, :]).ravel()"
        return f"numpy.eye({m * n})[{rows}]"

    def _print_Trace(self, expr: Any) -> str:
        return f"numpy.trace({self._print(expr.arg)})"

    def _print_HadamardPower(self, expr: Any) -> str:
        return f"numpy.power({self._print(expr.base)}, {self._print(expr.exp)})"

    def _print_HadamardProduct(self, expr: Any) -> str:
        return "(" + " * ".join(f"({self._print(a)})" for a in expr.args) + ")"

    def _print_MatMul(self, expr: Any) -> str:
        """Products with ``diag(u)`` scale rows or columns instead of building the matrix."""
        coeff, mats = expr.as_coeff_matrices()
        if not any(isinstance(m, sympy.DiagMatrix) for m in mats):
            return super()._print_MatMul(expr)
        out = pending = None
        for m in mats:
            if isinstance(m, sympy.DiagMatrix):
                u = f"({self._print(m.args[0])})"
                if out is None:
                    pending = u if pending is None else f"({pending} * {u})"
                else:
                    out = f"({out} * numpy.transpose({u}))"
                continue
            term = f"({self._print(m)})"
            if pending is not None:
                term, pending = f"({pending} * {term})", None
            out = term if out is None else f"({out} @ {term})"
        if out is None:
            out = f"numpy.diagflat({pending})"
        elif pending is not None:
            out = f"({out} * numpy.transpose({pending}))"
        return out if coeff == 1 else f"{self._print(coeff)} * {out}"

    def _print_Determinant(self, expr: Any) -> str:
        return f"numpy.linalg.det({self._print(expr.args[0])})"

    def _print_DiagMatrix(self, expr: Any) -> str:
        return f"numpy.diagflat({self._print(expr.args[0])})"

    def _print_Elementwise(self, expr: Any) -> str:
        d = expr.fn.variables[0]
        placeholder = sympy.Symbol("__ARG__")
        body = self._print(expr.fn.expr.xreplace({d: placeholder}))
        return body.replace("__ARG__", f"({self._print(expr.arg)})")

    def _print_MatrixElement(self, expr: Any) -> str:
        return f"{self.parenthesize(expr.parent, 1000)}[{expr.i}, {expr.j}]"


def _arg(name: str, shape: tuple[int, ...], matrix: bool) -> Any:
    if matrix:
        if shape == ():
            return sympy.Symbol(name, real=True)
        rows, cols = (shape[0], 1) if len(shape) == 1 else shape
        return sympy.MatrixSymbol(name, rows, cols)
    return Elements.symbols(name, shape).a.tolist() if shape else sympy.Symbol(name, real=True)


def lambdify(expr: Any, values: dict[str, tuple[Any, tuple[int, ...]]], matrix: bool,
             out_shape: tuple[int, ...]) -> Callable[..., np.ndarray]:
    """A NumPy function of ``expr``: keyword arguments by symbol name, defaults the recorded
    values; the result has shape ``out_shape``. The generated source is kept as ``.source``.

    >>> x = sympy.Symbol("x", real=True)
    >>> f = lambdify(4 * x**3, {"x": (2.0, ())}, matrix=False, out_shape=())
    >>> float(f()), float(f(x=1.0))
    (32.0, 4.0)
    """
    # temporaries named _s0, _s1, ...: lambdify's default x0, x1 would shadow inputs named so
    cse: Any = lambda exprs: sympy.cse(exprs, symbols=sympy.numbered_symbols("_s"))
    single = not hasattr(expr, "defs")  # a custom cse makes lambdify return a 1-element list
    if not single:  # a Program: its definitions are the common subexpressions
        defs = list(expr.defs)
        seen = sympy.Tuple(*[e for _, e in defs], *expr.result.ravel())
        expr, cse = list(expr.result.ravel()), (lambda exprs: (defs, exprs))
    else:
        seen = expr
    names = [n for n in values if _mentions(seen, n, values[n][1], matrix)]
    args = [_arg(n, values[n][1], matrix) for n in names]
    fn = sympy.lambdify(args, expr, modules=[{"functools": functools}, "scipy", "numpy"], cse=cse,
                        printer=WorkbenchNumPyPrinter({"fully_qualified_modules": True}))
    shapes = {n: values[n][1] for n in names}
    defaults = {n: np.asarray(values[n][0], dtype=float) for n in names}

    def call(**kwargs: Any) -> np.ndarray:
        inputs = []
        for n in names:
            v = np.asarray(kwargs[n], dtype=float) if n in kwargs else defaults[n]
            inputs.append(v.reshape(-1, 1) if matrix and len(shapes[n]) == 1 else v)
        out = fn(*inputs)
        if single and isinstance(out, list):
            out = out[0]
        return np.reshape(np.asarray(out, dtype=float), out_shape)

    call.source = getattr(fn, "__doc__", "")  # lambdify keeps the source in the docstring
    call.names = tuple(names)
    call.raw = fn
    return call


def _mentions(expr: Any, name: str, shape: tuple[int, ...], matrix: bool) -> bool:
    if not isinstance(expr, sympy.Basic | sympy.MatrixBase):
        return False
    if matrix and shape != ():
        return any(s.name == name for s in expr.atoms(sympy.MatrixSymbol))
    names = {s.name for s in expr.free_symbols if isinstance(s, sympy.Symbol)}
    if shape == ():
        return name in names
    return any(n.startswith(name + "_") for n in names)


def central_differences(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray) -> np.ndarray:
    """Jacobian of ``f`` at ``x`` by central differences, shape ``f(x).shape + x.shape``.

    >>> float(central_differences(lambda v: v**3, np.array(2.0)).round(6))
    12.0
    """
    x = np.asarray(x, dtype=float)
    eps = np.finfo(float).eps ** (1 / 3)
    out_shape = np.shape(f(x))
    jac = np.zeros((int(np.prod(out_shape)), x.size))
    flat = x.ravel()
    for i in range(x.size):
        h = eps * max(1.0, abs(flat[i]))
        up, down = flat.copy(), flat.copy()
        up[i] += h
        down[i] -= h
        diff = np.asarray(f(up.reshape(x.shape))) - np.asarray(f(down.reshape(x.shape)))
        jac[:, i] = diff.ravel() / (2 * h)
    return jac.reshape(out_shape + x.shape)


"""``tape.solve_stationary``: solve gradient = 0 in closed form where SymPy can, evaluate the
solution, and evaluate the tape's own gradient there (which should be about 0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy
from sympy import Inverse, MatAdd, MatMul

from workbench.symbolic.budget import Budget
from workbench.symbolic.derivation import Derivation, derive
from workbench.symbolic.matrix import madd, mm
from workbench.symbolic.numeric import lambdify
from workbench.symbolic.printing import to_str
from workbench.symbolic.textbook import textbook


@dataclass
class Stationary:
    """A stationary point: ``solution`` (SymPy), ``value`` (its number at the recorded values of
    the other symbols), ``tape_gradient`` (the tape's gradient there) and the ``derivation``."""

    solution: Any
    value: np.ndarray
    tape_gradient: np.ndarray
    derivation: Derivation
    all_solutions: tuple = ()

    def __str__(self) -> str:
        d = self.derivation
        return (f"∂f/∂{d.source_name} = {to_str(d.expr)} = 0  =>  {d.source_name} = "
                f"{to_str(self.solution)} = {np.array2string(self.value, precision=6)}\n"
                f"tape gradient there: {np.array2string(self.tape_gradient, precision=3)}")


def solve_stationary(tape: Any, target: Any, source: Any, view: str | None = None,
                     budget: Budget | None = None) -> Stationary:
    """Solve d(target)/d(source) = 0 symbolically.

    >>> import workbench as wb
    >>> b = wb.Variable(0.5, name="beta")
    >>> with wb.GradientTape() as tape:
    ...     loss = (b / 2 - 1) ** 2
    >>> st = tape.solve_stationary(loss, b)
    >>> st.solution, float(st.value), abs(float(st.tape_gradient)) < 1e-12
    (2, 2.0, True)
    """
    d = derive(tape, target, source, view=view, budget=budget)
    name = d.source_name
    if d.view == "matrix" and isinstance(d.expr, sympy.MatrixExpr):
        sym = sympy.MatrixSymbol(name, *d.expr.shape)
        solution = _solve_linear(_expanded(d.expr), sym)
        solution = textbook(solution) if solution is not None else None
        if solution is None:
            raise ValueError(f"no closed-form stationary point: {to_str(d.expr)} is not linear "
                             f"in {name}; try view='elements'")
        solutions: tuple = (solution,)
    else:
        solutions = _solve_elements(d, name)
        solution = solutions[0]
    others = {k: v for k, v in d.symbols.items() if k != name}
    is_matrix = d.view == "matrix" and isinstance(solution, sympy.MatrixExpr)
    value = lambdify(solution, others, is_matrix, tuple(np.shape(d.symbols[name][0])))()
    grad = d.tape_gradient_at(**{name: value})
    return Stationary(solution, value, grad, d, solutions)


def _expanded(expr: Any) -> Any:
    """The textbook form ``2*X.T*(X*b - y)`` expanded to ``2*X.T*X*b - 2*X.T*y``."""
    out = expr.doit().expand()
    return out.doit() if isinstance(out, sympy.MatrixExpr) else out


def _matrix_coefficient(factors: tuple, s: Any) -> Any:
    """The matrix multiplying ``s`` in a term: a scalar one (``2*lambda`` in ridge) times I."""
    c = mm(*factors) if factors else sympy.Integer(1)
    return c if isinstance(c, sympy.MatrixExpr) else mm(c, sympy.Identity(s.shape[0]))


def _solve_linear(expr: Any, s: Any) -> Any:
    """``M*s + c = 0  =>  s = M**-1 * (-c)``, common scalar factors cancelled."""
    terms = expr.args if isinstance(expr, MatAdd) else (expr,)
    coeffs, consts = [], []
    for term in terms:
        if not term.has(s):
            consts.append(term)
            continue
        args = term.args if isinstance(term, MatMul) else (term,)
        if args[-1] != s or any(a.has(s) for a in args[:-1]):
            return None
        coeffs.append(_matrix_coefficient(args[:-1], s))
    if not coeffs:
        return None
    scale = _common_scalar(coeffs)
    m = madd(*[mm(1 / scale, c) for c in coeffs])
    rhs = madd(*[mm(-1 / scale, c) for c in consts]) if consts else sympy.ZeroMatrix(*s.shape)
    return mm(Inverse(m), rhs)


def _common_scalar(terms: list) -> Any:
    scalars = {t.args[0].as_coeff_Mul()[0] if isinstance(t, MatMul) and
               not isinstance(t.args[0], sympy.MatrixExpr) else sympy.Integer(1) for t in terms}
    return scalars.pop() if len(scalars) == 1 else sympy.Integer(1)


def _solve_elements(d: Derivation, name: str) -> tuple:
    exprs = list(d.expr) if isinstance(d.expr, sympy.MatrixBase) else [d.expr]
    shape = np.shape(d.symbols[name][0])
    if shape == ():
        unknowns = [sympy.Symbol(name, real=True)]
    else:
        from workbench.symbolic.elements import Elements

        unknowns = list(Elements.symbols(name, shape).a.ravel())
    try:  # a linear system (least squares in the element view): solve it as one
        a, b = sympy.linear_eq_to_matrix(exprs, unknowns)
        found = [dict(zip(unknowns, a.LUsolve(b), strict=True))]
    except (sympy.solvers.solveset.NonlinearError, ValueError):
        found = sympy.solve(exprs, unknowns, dict=True)
    if not found:
        raise ValueError(f"SymPy found no stationary point of {d.expr}")
    out = []
    for sol in found:
        vals = [sol.get(u, u) for u in unknowns]
        if any(not v.is_real for v in vals if v.is_number):
            continue
        out.append(vals[0] if shape == () else sympy.Matrix(vals))
    if not out:
        raise ValueError(f"SymPy found no real stationary point of {d.expr}")
    return tuple(out)

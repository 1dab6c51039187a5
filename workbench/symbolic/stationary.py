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
from workbench.symbolic.elements import Elements
from workbench.symbolic.matrix import madd, mm
from workbench.symbolic.numeric import lambdify
from workbench.symbolic.printing import to_str
from workbench.symbolic.textbook import textbook


@dataclass
class Stationary:
    """A stationary point: ``solution`` (SymPy), ``value`` (its number at the recorded values of
    the other symbols), ``tape_gradient`` (the tape's gradient there) and the ``derivation``.

    ``all_solutions`` lists every solution found (sorted for a scalar source) and ``values``
    their numbers; ``notes`` says when the tape's gradient there follows recorded branches. When the solutions form an infinite family (``sin``: ``x = 2*n*pi + pi/2``),
    ``family`` is that SymPy set, and ``solution``/``value`` are its member nearest to the
    recorded value of the source."""

    solution: Any
    value: np.ndarray
    tape_gradient: np.ndarray
    derivation: Derivation
    all_solutions: tuple = ()
    values: tuple = ()
    family: Any = None
    notes: tuple = ()

    def __str__(self) -> str:
        d = self.derivation
        head = f"∂f/∂{d.source_name} = {to_str(d.expr)} = 0  =>  {d.source_name}"
        if self.family is not None:
            head += (f" ∈ {family_str(self.family)}\nnearest the recorded value: "
                     f"{d.source_name}")
        elif len(self.all_solutions) > 1:
            head += (" ∈ {" + ", ".join(to_str(s) for s in self.all_solutions) + "}\n"
                     f"first of {len(self.all_solutions)}: {d.source_name}")
        return (f"{head} = {to_str(self.solution)} = {np.array2string(self.value, precision=6)}\n"
                f"tape gradient there: {np.array2string(self.tape_gradient, precision=3)}"
                + "".join(f"\nnote: {n}" for n in self.notes))


def solve_stationary(tape: Any, target: Any, source: Any, view: str | None = None,
                     budget: Budget | None = None) -> Stationary:
    """Solve d(target)/d(source) = 0 symbolically (over the reals).

    Raises ``ValueError`` saying so when there is no real stationary point (``exp(x)``) or
    SymPy cannot solve the equation in closed form.

    >>> import workbench as wb
    >>> b = wb.Variable(0.5, name="beta")
    >>> with wb.GradientTape() as tape:
    ...     loss = (b / 2 - 1) ** 2
    >>> st = tape.solve_stationary(loss, b)
    >>> st.solution, float(st.value), abs(float(st.tape_gradient)) < 1e-12
    (2, 2.0, True)
    """
    budget = budget or Budget()
    with budget.running("solving for stationary points"):
        d = derive(tape, target, source, view=view, budget=budget)
        name = d.source_name
        family = None
        if d.view == "matrix" and isinstance(d.expr, sympy.MatrixExpr):
            sym = sympy.MatrixSymbol(name, *d.expr.shape)
            solution = _solve_linear(_expanded(d.expr), sym)
            solution = textbook(solution) if solution is not None else None
            if solution is None:
                if view is not None:
                    raise ValueError(f"no closed-form stationary point in matrix notation: "
                                     f"{to_str(d.expr)} is not linear in {name}; try "
                                     "view='elements'")
                return solve_stationary(tape, target, source, "elements", budget)
            solutions: tuple = (solution,)
        elif np.shape(d.symbols[name][0]) == ():
            solutions, family = _solve_scalar(d, name, budget)
        else:
            solutions = _solve_elements(d, name, budget)
        others = {k: v for k, v in d.symbols.items() if k != name}
        shape = tuple(np.shape(d.symbols[name][0]))
        values = tuple(_number(s, d, others, shape) for s in solutions)
        if family is not None:  # the member nearest the recorded value
            x0 = float(np.asarray(d.symbols[name][0]))
            k = int(np.argmin([abs(float(v) - x0) for v in values]))
            solutions, values = (solutions[k],), (values[k],)
        budget.check_time("evaluating the tape's gradient at the solution")
        grad = d.tape_gradient_at(**{name: values[0]})
        notes = _branch_note(d, name, values[0], grad)
    return Stationary(solutions[0], values[0], grad, d, solutions, values, family, notes)


def _branch_note(d: Derivation, name: str, value: Any, grad: np.ndarray) -> tuple:
    """A note when the tape's gradient at the solution differs from the closed form there: the
    tape follows the branches taken at the recorded point (relu, abs, max, ...)."""
    with np.errstate(all="ignore"):
        closed = np.asarray(d.function()(**{name: value}), dtype=float)
    if np.allclose(closed.ravel(), np.ravel(grad), rtol=1e-6, atol=1e-9):
        return ()
    return ((f"the tape's gradient at the solution follows the branches recorded at the "
             f"original value of {name} (relu, abs, max, ...); the closed form gives "
             f"{np.array2string(closed, precision=6)} there"),)


def family_str(found: Any) -> str:
    """A solution set as text: ``{2*pi*n + pi/2 | n ∈ ℤ} ∪ {2*pi*n + 3*pi/2 | n ∈ ℤ}``.

    >>> x = sympy.Symbol("x", real=True)
    >>> family_str(sympy.solveset(sympy.sin(x), x, sympy.S.Reals))
    '{2*pi*n | n ∈ ℤ} ∪ {2*pi*n + pi | n ∈ ℤ}'
    """
    parts = found.args if isinstance(found, sympy.Union) else (found,)
    out = []
    for part in parts:
        if isinstance(part, sympy.ImageSet) and part.base_sets == (sympy.S.Integers,):
            (n,), e = part.lamda.variables, part.lamda.expr
            out.append("{" + to_str(e.subs(n, sympy.Symbol("n", integer=True))) + " | n ∈ ℤ}")
        elif isinstance(part, sympy.FiniteSet):
            out.append("{" + ", ".join(to_str(s) for s in part) + "}")
        else:
            out.append(to_str(part))
    return " ∪ ".join(out)


def _number(solution: Any, d: Derivation, others: dict, shape: tuple) -> np.ndarray:
    is_matrix = d.view == "matrix" and isinstance(solution, sympy.MatrixExpr)
    return lambdify(solution, others, is_matrix, shape)()


def _solve_scalar(d: Derivation, name: str, budget: Budget) -> tuple[tuple, Any]:
    """Real solutions of ``expr = 0``: a finite sorted tuple, or (members near the recorded
    value, the infinite family)."""
    expr = d.expr[0, 0] if isinstance(d.expr, sympy.MatrixBase) else d.expr
    x = sympy.Symbol(name, real=True)
    found = sympy.solveset(expr, x, domain=sympy.S.Reals)
    budget.check_time("solving for stationary points")
    shown = f"∂f/∂{name} = {to_str(expr)}"
    if found is sympy.S.EmptySet:
        raise ValueError(f"no stationary point: {shown} is never 0 for real {name}")
    if isinstance(found, sympy.Intersection) and sympy.S.Reals in found.args:
        finite = [a for a in found.args if isinstance(a, sympy.FiniteSet)]
        if len(finite) == 1:  # {-sqrt(a), sqrt(a)} ∩ Reals: real at the recorded values?
            found = finite[0]
    if isinstance(found, sympy.FiniteSet):
        others = {k: v for k, v in d.symbols.items() if k != name}
        with np.errstate(invalid="ignore"):  # sqrt(a) at a < 0 is NaN: not a real solution
            nums = [complex(_number(s, d, others, ())) for s in found]
        real = sorted((z.real, s) for z, s in zip(nums, found, strict=True)
                      if np.isfinite(z.real) and abs(z.imag) <= 1e-12 * (1 + abs(z)))
        if not real:
            raise ValueError(f"no stationary point: {shown} is never 0 for real {name} at the "
                             "recorded values of the other symbols")
        return tuple(s for _, s in real), None
    members = _family_members(found, float(np.asarray(d.symbols[name][0])), d, name)
    if not members:
        raise ValueError(f"no closed-form stationary point: SymPy cannot solve {shown} = 0 "
                         f"(it gives {to_str(found)}); use an optimizer on tape.gradient")
    return tuple(members), found


def _family_members(found: Any, x0: float, d: Derivation, name: str) -> list:
    """Members of a union of ``ImageSet(Lambda(n, e(n)), Integers)`` near ``x0``."""
    parts = found.args if isinstance(found, sympy.Union) else (found,)
    subs = {sympy.Symbol(k, real=True): sympy.Float(float(np.asarray(v)))
            for k, (v, shp) in d.symbols.items() if k != name and shp == ()}
    out = []
    for part in parts:
        if isinstance(part, sympy.FiniteSet):
            out.extend(part)
            continue
        if isinstance(part, sympy.Interval):  # a flat stretch: its point nearest x0
            member = _interval_member(part, x0)
            if member is None:
                return []
            out.append(member)
            continue
        if not (isinstance(part, sympy.ImageSet) and part.base_sets == (sympy.S.Integers,)):
            return []
        (n,), e = part.lamda.variables, part.lamda.expr
        slope = sympy.diff(e, n)
        if slope.has(n) or slope == 0:
            return []
        at = ((x0 - e.subs(n, 0)) / slope).subs(subs)
        start = float(at) if at.is_number and at.is_real else 0.0
        for k in {int(np.floor(start)), int(np.ceil(start))}:
            out.append(e.subs(n, k))
    return out


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


def _interval_member(part: Any, x0: float) -> Any:
    """The point of the interval nearest ``x0`` (moved inside from an open end)."""
    lo, hi = part.inf, part.sup
    if not (lo.is_number and hi.is_number):
        return None
    lo_f, hi_f = float(lo), float(hi)
    x = min(max(x0, lo_f), hi_f)
    if x == lo_f and part.left_open or x == hi_f and part.right_open:
        width = hi_f - lo_f
        step = 1.0 if not np.isfinite(width) else width / 2
        x = x + step if x == lo_f else x - step
    return sympy.Float(x)


def _solve_elements(d: Derivation, name: str, budget: Budget) -> tuple:
    exprs = list(d.expr) if isinstance(d.expr, sympy.MatrixBase) else [d.expr]
    shape = np.shape(d.symbols[name][0])
    unknowns = list(Elements.symbols(name, shape).a.ravel())
    try:  # a linear system (least squares in the element view): solve it as one
        a, b = sympy.linear_eq_to_matrix(exprs, unknowns)
        found = [dict(zip(unknowns, a.LUsolve(b), strict=True))]
    except ValueError:  # NonlinearError (a ValueError): the general solver
        found = sympy.solve(exprs, unknowns, dict=True)
    budget.check_time("solving for stationary points")
    if not found:
        raise ValueError(f"no stationary point: SymPy found no solution of {to_str(d.expr)} = 0")
    out = []
    for sol in found:
        vals = [sol.get(u, u) for u in unknowns]
        if any(not v.is_real for v in vals if v.is_number):
            continue
        out.append(sympy.Matrix(vals))
    if not out:
        raise ValueError(f"no real stationary point: every solution of {to_str(d.expr)} = 0 "
                         "is complex")
    return tuple(out)

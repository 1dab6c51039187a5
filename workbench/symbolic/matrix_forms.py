"""Closed forms in matrix notation: candidates from SymPy's matrix calculus and from the
backward graph printed in matrix notation, the shortest that agrees with the element view."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from workbench.symbolic import calculus, verify
from workbench.symbolic.budget import Budget, SymbolicBudgetExceeded, count_ops
from workbench.symbolic.elements import Elements
from workbench.symbolic.functions import Elementwise
from workbench.symbolic.matrix import MatrixForm
from workbench.symbolic.printing import to_str
from workbench.symbolic.textbook import scalar_of, textbook


class FallBack(Exception):
    """The matrix notation could not be shown right: the element view is used instead."""


def scalar_target(form: Any) -> Any:
    if isinstance(form, Elements):
        return sympy.Add(*form.a.ravel())
    return form.sum(None, False).e if form.shape else form.e


def prove(closed: Any, tape: Any, tr: Any, budget: Budget) -> str:
    if verify.equal(closed, tape, budget.simplify_ops):
        return "symbolic: simplify(expr - tape_expr) == 0"
    if verify.numerically_equal(closed, tape, verify.element_subs(tr.values)):
        return ("at the recorded point: the tape's expression follows the branches taken there "
                "(e.g. relu, max, abs); equal to 30 digits")
    raise SymbolicBudgetExceeded(
        "the tape's reverse pass and the closed form could not be shown equal:\n"
        f"  closed form: {closed}\n  tape: {tape}")


def matrix_forms(tr: Any, src_var: Any, order: int, v: Any, budget: Budget) -> tuple:
    f = scalar_of(textbook(scalar_target(tr.outputs[0])))
    budget.check_size(f, "translating the target")
    s = tr.env[src_var].e
    tape = tr.outputs[1].e if isinstance(tr.outputs[1], MatrixForm) else tr.outputs[1]
    if v is not None:
        vsym = next(a for a in tape.atoms(sympy.MatrixSymbol) if a.name == v.name) \
            if isinstance(tape, sympy.Basic) and tape.has(sympy.MatrixSymbol(v.name, *s.shape)) \
            else sympy.MatrixSymbol(v.name, *s.shape)
        h = calculus.vec_coefficient(textbook(tape), vsym) if vec_form(s, order) else \
            calculus.linear_coefficient(tape, vsym)
        if h is None:
            raise FallBack("the Hessian could not be factored out of the backward graph")
        tape = h
    tape = textbook(calculus.push_transposes(tape))
    candidates = []
    try:
        if vec_form(s, order):
            raise calculus.NotMatrixCalculus("SymPy writes matrix Hessians as arrays, not vec")
        candidates.append((calculus.canonical(calculus.matrix_diff(f, s, order))
                           if isinstance(s, sympy.MatrixSymbol) else
                           calculus.canonical(_scalar_diff(f, s, order)), "SymPy matrix calculus"))
    except calculus.NotMatrixCalculus:
        pass
    candidates.append((_collected(tape), "the backward graph in matrix notation"))
    candidates.append((tape, "the backward graph in matrix notation"))
    unique: dict[str, tuple] = {}
    for c, how in candidates:
        c = textbook(c)
        unique.setdefault(to_str(c), (c, how))
    candidates = sorted(unique.values(), key=lambda c: len(to_str(c[0])))
    if not isinstance(s, sympy.MatrixSymbol):
        # a scalar source: SymPy's derivative of f holds everywhere (Heaviside(x) for relu),
        # while the backward graph follows the branches recorded at the point (1 there)
        candidates.sort(key=lambda c: c[1] != "SymPy matrix calculus")
    failure: Exception | None = None
    for closed, how in candidates:  # the shorter first; SymPy's diff can be wrong (log det)
        budget.check_size(closed, "differentiating")
        try:
            if not isinstance(s, sympy.MatrixSymbol):
                return f, closed, tape, prove(closed, tape, tr, budget)
            proof = _check_matrix(f, s, closed, tape, order, tr, budget)
        except (FallBack, SymbolicBudgetExceeded, IndexError, TypeError, ValueError) as exc:
            failure = exc  # e.g. SymPy's diff left explicit elements that cannot be resized
            continue
        return f, closed, tape, f"{proof}; closed form from {how}"
    raise FallBack(str(failure))


def _collected(e: Any) -> Any:
    """``e`` in the canonical form (products expanded, like terms collected) when SymPy can do
    so without growing it much; else with like terms collected; else as printed. A scalar
    read off a 1x1 product (``(x - a).T*(x - a)``) would be written out element by element:
    such forms stay as printed."""
    if verify.reads_products(e):
        return e
    try:
        out = e.doit()
        expanded = calculus.canonical(out)
    except Exception:  # noqa: BLE001 - keep the printed backward graph as it is
        return e
    for candidate, limit in ((expanded, 1.5 * count_ops(e)), (out, count_ops(e))):
        if isinstance(candidate, sympy.MatrixExpr) and candidate.shape == e.shape and \
                count_ops(candidate) <= limit and not verify.reads_elements(candidate):
            return candidate
    return e


def _scalar_diff(f: Any, s: Any, order: int) -> Any:
    if isinstance(f, sympy.MatrixExpr):
        raise calculus.NotMatrixCalculus("a matrix-valued scalar")
    return sympy.diff(f, s, order)


def vec_form(s: Any, order: int) -> bool:
    """True for the Hessian of a matrix source: written for ``vec`` of it (columns stacked)."""
    return order == 2 and isinstance(s, sympy.MatrixSymbol) and s.shape[1] != 1


def _check_matrix(f: Any, s: Any, closed: Any, tape: Any, order: int, tr: Any,
                  budget: Budget) -> str:
    """Matrix forms against the element view on a small instance (resized if large); at two
    random points where symbolic equality would be slow (inverses, determinants, Hessians of
    elementwise functions, Hessians of matrix sources)."""
    vec = vec_form(s, order)
    dim = int if vec else verify.small_dims(f, closed, tape)  # vec: sizes are products
    shapes = {n: shp for n, (_, shp) in tr.values.items()}
    small = [verify.resize(e, dim) for e in (f, closed, tape, s)]
    fe = verify.explicit(small[0], shapes)
    numeric = verify.needs_numeric_witness(closed, tape) or vec or \
        (order == 2 and any(isinstance(a, Elementwise) for a in sympy.preorder_traversal(f)))
    ce, te = (None, None) if numeric else \
        (verify.explicit(e, shapes) for e in small[1:3])
    fe = fe[0, 0] if isinstance(fe, sympy.MatrixBase) else fe
    se = verify.explicit(small[3], shapes) if isinstance(small[3], sympy.MatrixExpr) \
        else small[3]
    flat = list(se.T if vec else se) if isinstance(se, sympy.MatrixBase) else [se]
    if order == 1:
        ref = np.array([sympy.diff(fe, x) for x in flat], dtype=object)
    else:
        grads = [sympy.diff(fe, a) for a in flat]  # each first derivative once
        ref = np.array([[sympy.diff(g, b) for b in flat] for g in grads], dtype=object)
    budget.check_time("checking the matrix form against the element view")
    where = "the recorded shapes" if dim is int else "a small instance"
    if numeric:
        failed = verify.mismatch_at_random_points(
            {"closed form": small[1], "tape expression": small[2]}, shapes, ref)
        if failed:
            raise FallBack(f"the matrix-notation {failed} did not match the element view")
        return f"matrix forms checked against the element view on {where}, at two random points"
    for what, e in (("closed form", ce), ("tape expression", te)):
        got = verify.as_array(e)
        if got.size != ref.size or not verify.equal(got.ravel(), ref.ravel(),
                                                    budget.simplify_ops):
            raise FallBack(f"the matrix-notation {what} did not match the element view")
    return f"matrix forms checked against the element view on {where}"

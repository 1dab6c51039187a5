"""``tape.derive``: a closed-form derivative, the tape's own reverse pass as a formula, the proof
that they agree, and numbers three ways (closed form, tape, central differences)."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from workbench import autodiff
from workbench.symbolic import calculus, verify
from workbench.symbolic.budget import Budget, SymbolicBudgetExceeded, count_ops
from workbench.symbolic.derivation_view import DerivationView, constant_definitions
from workbench.symbolic.elements import Elements
from workbench.symbolic.expression import default_view
from workbench.symbolic.functions import Elementwise
from workbench.symbolic.matrix import MatrixForm
from workbench.symbolic.names import unique_inputs
from workbench.symbolic.numeric import central_differences, lambdify
from workbench.symbolic.printing import to_str
from workbench.symbolic.program import (
    PROGRAM_EQNS,
    PROGRAM_OPS,
    Program,
    prune,
    reverse_mode,
    translate_program,
)
from workbench.symbolic.records import evaluate, record_backward
from workbench.symbolic.steps import chain_rule_steps
from workbench.symbolic.textbook import scalar_of, textbook
from workbench.symbolic.translate import translate
from workbench.tape_graph import build_graph, source_groups
from workbench.tensor import Tensor, constant


class Derivation(DerivationView):
    """The derivative of a recorded target w.r.t. one source, symbolically and numerically.

    Attributes: ``expr`` (the checked closed form), ``tape_expr`` (the tape's reverse pass
    printed through the same SymPy rules), ``proof`` (how they were shown equal), ``forward``
    (the target's formula), ``view`` ("matrix" or "elements"), ``order``, ``notes`` (fallbacks),
    ``ops`` (operation count of ``expr`` after CSE), ``steps``; numbers: ``value`` (closed form
    at the recorded values), ``tape_value``, ``fd_value`` (central differences). The Hessian of
    a matrix source ``X`` (n x k) is written for ``vec(X)`` (columns stacked; ``vec_form``):
    ``expr[i + j*n, p + q*n]`` is d²f/dX[i,j]dX[p,q]; the numbers keep the shape (n, k, n, k).
    """

    def __init__(self, **fields: Any):
        for k, v in fields.items():
            object.__setattr__(self, k, v)
        self._cache: dict[str, Any] = {}

    def plot(self, title: str | None = None) -> Any:
        """This derivation as a matplotlib Figure (``workbench.plot.derivation_card``)."""
        from workbench.plot.card import derivation_card

        return derivation_card(self, title)

    # --- numbers ------------------------------------------------------------------------------
    def function(self) -> Any:
        """The closed form as a NumPy function (``lambdify`` with CSE); keyword arguments by
        symbol name, defaulting to the recorded values; ``.source`` holds the generated code."""
        if "fn" not in self._cache:
            if self.vec_form:  # the (n*k, n*k) matrix of vec(X), as the (n, k, n, k) Hessian
                n, k = self.out_shape[:2]
                flat = lambdify(self.expr, self.symbols, True, (n * k, n * k))

                def fn(**inputs: Any) -> np.ndarray:
                    return flat(**inputs).reshape(k, n, k, n).transpose(1, 0, 3, 2)

                fn.source, fn.names, fn.raw = flat.source, flat.names, flat.raw
                self._cache["fn"] = fn
            else:
                self._cache["fn"] = lambdify(self.expr, self.symbols, self.view == "matrix",
                                             self.out_shape)
        return self._cache["fn"]

    @property
    def value(self) -> np.ndarray:
        return self.function()()

    @property
    def tape_value(self) -> np.ndarray:
        if "tape" not in self._cache:
            self._cache["tape"] = self._tape_numbers()
        return self._cache["tape"]

    @property
    def fd_value(self) -> np.ndarray:
        if "fd" not in self._cache:
            graph, values, name = self._fd_graph
            x0 = np.asarray(self.symbols[name][0], dtype=float)

            def f(x: np.ndarray) -> np.ndarray:
                out = evaluate(graph, values, {name: x})[0]
                return np.sum(out) if self.order == 1 else out

            self._cache["fd"] = central_differences(f, x0).reshape(self.out_shape)
        return self._cache["fd"]

    def tape_gradient_at(self, **inputs: Any) -> np.ndarray:
        """The tape's own reverse pass (its recorded VJP ops) evaluated at other input values."""
        graph, values = self._grad_graph
        return np.asarray(evaluate(graph, values, inputs)[0], dtype=float)

    def _tape_numbers(self) -> np.ndarray:
        if self.order == 1 or self._hessian_source_shape == ():
            return np.asarray(self._tape_tensor._value, dtype=float).reshape(self.out_shape)
        records, grad, groups = self._jacobian_inputs
        n = int(np.prod(self._hessian_source_shape))
        basis = np.eye(n).reshape((n,) + grad.shape)
        try:
            (jac,) = autodiff.reverse_pass(records, [(grad, constant(basis))], groups,
                                           batch_ndim=1)
            rows = np.asarray(jac._value)
        except autodiff.BatchingUnsupported:
            rows = np.stack([np.asarray(autodiff.reverse_pass(
                records, [(grad, constant(b))], groups)[0]._value) for b in basis])
        return rows.reshape(self.out_shape)


def derive(tape: Any, target: Any, source: Any, order: int = 1, view: str | None = None,
           budget: Budget | None = None) -> Derivation:
    """Differentiate a recorded ``target`` w.r.t. ``source`` symbolically and check the tape.

    A non-scalar target is summed first (as ``tape.gradient`` does). ``order=2`` gives the
    second derivative (the Hessian for a vector source).

    >>> import workbench as wb
    >>> x = wb.constant(3.0, name="x")
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    ...     z = y * y
    >>> d = tape.derive(z, x)
    >>> d.expr, float(d.value), float(d.tape_value)
    (4*x**3, 108.0, 108.0)
    """
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 1:
        raise ValueError(f"derive: order must be a positive integer (1 for the gradient, 2 for "
                         f"the Hessian), got {order!r}")
    if order not in (1, 2) and getattr(source, "ndim", 0) != 0:
        raise ValueError(f"order={order} is supported for scalar sources only (1 or 2 otherwise)")
    budget = budget or Budget()
    with budget.running("differentiating"):
        return _derive(tape, target, source, int(order), view, budget)


def _derive(tape: Any, target: Any, source: Any, order: int, view: str | None,
            budget: Budget) -> Derivation:
    t = tape._target_tensor(target)
    src_ids = tape._source_ids(source)
    fwd = autodiff.backward_slice(tape._records, [t])
    used = {id(a) for _, ins, _, _ in fwd for a in ins} | {id(t)}
    inputs, src_name, names = _named_inputs(tape, used, source)
    if src_name is None or not any(i in used for i in src_ids):
        raise ValueError(f"the target does not depend on the source ({tape.explain(t, source)})")
    records, grad = list(fwd), t
    grads: list[Tensor] = []
    v = None
    for k in range(order):
        if k == 1 and source.ndim > 0:
            v = constant(np.ones(source.shape, dtype=source.dtype),
                         name=names.claim("v", source.shape, generated=True))
            seed, extra = v, [v]
        else:
            seed, extra = constant(np.ones(grad.shape, dtype=grad.dtype)), []
        (g,), bwd = record_backward(records, grad, seed, [src_ids], watch=extra)
        if g is None:
            g = constant(np.zeros(source.shape, source.dtype))
        jac_inputs = (list(records), grad, [src_ids])
        records, grad = records + bwd, g
        grads.append(g)
    if v is not None:
        inputs.append((v.name, [v]))
    graph, values = build_graph(records, inputs, [t, grads[-1]])
    shapes = [var.shape for var in graph.inputs] + [t.shape]
    chosen = view or default_view(*shapes)
    notes: list[str] = []
    src_var = next(var for var in graph.inputs if var.name == src_name)
    if view is None and len(fwd) > PROGRAM_EQNS:
        chosen = "program"
        notes.append(f"{len(fwd)} equations: shown as a straight-line program (no swell)")
    if chosen == "program":
        if order != 1:
            raise SymbolicBudgetExceeded(
                f"order={order} derivatives of a {len(fwd)}-equation graph are not expanded "
                "symbolically; use nested tapes (tape.jacobian of tape.gradient) for numbers")
        tr, defs = translate_program(graph, values, budget)
        forms = _program_forms(tr, defs, src_var, budget)
    else:
        tr = translate(graph, values, chosen, budget)
        if tr.fallback:
            notes.append(tr.fallback)
        if tr.view == "elements" and order == 1 and \
                count_ops(_scalar_target(tr.outputs[0])) > PROGRAM_OPS:
            notes.append(f"more than {PROGRAM_OPS} operations in the element view: shown as a "
                         "straight-line program (no swell)")
            tr, defs = translate_program(graph, values, budget)
            forms = _program_forms(tr, defs, src_var, budget)
        else:
            forms, tr = _view_forms(tr, graph, values, src_var, order, v, budget, notes)
    forward, closed, tape_form, proof = forms
    names.renamed.extend(r for r in tr.renamed if r not in names.renamed)
    if names.renamed:
        notes.append(names.note())
    notes += constant_definitions(tr.values, {n for n, _ in inputs})
    grad_graph = build_graph(records, inputs, [grads[-1]])
    fd_graph = build_graph(records if order == 1 else jac_inputs[0], inputs,
                           [t if order == 1 else jac_inputs[1]])
    out_shape = tuple(source.shape) * order if order <= 2 else ()
    vec_form = tr.view == "matrix" and isinstance(closed, sympy.MatrixExpr) and \
        _vec_form(tr.env[src_var].e, order)
    return Derivation(vec_form=vec_form,
        forward=forward, expr=closed, tape_expr=tape_form, proof=proof, view=tr.view,
        order=order, notes=notes, symbols=tr.values,
        ops=closed.ops() if isinstance(closed, Program) else count_ops(closed),
        source_name=src_name, out_shape=out_shape,
        steps=chain_rule_steps(graph, tr, t, src_name, closed),
        _tape_tensor=grads[-1], _jacobian_inputs=jac_inputs,
        _hessian_source_shape=tuple(source.shape),
        _fd_graph=(fd_graph[0], fd_graph[1], src_name), _grad_graph=grad_graph,
    )


class _FallBack(Exception):
    pass


def _view_forms(tr: Any, graph: Any, values: Any, src_var: Any, order: int, v: Any,
                budget: Budget, notes: list[str]) -> tuple:
    """Closed form, tape form and proof in ``tr``'s view; the element view if matrix fails."""
    build = _matrix_forms if tr.view == "matrix" else _element_forms
    try:
        return build(tr, src_var, order, v, budget), tr
    except _FallBack as exc:
        notes.append(f"element view used: {exc}")
        tr = translate(graph, values, "elements", budget)
        return _element_forms(tr, src_var, order, v, budget), tr


def _program_forms(tr: Any, defs: list, src_var: Any, budget: Budget) -> tuple:
    budget.check_size([e for _, e in defs], "translating the graph")
    closed = prune(reverse_mode(defs, tr.outputs[0], tr.env[src_var], budget))
    tape = prune(Program(defs, tr.outputs[1].a))
    forward = prune(Program(defs, np.array(sympy.Add(*tr.outputs[0].a.ravel()), dtype=object)))
    subs: dict[Any, Any] = {}
    rng = np.random.default_rng(5)
    for name, (_, shape) in tr.values.items():
        for sym in Elements.symbols(name, tuple(shape)).a.ravel():
            subs[sym] = sympy.Float(rng.uniform(0.2, 0.9), 30)
    a, b = closed.evaluate(subs), tape.evaluate(subs)
    if not np.allclose(a, b, rtol=1e-12, atol=1e-14):
        raise SymbolicBudgetExceeded("the program's gradient and the tape's reverse pass differ")
    proof = ("symbolic reverse mode over the program vs the tape's reverse pass: equal at a "
             "random point (30 digits); too large for simplify")
    return forward, closed, tape, proof


def _named_inputs(tape: Any, used: set[int], source: Any) -> tuple[list, str | None, Any]:
    """The inputs the target uses, each with its own symbol name, and the source's name."""
    groups = [(o, ts) for o, ts in source_groups(tape) if any(id(t) in used for t in ts)]
    inputs, names = unique_inputs([(o.name, ts) for o, ts in groups],
                                  [tuple(o.shape) for o, _ in groups])
    src_name = next((n for (n, _), (o, _) in zip(inputs, groups, strict=True) if o is source),
                    None)
    return inputs, src_name, names


def _scalar_target(form: Any) -> Any:
    if isinstance(form, Elements):
        return sympy.Add(*form.a.ravel())
    return form.sum(None, False).e if form.shape else form.e


def _element_forms(tr: Any, src_var: Any, order: int, v: Any, budget: Budget) -> tuple:
    f = _scalar_target(tr.outputs[0])
    budget.check_size(f, "translating the target")
    s = tr.env[src_var].a
    closed = np.empty(s.shape * order, dtype=object)
    for idx in np.ndindex(*closed.shape):
        e = f
        for j in range(order):
            e = sympy.diff(e, s[idx[j * s.ndim:(j + 1) * s.ndim]] if s.ndim else s.item())
        closed[idx] = e
        budget.check_time("differentiating element by element")
    tape = tr.outputs[1].a
    if v is not None:  # the tape gives H*v: its Jacobian in v is H
        vs = tr.env[next(k for k in tr.env if getattr(k, "name", None) == v.name)].a
        tape = np.array([[sympy.diff(e, vj) for vj in vs.ravel()] for e in tape.ravel()],
                        dtype=object).reshape(s.shape * 2)
    budget.check_size(list(closed.ravel()), "differentiating")
    closed = np.vectorize(lambda e: _tidy(e, budget), otypes=[object])(closed)
    proof = _prove(closed, tape, tr, budget)
    return f, _sympy_array(closed), _sympy_array(tape), proof


def _tidy(e: Any, budget: Budget) -> Any:
    if count_ops(e) > budget.simplify_ops:
        return e
    return budget.simplify(e, lambda x: sympy.factor_terms(sympy.simplify(x)))


def _sympy_array(a: np.ndarray) -> Any:
    return Elements(a).to_sympy()


def _prove(closed: Any, tape: Any, tr: Any, budget: Budget) -> str:
    if verify.equal(closed, tape, budget.simplify_ops):
        return "symbolic: simplify(expr - tape_expr) == 0"
    if verify.numerically_equal(closed, tape, verify.element_subs(tr.values)):
        return ("at the recorded point: the tape's expression follows the branches taken there "
                "(e.g. relu, max, abs); equal to 30 digits")
    raise SymbolicBudgetExceeded(
        "the tape's reverse pass and the closed form could not be shown equal:\n"
        f"  closed form: {closed}\n  tape: {tape}")


def _matrix_forms(tr: Any, src_var: Any, order: int, v: Any, budget: Budget) -> tuple:
    f = scalar_of(textbook(_scalar_target(tr.outputs[0])))
    budget.check_size(f, "translating the target")
    s = tr.env[src_var].e
    tape = tr.outputs[1].e if isinstance(tr.outputs[1], MatrixForm) else tr.outputs[1]
    if v is not None:
        vsym = next(a for a in tape.atoms(sympy.MatrixSymbol) if a.name == v.name) \
            if isinstance(tape, sympy.Basic) and tape.has(sympy.MatrixSymbol(v.name, *s.shape)) \
            else sympy.MatrixSymbol(v.name, *s.shape)
        h = calculus.vec_coefficient(textbook(tape), vsym) if _vec_form(s, order) else \
            calculus.linear_coefficient(tape, vsym)
        if h is None:
            raise _FallBack("the Hessian could not be factored out of the backward graph")
        tape = h
    tape = textbook(calculus.push_transposes(tape))
    candidates = []
    try:
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
                return f, closed, tape, _prove(closed, tape, tr, budget)
            proof = _check_matrix(f, s, closed, tape, order, tr, budget)
        except (_FallBack, SymbolicBudgetExceeded, IndexError, TypeError, ValueError) as exc:
            failure = exc  # e.g. SymPy's diff left explicit elements that cannot be resized
            continue
        return f, closed, tape, f"{proof}; closed form from {how}"
    raise _FallBack(str(failure))


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


def _vec_form(s: Any, order: int) -> bool:
    """True for the Hessian of a matrix source: written for ``vec`` of it (columns stacked)."""
    return order == 2 and isinstance(s, sympy.MatrixSymbol) and s.shape[1] != 1


def _check_matrix(f: Any, s: Any, closed: Any, tape: Any, order: int, tr: Any,
                  budget: Budget) -> str:
    """Matrix forms against the element view on a small instance (resized if large); at two
    random points where symbolic equality would be slow (inverses, determinants, Hessians of
    elementwise functions)."""
    vec = _vec_form(s, order)
    dim = int if vec else verify.small_dims(f, closed, tape)  # vec: sizes are products
    shapes = {n: shp for n, (_, shp) in tr.values.items()}
    small = [verify.resize(e, dim) for e in (f, closed, tape, s)]
    fe = verify.explicit(small[0], shapes)
    numeric = verify.needs_numeric_witness(closed, tape) or \
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
        ref = np.array([[sympy.diff(fe, a, b) for b in flat] for a in flat], dtype=object)
    budget.check_time("checking the matrix form against the element view")
    where = "the recorded shapes" if dim is int else "a small instance"
    if numeric:
        failed = verify.mismatch_at_random_points(
            {"closed form": small[1], "tape expression": small[2]}, shapes, ref)
        if failed:
            raise _FallBack(f"the matrix-notation {failed} did not match the element view")
        return f"matrix forms checked against the element view on {where}, at two random points"
    for what, e in (("closed form", ce), ("tape expression", te)):
        got = verify.as_array(e)
        if got.size != ref.size or not verify.equal(got.ravel(), ref.ravel(),
                                                    budget.simplify_ops):
            raise _FallBack(f"the matrix-notation {what} did not match the element view")
    return f"matrix forms checked against the element view on {where}"

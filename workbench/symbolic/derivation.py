"""``tape.derive``: a closed-form derivative, the tape's own reverse pass as a formula, the proof
that they agree, and numbers three ways (closed form, tape, central differences)."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from workbench import autodiff
from workbench.symbolic.budget import Budget, SymbolicBudgetExceeded, count_ops
from workbench.symbolic.derivation_view import DerivationView, constant_definitions
from workbench.symbolic.elements import Elements
from workbench.symbolic.expression import default_view
from workbench.symbolic.matrix_forms import FallBack, matrix_forms, prove, scalar_target, vec_form
from workbench.symbolic.names import unique_inputs
from workbench.symbolic.numeric import central_differences, lambdify
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
                count_ops(scalar_target(tr.outputs[0])) > PROGRAM_OPS:
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
    vec = tr.view == "matrix" and isinstance(closed, sympy.MatrixExpr) and \
        vec_form(tr.env[src_var].e, order)
    return Derivation(vec_form=vec,
        forward=forward, expr=closed, tape_expr=tape_form, proof=proof, view=tr.view,
        order=order, notes=notes, symbols=tr.values,
        ops=closed.ops() if isinstance(closed, Program) else count_ops(closed),
        source_name=src_name, out_shape=out_shape,
        steps=chain_rule_steps(graph, tr, t, src_name, closed),
        _tape_tensor=grads[-1], _jacobian_inputs=jac_inputs,
        _hessian_source_shape=tuple(source.shape),
        _fd_graph=(fd_graph[0], fd_graph[1], src_name), _grad_graph=grad_graph,
    )


def _view_forms(tr: Any, graph: Any, values: Any, src_var: Any, order: int, v: Any,
                budget: Budget, notes: list[str]) -> tuple:
    """Closed form, tape form and proof in ``tr``'s view; the element view if matrix fails."""
    build = matrix_forms if tr.view == "matrix" else _element_forms
    try:
        return build(tr, src_var, order, v, budget), tr
    except FallBack as exc:
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


def _element_forms(tr: Any, src_var: Any, order: int, v: Any, budget: Budget) -> tuple:
    f = scalar_target(tr.outputs[0])
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
    proof = prove(closed, tape, tr, budget)
    return f, _sympy_array(closed), _sympy_array(tape), proof


def _tidy(e: Any, budget: Budget) -> Any:
    if count_ops(e) > budget.simplify_ops:
        return e
    return budget.simplify(e, lambda x: sympy.factor_terms(sympy.simplify(x)))


def _sympy_array(a: np.ndarray) -> Any:
    return Elements(a).to_sympy()



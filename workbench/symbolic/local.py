"""Local derivatives of one graph node in matrix notation: each input's VJP rule run on tensors
named after the nodes (``t1, t2, ...``) and the node's adjoint (``t3bar``), then printed through
the ops' SymPy rules; and adjoints by the chain rule over those local rules."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from workbench.ir import Var
from workbench.symbolic.matrix import MatrixForm, madd
from workbench.symbolic.textbook import textbook


def bar(name: str, shape: tuple[int, ...]) -> Any:
    """The adjoint symbol of node ``name``: ``t3bar`` (LaTeX ``\\bar{t3}``; a Symbol or a
    MatrixSymbol)."""
    return MatrixForm.symbol(f"{name}bar", tuple(shape)).e


def local_vjps(eqn: Any, names: dict[Any, str], values: dict[Any, Any]) -> dict[str, Any]:
    """``{input name: its VJP in matrix notation, linear in the output's adjoint}``; inputs
    whose rule has no matrix form are left out."""
    from workbench.ops.reduce import sum_to
    from workbench.symbolic.translate import translate
    from workbench.tape import GradientTape
    from workbench.tape_graph import build_graph
    from workbench.tensor import constant

    out = eqn.outputs[0]
    found: dict[str, Any] = {}
    tensors = [constant(np.asarray(values[a]), name=names.get(a)) if a in values else None
               for a in eqn.inputs]  # unnamed literals (the 2 of x**2) stay numbers
    if any(t is None for t in tensors) or out not in values:
        return found
    ans = constant(np.asarray(values[out]), name=names[out])
    g = constant(np.ones(out.shape, dtype=out.dtype), name=f"{names[out]}bar")
    for k, (a, t) in enumerate(zip(eqn.inputs, tensors, strict=True)):
        if not isinstance(a, Var):
            continue
        rule = eqn.prim.vjp_rule(k)
        if rule is None:
            continue
        try:
            with GradientTape(persistent=True) as tape:
                tape.watch([x for x in (g, ans, *tensors) if x.dtype.kind == "f"])
                ct = rule(g, ans, *tensors, **eqn.params)
                if tuple(ct.shape) != tuple(a.shape):
                    ct = sum_to(ct, (), tuple(a.shape))
            named = [(x.name, [x]) for x in (g, ans, *tensors) if x.name]
            graph, vals = build_graph(tape._records, named, [ct])
            tr = translate(graph, vals, "matrix")
        except Exception:  # noqa: BLE001, S112 - a rule without a matrix form gives no local row
            continue
        if not tr.fallback:  # an input read twice (r.T*r) gets both contributions
            term = tr.outputs[0].to_sympy()
            name = names[a]
            found[name] = textbook(term if name not in found else _plus(found[name], term))
    return found


def _plus(a: Any, b: Any) -> Any:
    return madd(a, b) if isinstance(a, sympy.MatrixExpr) else a + b


def adjoints(rows: list[tuple[str, tuple[int, ...], dict[str, Any]]]) -> dict[str, Any]:
    """Adjoints by the chain rule: ``rows`` are (node, shape, local VJPs) in forward order, the
    last node the (scalar) target; each VJP's ``node_bar`` is replaced by that node's adjoint."""
    adj: dict[str, Any] = {}
    if not rows:
        return adj
    adj[rows[-1][0]] = sympy.Integer(1)
    for name, shape, local in reversed(rows):
        if name not in adj:
            continue
        for arg, vjp in local.items():
            term = vjp.xreplace({bar(name, shape): _as(adj[name], shape)})
            adj[arg] = term if arg not in adj else _plus(adj[arg], term)
    return {k: textbook(v) for k, v in adj.items()}


def _as(e: Any, shape: tuple[int, ...]) -> Any:
    """``e`` as the kind of object the adjoint symbol of ``shape`` stands for."""
    if shape == () and isinstance(e, sympy.MatrixExpr):
        return sympy.matrices.expressions.matexpr.MatrixElement(e, 0, 0)
    return e

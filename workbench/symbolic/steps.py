"""The chain rule node by node, for teaching: each equation's definition, its local partial
derivatives, and its adjoint (the derivative of the target with respect to it)."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from workbench.ir import Graph, Literal, Var
from workbench.symbolic.deadline import SIMPLIFY_SECONDS, attempt
from workbench.symbolic.elements import Elements
from workbench.symbolic.local import adjoints, local_vjps
from workbench.symbolic.printing import to_latex, to_str
from workbench.symbolic.textbook import textbook
from workbench.symbolic.translate import Translation, apply_rule

#: Graphs up to this many equations get their chain-rule result written in the inputs.
EXPAND_STEPS = 12


@dataclass
class Step:
    """One node: ``name = definition``; ``partials`` maps each argument to d(name)/d(argument);
    ``adjoint`` is d(target)/d(name). For non-scalar graphs ``kind`` says whether the node is in
    the forward or the reverse pass and only ``definition`` is given."""

    name: str
    prim: str
    definition: Any
    partials: dict[str, Any] = field(default_factory=dict)
    adjoint: Any = None
    kind: str = "forward"
    #: True when ``partials`` holds VJPs (matrix nodes: ``t2_bar`` as a function of ``t3_bar``)
    vjp: bool = False

    def __str__(self) -> str:
        if self.kind == "result":
            return f"{self.name} = {to_str(self.definition)}   (in node names: " \
                f"{to_str(self.adjoint)})"
        text = f"{self.name} = {to_str(self.definition)}"
        if self.partials:
            text += "   " + ", ".join(_local_text(self, a, d) for a, d in self.partials.items())
        if self.adjoint is not None:
            text += f"   adjoint ∂out/∂{self.name} = {to_str(self.adjoint)}"
        return text


def _local_text(st: Step, arg: str, d: Any) -> str:
    if st.vjp:
        return f"{arg}bar += {to_str(d)}"
    return f"∂{st.name}/∂{arg} = {to_str(d)}"


def _local_latex(st: Step, arg: str, d: Any) -> str:
    if st.vjp:
        return rf"{to_latex(sympy.Symbol(arg + 'bar'))} \mathrel{{+}}= {to_latex(d)}"
    return rf"\frac{{\partial {st.name}}}{{\partial {arg}}} = {to_latex(d)}"


class Steps(list):
    """The chain-rule rows of a Derivation (a list of :class:`Step`), printable as a table in
    text, LaTeX (``latex()``) and HTML (``_repr_html_``, for notebooks)."""

    def rows(self) -> list[tuple[str, str, str, str]]:
        out = []
        for st in self:
            partials = ", ".join(_local_text(st, a, d) for a, d in st.partials.items())
            out.append((st.name, to_str(st.definition), partials,
                        "" if st.adjoint is None else to_str(st.adjoint)))
        return out

    def __str__(self) -> str:
        head = ("node", "definition", "local derivative", "adjoint ∂out/∂node")
        rows = [head, *self.rows()]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                         for r in rows)

    def latex(self) -> str:
        """The table as a LaTeX ``array``."""
        body = []
        for st in self:
            partials = r",\ ".join(_local_latex(st, a, d) for a, d in st.partials.items())
            adj = "" if st.adjoint is None else to_latex(st.adjoint)
            name = to_latex(sympy.Symbol(st.name)) if not st.name.startswith("∂out/∂") else \
                rf"\partial f / \partial {to_latex(sympy.Symbol(st.name[6:]))}"
            body.append(rf"{name} & {to_latex(st.definition)} & {partials} & {adj}")
        return (r"\begin{array}{llll} \text{node} & \text{definition} & \text{local derivative}"
                r" & \text{adjoint} \\ \hline " + r" \\ ".join(body) + r" \end{array}")

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in
                       ("node", "definition", "local derivative", "adjoint ∂out/∂node"))
        body = "".join("<tr>" + "".join(f"<td><code>{html.escape(c)}</code></td>" for c in r)
                       + "</tr>" for r in self.rows())
        return f'<table class="workbench-steps"><tr>{head}</tr>{body}</table>'


def chain_rule_steps(graph: Graph, tr: Translation, target: Any, source: str,
                     closed: Any = None) -> Steps:
    """The rows of :func:`node_steps`, ending in the closed form ``closed`` (if given)."""
    steps = Steps(node_steps(graph, tr, target, source))
    if closed is not None and (not steps or steps[-1].kind != "result"):
        text = to_str(closed)
        steps = Steps(st for st in steps if not _same(st.definition, closed, text))  # one row
        steps.append(Step(f"∂out/∂{source}", "closed form", closed, kind="result"))
    return steps


def node_steps(graph: Graph, tr: Translation, target: Any, source: str) -> list[Step]:
    """Steps of ``graph`` (forward then backward equations) as they were translated in ``tr``.

    All-scalar forward passes get the full chain rule (local partials and adjoints, in terms of
    the node names ``t1, t2, ...``); others list each forward and reverse-pass node's formula.
    """
    fwd_count = _forward_count(graph)
    if all(np.shape(v.value if not isinstance(v, Var) else np.empty(v.shape)) == ()
           for e in graph.eqns[:fwd_count] for v in e.outputs + e.inputs):
        return _scalar_steps(graph, fwd_count, source)
    chain = _matrix_chain_rule(graph, tr, fwd_count, source)
    if chain is not None:
        return chain
    steps: list[Step] = []
    seen: set[str] = set()
    counts = {"forward": 0, "adjoint": 0}
    for i, eqn in enumerate(graph.eqns):
        value = tr.env.get(eqn.outputs[0])
        definition = textbook(value.to_sympy()) if value is not None else None
        text = to_str(definition)
        if definition is None or text in seen or _is_leaf(definition):
            continue  # a node that only renames, reshapes or repeats another adds no row
        seen.add(text)
        kind = "forward" if i < fwd_count else "adjoint"
        counts[kind] += 1
        name = f"t{counts[kind]}" if kind == "forward" else f"a{counts[kind]}"
        steps.append(Step(name, eqn.prim.name, definition, kind=kind))
    return steps


def _matrix_chain_rule(graph: Graph, tr: Translation, count: int, source: str
                       ) -> list[Step] | None:
    """Forward nodes with their local VJPs and adjoints in matrix notation, or None where a
    node's rule has no matrix form (then the reverse-pass nodes are listed instead)."""
    if tr.view != "matrix" or any(v.name not in tr.values for v in graph.inputs):
        return None
    values: dict[Any, Any] = {v: tr.values[v.name][0] for v in graph.inputs}
    names: dict[Any, str] = {v: v.name for v in graph.inputs}
    seen: dict[str, str] = {}
    rows, steps = [], []
    for eqn in graph.eqns[:count]:
        out = eqn.outputs[0]
        for a in eqn.inputs:
            if isinstance(a, Literal):
                values[a] = a.value
                if a.name:
                    names[a] = a.name
        values[out] = eqn.prim.forward(*[values[a] for a in eqn.inputs], **eqn.params)
        value = tr.env.get(out)
        if value is None:
            return None
        definition = textbook(value.to_sympy())
        text = to_str(definition)
        if text in seen:  # a reshape of an earlier node: the same node
            names[out] = seen[text]
            continue
        names[out] = seen[text] = f"t{len(steps) + 1}"
        local = local_vjps(eqn, names, values)
        if len(local) < len({names[a] for a in eqn.inputs if isinstance(a, Var)}):
            return None
        rows.append((names[out], tuple(out.shape), local))
        steps.append(Step(names[out], eqn.prim.name, definition, local, vjp=True))
    try:
        adj = adjoints(rows)
    except Exception:  # noqa: BLE001 - adjoints SymPy cannot combine: the plain listing
        return None
    if source not in adj or not _adjoint_checks(graph, tr, names, values, adj[source], source):
        return None
    for st in steps:
        st.adjoint = adj.get(st.name)
    return steps


def _adjoint_checks(graph: Graph, tr: Translation, names: dict, values: dict, adj: Any,
                    source: str) -> bool:
    """The source's adjoint, in node names, equals the tape's gradient at the recorded values
    (a first-order graph's second output)."""
    from workbench.symbolic.numeric import lambdify
    from workbench.symbolic.records import evaluate

    if any(v.name not in tr.values for v in graph.inputs) or len(graph.outputs) < 2:
        return False
    src = next((v for v in graph.inputs if v.name == source), None)
    want = evaluate(graph, {v: tr.values[v.name][0] for v in graph.inputs})[1]
    if src is None or np.shape(want) != tuple(src.shape):
        return False  # a Hessian's graph ends in H*v, not the gradient
    known = dict(tr.values)
    known.update({n: (values[k], tuple(np.shape(values[k]))) for k, n in names.items()
                  if isinstance(k, Var) and n not in known})
    try:
        got = lambdify(adj, known, True, tuple(src.shape))()
    except Exception:  # noqa: BLE001 - an adjoint NumPy cannot evaluate is not shown
        return False
    return bool(np.allclose(got, want, rtol=1e-9, atol=1e-12))


def _same(a: Any, b: Any, b_text: str) -> bool:
    """The same formula (an element array and a Matrix of the same elements are the same)."""
    if to_str(a) == b_text:
        return True
    arrays = sympy.MatrixBase | sympy.NDimArray
    if isinstance(a, arrays) and isinstance(b, arrays):
        return list(sympy.flatten(a.tolist())) == list(sympy.flatten(b.tolist()))
    return False


def _is_leaf(e: Any) -> bool:
    return isinstance(e, sympy.Basic) and (e.is_Atom or isinstance(e, sympy.MatrixSymbol))


def _forward_count(graph: Graph) -> int:
    """Equations up to (and including) the one producing the first output (the target)."""
    target = graph.outputs[0]
    for i, eqn in enumerate(graph.eqns):
        if eqn.outputs[0] is target:
            return i + 1
    return 0


def _scalar_steps(graph: Graph, count: int, source: str) -> list[Step]:
    env: dict[Any, Any] = {}
    names: dict[Any, sympy.Symbol] = {}
    for var in graph.inputs:
        sym = sympy.Symbol(var.name, real=True)
        env[var] = Elements(_zero_d(sym))
        names[var] = sym
    steps: list[Step] = []
    for i, eqn in enumerate(graph.eqns[:count]):
        args = [env[a] if isinstance(a, Var) else Elements.number(a.value) for a in eqn.inputs]
        definition = apply_rule(eqn.prim, args, eqn.params).a.item()
        sym = sympy.Symbol(f"t{i + 1}", real=True)
        partials = {}
        for a in eqn.inputs:
            if isinstance(a, Var) and a in names and str(names[a]) not in partials:
                partials[str(names[a])] = sympy.diff(definition, names[a])
        env[eqn.outputs[0]] = Elements(_zero_d(sym))
        names[eqn.outputs[0]] = sym
        steps.append(Step(str(sym), eqn.prim.name, definition, partials))
    adjoint: dict[str, Any] = {steps[-1].name: sympy.Integer(1)} if steps else {}
    for step in reversed(steps):
        step.adjoint = adjoint.get(step.name, sympy.Integer(0))
        for arg, d in step.partials.items():
            adjoint[arg] = adjoint.get(arg, 0) + step.adjoint * d
    if source in adjoint:
        total = adjoint[source]
        if count <= EXPAND_STEPS:  # the result in terms of the inputs (small graphs only)
            for step in reversed(steps[:count]):
                total = total.subs(sympy.Symbol(step.name, real=True), step.definition)
            total = attempt(sympy.factor, total, seconds=SIMPLIFY_SECONDS,
                            otherwise=lambda: total)
        steps.append(Step(f"∂out/∂{source}", "chain rule", total,
                          adjoint=adjoint[source], kind="result"))
    return steps


def _zero_d(sym: sympy.Symbol) -> Any:
    out = np.empty((), dtype=object)
    out[()] = sym
    return out

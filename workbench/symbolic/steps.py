"""The chain rule node by node, for teaching: each equation's definition, its local partial
derivatives, and its adjoint (the derivative of the target with respect to it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from workbench.ir import Graph, Var
from workbench.symbolic.deadline import SIMPLIFY_SECONDS, attempt
from workbench.symbolic.elements import Elements
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

    def __str__(self) -> str:
        if self.kind == "result":
            return f"{self.name} = {self.definition}   (in node names: {self.adjoint})"
        text = f"{self.name} = {self.definition}"
        if self.partials:
            text += "   " + ", ".join(f"∂{self.name}/∂{a} = {d}" for a, d in self.partials.items())
        if self.adjoint is not None:
            text += f"   adjoint ∂out/∂{self.name} = {self.adjoint}"
        return text


def chain_rule_steps(graph: Graph, tr: Translation, target: Any, source: str) -> list[Step]:
    """Steps of ``graph`` (forward then backward equations) as they were translated in ``tr``.

    All-scalar forward passes get the full chain rule (local partials and adjoints, in terms of
    the node names ``t1, t2, ...``); others list each forward and reverse-pass node's formula.
    """
    fwd_count = _forward_count(graph)
    if all(np.shape(v.value if not isinstance(v, Var) else np.empty(v.shape)) == ()
           for e in graph.eqns[:fwd_count] for v in e.outputs + e.inputs):
        return _scalar_steps(graph, fwd_count, source)
    steps = []
    for i, eqn in enumerate(graph.eqns):
        value = tr.env.get(eqn.outputs[0])
        kind = "forward" if i < fwd_count else "adjoint"
        name = f"t{i + 1}" if kind == "forward" else f"a{i + 1 - fwd_count}"
        steps.append(Step(name, eqn.prim.name, value.to_sympy() if value is not None else None,
                          kind=kind))
    return steps


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

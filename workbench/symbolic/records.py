"""Recorded computations as IR graphs: the forward graph of a tape, and backward graphs made by
re-running the tape's reverse pass while a fresh tape records it (its VJPs are ordinary ops)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench import autodiff, tape_state
from workbench.dtypes import is_floating
from workbench.ir import Eqn, Graph, Literal, Var
from workbench.tensor import Tensor, Variable


def source_groups(tape: Any) -> list[tuple[Any, list[Tensor]]]:
    """Each watched Tensor/Variable with the tensors standing for it on the tape."""
    groups = []
    for t in tape._watched:
        if isinstance(t, Variable):
            groups.append((t, list(tape._reads.get(id(t), ()))))
        else:
            groups.append((t, [t]))
    return groups


def build_graph(records: Sequence, inputs: Sequence[tuple[str | None, Sequence[Tensor]]],
                outputs: Sequence[Any]) -> tuple[Graph, dict[Any, Any]]:
    """The graph of ``outputs`` over ``records``; ``inputs`` pairs a name with its tensors.

    Inputs no output depends on are dropped; unnamed ones are named ``x0, x1, ...`` in order.
    Returns the graph and the value of each input ``Var`` and each ``Literal``.
    """
    kept = autodiff.backward_slice(records, [o for o in outputs if isinstance(o, Tensor)])
    used = {id(a) for _, ins, _, _ in kept for a in ins} | {id(o) for o in outputs}
    atoms: dict[int, Any] = {}
    values: dict[Any, Any] = {}
    in_vars: list[Var] = []
    for name, tensors in inputs:
        live = [t for t in tensors if id(t) in used]
        if not live:
            continue
        var = Var(np.shape(live[0]._value), live[0].dtype, name or f"x{len(in_vars)}")
        in_vars.append(var)
        values[var] = live[0]._value
        for t in live:
            atoms[id(t)] = var

    def atom(t: Any) -> Any:
        if not isinstance(t, Tensor):
            lit = Literal(t)
            values[lit] = t
            return lit
        if id(t) not in atoms:
            lit = Literal(t._value, t.name)
            values[lit] = t._value
            atoms[id(t)] = lit
        return atoms[id(t)]

    eqns = []
    for prim, ins, out, params in kept:
        in_atoms = tuple(atom(a) for a in ins)
        if id(out) in atoms:  # already an input (a source recorded as an output): keep the input
            continue
        var = Var(np.shape(out._value), out.dtype)
        atoms[id(out)] = var
        eqns.append(Eqn(prim, in_atoms, (var,), dict(params)))
    return Graph(tuple(in_vars), tuple(eqns), tuple(atom(o) for o in outputs)), values


def record_backward(records: Sequence, target: Tensor, seed: Tensor,
                    groups: Sequence[Sequence[int]], watch: Sequence[Tensor] = ()
                    ) -> tuple[list[Tensor | None], list]:
    """Run the reverse pass over ``records`` while a fresh tape records it.

    Every tensor of ``records`` (and ``watch``) is watched, so each VJP op that reads a forward
    value is recorded too. Returns the gradients and the recorded backward records.
    """
    from workbench.tape import GradientTape

    outer = GradientTape(persistent=True)
    with tape_state.paused(), outer:
        for t in _tensors(records, watch):
            outer.watch(t)
        grads = autodiff.reverse_pass(list(records), [(target, seed)], list(groups))
    return grads, outer._records


def _tensors(records: Sequence, extra: Sequence[Tensor]) -> list[Tensor]:
    seen: dict[int, Tensor] = {}
    for _, ins, out, _ in records:
        for t in (*ins, out):
            if isinstance(t, Tensor) and is_floating(t.dtype):
                seen.setdefault(id(t), t)
    for t in extra:
        seen.setdefault(id(t), t)
    return list(seen.values())


def evaluate(graph: Graph, values: dict[Any, Any], overrides: dict[str, Any] | None = None
             ) -> list[Any]:
    """Run ``graph`` with NumPy (each primitive's forward); ``overrides`` maps input names to
    new values.

    >>> import workbench as wb
    >>> x = wb.constant(2.0, name="x")
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> g, vals = build_graph(tape._records, [("x", [x])], [y])
    >>> float(evaluate(g, vals, {"x": 3.0})[0])
    9.0
    """
    overrides = overrides or {}
    env: dict[Any, Any] = {}
    for var in graph.inputs:  # new values in float64 at least (differences need the digits)
        if var.name in overrides:
            env[var] = np.asarray(overrides[var.name], dtype=np.promote_types(var.dtype, "f8"))
        else:
            env[var] = np.asarray(values[var], dtype=var.dtype)

    def read(a: Any) -> Any:
        return a.value if isinstance(a, Literal) else env[a]

    for eqn in graph.eqns:
        env[eqn.outputs[0]] = eqn.prim.forward(*[read(a) for a in eqn.inputs], **eqn.params)
    return [read(o) for o in graph.outputs]

"""Turn recorded equations into an IR ``Graph`` (the view the SymPy and Numba engines read)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench.autodiff import backward_slice
from workbench.ir import Eqn, Graph, Literal, Var
from workbench.structure import flatten
from workbench.tensor import Tensor, Variable


def tape_graph(tape: Any, outputs: Any = None) -> Graph:
    """The recorded computation of ``outputs`` (default: the last recorded value)."""
    return graph_and_values(tape, outputs)[0]


def graph_and_values(tape: Any, outputs: Any = None) -> tuple[Graph, dict[Any, Any]]:
    """The graph of ``outputs`` and the value of each of its input Vars and Literals.

    Inputs are the watched tensors the outputs depend on (a Variable's snapshots all map to one
    input named after it), in first-watched order; other leaves become ``Literal``s.
    """
    records = tape._records
    if outputs is None:
        targets = [records[-1][2]] if records else []
    else:
        targets = [tape._target_tensor(t) for t in flatten(outputs)[0]]
    inputs = [(owner.name, tensors) for owner, tensors in source_groups(tape)]
    return build_graph(records, inputs, targets)


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
    kept = backward_slice(records, [o for o in outputs if isinstance(o, Tensor)])
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

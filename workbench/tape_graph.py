"""Turn what a tape recorded into an IR ``Graph`` (the view the SymPy and Numba engines read)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.autodiff import backward_slice
from workbench.ir import Eqn, Graph, Literal, Var
from workbench.structure import flatten
from workbench.tensor import Tensor, Variable


def tape_graph(tape: Any, outputs: Any = None) -> Graph:
    """The recorded computation of ``outputs`` (default: the last recorded value)."""
    return graph_and_values(tape, outputs)[0]


def graph_and_values(tape: Any, outputs: Any = None) -> tuple[Graph, dict[Var, Any]]:
    """The graph of ``outputs`` and the current value of each of its input Vars.

    Inputs are the watched tensors the outputs depend on (a Variable's snapshots all map to one
    input named after it), in first-watched order; other leaves become ``Literal``s.
    """
    records = tape._records
    if outputs is None:
        targets = [records[-1][2]] if records else []
    else:
        targets = [tape._target_tensor(t) for t in flatten(outputs)[0]]
    kept = backward_slice(records, targets)
    sources = _source_map(tape)
    atoms: dict[int, Any] = {}
    inputs: list[Var] = []
    values: dict[Var, Any] = {}

    def atom(t: Any) -> Any:
        if not isinstance(t, Tensor):
            return Literal(t)
        if id(t) in atoms:
            return atoms[id(t)]
        owner = sources.get(id(t))
        if owner is None:
            result = Literal(t._value, t.name)
        elif id(owner) in atoms:
            result = atoms[id(owner)]
        else:
            result = Var(np.shape(t._value), t.dtype, owner.name)
            atoms[id(owner)] = result
            inputs.append(result)
            values[result] = t._value
        atoms[id(t)] = result
        return result

    eqns = []
    for prim, ins, out, params in kept:
        in_atoms = tuple(atom(a) for a in ins)
        out_var = Var(np.shape(out._value), out.dtype)
        atoms[id(out)] = out_var
        eqns.append(Eqn(prim, in_atoms, (out_var,), dict(params)))
    outs = tuple(atom(t) for t in targets)
    order = {id(v): i for i, v in enumerate(tape._watched)}
    inputs.sort(key=lambda v: order.get(id(_owner_of(v, atoms, tape)), len(order)))
    return Graph(tuple(inputs), tuple(eqns), outs), values


def _source_map(tape: Any) -> dict[int, Tensor]:
    """Tensor id -> the watched Tensor or Variable it stands for."""
    owners: dict[int, Tensor] = {}
    for t in tape._watched:
        if isinstance(t, Variable):
            for snap in tape._reads.get(id(t), ()):
                owners[id(snap)] = t
        else:
            owners[id(t)] = t
    return owners


def _owner_of(var: Var, atoms: dict[int, Any], tape: Any) -> Any:
    for t in tape._watched:
        if atoms.get(id(t)) is var:
            return t
    return None


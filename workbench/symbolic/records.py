"""Backward graphs made by re-running a tape's reverse pass while a fresh tape records it (its
VJPs are ordinary ops), and a NumPy evaluator of graphs (``tape_graph.build_graph`` builds them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench import autodiff, tape_state
from workbench.dtypes import is_floating
from workbench.ir import Graph, Literal
from workbench.symbolic.deadline import shielded
from workbench.tensor import Tensor


def record_backward(records: Sequence, target: Tensor, seed: Tensor,
                    groups: Sequence[Sequence[int]], watch: Sequence[Tensor] = ()
                    ) -> tuple[list[Tensor | None], list]:
    """Run the reverse pass over ``records`` while a fresh tape records it.

    Every tensor of ``records`` (and ``watch``) is watched, so each VJP op that reads a forward
    value is recorded too. Returns the gradients and the recorded backward records.
    """
    from workbench.tape import GradientTape

    outer = GradientTape(persistent=True)
    with shielded(), tape_state.paused(), outer:  # the tape stack must never be left half-set
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
    >>> from workbench.tape_graph import build_graph
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

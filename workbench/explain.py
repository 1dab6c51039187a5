"""``tape.explain``: a plain-language reason why a gradient is None (or why it is not)."""

from __future__ import annotations

from typing import Any

from workbench.autodiff import backward_slice, forward_reach, has_gradient
from workbench.dtypes import is_floating
from workbench.tensor import Tensor, Variable


def describe(t: Tensor) -> str:
    """How messages name a tensor: ``Variable 'w'``, ``Tensor 'x'`` or its shape and dtype."""
    kind = "Variable" if isinstance(t, Variable) else "Tensor"
    if t.name:
        return f"{kind} '{t.name}'"
    return f"{kind} (shape {t.shape}, {t.dtype.name})"


def explain(tape: Any, target: Any, source: Any) -> str:
    """Why ``tape.gradient(target, source)`` is None, or how target depends on source."""
    if not isinstance(source, Tensor):
        raise TypeError(
            f"explain needs a wb.Tensor or wb.Variable source, got {type(source).__name__}"
        )
    name = describe(source)
    if not is_floating(source.dtype):
        return (
            f"No gradient: {name} has integer dtype {source.dtype.name}; only floating-point "
            f"tensors are differentiable. Make it floating, e.g. wb.constant(x, dtype='float64')."
        )
    ids = tape._source_ids(source)
    if not ids:
        return _not_watched(tape, source, name)
    y = tape._target_tensor(target)
    records = tape._records
    reach, live = forward_reach(records, set(ids))
    if id(y) in reach:
        return (
            f"The target depends on {name} through {len(backward_slice(live, [y]))} recorded op(s); "
            "its gradient is defined."
        )
    reach_all, live_all = forward_reach(records, set(ids), differentiable_only=False)
    if id(y) in reach_all:
        path = backward_slice(live_all, [y])
        blocked = sorted({prim.name for prim, _, out, _ in path if not prim.differentiable})
        integer = sorted({f"{prim.name} (to {out.dtype.name})" for prim, _, out, _ in path
                          if prim.differentiable and not has_gradient(out)})
        if blocked:
            return (
                f"No gradient: every path from {name} to the target goes through the "
                f"non-differentiable op(s) {', '.join(blocked)}, whose gradient is None by "
                "definition."
            )
        return (
            f"No gradient: every path from {name} to the target goes through an integer or "
            f"boolean result: {', '.join(integer)}. Only floating-point values carry gradients "
            "(as in TensorFlow); keep the computation in a floating dtype."
        )
    for t, where in tape._escapes:
        if id(t) in reach_all:
            return (
                f"No gradient: a value computed from {name} left the tape through NumPy at {where} "
                "(turning a Tensor into an ndarray, as np.sin(t), t.numpy() or float(t) do, drops "
                "it from the tape). Use workbench ops, e.g. wb.sin(t), to stay on the tape."
            )
    for var, value, where in tape._assigns:
        if isinstance(value, Tensor) and id(value) in reach_all:
            return (
                f"No gradient: {name} flows into {describe(var)} through an assignment at {where}; "
                "state changed with assign/assign_add/assign_sub is not recorded, so the gradient "
                "stops there. Compute with the value (v + x) instead of assigning it."
            )
    return f"No gradient: the target does not depend on {name} (no recorded op connects them)."


def _not_watched(tape: Any, source: Tensor, name: str) -> str:
    if isinstance(source, Variable):
        if not source.trainable:
            why = "it is not trainable, so reading it does not watch it; call tape.watch(v)"
        elif id(source) in tape._watched_ids:
            why = "it is watched but was never read while the tape was recording"
        elif not tape._watch_accessed:
            why = "the tape has watch_accessed_variables=False; call tape.watch(v)"
        else:
            why = "it was never read while the tape was recording"
        return f"No gradient: {name} is not watched: {why}."
    if source.origin is not None:
        return (
            f"No gradient: {name} is a Tensor computed from {describe(source.origin)} outside the "
            "tape. A statement like `v = v + 1` replaces a Variable with a Tensor that no tape "
            "watches; update the Variable in place with v.assign_add(1) instead."
        )
    return (
        f"No gradient: {name} is not watched. Call tape.watch(x) inside the tape's "
        "block, or make it a trainable wb.Variable."
    )


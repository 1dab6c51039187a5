"""``repeat``: many steps of a compiled function in one compiled loop, with its recorded history.

Divergence (a NaN or an infinity in an output or a new Variable value) stops the loop at the
first bad step; ``Diverged`` reports that step and its values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench import random
from workbench.compile.kernel import history_args
from workbench.compile.trace import state_names
from workbench.tensor import Tensor


@dataclass
class History:
    """What ``repeat`` recorded: ``outputs`` (the function's result structure, each leaf stacked
    over the recorded steps; None if it returns nothing) and ``variables`` (name -> stacked
    values; Variables sharing a name are ``w``, ``w_1``, ...) after steps ``steps``."""

    steps: np.ndarray
    outputs: Any
    variables: dict[str, np.ndarray] = field(default_factory=dict)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.variables[name]

    def __len__(self) -> int:
        return len(self.steps)


class Diverged(FloatingPointError):
    """A fused loop met a NaN or infinity; ``step`` (1-based) and ``values`` say where and what.

    ``history`` holds what was recorded before; the Variables hold the values before ``step``.
    """

    def __init__(self, step: int, n: int, values: dict[str, Any], history: History):
        self.step, self.values, self.history = step, values, history
        shown = ", ".join(f"{k}={_show(v)}" for k, v in values.items())
        super().__init__(
            f"repeat diverged at step {step} of {n}: {shown}. The loop stopped there; the "
            f"Variables hold their values after step {step - 1}. A smaller learning rate or "
            "better scaled data usually helps"
        )


def _show(value: Any) -> str:
    arr = np.asarray(value)
    return str(arr[()]) if arr.ndim == 0 else np.array2string(arr, threshold=6)


def run_repeat(concrete: Any, n: int, arrays: list[Any], record_every: int) -> History:
    """Run the fused loop of ``concrete`` (a ``function.Concrete``) for ``n`` steps."""
    if n < 1 or record_every < 1:
        raise ValueError(f"repeat needs n >= 1 and record_every >= 1, got {n} and {record_every}")
    traced = concrete.traced
    graph = traced.graph
    rows = n // record_every
    recorded = list(range(traced.n_outputs)) + [o for o, _ in concrete.carried]
    hist = [np.empty((rows,) + tuple(graph.outputs[o].shape), graph.outputs[o].dtype)
            for o in recorded]
    state = []
    for var in traced.state_in:
        value = np.array(var._value)
        state.append(value.reshape(-1) if value.ndim else value[()])
    kernel = concrete.repeat_kernel
    given = history_args(graph, recorded, hist, concrete.repeat_split)  # alive during the call
    result = kernel(n, record_every, *arrays, *state, *concrete.repeat_hidden, *given)
    bad, nrows = int(result[0]), int(result[1])
    scalar = [tuple(graph.inputs[i].shape) == () for _, i in concrete.carried]
    back = iter(result[2:2 + sum(scalar)])  # 0-d state comes back; arrays change in place
    carried = [next(back) if s else state[i - traced.n_args]
               for s, (_, i) in zip(scalar, concrete.carried, strict=True)]
    last = concrete.repeat_outputs(result[2 + sum(scalar):])
    names = state_names(traced.state_in)
    for (o, i), value in zip(concrete.carried, carried, strict=True):
        k = i - traced.n_args
        var = traced.state_in[k]
        _write(var, value)
    if bad < 0:
        carried_vars = {id(traced.state_in[i - traced.n_args]) for _, i in concrete.carried}
        for k, var in enumerate(traced.state_out):
            if id(var) not in carried_vars:
                _write(var, last[traced.n_outputs + k])
    steps = np.arange(1, nrows + 1) * record_every
    out_leaves = [h[:nrows] for h in hist[:traced.n_outputs]]
    variables = {}
    for (o, i), h in zip(concrete.carried, hist[traced.n_outputs:], strict=True):
        if traced.state_in[i - traced.n_args] is not random.KEY:  # the generator's state
            variables[names[i - traced.n_args]] = h[:nrows]
    history = History(steps, traced.rebuild(out_leaves), variables)
    if bad >= 0:
        values = {f"output{k}" if traced.n_outputs > 1 else "output": last[k]
                  for k in range(traced.n_outputs)}
        for name, value in zip(state_names(traced.state_out), last[traced.n_outputs:],
                               strict=True):
            values[name] = value
        raise Diverged(bad + 1, n, values, history)
    return history


def _write(var: Any, value: Any) -> None:
    new = np.array(value, dtype=var.dtype).reshape(var.shape)
    var._value = new
    var._snapshot = Tensor(new, var.name)

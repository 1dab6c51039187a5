"""Running batched kernels: ``map`` and ``repeat_map`` on the CPU (a loop) or CUDA (a thread each).

``in_axes`` says, per positional argument, whether it carries a leading batch axis (0) or is shared
by every copy (None), as in JAX's ``vmap``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench import random
from workbench.compile import batch, cache, kernel
from workbench.compile.trace import state_names
from workbench.tensor import Tensor, Variable

THREADS_PER_BLOCK = 128


@dataclass
class BatchedRun:
    """What ``repeat_map`` returns: per-copy final outputs and Variables, and divergence.

    ``diverged[i]`` is the first step (1-based) at which copy ``i`` produced a NaN or infinity,
    0 if it never did; that copy's variables hold the values before that step.
    """

    outputs: Any
    variables: dict[str, np.ndarray]
    diverged: np.ndarray


def _axes(in_axes: Any, n: int) -> list[Any]:
    axes = list(in_axes) if isinstance(in_axes, list | tuple) else [in_axes] * n
    if len(axes) != n or any(a not in (0, None) for a in axes):
        raise ValueError(f"in_axes must be 0 or None per argument ({n} arguments), got {in_axes!r}")
    return axes


def _split(args: tuple, in_axes: Any) -> tuple[int, tuple, list[bool]]:
    """Batch size, one copy's arguments (for tracing) and which arguments are batched."""
    axes = _axes(in_axes, len(args))
    sizes = set()
    one, batched = [], []
    for a, ax in zip(args, axes, strict=True):
        if ax == 0:
            if isinstance(a, Variable) or type(a) in (int, float, bool):
                raise ValueError("only arrays can be batched (in_axes=0); use None for "
                                 f"{type(a).__name__} arguments")
            value = np.asarray(a._value if isinstance(a, Tensor) else a)
            if value.ndim == 0:
                raise ValueError(f"argument {len(one)} is a scalar (shape ()), so it has no batch "
                                 "axis to map over: give it a leading batch axis, or in_axes=None "
                                 "to share it between copies")
            sizes.add(value.shape[0])
            one.append(value[0])
            batched.append(True)
        else:
            one.append(a)
            batched.append(False)
    if len(sizes) != 1:
        raise ValueError(f"batched arguments must share one batch size, got sizes {sorted(sizes)}")
    return sizes.pop(), tuple(one), batched


def _kernel(fn: Any, concrete: Any, target: str, kind: str, batched: list[bool]) -> tuple:
    key = (target, kind, tuple(batched))
    found = concrete.batched.get(key)
    if found is None:
        if target == "cuda":
            from workbench.compile.cuda import CUDA, require_cuda

            require_cuda()
            lowered = kernel.lower(concrete.traced.graph, CUDA, fuse_sums=True)
        else:
            lowered = kernel.lower(concrete.traced.graph, fuse_sums=True)
        if kind == "map":
            source = batch.map_source(lowered, batched, target)
        else:
            source = batch.repeat_map_source(lowered, batched, target, concrete.carried)
        module = cache.load(source, fn.use_disk)
        found = concrete.batched[key] = (getattr(module, f"{kind}_kernel"), lowered, source)
    return found


def _inputs(concrete: Any, args: tuple, batched_args: list[bool], n: int,
            state: dict | None) -> tuple[list[Any], list[bool]]:
    """The kernel's input arrays (batched ones as (n, size)) and which graph inputs are batched."""
    traced = concrete.traced
    values, flags = [], []
    array_args = [(a, b) for a, b in zip(args, batched_args, strict=True)
                  if not (isinstance(a, Variable) or type(a) in (int, float, bool))]
    for (a, b), var in zip(array_args, traced.graph.inputs[:traced.n_args], strict=True):
        value = np.asarray(a._value if isinstance(a, Tensor) else a, dtype=var.dtype)
        values.append(_layout(value, b, n))
        flags.append(b)
    carried = {i for _, i in concrete.carried} if state is not None else set()
    by_name = dict(state or {})
    names = state_names(traced.state_in)
    if set(by_name) - set(names):
        raise ValueError(f"state names {sorted(set(by_name) - set(names))} are not Variables "
                         f"this function reads ({sorted(names)})")
    for k, (var, name) in enumerate(zip(traced.state_in, names, strict=True)):
        i = traced.n_args + k
        if var is random.KEY and name not in by_name:  # each copy draws its own numbers
            by_name[name] = _copy_keys(n)
        if i in carried or name in by_name:  # carried, or read-only with per-copy values
            init = by_name.get(name)
            if init is None:
                init = np.broadcast_to(var._value, (n,) + var.shape)
            init = np.array(np.broadcast_to(np.asarray(init, var.dtype), (n,) + var.shape))
            values.append(_layout(init, True, n))
            flags.append(True)
        else:
            values.append(_layout(np.asarray(var._value), False, n))
            flags.append(False)
    return values, flags


#: Key distance between the copies of a batched run: each draws from its own stretch of keys.
KEY_STRIDE = 2**40


def _copy_keys(n: int) -> np.ndarray:
    """Per-copy starting keys of the random generator; ``random.KEY`` moves past all of them."""
    start = int(random.KEY.numpy())
    random.set_key(start + n * KEY_STRIDE)
    return start + np.arange(n, dtype=np.int64) * KEY_STRIDE


def _layout(value: np.ndarray, batched: bool, n: int) -> Any:
    if batched:
        size = math.prod(value.shape[1:])
        return np.ascontiguousarray(value).reshape(n) if size == 1 and value.ndim == 1 else \
            np.ascontiguousarray(value).reshape(n, size)
    return value[()] if value.ndim == 0 else np.ascontiguousarray(value).reshape(-1)


def _launch(kern: Any, target: str, n: int, scalars: list[Any], arrays: list[Any],
            hidden: tuple, outs: list[np.ndarray]) -> None:
    if target == "cuda":
        from numba import cuda

        dev = [cuda.to_device(a) if isinstance(a, np.ndarray) else a for a in arrays]
        dev_hidden = [cuda.to_device(h) for h in hidden]
        dev_outs = [cuda.to_device(o) for o in outs]
        blocks = (n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK
        kern[blocks, THREADS_PER_BLOCK](*scalars, *dev, *dev_hidden, *dev_outs)
        for d, o in zip(dev_outs, outs, strict=True):
            d.copy_to_host(o)
        for d, a in zip(dev, arrays, strict=True):
            per_copy = isinstance(a, np.ndarray) and (a.ndim == 2 or a.shape[0] == n)
            if per_copy:  # carried state rows come back updated
                d.copy_to_host(a)
    else:
        kern(*scalars, *arrays, *hidden, *outs)


def _hidden(lowered: Any) -> tuple:
    return tuple(v for _, v in lowered.hidden)


def _out_arrays(graph: Any, n: int) -> list[np.ndarray]:
    return [np.empty((n,) if tuple(a.shape) == () else (n, math.prod(a.shape)), a.dtype)
            for a in graph.outputs]


def run_map(fn: Any, args: tuple, in_axes: Any, target: str) -> Any:
    """Every copy's outputs, stacked along a new leading axis."""
    n, one, batched_args = _split(args, in_axes)
    concrete = fn.concrete(*one)
    values, flags = _inputs(concrete, args, batched_args, n, None)
    kern, lowered, _ = _kernel(fn, concrete, target, "map", flags)
    outs = _out_arrays(concrete.traced.graph, n)
    _launch(kern, target, n, [n], values, _hidden(lowered), outs)
    traced = concrete.traced
    shaped = [o.reshape((n,) + tuple(a.shape)) for o, a in zip(outs, traced.graph.outputs,
                                                                 strict=True)]
    return traced.rebuild(shaped[:traced.n_outputs])


def run_repeat_map(fn: Any, steps: int, args: tuple, in_axes: Any, state: dict | None,
                   target: str) -> BatchedRun:
    """``steps`` steps of every copy, each with its own Variables (from ``state`` or shared)."""
    if steps < 1:
        raise ValueError(f"repeat_map needs steps >= 1, got {steps}")
    n, one, batched_args = _split(args, in_axes)
    concrete = fn.concrete(*one)
    values, flags = _inputs(concrete, args, batched_args, n, state or {})
    kern, lowered, _ = _kernel(fn, concrete, target, "repeat", flags)
    traced = concrete.traced
    outs = _out_arrays(traced.graph, n) + [np.zeros(n, np.int64)]
    _launch(kern, target, n, [int(steps), n], values, _hidden(lowered), outs)
    diverged = outs.pop()
    shaped = [o.reshape((n,) + tuple(a.shape)) for o, a in zip(outs, traced.graph.outputs,
                                                                 strict=True)]
    variables = {}
    for k, (var, name) in enumerate(zip(traced.state_in, state_names(traced.state_in),
                                        strict=True)):
        i = traced.n_args + k
        if any(i == j for _, j in concrete.carried) and var is not random.KEY:
            variables[name] = values[i].reshape((n,) + var.shape)
    return BatchedRun(traced.rebuild(shaped[:traced.n_outputs]), variables, diverged)

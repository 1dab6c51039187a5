"""The reverse pass over recorded equations: VJPs in reverse order, un-broadcast once per edge.

Records are ``(prim, inputs, out, params)`` tuples of live Tensors, as a tape keeps them. Because
every VJP rule is written in workbench ops, running this pass while an outer tape records gives
that tape the backward computation too: higher-order derivatives need nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from workbench.primitive import NON_DIFFERENTIABLE
from workbench.tensor import Tensor

Record = tuple[Any, tuple[Any, ...], Tensor, dict[str, Any]]
_FLOAT = np.dtype(np.float64)


class BatchingUnsupported(Exception):
    """A VJP rule cannot take a cotangent with leading batch axes; jacobian then loops instead."""


def forward_reach(records: Iterable[Record], start: set[int],
                  differentiable_only: bool = True) -> tuple[set[int], list[Record]]:
    """Ids of tensors that depend on ``start`` and the records on those paths, in order.

    With ``differentiable_only``, paths stop at non-differentiable primitives and, as in
    TensorFlow, at integer or boolean results (``cast(cast(x, int32), float32)`` has no
    gradient with respect to ``x``)."""
    reach = set(start)
    live = []
    for rec in records:
        prim, inputs, out, _ = rec
        if differentiable_only and prim.vjp is NON_DIFFERENTIABLE:
            continue
        for a in inputs:
            if id(a) in reach:
                # has_gradient(out), inlined: this loop runs on every gradient call
                if differentiable_only and getattr(out._value, "dtype", _FLOAT).kind not in "fc":
                    break
                reach.add(id(out))
                live.append(rec)
                break
    return reach, live


def has_gradient(t: Tensor) -> bool:
    """Whether a recorded result can carry a gradient: a floating (or complex) dtype."""
    return getattr(t._value, "dtype", _FLOAT).kind in "fc"


def backward_slice(records: Sequence[Record], targets: Iterable[Tensor]) -> list[Record]:
    """The records ``targets`` depend on, in recording order."""
    needed = {id(t) for t in targets}
    kept = []
    for rec in reversed(records):
        if id(rec[2]) in needed:
            kept.append(rec)
            needed.update(id(a) for a in rec[1])
    return kept[::-1]


def reverse_pass(
    records: Sequence[Record],
    seeds: Sequence[tuple[Tensor, Tensor]],
    source_groups: Sequence[Sequence[int]],
    batch_ndim: int = 0,
) -> list[Tensor | None]:
    """Adjoints of the source groups given cotangent ``seeds`` for targets.

    ``seeds`` pairs each target with its cotangent, shaped ``batch + target.shape``. Each source
    group lists the ids of the tensors standing for one source (a Variable has one snapshot per
    assignment); its gradient is the sum of their adjoints, or None if none is connected.
    """
    wanted = {i for group in source_groups for i in group}
    reach, live = forward_reach(records, wanted)
    adjoint: dict[int, Tensor] = {}
    for target, seed in seeds:
        if id(target) in reach:
            _accumulate(adjoint, id(target), seed)
    if not adjoint:
        return [None] * len(source_groups)
    batch = next(iter(adjoint.values())).shape[:batch_ndim]
    for prim, inputs, out, params in reversed(live):
        key = id(out)
        g = adjoint.get(key) if key in wanted else adjoint.pop(key, None)
        if g is None:
            continue
        if batch and not prim.batchable:
            raise BatchingUnsupported(f"primitive '{prim.name}' does not take batched cotangents")
        rules = prim.vjp if type(prim.vjp) is tuple else None
        for argnum, arg in enumerate(inputs):
            arg_id = id(arg)
            if arg_id not in reach:
                continue
            rule = rules[argnum] if rules is not None else prim.vjp_rule(argnum)
            if rule is None:
                continue
            ct = rule(g, out, *inputs, **params)
            if ct is None:
                continue
            if batch or _raw_shape(ct) != _raw_shape(arg):
                ct = sum_to(ct, batch, arg.shape)
            prev = adjoint.get(arg_id)
            adjoint[arg_id] = ct if prev is None else _ew.add(prev, ct)
    results: list[Tensor | None] = []
    for group in source_groups:
        parts = [adjoint[i] for i in group if i in adjoint]
        total = parts[0] if parts else None
        for part in parts[1:]:
            total = _ew.add(total, part)
        results.append(total)
    return results


def _raw_shape(t: Tensor) -> tuple[int, ...]:
    """``t.shape`` as a plain tuple, without building a TensorShape (the reverse pass's hot
    path); a Python number (a user primitive's result) has shape ()."""
    try:
        return t._value.shape
    except AttributeError:
        return ()


def _accumulate(adjoint: dict[int, Tensor], key: int, ct: Tensor) -> None:
    prev = adjoint.get(key)
    adjoint[key] = ct if prev is None else _ew.add(prev, ct)


from workbench.ops import elementwise as _ew
from workbench.ops.reduce import sum_to

"""The reverse pass over recorded equations: VJPs in reverse order, un-broadcast once per edge.

Records are ``(prim, inputs, out, params)`` tuples of live Tensors, as a tape keeps them. Because
every VJP rule is written in workbench ops, running this pass while an outer tape records gives
that tape the backward computation too: higher-order derivatives need nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from workbench import tape_state
from workbench.primitive import NON_DIFFERENTIABLE
from workbench.tensor import STAGING, Tensor, as_input

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

    While a tape records, the VJP rules run as workbench ops (that tape gets the backward
    computation, for higher order). Otherwise nothing needs those ops, so the pass runs on NumPy
    values, with each primitive's ``vjp_numpy`` rules where it has them: the same NumPy calls in
    the same order, hence the same bits, without a Tensor and a ``bind`` per step.
    """
    wanted = {i for group in source_groups for i in group}
    reach, live = forward_reach(records, wanted)
    on_arrays = not (tape_state.ACTIVE.get() or STAGING)
    add = np.add if on_arrays else _ew.add
    adjoint: dict[int, Any] = {}
    for target, seed in seeds:
        if id(target) in reach:
            _accumulate(adjoint, id(target), _value_of(seed) if on_arrays else seed, add)
    if not adjoint:
        return [None] * len(source_groups)
    if on_arrays:
        _backward_arrays(live, reach, wanted, adjoint, batch_ndim)
    else:
        _backward_tensors(live, reach, wanted, adjoint, batch_ndim)
    results: list[Tensor | None] = []
    for group in source_groups:
        parts = [adjoint[i] for i in group if i in adjoint]
        total = parts[0] if parts else None
        for part in parts[1:]:
            total = add(total, part)
        results.append(Tensor(total) if on_arrays and parts else total)
    return results


def _due(live: list[Record], wanted: set[int], adjoint: dict[int, Any], batch: tuple):
    """The live records in reverse order, each with its output's cotangent (taken out of
    ``adjoint`` unless the output is a source), skipping those that received none."""
    for prim, inputs, out, params in reversed(live):
        key = id(out)
        g = adjoint.get(key) if key in wanted else adjoint.pop(key, None)
        if g is None:
            continue
        if batch and not prim.batchable:
            raise BatchingUnsupported(f"primitive '{prim.name}' does not take batched cotangents")
        yield prim, inputs, out, params, g


def _backward_tensors(live: list[Record], reach: set[int], wanted: set[int],
                      adjoint: dict[int, Any], batch_ndim: int) -> None:
    """The reverse sweep with Tensor cotangents and the workbench-op VJP rules."""
    batch = next(iter(adjoint.values())).shape[:batch_ndim]
    for prim, inputs, out, params, g in _due(live, wanted, adjoint, batch):
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
            _accumulate(adjoint, arg_id, ct, _ew.add)


def _backward_arrays(live: list[Record], reach: set[int], wanted: set[int],
                     adjoint: dict[int, Any], batch_ndim: int) -> None:
    """The reverse sweep with NumPy cotangents: ``vjp_numpy`` rules on the records' values, and
    the workbench-op rules (given and giving Tensors) for primitives without them."""
    batch = tuple(np.shape(next(iter(adjoint.values())))[:batch_ndim])
    for prim, inputs, out, params, g in _due(live, wanted, adjoint, batch):
        rules = prim.vjp_numpy
        if rules is not None and len(inputs) == 1:  # a live unary record: its input is in reach
            x = inputs[0]
            ct = rules[0](g, out._value, x._value, **params)
            _add_cotangent(adjoint, x, ct, batch)
        elif rules is not None:
            ans, values = out._value, [getattr(a, "_value", a) for a in inputs]
            for arg, rule in zip(inputs, rules):
                if rule is not None and id(arg) in reach:
                    _add_cotangent(adjoint, arg, rule(g, ans, *values, **params), batch)
        else:  # one Tensor cotangent for all inputs (custom_gradient calls grad_fn once per g)
            g = Tensor(g)
            for argnum, arg in enumerate(inputs):
                if id(arg) in reach:
                    rule = prim.vjp[argnum] if type(prim.vjp) is tuple else prim.vjp_rule(argnum)
                    ct = None if rule is None else rule(g, out, *inputs, **params)
                    if ct is not None:
                        _add_cotangent(adjoint, arg, _value_of(ct), batch)


def _add_cotangent(adjoint: dict[int, Any], arg: Tensor, ct: Any, batch: tuple) -> None:
    """Add the NumPy cotangent ``ct`` to ``arg``'s adjoint, un-broadcast to its shape."""
    value = arg._value
    try:
        broadcast = ct.shape != value.shape
    except AttributeError:  # a Python number (from a user's rule or primitive)
        broadcast = np.shape(ct) != np.shape(value)
    if broadcast or batch:
        ct = sum_to(Tensor(ct), batch, arg.shape)._value
    _accumulate(adjoint, id(arg), ct, np.add)


def _value_of(t: Any) -> Any:
    """The NumPy value an op would compute on for ``t`` (a Tensor, a Variable, a number...)."""
    if type(t) is not Tensor:
        t = as_input(t)
    return t._value if isinstance(t, Tensor) else t


def _raw_shape(t: Tensor) -> tuple[int, ...]:
    """``t.shape`` as a plain tuple, without building a TensorShape (the reverse pass's hot
    path); a Python number (a user primitive's result) has shape ()."""
    try:
        return t._value.shape
    except AttributeError:
        return ()


def _accumulate(adjoint: dict[int, Any], key: int, ct: Any, add: Any) -> None:
    prev = adjoint.get(key)
    adjoint[key] = ct if prev is None else add(prev, ct)


from workbench.ops import elementwise as _ew
from workbench.ops.reduce import sum_to

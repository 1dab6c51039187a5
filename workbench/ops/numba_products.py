"""Numba emitters for einsum, prod and cumsum: plain loop nests with static bounds.

Same contract as :mod:`workbench.ops.numba_rules`: ``emit(ctx, out, ins, **params) -> lines``.
"""

from __future__ import annotations

import numpy as np

from workbench.ops.numba_rules import _axes, _out_index


def letter_sizes(terms: list[str], shapes: list[tuple[int, ...]]) -> dict[str, int]:
    """The size of each einsum letter (a size-1 axis broadcasts against any other size)."""
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes, strict=True):
        for c, d in zip(term, shape, strict=True):
            if sizes.get(c, 1) == 1:
                sizes[c] = d
    return sizes


def _target(ctx, out, idx: list[str]) -> str:
    name = ctx.out(out)
    return ctx.refs[id(out)].index(idx) if out.shape else name


def einsum(ctx, out, ins, subscripts):
    """Loops over the output's letters, then over the summed letters; one product per step."""
    lhs, result = subscripts.split("->")
    terms = lhs.split(",")
    sizes = letter_sizes(terms, [ctx.shape(x) for x in ins])
    summed = [c for c in dict.fromkeys(lhs.replace(",", "")) if c not in result]
    dtype = np.dtype(out.dtype)
    oidx, ohead, opad = ctx.loops(tuple(sizes[c] for c in result))
    sidx, shead, spad = ctx.loops(tuple(sizes[c] for c in summed))
    index = dict(zip(result, oidx, strict=True)) | dict(zip(summed, sidx, strict=True))
    factors = [ctx.read(x, [index[c] for c in term], dtype) for term, x in zip(terms, ins)]
    product = " * ".join(factors) or ctx.const(1, dtype)
    target = _target(ctx, out, oidx)
    if not summed:
        return ohead + [f"{opad}{target} = {product}"]
    acc = ctx.fresh("acc")
    lines = ohead + [f"{opad}{acc} = {ctx.const(0, dtype)}"]
    lines += [opad + h for h in shead] + [f"{opad}{spad}{acc} += {product}"]
    return lines + [f"{opad}{target} = {acc}"]


def reduce_prod(ctx, out, ins, axis, keepdims):
    """``prod``: multiplies in index order."""
    (x,) = ins
    shape, dtype = ctx.shape(x), np.dtype(out.dtype)
    axes = _axes(len(shape), axis)
    oidx, ohead, opad = ctx.loops(tuple(d for k, d in enumerate(shape) if k not in axes))
    ridx, rhead, rpad = ctx.loops(tuple(shape[k] for k in axes))
    full = list(oidx)
    for k, r in zip(axes, ridx, strict=True):
        full.insert(k, r)
    acc = ctx.fresh("acc")
    target = _target(ctx, out, _out_index(oidx, axes, keepdims))
    lines = ohead + [f"{opad}{acc} = {ctx.const(1, dtype)}"]
    lines += [opad + h for h in rhead] + [f"{opad}{rpad}{acc} *= {ctx.read(x, full, dtype)}"]
    return lines + [f"{opad}{target} = {acc}"]


def cumsum(ctx, out, ins, axis, reverse):
    """Running sum along ``axis`` (from the end when ``reverse``), in order, as ``np.cumsum``."""
    (x,) = ins
    shape, dtype = ctx.shape(x), np.dtype(out.dtype)
    ctx.out(out)
    oref = ctx.refs[id(out)]
    kidx, khead, kpad = ctx.loops(tuple(d for k, d in enumerate(shape) if k != axis))
    j, acc = ctx.fresh("j"), ctx.fresh("acc")
    full = list(kidx)
    full.insert(axis, j)
    steps = f"range({shape[axis] - 1}, -1, -1)" if reverse else f"range({shape[axis]})"
    return khead + [
        f"{kpad}{acc} = {ctx.const(0, dtype)}",
        f"{kpad}for {j} in {steps}:",
        f"{kpad}    {acc} += {ctx.read(x, full, dtype)}",
        f"{kpad}    {oref.index(full)} = {acc}",
    ]

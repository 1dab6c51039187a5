"""Numba emitters for the primitives that are not one scalar expression (reductions, shapes, linalg).

An emitter is ``emit(ctx, out, ins, **params) -> list[str]``: ``ctx`` (a compile ``Lowering``)
allocates outputs, reads inputs through strided views and hides CPU-vs-CUDA differences. Shapes
are static, so loops have constant bounds. Sums follow NumPy's pairwise order.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


def _axes(ndim: int, axis) -> tuple[int, ...]:
    return tuple(range(ndim)) if axis is None else tuple(axis)


def _out_index(kept_idx: list[str], axes: tuple[int, ...], keepdims: bool) -> list[str]:
    """The output index of a reduction over ``axes`` from the indices of the kept axes."""
    out = list(kept_idx)
    if keepdims:
        for k in axes:
            out.insert(k, "0")
    return out


def reduce_sum(ctx, out, ins, axis, keepdims):
    """``sum``: pairwise over a trailing block that is one stride, else in index order."""
    (x,) = ins
    shape, dtype = ctx.shape(x), np.dtype(out.dtype)
    axes = _axes(len(shape), axis)
    kept = [d for k, d in enumerate(shape) if k not in axes]
    reduced = math.prod(shape[k] for k in axes)
    name = ctx.out(out)
    zero = ctx.const(0, dtype)
    ref = ctx.ref(x)
    trailing = axes == tuple(range(len(shape) - len(axes), len(shape)))
    stride = _single_stride(ref, axes) if trailing and not ref.is_scalar else None
    oidx, ohead, opad = ctx.loops(tuple(kept))
    target = ctx.refs[id(out)].index(_out_index(oidx, axes, keepdims)) if out.shape else name
    if stride is not None and dtype.kind == "f" and ctx.dtype(x) == dtype and reduced > 0:
        start = ref.index(oidx + ["0"] * len(axes))
        start = start[start.index("[") + 1:-1]
        helper = "block_sum" if reduced <= 128 else "pairwise_sum"
        call = f"{helper}({ref.name}, {start}, {reduced}, {stride}, {zero})"
        return ohead + [f"{opad}{target} = {zero} + {call}"]
    if axes == tuple(range(len(axes))) and kept and ctx.target.name == "cpu":
        return _leading_sum(ctx, x, out, shape, axes, keepdims, dtype)
    acc = ctx.fresh("acc")
    ridx, rhead, rpad = ctx.loops(tuple(shape[k] for k in axes))
    full = list(oidx)
    for k, r in zip(axes, ridx, strict=True):
        full.insert(k, r)
    item = ctx.read(x, full, dtype)
    lines = ohead + [f"{opad}{acc} = {zero}"]
    lines += [opad + h for h in rhead] + [f"{opad}{rpad}{acc} += {item}"]
    return lines + [f"{opad}{target} = {acc}"]


def _leading_sum(ctx, x, out, shape, axes, keepdims, dtype) -> list[str]:
    """A sum over leading axes, adding one row of the kept axes at a time into the output (the
    same order per element as a column walk, read in memory order)."""
    oref, zero = ctx.refs[id(out)], ctx.const(0, dtype)
    kept = tuple(d for k, d in enumerate(shape) if k not in axes)
    oidx, ohead, opad = ctx.loops(kept)
    lines = ohead + [f"{opad}{oref.index(_out_index(oidx, axes, keepdims))} = {zero}"]
    ridx, rhead, rpad = ctx.loops(tuple(shape[k] for k in axes))
    kidx, khead, kpad = ctx.loops(kept)
    target = oref.index(_out_index(kidx, axes, keepdims))
    lines += rhead + [rpad + h for h in khead]
    return lines + [f"{rpad}{kpad}{target} += {ctx.read(x, ridx + kidx, dtype)}"]


def _single_stride(ref, axes) -> int | None:
    """The one stride that walks the reduced trailing axes in C order, if there is one."""
    dims = [(ref.shape[k], ref.strides[k]) for k in axes if ref.shape[k] != 1]
    if not dims:
        return 1
    for (_, outer), (size, inner) in itertools.pairwise(dims):
        if outer != inner * size:
            return None
    return dims[-1][1]


def reduce_max(ctx, out, ins, axis, keepdims):
    """``max``: NaN propagates, as in ``np.max``."""
    (x,) = ins
    shape = ctx.shape(x)
    axes = _axes(len(shape), axis)
    name = ctx.out(out)
    kept = tuple(d for k, d in enumerate(shape) if k not in axes)
    oidx, ohead, opad = ctx.loops(kept)
    ridx, rhead, rpad = ctx.loops(tuple(shape[k] for k in axes))
    full = list(oidx)
    for k, r in zip(axes, ridx, strict=True):
        full.insert(k, r)
    first = list(oidx)
    for k in axes:
        first.insert(k, "0")
    acc, v = ctx.fresh("acc"), ctx.fresh("v")
    target = ctx.refs[id(out)].index(_out_index(oidx, axes, keepdims)) if out.shape else name
    lines = ohead + [f"{opad}{acc} = {ctx.read(x, first)}"]
    lines += [opad + h for h in rhead]
    lines += [f"{opad}{rpad}{v} = {ctx.read(x, full)}",
              f"{opad}{rpad}if {v} > {acc} or {v} != {v}:",
              f"{opad}{rpad}    {acc} = {v}"]
    return lines + [f"{opad}{target} = {acc}"]


def _arg_extreme(op: str):
    def emit(ctx, out, ins, axis):
        """``argmax``/``argmin``: the first extreme (a NaN counts first), as NumPy."""
        (x,) = ins
        shape = ctx.shape(x)
        if axis is None:
            ref = ctx.dense(x)
            shape, axis_ = (ref.size,), 0
            src = ref.reshape(shape)
        else:
            axis_ = int(axis) % len(shape)
            src = ctx.ref(x)
        name = ctx.out(out)
        kept = tuple(d for k, d in enumerate(shape) if k != axis_)
        oidx, ohead, opad = ctx.loops(kept)
        j = ctx.fresh("j")
        best, pos, v = ctx.fresh("best"), ctx.fresh("pos"), ctx.fresh("v")
        full, first = list(oidx), list(oidx)
        full.insert(axis_, j)
        first.insert(axis_, "0")
        target = ctx.refs[id(out)].index(oidx) if out.shape else name
        return ohead + [
            f"{opad}{best} = {src.index(first)}",
            f"{opad}{pos} = 0",
            f"{opad}for {j} in range(1, {shape[axis_]}):",
            f"{opad}    {v} = {src.index(full)}",
            f"{opad}    if ({v} {op} {best} or {v} != {v}) and {best} == {best}:",
            f"{opad}        {best} = {v}",
            f"{opad}        {pos} = {j}",
            f"{opad}{target} = {pos}",
        ]

    return emit


argmax = _arg_extreme(">")
argmin = _arg_extreme("<")


def reshape(ctx, out, ins, shape):
    """A view when the input is C-ordered, else a copy first."""
    ref = ctx.ref(ins[0]).reshape(tuple(shape))
    if ref is None:
        ref = ctx.dense(ins[0]).reshape(tuple(shape))
    return ctx.view(out, ref)


def transpose(ctx, out, ins, axes):
    """A view: permuted strides."""
    return ctx.view(out, ctx.ref(ins[0]).transpose(tuple(axes)))


def broadcast_to(ctx, out, ins, shape):
    """A view: stride 0 along broadcast axes."""
    return ctx.view(out, ctx.ref(ins[0]).broadcast(tuple(shape)))


def _table(shape, index) -> np.ndarray:
    return np.arange(math.prod(shape), dtype=np.int64).reshape(shape)[index]


def getitem(ctx, out, ins, index):
    """NumPy indexing, resolved at compile time: a view when strided, else a gather table."""
    (x,) = ins
    return ctx.view_of_table(out, x, np.asarray(_table(ctx.shape(x), index)))


def scatter_add(ctx, out, ins, index, shape):
    """``np.add.at(zeros(shape), index, g)``, adding in the same order."""
    (g,) = ins
    table = np.asarray(_table(tuple(shape), index))
    name = ctx.out(out)
    zero = ctx.const(0, out.dtype)
    if tuple(shape) == ():
        return [f"{name} = {zero} + {ctx.read(g, [])}"]
    lines = ctx.fill(name, math.prod(shape), zero)
    idx, head, pad = ctx.loops(table.shape)
    positions = ctx.hidden_array(table.reshape(-1)) if table.ndim else None
    flat = " + ".join(f"{i} * {s}" for i, s in zip(idx, _c_steps(table.shape))) or "0"
    where = f"{positions}[{flat}]" if positions else str(int(table))
    return lines + head + [f"{pad}{name}[{where}] += {ctx.read(g, idx, out.dtype)}"]


def _c_steps(shape) -> list[int]:
    steps, step = [], 1
    for d in reversed(shape):
        steps.append(step)
        step *= d
    return steps[::-1]


def concat(ctx, out, ins, axis):
    """Copy each input into its slice of the output."""
    name = ctx.out(out)
    oref = ctx.refs[id(out)]
    lines, start = [], 0
    for x in ins:
        shape = ctx.shape(x)
        idx, head, pad = ctx.loops(shape)
        shifted = list(idx)
        shifted[axis] = f"({idx[axis]} + {start})" if start else idx[axis]
        lines += head + [f"{pad}{oref.index(shifted)} = {ctx.read(x, idx, out.dtype)}"]
        start += shape[axis]
    del name
    return lines


#: Products with at least this many multiply-adds call BLAS (``np.dot``) on the CPU target.
BLAS_MIN_WORK = 512
#: Past this many, a product whose operands BLAS cannot read in place copies them first.
_BLAS_COPY_MIN_WORK = 1 << 15


def blas_ok(ctx, out, ins) -> bool:
    """Whether ``np.dot`` (BLAS) can compute ``out``: the CPU target, one float dtype."""
    dtype = np.dtype(out.dtype)
    return (ctx.target.name == "cpu" and dtype in (np.float32, np.float64)
            and all(ctx.dtype(a) == dtype for a in ins))


def blas_operand(ctx, atom) -> str | None:
    """``atom`` as a 2-D array expression BLAS reads in place (C order, or the transpose of a
    C-ordered matrix), or None if it is a vector, a broadcast or a strided view."""
    ref = ctx.ref(atom)
    if ref.is_scalar or len(ref.shape) != 2 or 0 in ref.shape:
        return None
    size, (r, c) = ref.size, ref.shape
    whole = ctx.buffers.get(ref.name) == size or id(atom) in ctx.local_of  # stored in full
    flat = (ref.name if ref.offset == 0 and whole
            else f"{ref.name}[{ref.offset}:{ref.offset + size}]")
    if ref.dense:
        return f"{flat}.reshape(({r}, {c}))"
    if ref.transpose((1, 0)).dense:
        return f"{flat}.reshape(({c}, {r})).T"
    return None


def blas_matrix(ctx, atom) -> str:
    """A 2-D value for ``np.dot`` whatever its layout: read in place where BLAS can, else a
    dense copy of the view."""
    in_place = blas_operand(ctx, atom)
    if in_place is not None:
        return in_place
    rows, cols = ctx.shape(atom)
    ref = ctx.dense(atom)
    return f"{ref.name}[{ref.offset}:{ref.offset + rows * cols}].reshape(({rows}, {cols}))"


def blas_shaped(ctx, out, ins) -> bool:
    """Is this matmul a BLAS call (2-D float operands of one dtype, not a matrix-vector product,
    enough work, laid out for BLAS, or so large that copying them first pays) rather than an
    element loop?"""
    x, y = ins
    xs, ys = ctx.shape(x), ctx.shape(y)
    if not blas_ok(ctx, out, ins) or len(xs) != 2 or len(ys) != 2:
        return False
    if xs[0] == 1 or ys[1] == 1:
        # A matrix-vector product, as in (k, 1)-shaped VJPs: it is memory-bound, and an element
        # loop reads the matrix once, fused with its neighbours (a separate BLAS gemv call reads
        # it again: 3.7x slower on least squares with X of 10^6 x 10).
        return False
    work = xs[0] * xs[1] * ys[1]
    in_place = blas_operand(ctx, x) is not None and blas_operand(ctx, y) is not None
    return work >= _BLAS_COPY_MIN_WORK or (work >= BLAS_MIN_WORK and in_place)


def matmul(ctx, out, ins):
    """NumPy matmul with batch broadcasting: a BLAS call for matrix products (``blas_shaped``),
    else loops in which each element sums over k in order."""
    x, y = ins
    if blas_shaped(ctx, out, ins):
        name = ctx.out(out)
        m, n = ctx.shape(x)[0], ctx.shape(y)[1]
        return [(f"np.dot({blas_matrix(ctx, x)}, {blas_matrix(ctx, y)}, "
                 f"{name}.reshape(({m}, {n})))")]
    xs, ys = ctx.shape(x), ctx.shape(y)
    vec_x, vec_y = len(xs) == 1, len(ys) == 1
    xr = ctx.ref(x).reshape((1,) + xs) if vec_x else ctx.ref(x)
    yr = ctx.ref(y).reshape(ys + (1,)) if vec_y else ctx.ref(y)
    if xr is None or yr is None:
        xr = ctx.dense(x).reshape((1,) + xs) if vec_x else xr
        yr = ctx.dense(y).reshape(ys + (1,)) if vec_y else yr
    m, k = xr.shape[-2:]
    n = yr.shape[-1]
    batch = tuple(np.broadcast_shapes(xr.shape[:-2], yr.shape[:-2]))
    name = ctx.out(out)
    oref = ctx.refs[id(out)]
    full = batch + (m, n)
    oview = oref.reshape(full) if oref.strides is not None else oref
    dtype = np.dtype(out.dtype)
    zero = ctx.const(0, dtype)
    bidx, bhead, bpad = ctx.loops(batch)
    i, j, p = ctx.fresh("i"), ctx.fresh("j"), ctx.fresh("p")
    xi = _read_ref(ctx, xr, bidx + [i, p], dtype, x)
    yi = _read_ref(ctx, yr, bidx + [p, j], dtype, y)
    target = oview.index(bidx + [i, j]) if oview.strides is not None else name
    strided_x = xr.strides is not None and xr.strides[-1] not in (0, 1)
    if not strided_x or oref.strides is None:
        acc = ctx.fresh("acc")
        return bhead + [
            f"{bpad}for {i} in range({m}):",
            f"{bpad}    for {j} in range({n}):",
            f"{bpad}        {acc} = {zero}",
            f"{bpad}        for {p} in range({k}):",
            f"{bpad}            {acc} += {xi} * {yi}",
            f"{bpad}        {target} = {acc}",
        ]
    # x read down its columns (a transposed view): loop k outermost so x streams in memory order;
    # every output element still adds its terms in k order.
    return ctx.fill(name, math.prod(full), zero) + bhead + [
        f"{bpad}for {p} in range({k}):",
        f"{bpad}    for {i} in range({m}):",
        f"{bpad}        for {j} in range({n}):",
        f"{bpad}            {target} += {xi} * {yi}",
    ]


def _read_ref(ctx, ref, idx, dtype, atom):
    expr = ref.index(idx)
    if np.dtype(ctx.dtype(atom)) != dtype:
        expr = f"np.{dtype.name}({expr})"
    return expr


def _linalg(fn: str, nout: str):
    def emit(ctx, out, ins):
        """LAPACK through NumPy's ``np.linalg`` as Numba provides it, one matrix at a time."""
        refs = [ctx.dense(a) for a in ins]
        a_shape = ctx.shape(ins[0])
        batch = a_shape[:-2]
        name = ctx.out(out)
        bidx, bhead, bpad = ctx.loops(batch)
        flat = " + ".join(f"{i} * {s}" for i, s in zip(bidx, _c_steps(batch))) or "0"
        args = []
        for a, ref in zip(ins, refs, strict=True):
            shape = ctx.shape(a)
            tail = shape[len(batch):] if len(shape) > len(batch) else shape
            size = math.prod(tail)
            if len(shape) == len(a_shape) - 1 and fn == "solve" and a is ins[1]:
                tail, size = shape[len(batch):], math.prod(shape[len(batch):])
            start = f"{ref.offset} + ({flat}) * {size}" if batch else str(ref.offset)
            args.append(f"{ref.name}[{start}:{start} + {size}].reshape({tuple(tail)})")
        call = f"np.linalg.{fn}({', '.join(args)})"
        osize = math.prod(ctx.shape(out)[len(batch):])
        if nout == "scalar" and not batch:
            return [f"{name} = {call}"]
        ostart = f"({flat}) * {osize}" if batch else "0"
        if nout == "scalar":
            return bhead + [f"{bpad}{name}[{ostart}] = {call}"]
        res = ctx.fresh("m")
        return bhead + [
            f"{bpad}{res} = np.ascontiguousarray({call})",
            f"{bpad}{name}[{ostart}:{ostart} + {osize}] = {res}.reshape({osize})",
        ]

    return emit


inv = _linalg("inv", "matrix")
det = _linalg("det", "scalar")
solve = _linalg("solve", "matrix")

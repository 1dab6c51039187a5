"""Matmul and small sums inside fused loops: as a producer (one dot product per element of the loop) or as a
consumer (a small product that sums over the loop's axis, e.g. ``X.T @ residual``).

Each output element still adds its terms in k order from zero, as the plain matmul emitter does,
so fusing changes the memory traffic (one pass over X instead of three), never the result.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from workbench.compile.refs import Ref
from workbench.ops.numba_rules import blas_shaped

#: Limits measured on the seed (3 sums of 11 elements: ~25% faster fused) and the polynomial
#: (4 sums of 50: ~15% slower fused, the 8 written-out lanes and 8 accumulators per sum spill).
MAX_SUMS_PER_LOOP = 3
MAX_FUSED_SUM_SIZE = 16
#: Accumulator elements a consumer may keep (larger products are not fused); up to
#: ``SCALAR_ACCUMULATORS`` of them are written out as scalars (measured ~30% faster than an array).
MAX_ACCUMULATORS = 64
SCALAR_ACCUMULATORS = 16
#: A 1-D fused loop with sums over at least this many rows runs in row chunks on every core (a
#: Numba ``prange``; the kernel is compiled with ``parallel``, which costs compile time, so
#: shorter loops run on one core). The chunks are NumPy's pairwise tree cut ``CHUNK_LEVELS``
#: levels down: a fixed split of the rows whatever the number of threads.
PARALLEL_MIN_ROWS = 1 << 16
CHUNK_LEVELS = 4


def fuse_matmul(ctx: Any, eqn: Any, out: Any) -> bool:
    """Put ``eqn`` (a matmul) into a fused loop if it fits one; False leaves it to its emitter."""
    if eqn.prim.name != "matmul" or blas_shaped(ctx, out, eqn.inputs):
        return False
    x, y = eqn.inputs
    dtype = np.dtype(out.dtype)
    if dtype.kind != "f" or ctx.dtype(x) != dtype or ctx.dtype(y) != dtype:
        return False
    xs, ys = ctx.shape(x), ctx.shape(y)
    xr = ctx.ref(x).reshape((1,) + xs) if len(xs) == 1 else ctx.ref(x)
    yr = ctx.ref(y).reshape(ys + (1,)) if len(ys) == 1 else ctx.ref(y)
    if xr is None or yr is None or xr.is_scalar or yr.is_scalar:
        return False
    return _producer(ctx, out, x, y, xr, yr) or _consumer(ctx, out, x, y, xr, yr)


def _producer(ctx, out, x, y, xr, yr) -> bool:
    shape = tuple(out.shape)
    if not shape or xr.strides[-1] not in (0, 1):
        return False
    group = ctx.groups.get(shape)
    if group is None or any(ctx._after(a) >= group.position for a in (x, y)):
        group = ctx.new_group(shape)
    idx = list(group.idx)
    vec_x, vec_y = len(ctx.shape(x)) == 1, len(ctx.shape(y)) == 1
    if vec_y:
        bidx, i, j = idx[:-1], idx[-1], "0"
    elif vec_x:
        bidx, i, j = idx[:-1], "0", idx[-1]
    else:
        bidx, i, j = idx[:-2], idx[-2], idx[-1]
    k = xr.shape[-1]
    acc, p = ctx.fresh("acc"), ctx.fresh("p")
    zero = ctx.const(0, out.dtype)
    xe = xr.index(bidx + [i, p])
    ye = yr.index(bidx + [p, j])
    ctx.add_member(group, out, [f"{acc} = {zero}", f"for {p} in range({k}):",
                                f"    {acc} += {xe} * {ye}", "{local} = " + acc])
    return True


def _consumer(ctx, out, x, y, xr, yr) -> bool:
    m, k = xr.shape[-2:]
    n = yr.shape[-1]
    if len(xr.shape) != 2 or len(yr.shape) != 2 or n != 1 or m > MAX_ACCUMULATORS:
        return False
    group = ctx.groups.get((k,))
    if group is None or ctx._after(x) >= group.position:
        return False
    local = None
    for var, _, _ in group.members:
        if (ctx.name(var) == yr.name and id(var) in group.local and yr.offset == 0
                and yr.strides[0] == 1):
            local = group.local[id(var)]
    if local is None:
        return False
    name = ctx.out(out)
    zero = ctx.const(0, out.dtype)
    (p,) = group.idx
    chunks = chunks_for(ctx, group)
    part = name
    if chunks is not None:  # each chunk adds into its own row of partial sums
        part, k = f"{name}__part", ctx.fresh("k")
        ctx.allocs.append(ctx.target.alloc(part, len(chunks[0]) * m, out.dtype))
        group.post += ctx.tree_sum(part, len(chunks[0]), m)
        group.post += [f"for {k} in range({m}):", f"    {name}[{k}] = {part}[{k}]"]
    if m <= SCALAR_ACCUMULATORS:  # written out: plain scalars stay in registers
        accs = [f"{name}__{i}" for i in range(m)]
        starts = [f"{a} = {zero}" for a in accs]
        if chunks is None:
            group.pre += starts
            group.post += [f"{name}[{i}] = {a}" for i, a in enumerate(accs)]
        else:
            group.private += starts
            group.partial += [f"{part}[chunk * {m} + {i}] = {a}" for i, a in enumerate(accs)]
        ctx.eqn_member(group, out, [f"{a} += {xr.index([str(i), p])} * {local}"
                                    for i, a in enumerate(accs)])
        return True
    i = ctx.fresh("i")
    row = "" if chunks is None else f"chunk * {m} + "
    if chunks is None:
        group.pre += ctx.fill(name, m, zero)
    else:
        group.private += [f"for {i} in range({m}):", f"    {part}[chunk * {m} + {i}] = {zero}"]
    ctx.eqn_member(group, out, [f"for {i} in range({m}):",
                                f"    {part}[{row}{i}] += {xr.index([i, p])} * {local}"])
    return True


def chunks_for(ctx: Any, group: Any) -> tuple | None:
    """The row chunks (``chunk_schedule``) of fused loop ``group`` if its sums split across
    cores: a 1-D CPU loop of at least ``PARALLEL_MIN_ROWS`` rows; None: one run over the rows."""
    shape = group.shape
    if (group.chunks is None and ctx.chunk_rows and ctx.target.name == "cpu" and len(shape) == 1
            and shape[0] >= PARALLEL_MIN_ROWS):
        group.chunks = chunk_schedule(shape[0])
    return group.chunks


def fuse_sum(ctx: Any, eqn: Any, out: Any) -> bool:
    """A full float sum of a value of a 1-D fused loop, computed inside that loop, in NumPy's
    pairwise order (so the result has the same bits as ``np.sum``).

    Small sums in looping kernels (``repeat``, batched runs) use 8 written-out lanes: lane ``j``
    adds into ``r_j`` (starting at -0.0, so its first add is exact), the eight combine as
    ``((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))`` and the rest add in order. Otherwise the loop runs
    over NumPy's leaf blocks (at most 128 elements), keeping one block in a small buffer for
    ``block_sum`` and combining block results on a stack as NumPy's recursion does.
    """
    if eqn.prim.name != "sum":
        return False
    (x,) = eqn.inputs
    group = ctx.local_of.get(id(x))
    dtype = np.dtype(out.dtype)
    shape = ctx.shape(x)
    if (group is None or len(shape) != 1 or tuple(group.shape) != shape or shape[0] < 1
            or dtype.kind != "f" or ctx.dtype(x) != dtype):
        return False
    lanes_ok = (ctx.fuse_sums and shape[0] <= MAX_FUSED_SUM_SIZE and not group.leaf_sums
                and len(group.sums) < MAX_SUMS_PER_LOOP)
    if not lanes_ok and group.sums:
        return False
    zero = ctx.const(0, dtype)
    if tuple(out.shape) == ():
        dest = ctx.name(out)
        ctx.refs[id(out)] = Ref(dest, ())
    else:  # keepdims=True: shape (1,)
        dest = f"{ctx.out(out)}[0]"
    res = ctx.fresh("res")
    local = group.local[id(x)]
    if lanes_ok:
        lanes = [f"{res}_{k}" for k in range(8)] if shape[0] >= 8 else None
        if lanes:
            group.pre += [f"{r} = {ctx.const(-0.0, dtype)}" for r in lanes]
        else:
            group.pre.append(f"{res} = {zero}")
        group.sums[id(out)] = (local, lanes, res, dest, zero)
    else:
        chunks = chunks_for(ctx, group)
        if group.leaves is None and chunks is None:
            group.leaves = leaf_schedule(shape[0])
        buf, vals = ctx.fresh("block"), ctx.fresh("stack")
        copies = 1 if chunks is None else len(chunks[0])  # a block and a stack per chunk
        ctx.allocs.append(ctx.target.alloc(buf, min(shape[0], 128) * copies, dtype))
        if chunks is not None or len(group.leaves) > 1:  # for the block results NumPy's
            ctx.allocs.append(ctx.target.alloc(vals, 64 * copies, dtype))  # recursion combines
        group.leaf_sums[id(out)] = (local, buf, vals, f"{res}_top", dest, zero)
    ctx.eqn_member(group, out, [])
    return True


@functools.lru_cache(maxsize=64)
def leaf_schedule(n: int) -> np.ndarray:
    """NumPy's pairwise recursion as rows ``(start, size, combines after this leaf)``, one per
    leaf block (a shared read-only array: n/128 rows, so it is built on arrays, level by level).

    >>> leaf_schedule(300).tolist()
    [[0, 72, 0], [72, 72, 1], [144, 72, 0], [216, 84, 2]]
    """
    # A block over 128 splits at half rounded down to a multiple of 8; each split combines its
    # two halves after the last leaf of the block: the leaf that ends where the block ends.
    starts, sizes = np.array([0]), np.array([int(n)])
    leaf_starts, leaf_sizes, split_ends = [], [], []
    while starts.size:
        big = sizes > 128
        leaf_starts.append(starts[~big])
        leaf_sizes.append(sizes[~big])
        start, size = starts[big], sizes[big]
        split_ends.append(start + size)
        starts, sizes = _halves(start, size)
    order = np.argsort(np.concatenate(leaf_starts), kind="stable")
    table = np.zeros((order.size, 3), np.int64)
    table[:, 0] = np.concatenate(leaf_starts)[order]
    table[:, 1] = np.concatenate(leaf_sizes)[order]
    np.add.at(table[:, 2], np.searchsorted(table[:, 0] + table[:, 1], np.concatenate(split_ends)), 1)
    table.flags.writeable = False
    return table


def _halves(start: np.ndarray, size: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """NumPy's pairwise split of blocks (``start``, ``size``): all left halves (half the size
    rounded down to a multiple of 8), then all right halves."""
    half = size // 2 - size // 2 % 8
    return np.concatenate([start, start + half]), np.concatenate([half, size - half])


@functools.lru_cache(maxsize=64)
def chunk_schedule(n: int) -> tuple[np.ndarray, np.ndarray, int]:
    """NumPy's pairwise recursion over ``n`` elements cut ``levels`` levels down (at most
    ``CHUNK_LEVELS``; fewer where a block would be a leaf): ``(chunks, leaves, levels)``, with
    ``2 ** levels`` chunks as rows ``(first leaf, leaves)`` into ``leaves``, each chunk's leaves
    as ``leaf_schedule`` gives them for its block. Summing each chunk so and adding the chunk
    sums pairwise, level by level, adds exactly as ``np.sum``.

    >>> chunks, leaves, levels = chunk_schedule(300)
    >>> chunks.tolist(), leaves.tolist(), levels
    ([[0, 1], [1, 1], [2, 1], [3, 1]], [[0, 72, 0], [72, 72, 0], [144, 72, 0], [216, 84, 0]], 2)
    """
    starts, sizes = np.array([0]), np.array([int(n)])
    levels = 0
    while levels < CHUNK_LEVELS and sizes.min() > 128:
        half_starts, half_sizes = _halves(starts, sizes)  # lefts then rights: interleave them
        starts = half_starts.reshape(2, -1).T.reshape(-1)
        sizes = half_sizes.reshape(2, -1).T.reshape(-1)
        levels += 1
    tables = [leaf_schedule(int(size)) + np.array([start, 0, 0]) for start, size in
              zip(starts, sizes, strict=True)]
    counts = np.array([len(t) for t in tables], np.int64)
    chunks = np.stack([np.cumsum(counts) - counts, counts], axis=1)
    leaves = np.concatenate(tables)
    chunks.flags.writeable = leaves.flags.writeable = False
    return chunks, leaves, levels

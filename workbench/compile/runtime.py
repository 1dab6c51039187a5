"""Helpers the generated kernels call: NumPy's pairwise summation, reproduced step for step.

NumPy sums floats pairwise (8 accumulators, blocks of 128); summing in the same order is what
makes a compiled float sum agree with the eager tape to the last bit.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

from workbench.random import random_bits_body


def _jit(fn):
    """``njit`` with Numba's disk cache where Numba has somewhere to keep it (a writable
    ``__pycache__`` next to this file, or ``NUMBA_CACHE_DIR``, or a user cache folder); without
    it otherwise (a read-only installation and home): compiled once per process then."""
    try:
        return njit(cache=True, error_model="numpy")(fn)
    except RuntimeError:  # "cannot cache function ...: no locator available"
        return njit(error_model="numpy")(fn)


def block_sum_body(a, start, n, stride, zero):  # pragma: no cover - runs compiled
    """NumPy's pairwise sum of at most 128 elements: 8 accumulators, then the remainder.

    Plain Python, compiled twice: ``block_sum`` below for the CPU, and as a device function in
    ``cuda_runtime`` (so both targets add in exactly NumPy's order).
    """
    if n < 8:
        res = zero
        for i in range(n):
            res += a[start + i * stride]
        return res
    r0 = a[start]
    r1 = a[start + stride]
    r2 = a[start + 2 * stride]
    r3 = a[start + 3 * stride]
    r4 = a[start + 4 * stride]
    r5 = a[start + 5 * stride]
    r6 = a[start + 6 * stride]
    r7 = a[start + 7 * stride]
    i = 8
    m = n - n % 8
    while i < m:
        p = start + i * stride
        r0 += a[p]
        r1 += a[p + stride]
        r2 += a[p + 2 * stride]
        r3 += a[p + 3 * stride]
        r4 += a[p + 4 * stride]
        r5 += a[p + 5 * stride]
        r6 += a[p + 6 * stride]
        r7 += a[p + 7 * stride]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i * stride]
        i += 1
    return res


block_sum = _jit(block_sum_body)
random_bits = _jit(random_bits_body)


@_jit
def pairwise_sum(a, start, n, stride, zero):  # pragma: no cover - runs compiled
    """Sum ``n`` elements of ``a`` from ``start`` in steps of ``stride``, as ``np.add.reduce``.

    Blocks of up to 128 are summed by ``block_sum``; larger runs split in two (the left part a
    multiple of 8) and add the halves, exactly as NumPy's recursion, here with an explicit stack.

    >>> import numpy as np
    >>> x = np.arange(1000.0) / 7
    >>> bool(pairwise_sum(x, 0, 1000, 1, 0.0) == np.sum(x))
    True
    """
    if n <= 128:
        return block_sum(a, start, n, stride, zero)
    starts = np.empty(128, np.int64)
    sizes = np.empty(128, np.int64)
    values = np.empty(64, a.dtype)
    starts[0], sizes[0] = start, n
    top, nvals = 1, 0
    while top > 0:
        top -= 1
        s, m = starts[top], sizes[top]
        if m < 0:  # both halves are done: combine them as left + right
            values[nvals - 2] = values[nvals - 2] + values[nvals - 1]
            nvals -= 1
        elif m <= 128:
            values[nvals] = block_sum(a, s, m, stride, zero)
            nvals += 1
        else:
            half = m // 2
            half -= half % 8
            starts[top], sizes[top] = 0, -1
            starts[top + 1], sizes[top + 1] = s + half * stride, m - half
            starts[top + 2], sizes[top + 2] = s, half
            top += 3
    return values[0]


@intrinsic
def call_block(typingctx, address, args):
    """Call the C function at ``address`` (an integer) with ``args`` (a tuple): arrays go as
    their data pointers, numbers by value. The generated drivers call their loop blocks (each a
    ``cfunc``) this way, so Numba compiles a call, never the block again."""
    def codegen(context, builder, signature, llargs):
        addr, packed = llargs
        values = []
        for k, ty in enumerate(args):
            value = builder.extract_value(packed, k)
            if isinstance(ty, types.Array):
                value = context.make_array(ty)(context, builder, value).data
            values.append(value)
        fnty = ir.FunctionType(ir.VoidType(), [v.type for v in values])
        builder.call(builder.inttoptr(addr, fnty.as_pointer()), values)
        return context.get_dummy_value()

    return types.void(address, args), codegen

"""Helpers the generated kernels call: NumPy's pairwise summation, reproduced step for step.

NumPy sums floats pairwise (8 accumulators, blocks of 128); summing in the same order is what
makes a compiled float sum agree with the eager tape to the last bit.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import carray, cfunc, njit, types
from numba.core import cgutils
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
    their data pointers, numbers by value. The generated drivers call their plan runner (a
    ``cfunc``) this way, so Numba compiles a call, never the blocks again."""
    def codegen(context, builder, signature, llargs):
        addr, packed = llargs
        values = []
        for k, ty in enumerate(args):
            value = builder.extract_value(packed, k)
            if isinstance(ty, types.Array):
                value = _data(context, builder, ty, value)
            values.append(value)
        fnty = ir.FunctionType(ir.VoidType(), [v.type for v in values])
        builder.call(builder.inttoptr(addr, fnty.as_pointer()), values)
        return context.get_dummy_value()

    return types.void(address, args), codegen


@intrinsic(prefer_literal=True)
def stack_buffer(typingctx, size, dtype):
    """``size`` (a literal) uninitialised elements of ``dtype`` on the kernel's stack, as a
    pointer: a small scratch buffer that costs no heap allocation (Numba compiles no
    allocator for it, which is most of a small kernel's compile time)."""
    if not isinstance(size, types.IntegerLiteral) or size.literal_value < 1:
        return None
    n = size.literal_value

    def codegen(context, builder, signature, llargs):
        return cgutils.alloca_once(builder, context.get_data_type(dtype.dtype), size=n)

    return types.CPointer(dtype.dtype)(size, dtype), codegen


@intrinsic
def pointer(typingctx, address, dtype):
    """The integer ``address`` as a pointer to ``dtype`` (a block reads its arguments so)."""
    ptr = types.CPointer(dtype.dtype)

    def codegen(context, builder, signature, llargs):
        return builder.inttoptr(llargs[0], context.get_value_type(ptr))

    return ptr(address, dtype), codegen


@intrinsic
def call_argv(typingctx, address, argv):
    """Call ``void f(int64 *argv)`` at ``address`` with the data of the int64 array ``argv``."""
    def codegen(context, builder, signature, llargs):
        data = _data(context, builder, argv, llargs[1])
        fnty = ir.FunctionType(ir.VoidType(), [data.type])
        builder.call(builder.inttoptr(llargs[0], fnty.as_pointer()), [data])
        return context.get_dummy_value()

    return types.void(address, argv), codegen


@intrinsic
def store_addresses(typingctx, bases, start, arrays):
    """``bases[start + k] = address of arrays[k]`` for each array of the tuple ``arrays``."""
    def codegen(context, builder, signature, llargs):
        out = _data(context, builder, bases, llargs[0])
        for k, ty in enumerate(arrays):
            data = _data(context, builder, ty, builder.extract_value(llargs[2], k))
            slot = builder.gep(out, [builder.add(llargs[1], ir.Constant(llargs[1].type, k))])
            builder.store(builder.ptrtoint(data, ir.IntType(64)), slot)
        return context.get_dummy_value()

    return types.void(bases, start, arrays), codegen


def run_plan_body(table, start, bases):  # pragma: no cover - runs compiled
    """Run the block calls of one plan segment: ``table[start]`` calls, the largest of
    ``table[start + 1]`` arguments, then per call the table index of the block's address,
    its argument count and, per argument, a ``bases`` index and a byte offset (or -1 and a
    number, or ``-2 - index`` and the bytes of a row: row ``bases[0]`` of that array)."""
    n, p = table[start], start + 2
    argv = np.empty(max(table[start + 1], 1), np.int64)
    for _ in range(n):
        block, m = table[p], table[p + 1]
        p += 2
        for k in range(m):
            base, value = table[p], table[p + 1]
            if base >= 0:  # an address: a base plus a byte offset
                argv[k] = bases[base] + value
            elif base == -1:  # the number itself (a shape, a flag)
                argv[k] = value
            else:  # row bases[0] of the array at base -2 - base, rows of ``value`` bytes
                argv[k] = bases[-2 - base] + bases[0] * value
            p += 2
        call_argv(table[block], argv)


_RUNNER: list = []


def plan_runner():
    """The compiled ``run_plan_body`` (a ``cfunc``: drivers call it at its address), compiled
    on first use and kept in Numba's cache next to this file where it can be."""
    if not _RUNNER:
        sig = types.void(types.CPointer(types.int64), types.int64, types.CPointer(types.int64))
        _RUNNER.append(_cfunc(sig, run_plan_body))
    return _RUNNER[0]




@_jit
def _gemm_body(argv, dtype):  # pragma: no cover - runs compiled
    """``C = op(A) @ op(B)`` by ``np.dot`` (BLAS) for ``argv`` = addresses of A, B, C, then
    m, n, k and whether A and B are stored transposed: one compiled product for every shape."""
    m, n, k = argv[3], argv[4], argv[5]
    a = carray(pointer(argv[0], dtype), (m * k,))
    b = carray(pointer(argv[1], dtype), (k * n,))
    c = carray(pointer(argv[2], dtype), (m * n,)).reshape((m, n))
    if argv[6] == 0 and argv[7] == 0:
        np.dot(a.reshape((m, k)), b.reshape((k, n)), c)
    elif argv[6] == 0:
        np.dot(a.reshape((m, k)), b.reshape((n, k)).T, c)
    elif argv[7] == 0:
        np.dot(a.reshape((k, m)).T, b.reshape((k, n)), c)
    else:
        np.dot(a.reshape((k, m)).T, b.reshape((n, k)).T, c)


def _gemm_float64(argv):  # pragma: no cover - runs compiled
    _gemm_body(argv, np.float64)


def _gemm_float32(argv):  # pragma: no cover - runs compiled
    _gemm_body(argv, np.float32)


_GEMM: dict = {}


def gemm(dtype: str):
    """The compiled matrix product of ``dtype`` (float64 or float32) that split programs call
    for their BLAS-shaped products (see ``_gemm_body``), compiled on first use and cached."""
    if dtype not in _GEMM:
        body = {"float64": _gemm_float64, "float32": _gemm_float32}[dtype]
        _GEMM[dtype] = _cfunc(types.void(types.CPointer(types.int64)), body)
    return _GEMM[dtype]


def _cfunc(sig, fn):
    """``cfunc`` with Numba's disk cache where it has a locator (as ``_jit``)."""
    try:
        return cfunc(sig, cache=True, error_model="numpy")(fn)
    except RuntimeError:  # no cache locator (a read-only installation): compiled each process
        return cfunc(sig, error_model="numpy")(fn)


def _data(context, builder, ty, value):
    """The data pointer of an array value (read from its struct: no proxy, cheap to lower)."""
    return builder.extract_value(value, context.data_model_manager[ty].get_field_position("data"))

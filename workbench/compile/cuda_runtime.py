"""Device-side helpers for CUDA kernels: NumPy's pairwise sum and round-half-to-even.

They mirror ``runtime.py`` (CPU) so a CUDA thread sums in the same order as NumPy and the CPU.
"""

from __future__ import annotations

import math

import numpy as np
from numba import cuda

from workbench.compile.runtime import block_sum_body
from workbench.random import random_bits_body

block_sum = cuda.jit(device=True)(block_sum_body)
random_bits = cuda.jit(device=True)(random_bits_body)


@cuda.jit(device=True)
def pairwise_sum(a, start, n, stride, zero):  # pragma: no cover - runs on the device
    """NumPy's pairwise sum of any length, with an explicit stack in thread-local memory."""
    if n <= 128:
        return block_sum(a, start, n, stride, zero)
    starts = cuda.local.array(128, np.int64)
    sizes = cuda.local.array(128, np.int64)
    values = cuda.local.array(64, np.float64)
    starts[0] = start
    sizes[0] = n
    top = 1
    nvals = 0
    while top > 0:
        top -= 1
        s = starts[top]
        m = sizes[top]
        if m < 0:
            values[nvals - 2] = values[nvals - 2] + values[nvals - 1]
            nvals -= 1
        elif m <= 128:
            values[nvals] = block_sum(a, s, m, stride, zero)
            nvals += 1
        else:
            half = m // 2
            half -= half % 8
            starts[top] = 0
            sizes[top] = -1
            starts[top + 1] = s + half * stride
            sizes[top + 1] = m - half
            starts[top + 2] = s
            sizes[top + 2] = half
            top += 3
    return zero + values[0]


@cuda.jit(device=True)
def rint(x):  # pragma: no cover - runs on the device
    """Round half to even, as ``np.rint``."""
    r = math.floor(x + 0.5)
    if r - x == 0.5 and r % 2 != 0:
        r -= 1
    return x * 0 + r

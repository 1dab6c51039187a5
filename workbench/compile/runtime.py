"""Helpers the generated kernels call: NumPy's pairwise summation, reproduced step for step.

NumPy sums floats pairwise (8 accumulators, blocks of 128); summing in the same order is what
makes a compiled float sum agree with the eager tape to the last bit.
"""

from __future__ import annotations

from numba import njit


@njit(cache=True, error_model="numpy")
def pairwise_sum(a, start, n, stride, zero):  # pragma: no cover - runs compiled
    """Sum ``n`` elements of ``a`` from ``start`` in steps of ``stride``, as ``np.add.reduce``.

    >>> import numpy as np
    >>> x = np.arange(200.0) / 7
    >>> bool(pairwise_sum(x, 0, 200, 1, 0.0) == np.sum(x))
    True
    """
    if n < 8:
        res = zero
        for i in range(n):
            res += a[start + i * stride]
        return res
    if n <= 128:
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
    n2 = n // 2
    n2 -= n2 % 8
    return (pairwise_sum(a, start, n2, stride, zero)
            + pairwise_sum(a, start + n2 * stride, n - n2, stride, zero))

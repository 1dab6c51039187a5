"""Precompiled CPU convolution kernels, one per operation and float dtype, shared by every shape:
the patches of a chunk of output lines are packed into a small scratch matrix (it stays in cache)
and each chunk is one BLAS call. Numba compiles each kernel once (kept in its disk cache); the
generated code calls it through its address, so a new model compiles no convolution code.
"""

from __future__ import annotations

import numpy as np
from numba import carray, cfunc, njit, types

#: The geometry array a kernel reads: its address first, then these sizes.
FIELDS = ("n", "h", "w", "c", "oh", "ow", "kh", "kw", "co", "sh", "sw", "dh", "dw", "pt", "pl",
          "chunk")
_ADDRESSES: dict[tuple[str, str], int] = {}
_KEEP: list = []  # the compiled kernels, alive as long as their addresses are handed out


def _jit(fn):
    try:
        return njit(cache=True, error_model="numpy")(fn)
    except RuntimeError:  # no cache locator (a read-only installation): compiled per process
        return njit(error_model="numpy")(fn)


@_jit
def _copy(dst, src):  # pragma: no cover - runs compiled
    """``dst[:] = src`` for short runs (indices from zero: no wraparound checks, vectorized)."""
    for q in range(dst.size):
        dst[q] = src[q]


@_jit
def _add(dst, src):  # pragma: no cover - runs compiled
    """``dst += src`` for short runs."""
    for q in range(dst.size):
        dst[q] += src[q]


@_jit
def _walk(img, cols, t0, tc, g, scatter):  # pragma: no cover - runs compiled
    """Visit every entry of the chunk's patch matrix ``cols`` with the image pixel it holds:
    pack (``cols = img``, zero on padding taps) or scatter (``img += cols``, padding skipped).
    A tap row that stays inside the image with undilated columns is one contiguous run."""
    h, wd, c, oh, ow = g[2], g[3], g[4], g[5], g[6]
    kh, kw, sh, sw, dh, dw, pt, pl = g[7], g[8], g[10], g[11], g[12], g[13], g[14], g[15]
    span = kw * c
    kc = kh * span
    for t in range(t0, t0 + tc):
        b = t // oh
        i = t - b * oh
        for j in range(ow):
            row = ((t - t0) * ow + j) * kc
            s0 = j * sw - pl
            run = dw == 1 and s0 >= 0 and s0 + kw <= wd
            for a in range(kh):
                r = i * sh + a * dh - pt
                at = row + a * span
                if r < 0 or r >= h:
                    if not scatter:
                        cols[at:at + span] = 0
                elif run:
                    base = ((b * h + r) * wd + s0) * c
                    if scatter:
                        _add(img[base:base + span], cols[at:at + span])
                    else:
                        _copy(cols[at:at + span], img[base:base + span])
                else:
                    for e in range(kw):
                        s = s0 + e * dw
                        base = ((b * h + r) * wd + s) * c
                        into = at + e * c
                        if s < 0 or s >= wd:
                            if not scatter:
                                cols[into:into + c] = 0
                        elif scatter:
                            _add(img[base:base + c], cols[into:into + c])
                        else:
                            _copy(cols[into:into + c], img[base:base + c])


def _conv2d(px, pw, pout, pg):  # pragma: no cover - runs compiled
    """``out = patches(x) @ w``, one chunk of output lines per BLAS call."""
    g = carray(pg, (17,))
    n, h, wd, c, oh, ow, kh, kw, co, chunk = g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], \
        g[9], g[16]
    kc = kh * kw * c
    x = carray(px, (n * h * wd * c,))
    wm = carray(pw, (kc * co,)).reshape((kc, co))
    out = carray(pout, (n * oh * ow * co,))
    cols = np.empty(chunk * ow * kc, x.dtype)
    for t0 in range(0, n * oh, chunk):
        tc = min(chunk, n * oh - t0)
        _walk(x, cols, t0, tc, g, False)
        rows = tc * ow
        np.dot(cols[:rows * kc].reshape((rows, kc)), wm,
               out[t0 * ow * co:t0 * ow * co + rows * co].reshape((rows, co)))


def _conv2d_backprop_filter(px, pgrad, pout, pg):  # pragma: no cover - runs compiled
    """``dw = patches(x).T @ g``: the first chunk's product, then each next one added to it."""
    g = carray(pg, (17,))
    n, h, wd, c, oh, ow, kh, kw, co, chunk = g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], \
        g[9], g[16]
    kc = kh * kw * c
    x = carray(px, (n * h * wd * c,))
    grad = carray(pgrad, (n * oh * ow * co,))
    out = carray(pout, (kc * co,)).reshape((kc, co))
    cols = np.empty(chunk * ow * kc, x.dtype)
    part = np.empty((kc, co), x.dtype)
    for t0 in range(0, n * oh, chunk):
        tc = min(chunk, n * oh - t0)
        _walk(x, cols, t0, tc, g, False)
        rows = tc * ow
        gm = grad[t0 * ow * co:t0 * ow * co + rows * co].reshape((rows, co))
        if t0 == 0:
            np.dot(cols[:rows * kc].reshape((rows, kc)).T, gm, out)
        else:
            np.dot(cols[:rows * kc].reshape((rows, kc)).T, gm, part)
            out += part


def _conv2d_backprop_input(pgrad, pw, pout, pg):  # pragma: no cover - runs compiled
    """``dx``: each chunk's ``g @ w.T`` (its patches' cotangents) added back where read."""
    g = carray(pg, (17,))
    n, h, wd, c, oh, ow, kh, kw, co, chunk = g[1], g[2], g[3], g[4], g[5], g[6], g[7], g[8], \
        g[9], g[16]
    kc = kh * kw * c
    grad = carray(pgrad, (n * oh * ow * co,))
    wm = carray(pw, (kc * co,)).reshape((kc, co))
    out = carray(pout, (n * h * wd * c,))
    out[:] = 0
    cols = np.empty(chunk * ow * kc, out.dtype)
    for t0 in range(0, n * oh, chunk):
        tc = min(chunk, n * oh - t0)
        rows = tc * ow
        np.dot(grad[t0 * ow * co:t0 * ow * co + rows * co].reshape((rows, co)), wm.T,
               cols[:rows * kc].reshape((rows, kc)))
        _walk(out, cols, t0, tc, g, True)


_KERNELS = {"conv2d": _conv2d, "conv2d_backprop_filter": _conv2d_backprop_filter,
            "conv2d_backprop_input": _conv2d_backprop_input}


def address(op: str, dtype: np.dtype) -> int:
    """The address of the compiled ``op`` kernel for ``dtype`` (float32 or float64), compiled
    or loaded from Numba's cache on first use; ``void(T*, T*, T*, int64* geometry)``.

    >>> address("conv2d", np.dtype(np.float64)) == address("conv2d", np.dtype(np.float64))
    True
    """
    key = (op, np.dtype(dtype).name)
    if key not in _ADDRESSES:
        ptr = types.CPointer(getattr(types, key[1]))
        sig = types.void(ptr, ptr, ptr, types.CPointer(types.int64))
        try:
            kernel = cfunc(sig, cache=True, error_model="numpy")(_KERNELS[op])
        except RuntimeError:  # no cache locator: compiled once per process
            kernel = cfunc(sig, error_model="numpy")(_KERNELS[op])
        _KEEP.append(kernel)
        _ADDRESSES[key] = kernel.address
    return _ADDRESSES[key]

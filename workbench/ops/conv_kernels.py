"""Precompiled CPU convolution and max-pooling kernels, one per operation and float dtype, shared
by every shape: convolutions pack the patches of a chunk of output lines into a small scratch
matrix (it stays in cache), one BLAS call per chunk. Numba compiles each kernel once (kept in its
disk cache); generated code calls it through its address, so a new model compiles none of this.
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


@_jit
def _sizes(g):  # pragma: no cover - runs compiled
    """(n, h, w, c, oh, ow, co, chunk, kh*kw*c) from a convolution's geometry array."""
    return g[1], g[2], g[3], g[4], g[5], g[6], g[9], g[16], g[7] * g[8] * g[4]


def _conv2d(px, pw, pout, pg):  # pragma: no cover - runs compiled
    """``out = patches(x) @ w``, one chunk of output lines per BLAS call."""
    g = carray(pg, (17,))
    n, h, wd, c, oh, ow, co, chunk, kc = _sizes(g)
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
    n, h, wd, c, oh, ow, co, chunk, kc = _sizes(g)
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
    n, h, wd, c, oh, ow, co, chunk, kc = _sizes(g)
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


@_jit
def _window_maxima(x, b, i, j, g, best, at):  # pragma: no cover - runs compiled
    """Window (b, i, j)'s first maximum per channel, scanning its real pixels in row-major
    order (the first one taken, then only a larger one): ``best`` and its pixel ``at``."""
    h, wd, c = g[2], g[3], g[4]
    kh, kw, sh, sw, pt, pl = g[7], g[8], g[9], g[10], g[11], g[12]
    first = True
    for a in range(kh):
        r = i * sh + a - pt
        if r < 0 or r >= h:
            continue
        for e in range(kw):
            s = j * sw + e - pl
            if s < 0 or s >= wd:
                continue
            pixel = (b * h + r) * wd + s
            run = x[pixel * c:(pixel + 1) * c]
            for q in range(c):
                if first or run[q] > best[q]:
                    best[q] = run[q]
                    at[q] = pixel
            first = False


def _max_pool2d(px, pout, pg):  # pragma: no cover - runs compiled
    """The largest real pixel of each window."""
    g = carray(pg, (13,))
    n, h, wd, c, oh, ow = g[1], g[2], g[3], g[4], g[5], g[6]
    x = carray(px, (n * h * wd * c,))
    out = carray(pout, (n * oh * ow * c,))
    at = np.empty(c, np.int64)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                k = ((b * oh + i) * ow + j) * c
                _window_maxima(x, b, i, j, g, out[k:k + c], at)


def _max_pool2d_grad(px, pgrad, pout, pg):  # pragma: no cover - runs compiled
    """Each window's cotangent added at its first maximum; windows that tile the image write
    each of their pixels once (the cotangent at the maximum, zero elsewhere)."""
    g = carray(pg, (13,))
    n, h, wd, c, oh, ow, kh, kw, sh, sw, pt, pl = g[1], g[2], g[3], g[4], g[5], g[6], g[7], \
        g[8], g[9], g[10], g[11], g[12]
    x = carray(px, (n * h * wd * c,))
    grad = carray(pgrad, (n * oh * ow * c,))
    out = carray(pout, (n * h * wd * c,))
    tiles = sh == kh and sw == kw and pt == 0 and pl == 0
    if not (tiles and h == oh * kh and wd == ow * kw):  # some pixels lie in no window
        out[:] = 0
    best = np.empty(c, x.dtype)
    at = np.empty(c, np.int64)
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                k = ((b * oh + i) * ow + j) * c
                _window_maxima(x, b, i, j, g, best, at)
                if tiles:
                    for a in range(kh):
                        for e in range(kw):
                            pixel = (b * h + i * kh + a) * wd + j * kw + e
                            for q in range(c):
                                out[pixel * c + q] = grad[k + q] if at[q] == pixel else 0
                else:
                    for q in range(c):
                        out[at[q] * c + q] += grad[k + q]


_KERNELS = {"conv2d": (_conv2d, 3), "conv2d_backprop_filter": (_conv2d_backprop_filter, 3),
            "conv2d_backprop_input": (_conv2d_backprop_input, 3),
            "max_pool2d": (_max_pool2d, 2), "max_pool2d_grad": (_max_pool2d_grad, 3)}


def address(op: str, dtype: np.dtype) -> int:
    """The address of the compiled ``op`` kernel for ``dtype`` (float32 or float64), compiled
    or loaded from Numba's cache on first use; ``void(T*, ..., int64* geometry)``, with two
    or three arrays.

    >>> address("conv2d", np.dtype(np.float64)) == address("conv2d", np.dtype(np.float64))
    True
    """
    key = (op, np.dtype(dtype).name)
    if key not in _ADDRESSES:
        fn, arrays = _KERNELS[op]
        ptr = types.CPointer(getattr(types, key[1]))
        sig = types.void(*([ptr] * arrays), types.CPointer(types.int64))
        try:
            kernel = cfunc(sig, cache=True, error_model="numpy")(fn)
        except RuntimeError:  # no cache locator: compiled once per process
            kernel = cfunc(sig, error_model="numpy")(fn)
        _KEEP.append(kernel)
        _ADDRESSES[key] = kernel.address
    return _ADDRESSES[key]

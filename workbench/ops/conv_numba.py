"""Numba emitters for convolution and pooling. On the CPU a convolution is packed patches and
BLAS calls (``conv_blas``); elsewhere (CUDA) and for mixed dtypes it is direct loops with static
bounds, one gather per output element."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.ops import conv_blas
from workbench.ops.conv_emit import Writer, source, tap
from workbench.ops.numba_rules import blas_ok


def conv2d(ctx, out, ins, strides, pads, dilations):
    """``out[n, i, j, o] = sum x[n, i*s + kh*d - p, j*s + kw*d - p, c] * w[kh, kw, c, o]``:
    packed patches and BLAS on the CPU."""
    if blas_ok(ctx, out, ins):
        return conv_blas.conv2d(ctx, out, ins, strides, pads, dilations)
    return _conv2d_loops(ctx, out, ins, strides, pads, dilations)


def conv2d_backprop_filter(ctx, out, ins, filter_shape, strides, pads, dilations):
    """``dw = patches(x).T @ g``."""
    if blas_ok(ctx, out, ins):
        return conv_blas.conv2d_backprop_filter(ctx, out, ins, filter_shape, strides, pads,
                                                dilations)
    return _conv2d_backprop_filter_loops(ctx, out, ins, filter_shape, strides, pads, dilations)


def conv2d_backprop_input(ctx, out, ins, input_shape, strides, pads, dilations):
    """The transposed convolution: ``g @ w.T`` added back where each patch was read."""
    if blas_ok(ctx, out, ins):
        return conv_blas.conv2d_backprop_input(ctx, out, ins, input_shape, strides, pads,
                                               dilations)
    return _conv2d_backprop_input_loops(ctx, out, ins, input_shape, strides, pads, dilations)


def _conv2d_loops(ctx, out, ins, strides, pads, dilations):
    """The direct loops: each output element sums its window in (kh, kw, c) order."""
    x, f = ins
    (_, h, wd, c), (kh, kw, _, _) = ctx.shape(x), ctx.shape(f)
    n, oh, ow, co = out.shape
    ctx.out(out)
    dtype = out.dtype
    w = Writer(ctx)
    b, i, j, o = w.loops(("n", n), ("i", oh), ("j", ow), ("o", co))
    acc, top = w.accumulator(dtype)
    a, r = tap(w, i, oh, kh, strides[0], dilations[0], pads[0][0], h, "h")
    e, s = tap(w, j, ow, kw, strides[1], dilations[1], pads[1][0], wd, "w")
    ch = w.loop("c", c)
    w.line(f"{acc} += {ctx.read(x, [b, r, s, ch], dtype)} * {ctx.read(f, [a, e, ch, o], dtype)}")
    w.depth = top
    w.store(out, [b, i, j, o], acc)
    return w.lines


def _conv2d_backprop_input_loops(ctx, out, ins, input_shape, strides, pads, dilations):
    """The transposed convolution, gathered: each input pixel sums the taps that read it."""
    g, f = ins
    (_, oh, ow, co), (kh, kw, _, _) = ctx.shape(g), ctx.shape(f)
    n, h, wd, c = input_shape
    ctx.out(out)
    dtype = out.dtype
    w = Writer(ctx)
    b, r, s, ch = w.loops(("n", n), ("r", h), ("s", wd), ("c", c))
    acc, top = w.accumulator(dtype)
    a = w.loop("kh", kh)
    i = source(w, r, a, strides[0], dilations[0], pads[0][0], oh, "h")
    e = w.loop("kw", kw)
    j = source(w, s, e, strides[1], dilations[1], pads[1][0], ow, "w")
    o = w.loop("o", co)
    w.line(f"{acc} += {ctx.read(g, [b, i, j, o], dtype)} * {ctx.read(f, [a, e, ch, o], dtype)}")
    w.depth = top
    w.store(out, [b, r, s, ch], acc)
    return w.lines


def _conv2d_backprop_filter_loops(ctx, out, ins, filter_shape, strides, pads, dilations):
    """``dw[kh, kw, c, o] = sum over n, i, j of x[n, tap] * g[n, i, j, o]``."""
    x, g = ins
    (n, h, wd, _), (_, oh, ow, _) = ctx.shape(x), ctx.shape(g)
    kh, kw, c, co = filter_shape
    ctx.out(out)
    dtype = out.dtype
    w = Writer(ctx)
    a, e, ch, o = w.loops(("kh", kh), ("kw", kw), ("c", c), ("o", co))
    acc, top = w.accumulator(dtype)
    b = w.loop("n", n)
    i = w.loop("i", oh)
    r = ctx.fresh("r")
    w.line(f"{r} = {i} * {strides[0]} + {a} * {dilations[0]} - {pads[0][0]}")
    w.block(f"if {r} >= 0 and {r} < {h}:")
    j = w.loop("j", ow)
    s = ctx.fresh("s")
    w.line(f"{s} = {j} * {strides[1]} + {e} * {dilations[1]} - {pads[1][0]}")
    w.block(f"if {s} >= 0 and {s} < {wd}:")
    w.line(f"{acc} += {ctx.read(x, [b, r, s, ch], dtype)} * {ctx.read(g, [b, i, j, o], dtype)}")
    w.depth = top
    w.store(out, [a, e, ch, o], acc)
    return w.lines


def _count(w: Writer, i: str, k: int, stride: int, pad: int, size: int) -> str:
    """How many rows of window ``i`` lie inside the image (a closed form, no loop)."""
    lo, hi, cnt = w.ctx.fresh("lo"), w.ctx.fresh("hi"), w.ctx.fresh("cnt")
    w.line(f"{lo} = max({i} * {stride} - {pad}, 0)")
    w.line(f"{hi} = min({i} * {stride} - {pad} + {k}, {size})")
    w.line(f"{cnt} = {hi} - {lo}")
    return cnt


def avg_pool2d(ctx, out, ins, ksize, strides, pads):
    """The mean of each window's real pixels."""
    (x,) = ins
    _, h, wd, _ = ctx.shape(x)
    n, oh, ow, c = out.shape
    ctx.out(out)
    dtype = out.dtype
    w = Writer(ctx)
    b, i, j, ch = w.loops(("n", n), ("i", oh), ("j", ow), ("c", c))
    acc, _ = w.accumulator(dtype)
    rows = _count(w, i, ksize[0], strides[0], pads[0][0], h)
    cols = _count(w, j, ksize[1], strides[1], pads[1][0], wd)
    top = w.depth
    _, r = tap(w, i, oh, ksize[0], strides[0], 1, pads[0][0], h, "h")
    _, s = tap(w, j, ow, ksize[1], strides[1], 1, pads[1][0], wd, "w")
    w.line(f"{acc} += {ctx.read(x, [b, r, s, ch], dtype)}")
    w.depth = top
    denom = f"np.{np.dtype(dtype).name}({rows} * {cols})"
    w.store(out, [b, i, j, ch], f"{acc} / ({denom})")
    return w.lines


def avg_pool2d_grad(ctx, out, ins, input_shape, ksize, strides, pads):
    """Each input pixel gathers ``g / count`` from the windows that hold it."""
    (g,) = ins
    _, oh, ow, _ = ctx.shape(g)
    n, h, wd, c = input_shape
    ctx.out(out)
    dtype = out.dtype
    w = Writer(ctx)
    b, r, s, ch = w.loops(("n", n), ("r", h), ("s", wd), ("c", c))
    acc, top = w.accumulator(dtype)
    a = w.loop("kh", ksize[0])
    i = source(w, r, a, strides[0], 1, pads[0][0], oh, "h")
    rows = _count(w, i, ksize[0], strides[0], pads[0][0], h)
    e = w.loop("kw", ksize[1])
    j = source(w, s, e, strides[1], 1, pads[1][0], ow, "w")
    cols = _count(w, j, ksize[1], strides[1], pads[1][0], wd)
    denom = f"np.{np.dtype(dtype).name}({rows} * {cols})"
    w.line(f"{acc} += {ctx.read(g, [b, i, j, ch], dtype)} / ({denom})")
    w.depth = top
    w.store(out, [b, r, s, ch], acc)
    return w.lines


def _argmax(w: Writer, x: Any, idx: tuple[str, str, str, str], out_hw, ksize, strides, pads,
            dtype: Any) -> tuple[str, str, str]:
    """Lines finding window ``idx = (n, i, j, c)``'s first maximum: (its row, its column, its
    value)."""
    b, i, j, ch = idx
    (_, h, wd, _), (oh, ow) = w.ctx.shape(x), out_hw
    ctx = w.ctx
    best, br, bs = ctx.fresh("best"), ctx.fresh("br"), ctx.fresh("bs")
    w.line(f"{best} = {ctx.const(-float('inf'), dtype)}")
    w.line(f"{br} = -1")
    w.line(f"{bs} = -1")
    top = w.depth
    _, r = tap(w, i, oh, ksize[0], strides[0], 1, pads[0][0], h, "h")
    _, s = tap(w, j, ow, ksize[1], strides[1], 1, pads[1][0], wd, "w")
    v = ctx.fresh("v")
    w.line(f"{v} = {ctx.read(x, [b, r, s, ch], dtype)}")
    w.block(f"if {br} < 0 or {v} > {best}:")
    w.line(f"{best} = {v}")
    w.line(f"{br} = {r}")
    w.line(f"{bs} = {s}")
    w.depth = top
    return br, bs, best


def max_pool2d(ctx, out, ins, ksize, strides, pads):
    """The largest real pixel of each window (a precompiled kernel on the CPU)."""
    if blas_ok(ctx, out, ins):
        return conv_blas.max_pool2d(ctx, out, ins, ksize, strides, pads)
    (x,) = ins
    n, oh, ow, c = out.shape
    ctx.out(out)
    w = Writer(ctx)
    b, i, j, ch = w.loops(("n", n), ("i", oh), ("j", ow), ("c", c))
    _, _, best = _argmax(w, x, (b, i, j, ch), (oh, ow), ksize, strides, pads, out.dtype)
    w.store(out, [b, i, j, ch], best)
    return w.lines


def max_pool2d_grad(ctx, out, ins, ksize, strides, pads):
    """Each window's cotangent added at its first maximum. Windows that tile the image
    (strides equal to the window, no padding) write each pixel once: the cotangent at the
    maximum, zero elsewhere. A precompiled kernel on the CPU."""
    if blas_ok(ctx, out, ins):
        return conv_blas.max_pool2d_grad(ctx, out, ins, ksize, strides, pads)
    x, g = ins
    n, oh, ow, c = ctx.shape(g)
    _, h, wd, _ = ctx.shape(x)
    name, dtype = ctx.out(out), out.dtype
    oref = ctx.refs[id(out)]
    w = Writer(ctx)
    tiles = tuple(strides) == tuple(ksize) and not any(p for pair in pads for p in pair)
    if not tiles or h != oh * ksize[0] or wd != ow * ksize[1]:  # some pixels are in no window
        w.lines += ctx.fill(name, n * h * wd * c, ctx.const(0, dtype))
    b, i, j, ch = w.loops(("n", n), ("i", oh), ("j", ow), ("c", c))
    br, bs, _ = _argmax(w, x, (b, i, j, ch), (oh, ow), ksize, strides, pads, ctx.dtype(x))
    value = ctx.read(g, [b, i, j, ch], dtype)
    if not tiles:
        w.line(f"{oref.index([b, br, bs, ch])} += {value}")
        return w.lines
    gv, r, s = ctx.fresh("g"), ctx.fresh("r"), ctx.fresh("s")
    w.line(f"{gv} = {value}")
    a = w.loop("kh", ksize[0])
    w.line(f"{r} = {i} * {ksize[0]} + {a}")
    e = w.loop("kw", ksize[1])
    w.line(f"{s} = {j} * {ksize[1]} + {e}")
    w.line(f"{oref.index([b, r, s, ch])} = {gv} if {r} == {br} and {s} == {bs} "
           f"else {ctx.const(0, dtype)}")
    return w.lines


def max_pool2d_gather(ctx, out, ins, ksize, strides, pads):
    """``c`` read at each window's first maximum of ``x``."""
    x, cv = ins
    n, oh, ow, c = out.shape
    ctx.out(out)
    dtype = out.dtype
    w = Writer(ctx)
    b, i, j, ch = w.loops(("n", n), ("i", oh), ("j", ow), ("c", c))
    br, bs, _ = _argmax(w, x, (b, i, j, ch), (oh, ow), ksize, strides, pads, ctx.dtype(x))
    w.store(out, [b, i, j, ch], ctx.read(cv, [b, br, bs, ch], dtype))
    return w.lines

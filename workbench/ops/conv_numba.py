"""Numba emitters for convolution and pooling. On the CPU a convolution packs its patches into
a scratch matrix and makes one BLAS call (``np.dot``), as the NumPy forward does; elsewhere (CUDA)
and for mixed dtypes it is direct loops with static bounds, one gather per output element."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.ops.numba_rules import blas_ok


class _Writer:
    """Indented source lines with fresh loop names."""

    def __init__(self, ctx: Any):
        self.ctx, self.lines, self.depth = ctx, [], 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def loop(self, prefix: str, n: int) -> str:
        i = self.ctx.fresh(prefix)
        self.line(f"for {i} in range({n}):")
        self.depth += 1
        return i

    def block(self, head: str) -> None:
        self.line(head)
        self.depth += 1


def _tap(w: _Writer, out_i: str, k: int, stride: int, dil: int, pad: int, size: int,
         prefix: str) -> tuple[str, str]:
    """Open ``for k``; the input index ``out_i * stride + k * dil - pad``, guarded in range."""
    kk = w.loop(f"k{prefix}", k)
    pos = w.ctx.fresh(f"p{prefix}")
    w.line(f"{pos} = {out_i} * {stride} + {kk} * {dil} - {pad}")
    w.block(f"if {pos} >= 0 and {pos} < {size}:")
    return kk, pos


def _source(w: _Writer, in_i: str, k: str, stride: int, dil: int, pad: int, size: int,
            prefix: str) -> str:
    """The output index whose window puts tap ``k`` on input ``in_i`` (guarded to exist)."""
    t, o = w.ctx.fresh(f"t{prefix}"), w.ctx.fresh(f"o{prefix}")
    w.line(f"{t} = {in_i} + {pad} - {k} * {dil}")
    w.block(f"if {t} >= 0 and {t} % {stride} == 0 and {t} // {stride} < {size}:")
    w.line(f"{o} = {t} // {stride}")
    return o


def _matrix(ctx, atom: Any, rows: int, cols: int) -> str:
    """``atom`` as a C-ordered (rows, cols) array (its buffer, or a dense copy of a view)."""
    ref = ctx.dense(atom)
    return f"{ref.name}[{ref.offset}:{ref.offset + rows * cols}].reshape(({rows}, {cols}))"


def _patches(w: _Writer, x: Any, out_hw, ksize, strides, pads, dilations, dtype) -> str:
    """Lines packing every window of ``x`` into a scratch (N * OH * OW, KH * KW * C) matrix,
    zero where a tap falls in the padding; returns the matrix's name."""
    ctx = w.ctx
    n, h, wd, c = ctx.shape(x)
    (oh, ow), (kh, kw) = out_hw, ksize
    cols, row, start = ctx.fresh("cols"), ctx.fresh("row"), w.depth
    fill = "zeros" if any(p for pair in pads for p in pair) else "empty"
    w.line(f"{cols} = np.{fill}(({n * oh * ow}, {kh * kw * c}), np.{np.dtype(dtype).name})")
    b, i, j = (w.loop(p, s) for p, s in (("n", n), ("i", oh), ("j", ow)))
    w.line(f"{row} = ({b} * {oh} + {i}) * {ow} + {j}")
    a, r = _tap(w, i, kh, strides[0], dilations[0], pads[0][0], h, "h")
    e, s = _tap(w, j, kw, strides[1], dilations[1], pads[1][0], wd, "w")
    ch = w.loop("c", c)
    w.line(f"{cols}[{row}, ({a} * {kw} + {e}) * {c} + {ch}] = {ctx.read(x, [b, r, s, ch])}")
    w.depth = start
    return cols


def conv2d(ctx, out, ins, strides, pads, dilations):
    """``out[n, i, j, o] = sum x[n, i*s + kh*d - p, j*s + kw*d - p, c] * w[kh, kw, c, o]``:
    im2col and one matrix product on the CPU."""
    if not blas_ok(ctx, out, ins):
        return _conv2d_loops(ctx, out, ins, strides, pads, dilations)
    x, f = ins
    kh, kw, c, co = ctx.shape(f)
    n, oh, ow, _ = out.shape
    wmat = _matrix(ctx, f, kh * kw * c, co)
    name = ctx.out(out)
    w = _Writer(ctx)
    cols = _patches(w, x, (oh, ow), (kh, kw), strides, pads, dilations, out.dtype)
    w.line(f"np.dot({cols}, {wmat}, {name}.reshape(({n * oh * ow}, {co})))")
    return w.lines


def conv2d_backprop_filter(ctx, out, ins, filter_shape, strides, pads, dilations):
    """``dw = patches(x).T @ g`` on the CPU."""
    if not blas_ok(ctx, out, ins):
        return _conv2d_backprop_filter_loops(ctx, out, ins, filter_shape, strides, pads,
                                             dilations)
    x, g = ins
    n, oh, ow, co = ctx.shape(g)
    kh, kw, c, _ = filter_shape
    gmat = _matrix(ctx, g, n * oh * ow, co)
    name = ctx.out(out)
    w = _Writer(ctx)
    cols = _patches(w, x, (oh, ow), (kh, kw), strides, pads, dilations, out.dtype)
    w.line(f"np.dot({cols}.T, {gmat}, {name}.reshape(({kh * kw * c}, {co})))")
    return w.lines


def conv2d_backprop_input(ctx, out, ins, input_shape, strides, pads, dilations):
    """``cols = g @ w.T`` on the CPU, then each patch column added back where it was read."""
    if not blas_ok(ctx, out, ins):
        return _conv2d_backprop_input_loops(ctx, out, ins, input_shape, strides, pads,
                                            dilations)
    g, f = ins
    (_, oh, ow, co), (kh, kw, _, _) = ctx.shape(g), ctx.shape(f)
    n, h, wd, c = input_shape
    gmat, wmat = _matrix(ctx, g, n * oh * ow, co), _matrix(ctx, f, kh * kw * c, co)
    name = ctx.out(out)
    oref = ctx.refs[id(out)]
    w = _Writer(ctx)
    cols, row = ctx.fresh("cols"), ctx.fresh("row")
    w.line(f"{cols} = np.dot({gmat}, {wmat}.T)")
    w.lines += ctx.fill(name, n * h * wd * c, ctx.const(0, out.dtype))
    b, i, j = (w.loop(p, s) for p, s in (("n", n), ("i", oh), ("j", ow)))
    w.line(f"{row} = ({b} * {oh} + {i}) * {ow} + {j}")
    a, r = _tap(w, i, kh, strides[0], dilations[0], pads[0][0], h, "h")
    e, s = _tap(w, j, kw, strides[1], dilations[1], pads[1][0], wd, "w")
    ch = w.loop("c", c)
    w.line(f"{oref.index([b, r, s, ch])} += {cols}[{row}, ({a} * {kw} + {e}) * {c} + {ch}]")
    return w.lines


def _conv2d_loops(ctx, out, ins, strides, pads, dilations):
    """The direct loops: each output element sums its window in (kh, kw, c) order."""
    x, f = ins
    (_, h, wd, c), (kh, kw, _, _) = ctx.shape(x), ctx.shape(f)
    n, oh, ow, co = out.shape
    ctx.out(out)
    dtype = out.dtype
    w = _Writer(ctx)
    b, i, j, o = (w.loop(p, s) for p, s in (("n", n), ("i", oh), ("j", ow), ("o", co)))
    acc = ctx.fresh("acc")
    w.line(f"{acc} = {ctx.const(0, dtype)}")
    top = w.depth
    a, r = _tap(w, i, kh, strides[0], dilations[0], pads[0][0], h, "h")
    e, s = _tap(w, j, kw, strides[1], dilations[1], pads[1][0], wd, "w")
    ch = w.loop("c", c)
    w.line(f"{acc} += {ctx.read(x, [b, r, s, ch], dtype)} * {ctx.read(f, [a, e, ch, o], dtype)}")
    w.depth = top
    w.line(f"{ctx.refs[id(out)].index([b, i, j, o])} = {acc}")
    return w.lines


def _conv2d_backprop_input_loops(ctx, out, ins, input_shape, strides, pads, dilations):
    """The transposed convolution, gathered: each input pixel sums the taps that read it."""
    g, f = ins
    (_, oh, ow, co), (kh, kw, _, _) = ctx.shape(g), ctx.shape(f)
    n, h, wd, c = input_shape
    ctx.out(out)
    dtype = out.dtype
    w = _Writer(ctx)
    b, r, s, ch = (w.loop(p, d) for p, d in (("n", n), ("r", h), ("s", wd), ("c", c)))
    acc = ctx.fresh("acc")
    w.line(f"{acc} = {ctx.const(0, dtype)}")
    top = w.depth
    a = w.loop("kh", kh)
    i = _source(w, r, a, strides[0], dilations[0], pads[0][0], oh, "h")
    e = w.loop("kw", kw)
    j = _source(w, s, e, strides[1], dilations[1], pads[1][0], ow, "w")
    o = w.loop("o", co)
    w.line(f"{acc} += {ctx.read(g, [b, i, j, o], dtype)} * {ctx.read(f, [a, e, ch, o], dtype)}")
    w.depth = top
    w.line(f"{ctx.refs[id(out)].index([b, r, s, ch])} = {acc}")
    return w.lines


def _conv2d_backprop_filter_loops(ctx, out, ins, filter_shape, strides, pads, dilations):
    """``dw[kh, kw, c, o] = sum over n, i, j of x[n, tap] * g[n, i, j, o]``."""
    x, g = ins
    (n, h, wd, _), (_, oh, ow, _) = ctx.shape(x), ctx.shape(g)
    kh, kw, c, co = filter_shape
    ctx.out(out)
    dtype = out.dtype
    w = _Writer(ctx)
    a, e, ch, o = (w.loop(p, d) for p, d in (("kh", kh), ("kw", kw), ("c", c), ("o", co)))
    acc = ctx.fresh("acc")
    w.line(f"{acc} = {ctx.const(0, dtype)}")
    top = w.depth
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
    w.line(f"{ctx.refs[id(out)].index([a, e, ch, o])} = {acc}")
    return w.lines


def _count(w: _Writer, i: str, k: int, stride: int, pad: int, size: int) -> str:
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
    w = _Writer(ctx)
    b, i, j, ch = (w.loop(p, d) for p, d in (("n", n), ("i", oh), ("j", ow), ("c", c)))
    acc = ctx.fresh("acc")
    w.line(f"{acc} = {ctx.const(0, dtype)}")
    rows = _count(w, i, ksize[0], strides[0], pads[0][0], h)
    cols = _count(w, j, ksize[1], strides[1], pads[1][0], wd)
    top = w.depth
    _, r = _tap(w, i, ksize[0], strides[0], 1, pads[0][0], h, "h")
    _, s = _tap(w, j, ksize[1], strides[1], 1, pads[1][0], wd, "w")
    w.line(f"{acc} += {ctx.read(x, [b, r, s, ch], dtype)}")
    w.depth = top
    denom = f"np.{np.dtype(dtype).name}({rows} * {cols})"
    w.line(f"{ctx.refs[id(out)].index([b, i, j, ch])} = {acc} / ({denom})")
    return w.lines


def avg_pool2d_grad(ctx, out, ins, input_shape, ksize, strides, pads):
    """Each input pixel gathers ``g / count`` from the windows that hold it."""
    (g,) = ins
    _, oh, ow, _ = ctx.shape(g)
    n, h, wd, c = input_shape
    ctx.out(out)
    dtype = out.dtype
    w = _Writer(ctx)
    b, r, s, ch = (w.loop(p, d) for p, d in (("n", n), ("r", h), ("s", wd), ("c", c)))
    acc = ctx.fresh("acc")
    w.line(f"{acc} = {ctx.const(0, dtype)}")
    top = w.depth
    a = w.loop("kh", ksize[0])
    i = _source(w, r, a, strides[0], 1, pads[0][0], oh, "h")
    rows = _count(w, i, ksize[0], strides[0], pads[0][0], h)
    e = w.loop("kw", ksize[1])
    j = _source(w, s, e, strides[1], 1, pads[1][0], ow, "w")
    cols = _count(w, j, ksize[1], strides[1], pads[1][0], wd)
    denom = f"np.{np.dtype(dtype).name}({rows} * {cols})"
    w.line(f"{acc} += {ctx.read(g, [b, i, j, ch], dtype)} / ({denom})")
    w.depth = top
    w.line(f"{ctx.refs[id(out)].index([b, r, s, ch])} = {acc}")
    return w.lines


def _argmax(w: _Writer, x: Any, b: str, i: str, j: str, ch: str, ksize, strides, pads,
            h: int, wd: int, dtype: Any) -> tuple[str, str, str]:
    """Lines finding window (i, j)'s first maximum: (its row, its column, its value)."""
    ctx = w.ctx
    best, br, bs = ctx.fresh("best"), ctx.fresh("br"), ctx.fresh("bs")
    w.line(f"{best} = {ctx.const(-float('inf'), dtype)}")
    w.line(f"{br} = -1")
    w.line(f"{bs} = -1")
    top = w.depth
    _, r = _tap(w, i, ksize[0], strides[0], 1, pads[0][0], h, "h")
    _, s = _tap(w, j, ksize[1], strides[1], 1, pads[1][0], wd, "w")
    v = ctx.fresh("v")
    w.line(f"{v} = {ctx.read(x, [b, r, s, ch], dtype)}")
    w.block(f"if {br} < 0 or {v} > {best}:")
    w.line(f"{best} = {v}")
    w.line(f"{br} = {r}")
    w.line(f"{bs} = {s}")
    w.depth = top
    return br, bs, best


def max_pool2d(ctx, out, ins, ksize, strides, pads):
    """The largest real pixel of each window."""
    (x,) = ins
    _, h, wd, _ = ctx.shape(x)
    n, oh, ow, c = out.shape
    ctx.out(out)
    w = _Writer(ctx)
    b, i, j, ch = (w.loop(p, d) for p, d in (("n", n), ("i", oh), ("j", ow), ("c", c)))
    _, _, best = _argmax(w, x, b, i, j, ch, ksize, strides, pads, h, wd, out.dtype)
    w.line(f"{ctx.refs[id(out)].index([b, i, j, ch])} = {best}")
    return w.lines


def max_pool2d_grad(ctx, out, ins, ksize, strides, pads):
    """Each window's cotangent added at its first maximum."""
    x, g = ins
    n, oh, ow, c = ctx.shape(g)
    _, h, wd, _ = ctx.shape(x)
    name, dtype = ctx.out(out), out.dtype
    oref = ctx.refs[id(out)]
    w = _Writer(ctx)
    w.lines += ctx.fill(name, n * h * wd * c, ctx.const(0, dtype))
    b, i, j, ch = (w.loop(p, d) for p, d in (("n", n), ("i", oh), ("j", ow), ("c", c)))
    br, bs, _ = _argmax(w, x, b, i, j, ch, ksize, strides, pads, h, wd, ctx.dtype(x))
    w.line(f"{oref.index([b, br, bs, ch])} += {ctx.read(g, [b, i, j, ch], dtype)}")
    return w.lines


def max_pool2d_gather(ctx, out, ins, ksize, strides, pads):
    """``c`` read at each window's first maximum of ``x``."""
    x, cv = ins
    _, h, wd, _ = ctx.shape(x)
    n, oh, ow, c = out.shape
    ctx.out(out)
    dtype = out.dtype
    w = _Writer(ctx)
    b, i, j, ch = (w.loop(p, d) for p, d in (("n", n), ("i", oh), ("j", ow), ("c", c)))
    br, bs, _ = _argmax(w, x, b, i, j, ch, ksize, strides, pads, h, wd, ctx.dtype(x))
    w.line(f"{ctx.refs[id(out)].index([b, i, j, ch])} = {ctx.read(cv, [b, br, bs, ch], dtype)}")
    return w.lines

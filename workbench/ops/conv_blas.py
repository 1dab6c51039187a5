"""CPU convolutions for compiled code: the patches of a chunk of output lines are packed into a
small scratch matrix that stays in cache, and each chunk is one BLAS call (``np.dot``); the full
patch matrix (kernel size times the image) is never built."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.ops.conv_emit import Writer, tap_inside

#: About how many elements of packed patches one BLAS call reads: a chunk of whole output lines.
PATCH_ELEMENTS = 1 << 17


class _Geometry:
    """A convolution's static sizes; output lines ``(n, i)`` are taken ``chunk`` at a time."""

    def __init__(self, image, out_hw, ksize, strides, pads, dilations):
        self.n, self.h, self.w, self.c = image
        (self.oh, self.ow), (self.kh, self.kw) = out_hw, ksize
        self.strides, self.pads, self.dil = strides, pads, dilations
        self.kc = self.kh * self.kw * self.c
        self.lines = self.n * self.oh
        self.chunk = max(1, min(self.lines, PATCH_ELEMENTS // max(1, self.ow * self.kc)))

    def inside(self, axis: int) -> bool:
        size, n_out = (self.h, self.oh) if axis == 0 else (self.w, self.ow)
        k = self.kh if axis == 0 else self.kw
        return tap_inside(n_out, k, self.strides[axis], self.dil[axis], self.pads[axis][0], size)


def _matrix(ctx, atom: Any, rows: int, cols: int) -> str:
    """``atom`` as a C-ordered (rows, cols) array (its buffer, or a dense copy of a view)."""
    ref = ctx.dense(atom)
    return f"{ref.name}[{ref.offset}:{ref.offset + rows * cols}].reshape(({rows}, {cols}))"


def _rows(buf: str, start: str, rows: str, width: int, offset: int = 0) -> str:
    """Rows ``start .. start + rows`` of the (?, width) matrix stored flat in ``buf`` from
    ``offset`` on."""
    first = f"{offset} + " if offset else ""
    return (f"{buf}[{first}{start} * {width}:{first}({start} + {rows}) * {width}]"
            f".reshape(({rows}, {width}))")


def _chunks(w: Writer, g: _Geometry, dtype: Any) -> tuple[str, str, str]:
    """Allocate the scratch and open the loop over chunks of output lines: (scratch, first line
    of the chunk, its line count); one chunk needs no loop."""
    ctx = w.ctx
    cols = ctx.fresh("cols")
    w.line(f"{cols} = np.empty({g.chunk * g.ow * g.kc}, np.{np.dtype(dtype).name})")
    if g.chunk >= g.lines:
        return cols, "0", str(g.lines)
    t0, tc = ctx.fresh("first"), ctx.fresh("count")
    w.block(f"for {t0} in range(0, {g.lines}, {g.chunk}):")
    w.line(f"{tc} = min({g.chunk}, {g.lines} - {t0})")
    return cols, t0, tc


def _walk(w: Writer, g: _Geometry, t0: str, tc: str, image: Any, body, pad=None) -> None:
    """Lines visiting every entry of the chunk's patch matrix with the image element it holds:
    ``body(entry, element)`` is the line for a tap inside the image, ``pad(entry)`` the line
    for one in the padding (None: nothing). Where no tap leaves the image along a row and
    columns are not dilated, a tap row is one contiguous run (``image`` must then be dense)."""
    ctx, top = w.ctx, w.depth
    (sh, sw), (dh, dw), ((pt, _), (pl, _)) = g.strides, g.dil, g.pads
    t = w.loop("line", f"{t0} + {tc}", t0)
    b, i, row = ctx.fresh("n"), ctx.fresh("i"), ctx.fresh("row")
    w.line(f"{b} = {t} // {g.oh}")
    w.line(f"{i} = {t} - {b} * {g.oh}")
    j = w.loop("j", g.ow)
    w.line(f"{row} = (({t} - {t0}) * {g.ow} + {j}) * {g.kc}")
    a = w.loop("kh", g.kh)
    r = ctx.fresh("r")
    w.line(f"{r} = {i} * {sh} + {a} * {dh} - {pt}")
    span = g.kw * g.c
    if not g.inside(0):
        w.block(f"if {r} >= 0 and {r} < {g.h}:" if pad is None else
                f"if {r} < 0 or {r} >= {g.h}:")
        if pad is not None:
            q = w.loop("q", span)
            w.line(pad(f"{row} + {a} * {span} + {q}"))
            w.depth -= 2
            w.block("else:")
    if g.inside(1) and dw == 1:
        base = ctx.fresh("base")
        w.line(f"{base} = {image.offset} + (({b} * {g.h} + {r}) * {g.w} + {j} * {sw} - {pl})"
               f" * {g.c}")
        q = w.loop("q", span)
        w.line(body(f"{row} + {a} * {span} + {q}", f"{image.name}[{base} + {q}]"))
        w.depth = top
        return
    e = w.loop("kw", g.kw)
    s, at = ctx.fresh("s"), ctx.fresh("at")
    w.line(f"{s} = {j} * {sw} + {e} * {dw} - {pl}")
    w.line(f"{at} = {row} + ({a} * {g.kw} + {e}) * {g.c}")
    if not g.inside(1):
        w.block(f"if {s} >= 0 and {s} < {g.w}:" if pad is None else
                f"if {s} < 0 or {s} >= {g.w}:")
        if pad is not None:
            ch = w.loop("c", g.c)
            w.line(pad(f"{at} + {ch}"))
            w.depth -= 2
            w.block("else:")
    ch = w.loop("c", g.c)
    w.line(body(f"{at} + {ch}", image.index([b, r, s, ch])))
    w.depth = top


def _pack(w: Writer, x: Any, g: _Geometry, t0: str, tc: str, cols: str, dtype: Any) -> None:
    """Lines writing the patches of the chunk's lines into ``cols`` (zero on padding taps)."""
    ctx = w.ctx
    image = ctx.dense(x) if g.inside(1) and g.dil[1] == 1 else ctx.ref(x)
    zero = ctx.const(0, dtype)
    _walk(w, g, t0, tc, image, lambda p, v: f"{cols}[{p}] = {v}", lambda p: f"{cols}[{p}] = {zero}")


def conv2d(ctx, out, ins, strides, pads, dilations):
    """``out = patches(x) @ w``, one chunk of output lines per BLAS call."""
    x, f = ins
    kh, kw, _, co = ctx.shape(f)
    g = _Geometry(ctx.shape(x), out.shape[1:3], (kh, kw), strides, pads, dilations)
    wmat = _matrix(ctx, f, g.kc, co)
    name = ctx.out(out)
    w = Writer(ctx)
    cols, t0, tc = _chunks(w, g, out.dtype)
    _pack(w, x, g, t0, tc, cols, out.dtype)
    rows = f"{tc} * {g.ow}"
    w.line(f"np.dot({_rows(cols, '0', rows, g.kc)}, {wmat}, "
           f"{_rows(name, f'{t0} * {g.ow}', rows, co)})")
    return w.lines


def conv2d_backprop_filter(ctx, out, ins, filter_shape, strides, pads, dilations):
    """``dw = patches(x).T @ g``: the first chunk's product, then each next one added to it."""
    x, gv = ins
    _, oh, ow, co = ctx.shape(gv)
    g = _Geometry(ctx.shape(x), (oh, ow), filter_shape[:2], strides, pads, dilations)
    gref = ctx.dense(gv)
    name = ctx.out(out)
    w = Writer(ctx)
    several = g.chunk < g.lines
    part = ctx.fresh("part")
    if several:
        w.line(f"{part} = np.empty({g.kc * co}, np.{np.dtype(out.dtype).name})")
    cols, t0, tc = _chunks(w, g, out.dtype)
    top = w.depth
    _pack(w, x, g, t0, tc, cols, out.dtype)
    rows = f"{tc} * {ow}"
    gmat = _rows(gref.name, f"{t0} * {ow}", rows, co, gref.offset)
    product = f"np.dot({_rows(cols, '0', rows, g.kc)}.T, {gmat}, "
    whole = f"{name}.reshape(({g.kc}, {co}))"
    if not several:
        w.line(f"{product}{whole})")
        return w.lines
    w.block(f"if {t0} == 0:")
    w.line(f"{product}{whole})")
    w.depth = top
    w.block("else:")
    w.line(f"{product}{part}.reshape(({g.kc}, {co})))")
    k = w.loop("k", g.kc * co)
    w.line(f"{name}[{k}] += {part}[{k}]")
    return w.lines


def conv2d_backprop_input(ctx, out, ins, input_shape, strides, pads, dilations):
    """``dx``: each chunk's ``g @ w.T`` (the cotangents of its patches), added back where the
    patches were read."""
    gv, f = ins
    (_, oh, ow, co), (kh, kw, _, _) = ctx.shape(gv), ctx.shape(f)
    g = _Geometry(input_shape, (oh, ow), (kh, kw), strides, pads, dilations)
    gref, wmat = ctx.dense(gv), _matrix(ctx, f, g.kc, co)
    name = ctx.out(out)
    w = Writer(ctx)
    w.lines += ctx.fill(name, math.prod(input_shape), ctx.const(0, out.dtype))
    cols, t0, tc = _chunks(w, g, out.dtype)
    rows = f"{tc} * {ow}"
    w.line(f"np.dot({_rows(gref.name, f'{t0} * {ow}', rows, co, gref.offset)}, {wmat}.T, "
           f"{_rows(cols, '0', rows, g.kc)})")
    _walk(w, g, t0, tc, ctx.refs[id(out)], lambda p, v: f"{v} += {cols}[{p}]")
    return w.lines

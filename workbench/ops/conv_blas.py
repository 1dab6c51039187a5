"""CPU convolutions and max pooling for compiled code: one call of a precompiled kernel
(``conv_kernels``) per operation, through its address, with the geometry in a small array passed
to the kernel; a convolution packs the patches of a chunk of output lines into a scratch matrix
that stays in cache, one BLAS call per chunk (the full patch matrix is never built)."""

from __future__ import annotations

from typing import Any

import numpy as np

#: About how many elements of packed patches one BLAS call reads: a chunk of whole output lines.
PATCH_ELEMENTS = 1 << 17


def _pointer(ctx, atom: Any) -> str:
    """``atom``'s elements in C order from its first one (a dense copy of a strided view)."""
    ref = ctx.dense(atom)
    return f"{ref.name}[{ref.offset}:]" if ref.offset else ref.name


def _call(ctx, op: str, out: Any, ins: tuple, image, out_hw, ksize, co: int, strides, pads,
          dilations) -> list[str]:
    from workbench.ops import conv_kernels  # Numba: loaded by compiling, not by import workbench

    (n, h, w, c), (oh, ow), (kh, kw) = image, out_hw, ksize
    chunk = max(1, min(n * oh, PATCH_ELEMENTS // max(1, ow * kh * kw * c)))
    geometry = [conv_kernels.address(op, out.dtype), n, h, w, c, oh, ow, kh, kw, co, *strides,
                *dilations, pads[0][0], pads[1][0], chunk]
    first, second = (_pointer(ctx, a) for a in ins)
    table = ctx.hidden_array(np.array(geometry, dtype=np.int64))
    name = ctx.out(out)
    return [f"call_block({table}[0], ({first}, {second}, {name}, {table}))"]


def conv2d(ctx, out, ins, strides, pads, dilations):
    """``out = patches(x) @ w``."""
    x, f = ins
    kh, kw, _, co = ctx.shape(f)
    return _call(ctx, "conv2d", out, ins, ctx.shape(x), out.shape[1:3], (kh, kw), co, strides,
                 pads, dilations)


def conv2d_backprop_filter(ctx, out, ins, filter_shape, strides, pads, dilations):
    """``dw = patches(x).T @ g``, summed over chunks in order."""
    x, g = ins
    _, oh, ow, co = ctx.shape(g)
    return _call(ctx, "conv2d_backprop_filter", out, ins, ctx.shape(x), (oh, ow),
                 filter_shape[:2], co, strides, pads, dilations)


def conv2d_backprop_input(ctx, out, ins, input_shape, strides, pads, dilations):
    """``dx``: ``g @ w.T`` added back where each patch was read."""
    g, f = ins
    (_, oh, ow, co), (kh, kw, _, _) = ctx.shape(g), ctx.shape(f)
    return _call(ctx, "conv2d_backprop_input", out, ins, tuple(input_shape), (oh, ow), (kh, kw),
                 co, strides, pads, dilations)


def _pool(ctx, op: str, out: Any, ins: tuple, image, out_hw, ksize, strides, pads) -> list[str]:
    from workbench.ops import conv_kernels

    geometry = [conv_kernels.address(op, out.dtype), *image, *out_hw, *ksize, *strides,
                pads[0][0], pads[1][0]]
    arrays = [_pointer(ctx, a) for a in ins]
    table = ctx.hidden_array(np.array(geometry, dtype=np.int64))
    arrays.append(ctx.out(out))
    return [f"call_block({table}[0], ({', '.join(arrays)}, {table}))"]


def max_pool2d(ctx, out, ins, ksize, strides, pads):
    """The largest real pixel of each window."""
    return _pool(ctx, "max_pool2d", out, ins, ctx.shape(ins[0]), out.shape[1:3], ksize, strides,
                 pads)


def max_pool2d_grad(ctx, out, ins, ksize, strides, pads):
    """Each window's cotangent at its first maximum."""
    x, g = ins
    return _pool(ctx, "max_pool2d_grad", out, ins, ctx.shape(x), ctx.shape(g)[1:3], ksize,
                 strides, pads)

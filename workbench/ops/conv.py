"""Convolution, pooling and dropout (NHWC images, HWIO filters, TensorFlow's conventions).

Convolutions are im2col (one strided copy) plus one matmul; the input gradient is one matmul and
one strided add per kernel offset; pooling is one strided pass per kernel offset. Each VJP is
another primitive of this family.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from workbench import random as wb_random
from workbench.ops import conv_numba as nb
from workbench.ops import creation
from workbench.ops import elementwise as ew
from workbench.primitive import NON_DIFFERENTIABLE, NotSupported, defprimitive
from workbench.tensor import Tensor, as_input

CONV = "conv"
_NO_SYMPY_MAX = NotSupported("max pooling routes the gradient by which element is largest")


# --- windows: im2col and its transpose ------------------------------------------------------
def _pad(x, pads, value=0):
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    return np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)), constant_values=value)


def _offsets(xp, ksize, strides, out_hw):
    """``(i, j, view)`` for each kernel offset: the pixels that offset reads, (N, OH, OW, C)."""
    (kh, kw), (sh, sw), (oh, ow) = ksize, strides, out_hw
    for i in range(kh):
        for j in range(kw):
            yield i, j, xp[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw, :]


def _out_hw(padded_shape, ksize, strides):
    return tuple((padded_shape[1 + a] - ksize[a]) // strides[a] + 1 for a in (0, 1))


def _windows(xp, ksize, strides, dilations):
    """Every window of ``xp`` as a strided view (N, OH, OW, KH, KW, C); nothing is copied."""
    (kh, kw), (sh, sw), (dh, dw) = ksize, strides, dilations
    view = sliding_window_view(xp, ((kh - 1) * dh + 1, (kw - 1) * dw + 1), axis=(1, 2))
    return view[:, ::sh, ::sw, :, ::dh, ::dw].transpose(0, 1, 2, 4, 5, 3)


def _col2im(cols, image_shape, strides, pads, dilations):
    """Transpose of ``_im2col``: add ``cols`` (N, OH, OW, KH, KW, C) back into an image, one
    strided add per kernel offset (the first offset of a stride-1 convolution is a copy)."""
    n, oh, ow, kh, kw, c = cols.shape
    (pt, pb), (pl, pr) = pads
    (sh, sw), (dh, dw) = strides, dilations
    h, w = image_shape[1] + pt + pb, image_shape[2] + pl + pr
    out = np.zeros((n, h, w, c), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                j * dw:j * dw + (ow - 1) * sw + 1:sw, :] += cols[:, :, :, i, j, :]
    return out[:, pt:pt + image_shape[1], pl:pl + image_shape[2], :]


# --- convolution ----------------------------------------------------------------------------
def _im2col(x, ksize, strides, pads, dilations):
    """Patches as one C-ordered (N * OH * OW, KH * KW * C) matrix: one strided copy."""
    win = _windows(_pad(x, pads), ksize, strides, dilations)
    n, oh, ow = win.shape[:3]
    return win.reshape(n * oh * ow, -1), (n, oh, ow)


def _conv(x, w, strides, pads, dilations):
    cols, lead = _im2col(x, w.shape[:2], strides, pads, dilations)
    return (cols @ w.reshape(-1, w.shape[3])).reshape(lead + (w.shape[3],))


def _conv_input(g, w, input_shape, strides, pads, dilations):
    """One (N * OH * OW, O) @ (O, C) product per kernel offset, added where that offset read."""
    kh, kw, c, o = w.shape
    (pt, pb), (pl, pr) = pads
    (sh, sw), (dh, dw) = strides, dilations
    n, oh, ow = g.shape[:3]
    dtype = np.result_type(g, w)
    out = np.zeros((n, input_shape[1] + pt + pb, input_shape[2] + pl + pr, c), dtype=dtype)
    g2, part = g.reshape(-1, o), np.empty((n * oh * ow, c), dtype=dtype)
    for i in range(kh):
        for j in range(kw):
            np.matmul(g2, w[i, j].T, out=part)
            out[:, i * dh:i * dh + (oh - 1) * sh + 1:sh,
                j * dw:j * dw + (ow - 1) * sw + 1:sw, :] += part.reshape(n, oh, ow, c)
    return out[:, pt:pt + input_shape[1], pl:pl + input_shape[2], :]


def _conv_filter(x, g, filter_shape, strides, pads, dilations):
    cols, _ = _im2col(x, filter_shape[:2], strides, pads, dilations)
    return (cols.T @ g.reshape(-1, g.shape[3])).reshape(filter_shape)


def _elements(forward):
    """A SymPy rule for the element view: the NumPy forward run on object arrays."""
    def rule(*xs, **params):
        if not all(hasattr(x, "a") for x in xs):
            raise TypeError("convolution and pooling have only the element view")
        return type(xs[0])(forward(*[x.a for x in xs], **params))

    return rule


conv2d_p = defprimitive(
    "conv2d", _conv,
    vjp=(lambda g, ans, x, w, strides, pads, dilations: conv2d_backprop_input_p(
            g, w, input_shape=x.shape, strides=strides, pads=pads, dilations=dilations),
         lambda g, ans, x, w, strides, pads, dilations: conv2d_backprop_filter_p(
            x, g, filter_shape=w.shape, strides=strides, pads=pads, dilations=dilations)),
    sympy=_elements(_conv), numba=nb.conv2d, kind=CONV, batchable=False,
)
conv2d_backprop_input_p = defprimitive(  # the transposed convolution
    "conv2d_backprop_input", _conv_input,
    vjp=(lambda c, ans, g, w, input_shape, strides, pads, dilations: conv2d_p(
            c, w, strides=strides, pads=pads, dilations=dilations),
         lambda c, ans, g, w, input_shape, strides, pads, dilations: conv2d_backprop_filter_p(
            c, g, filter_shape=w.shape, strides=strides, pads=pads, dilations=dilations)),
    sympy=_elements(_conv_input), numba=nb.conv2d_backprop_input, kind=CONV, batchable=False,
)
conv2d_backprop_filter_p = defprimitive(
    "conv2d_backprop_filter", _conv_filter,
    vjp=(lambda c, ans, x, g, filter_shape, strides, pads, dilations: conv2d_backprop_input_p(
            g, c, input_shape=x.shape, strides=strides, pads=pads, dilations=dilations),
         lambda c, ans, x, g, filter_shape, strides, pads, dilations: conv2d_p(
            x, c, strides=strides, pads=pads, dilations=dilations)),
    sympy=_elements(_conv_filter), numba=nb.conv2d_backprop_filter, kind=CONV, batchable=False,
)


# --- pooling --------------------------------------------------------------------------------
def _window_sum(x, ksize, strides, pads):
    xp = _pad(x, pads)
    views = [v for _, _, v in _offsets(xp, ksize, strides, _out_hw(xp.shape, ksize, strides))]
    return sum(views[1:], start=views[0].copy())


def _counts(input_shape, ksize, strides, pads, like):
    """How many real (unpadded) pixels each window holds, (1, OH, OW, 1), in ``like``'s dtype."""
    dtype = like.dtype if like.dtype.kind == "f" else np.int64
    ones = np.ones((1,) + tuple(input_shape[1:3]) + (1,), dtype=dtype)
    return _window_sum(ones, ksize, strides, pads)


def _avg_pool(x, ksize, strides, pads):
    return _window_sum(x, ksize, strides, pads) / _counts(x.shape, ksize, strides, pads, x)


def _avg_pool_grad(g, input_shape, ksize, strides, pads):
    share = g / _counts(input_shape, ksize, strides, pads, g)
    cols = np.broadcast_to(share[:, :, :, None, None, :], share.shape[:3] + tuple(ksize)
                           + share.shape[3:])
    return _col2im(cols, input_shape, strides, pads, (1, 1))


def _first_maxima(x, ksize, strides, pads):
    """``(i, j, hit)`` per kernel offset; ``hit`` marks the windows whose first maximum (in
    row-major window order, as ``np.argmax``) sits at that offset. Padding never wins."""
    xp = _pad(x, pads, -np.inf)
    hw = _out_hw(xp.shape, ksize, strides)
    best = _max_pool(x, ksize, strides, pads)
    taken = None
    for i, j, view in _offsets(xp, ksize, strides, hw):
        hit = np.equal(view, best)
        if taken is None:
            taken = hit.copy()
        else:
            np.greater(hit, taken, out=hit)  # hit and not taken
            taken |= hit
        yield i, j, hit


def _max_pool(x, ksize, strides, pads):
    xp = _pad(x, pads, -np.inf)
    views = [v for _, _, v in _offsets(xp, ksize, strides, _out_hw(xp.shape, ksize, strides))]
    best = views[0].copy()
    for v in views[1:]:
        np.maximum(best, v, out=best)
    return best


def _max_pool_grad(x, g, ksize, strides, pads):
    (pt, pb), (pl, pr) = pads
    (sh, sw), (n, oh, ow, c) = strides, g.shape
    out = np.zeros((n, x.shape[1] + pt + pb, x.shape[2] + pl + pr, c), dtype=np.result_type(g))
    for i, j, hit in _first_maxima(x, ksize, strides, pads):
        view = out[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw, :]
        np.add(view, g, out=view, where=hit)
    return out[:, pt:pt + x.shape[1], pl:pl + x.shape[2], :]


def _max_pool_gather(x, c, ksize, strides, pads):
    cp = _pad(c, pads)
    views = {(i, j): v for i, j, v in _offsets(cp, ksize, strides,
                                                 _out_hw(cp.shape, ksize, strides))}
    out = None
    for i, j, hit in _first_maxima(x, ksize, strides, pads):
        out = np.where(hit, views[i, j], 0 if out is None else out)
    return out.astype(np.result_type(c))


def _zero_for_x(g, ans, x, *rest, **params):
    """The selector input's cotangent: zero, since the choice of maxima is locally constant."""
    return creation.zeros_like(x)


avg_pool2d_p = defprimitive(
    "avg_pool2d", _avg_pool,
    vjp=(lambda g, ans, x, ksize, strides, pads: avg_pool2d_grad_p(
        g, input_shape=x.shape, ksize=ksize, strides=strides, pads=pads),),
    sympy=_elements(_avg_pool), numba=nb.avg_pool2d, kind=CONV, batchable=False,
)
avg_pool2d_grad_p = defprimitive(
    "avg_pool2d_grad", _avg_pool_grad,
    vjp=(lambda c, ans, g, input_shape, ksize, strides, pads: avg_pool2d_p(
        c, ksize=ksize, strides=strides, pads=pads),),
    sympy=_elements(_avg_pool_grad), numba=nb.avg_pool2d_grad, kind=CONV, batchable=False,
)
max_pool2d_p = defprimitive(
    "max_pool2d", _max_pool,
    vjp=(lambda g, ans, x, ksize, strides, pads: max_pool2d_grad_p(
        x, g, ksize=ksize, strides=strides, pads=pads),),
    sympy=_NO_SYMPY_MAX, numba=nb.max_pool2d, kind=CONV, batchable=False,
)
max_pool2d_grad_p = defprimitive(  # linear in g; x only chooses where each g goes
    "max_pool2d_grad", _max_pool_grad,
    vjp=(_zero_for_x, lambda c, ans, x, g, ksize, strides, pads: max_pool2d_gather_p(
        x, c, ksize=ksize, strides=strides, pads=pads)),
    sympy=_NO_SYMPY_MAX, numba=nb.max_pool2d_grad, kind=CONV, batchable=False,
)
max_pool2d_gather_p = defprimitive(  # max_pool2d_grad's transpose: c at each window's argmax
    "max_pool2d_gather", _max_pool_gather,
    vjp=(_zero_for_x, lambda g, ans, x, c, ksize, strides, pads: max_pool2d_grad_p(
        x, g, ksize=ksize, strides=strides, pads=pads)),
    sympy=_NO_SYMPY_MAX, numba=nb.max_pool2d_gather, kind=CONV, batchable=False,
)


# --- dropout ----------------------------------------------------------------------------------
def _dropout_mask(x, rate, seed):
    rng = creation._RNG[0] if seed is None else np.random.default_rng(seed)
    keep = rng.random(np.shape(x)) >= rate
    dtype = np.result_type(x) if np.result_type(x).kind == "f" else np.float64
    return (keep * (1.0 / (1.0 - rate))).astype(dtype)


dropout_mask_p = defprimitive(  # random, so it has no derivative; dropout multiplies by it
    "dropout_mask", _dropout_mask, vjp=NON_DIFFERENTIABLE,
    sympy=NotSupported("a random mask is not a formula"),
    numba=NotSupported("compiled dropout draws its mask from wb.random's key instead"),
    kind=CONV,
)


# --- public functions -------------------------------------------------------------------------
def _pair(value: Any, name: str, op: str) -> tuple[int, int]:
    """TF's forms: an int, [h, w], or [1, h, w, 1] (NHWC)."""
    v = [int(value)] * 2 if np.ndim(value) == 0 else [int(s) for s in value]
    if len(v) == 1:
        v = v * 2
    elif len(v) == 4:
        if v[0] != 1 or v[3] != 1:
            raise ValueError(f"{op}: {name}={list(value)} must be 1 on the batch and channel axes")
        v = v[1:3]
    if len(v) != 2 or min(v) < 1:
        raise ValueError(f"{op}: {name} must be a positive int or a list of 1, 2 or 4 ints, "
                         f"got {value!r}")
    return v[0], v[1]


def _pads(padding: Any, image: Sequence[int], kernel: Sequence[int], strides, op: str):
    """Explicit ((top, bottom), (left, right)) pads for "VALID", "SAME" (as TF) or a list."""
    if not isinstance(padding, str):
        p = [tuple(int(a) for a in pair) for pair in padding]
        return (p[1], p[2]) if len(p) == 4 else (p[0], p[1])
    mode = padding.upper()
    if mode == "VALID":
        return (0, 0), (0, 0)
    if mode != "SAME":
        raise ValueError(f"{op}: padding must be 'VALID' or 'SAME', got {padding!r}")
    out = []
    for size, k, s in zip(image, kernel, strides, strict=True):
        total = max((math.ceil(size / s) - 1) * s + k - size, 0)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def _image(x: Any, op: str) -> Tensor:
    x = x if isinstance(x, Tensor) else as_input(x)
    if x.ndim != 4:
        raise ValueError(f"{op}: input must be NHWC (rank 4), got shape {x.shape}")
    return x


def conv2d(input: Any, filters: Any, strides: Any = 1, padding: Any = "VALID",
           data_format: str = "NHWC", dilations: Any = None, name: str | None = None) -> Tensor:
    """2-D cross-correlation as ``tf.nn.conv2d``: NHWC input, HWIO filters.

    >>> import numpy as np, workbench as wb
    >>> x = wb.constant(np.ones((1, 3, 3, 1))); w = wb.constant(np.ones((2, 2, 1, 1)))
    >>> wb.nn.conv2d(x, w, strides=1, padding="VALID").numpy()[0, :, :, 0]
    array([[4., 4.],
           [4., 4.]])
    """
    if data_format != "NHWC":
        raise ValueError(f"conv2d: only data_format='NHWC' is supported, got {data_format!r}")
    x = _image(input, "conv2d")
    w = filters if isinstance(filters, Tensor) else as_input(filters)
    if w.ndim != 4 or w.shape[2] != x.shape[3]:
        raise ValueError(f"conv2d: filters must be (height, width, {x.shape[3]}, out_channels) "
                         f"for input {x.shape}, got {w.shape}")
    s = _pair(strides, "strides", "conv2d")
    d = _pair(1 if dilations is None else dilations, "dilations", "conv2d")
    if max(s) > 1 and max(d) > 1:
        raise ValueError("conv2d: strides > 1 together with dilations > 1 is not supported (as TF)")
    eff = [(k - 1) * di + 1 for k, di in zip(w.shape[:2], d, strict=True)]
    pads = _pads(padding, x.shape[1:3], eff, s, "conv2d")
    return conv2d_p(x, w, strides=s, pads=pads, dilations=d)


def _pool(prim, op: str, input: Any, ksize: Any, strides: Any, padding: Any) -> Tensor:
    x = _image(input, op)
    k = _pair(ksize, "ksize", op)
    s = _pair(k if strides is None else strides, "strides", op)
    return prim(x, ksize=k, strides=s, pads=_pads(padding, x.shape[1:3], k, s, op))


def max_pool2d(input: Any, ksize: Any, strides: Any, padding: Any = "VALID",
               data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """Max over each window, as ``tf.nn.max_pool2d`` (padding never wins the max).

    >>> import numpy as np, workbench as wb
    >>> x = wb.constant(np.arange(16.0).reshape(1, 4, 4, 1))
    >>> wb.nn.max_pool2d(x, 2, 2, "VALID").numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]])
    """
    return _pool(max_pool2d_p, "max_pool2d", input, ksize, strides, padding)


def avg_pool2d(input: Any, ksize: Any, strides: Any, padding: Any = "VALID",
               data_format: str = "NHWC", name: str | None = None) -> Tensor:
    """Mean over each window, as ``tf.nn.avg_pool2d`` ("SAME" averages real pixels only).

    >>> import numpy as np, workbench as wb
    >>> x = wb.constant(np.arange(4.0).reshape(1, 2, 2, 1))
    >>> float(wb.nn.avg_pool2d(x, 2, 2, "VALID").numpy().item())
    1.5
    """
    return _pool(avg_pool2d_p, "avg_pool2d", input, ksize, strides, padding)


def dropout(x: Any, rate: float, noise_shape: Any = None, seed: int | None = None,
            name: str | None = None) -> Tensor:
    """Zero each element with probability ``rate``, scale the rest by ``1 / (1 - rate)``.

    The mask comes from ``wb.random``'s generator (``seed`` fixes it); the gradient uses the
    same mask, since it is a recorded constant of the product.

    >>> import workbench as wb
    >>> y = wb.nn.dropout(wb.ones((1000,)), rate=0.5, seed=0).numpy()
    >>> sorted(set(y.tolist()))
    [0.0, 2.0]
    """
    x = x if isinstance(x, Tensor) else as_input(x)
    if not 0.0 <= float(rate) < 1.0:
        raise ValueError(f"dropout: rate must be in [0, 1), got {rate}")
    if float(rate) == 0.0:
        return x
    shape = x.shape if noise_shape is None else tuple(int(d) for d in noise_shape)
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float64)
    if wb_random.compiling():  # a compiled step draws a fresh mask from the key it carries
        keep = wb_random.uniform(shape, dtype=dtype) >= float(rate)
        return ew.mul(x, ew.mul(ew.cast(keep, dtype), 1.0 / (1.0 - float(rate))))
    return ew.mul(x, dropout_mask_p(Tensor(np.zeros(shape, dtype)), rate=float(rate), seed=seed))

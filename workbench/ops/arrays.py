"""Rearranging arrays (axes, flips, rolls, tiles, repeats, pads, differences) as exact composites
of getitem, transpose, reshape, broadcast_to, concat and scatter_add: differentiable, printable
and compilable with no rules of their own (joining and splitting are in ``joining.py``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.axes import normalize_axis, normalize_axis_index
from workbench.tensor import Tensor


def _t(x: Any) -> Tensor:
    return constant(x)


def _along(axis: int, part: Any) -> tuple:
    """An index that applies ``part`` to ``axis`` and keeps every other axis whole."""
    return (slice(None),) * axis + (part,)


# --- axes ---------------------------------------------------------------------------------
def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes.

    >>> import workbench as wb
    >>> wb.swapaxes(wb.zeros((2, 3, 4)), 0, 2).shape
    (4, 3, 2)
    """
    x = _t(x)
    perm = list(range(x.ndim))
    a = normalize_axis_index(axis1, x.ndim, "axis1")
    b = normalize_axis_index(axis2, x.ndim, "axis2")
    perm[a], perm[b] = perm[b], perm[a]
    return sh.transpose(x, perm)


def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes to new positions; the others keep their order.

    >>> import workbench as wb
    >>> wb.moveaxis(wb.zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    x = _t(x)
    src = [source] if np.ndim(source) == 0 else list(source)
    dst = [destination] if np.ndim(destination) == 0 else list(destination)
    if len(src) != len(dst):
        raise ValueError(f"moveaxis: source {source} and destination {destination} "
                         "differ in length")
    src = [normalize_axis_index(a, x.ndim, "source") for a in src]
    dst = [normalize_axis_index(a, x.ndim, "destination") for a in dst]
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError("moveaxis: repeated axis in source or destination")
    perm = [a for a in range(x.ndim) if a not in src]
    for d, s in sorted(zip(dst, src, strict=True)):
        perm.insert(d, s)
    return sh.transpose(x, perm)


def flip(x: Any, axis: Any = None) -> Tensor:
    """Reverse the order along ``axis`` (all axes by default); TF's ``tf.reverse``.

    >>> import workbench as wb
    >>> wb.flip(wb.constant([1.0, 2.0, 3.0])).numpy()
    array([3., 2., 1.])
    """
    x = _t(x)
    axes = normalize_axis(axis, x.ndim)
    axes = range(x.ndim) if axes is None else axes
    if not axes:
        return x
    index = [slice(None)] * x.ndim
    for a in axes:
        index[a] = slice(None, None, -1)
    return sh.getitem(x, tuple(index))


def reverse(tensor: Any, axis: Any) -> Tensor:
    """TensorFlow's ``tf.reverse(tensor, axis)``: ``flip`` along the listed axes.

    >>> import workbench as wb
    >>> wb.reverse(wb.constant([[1.0, 2.0]]), [1]).numpy()
    array([[2., 1.]])
    """
    return flip(tensor, axis)


def fliplr(x: Any) -> Tensor:
    """Reverse the columns (axis 1) of a tensor of rank 2 or more.

    >>> import workbench as wb
    >>> wb.fliplr(wb.constant([[1.0, 2.0]])).numpy()
    array([[2., 1.]])
    """
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"fliplr needs a tensor of rank 2 or more, got shape {x.shape}")
    return flip(x, 1)


def flipud(x: Any) -> Tensor:
    """Reverse the rows (axis 0) of a tensor of rank 1 or more.

    >>> import workbench as wb
    >>> wb.flipud(wb.constant([[1.0], [2.0]])).numpy()
    array([[2.],
           [1.]])
    """
    x = _t(x)
    if x.ndim < 1:
        raise ValueError("flipud needs a tensor of rank 1 or more, got a scalar")
    return flip(x, 0)


def roll(x: Any, shift: Any, axis: Any = None) -> Tensor:
    """Shift elements cyclically along ``axis`` (the flattened tensor by default).

    >>> import workbench as wb
    >>> wb.roll(wb.constant([1.0, 2.0, 3.0]), 1).numpy()
    array([3., 1., 2.])
    """
    x = _t(x)
    if axis is None:
        return sh.reshape(roll(ravel(x), shift, 0), x.shape)
    axes = [axis] if np.ndim(axis) == 0 else list(axis)
    shifts = [shift] * len(axes) if np.ndim(shift) == 0 else list(shift)
    if len(shifts) != len(axes):
        raise ValueError(f"roll: {len(shifts)} shifts for {len(axes)} axes")
    for a, s in zip(axes, shifts, strict=True):
        a = normalize_axis_index(a, x.ndim)
        n = x.shape[a]
        k = int(s) % n if n else 0
        if k:
            x = sh.concat([sh.getitem(x, _along(a, slice(n - k, None))),
                           sh.getitem(x, _along(a, slice(None, n - k)))], axis=a)
    return x


def ravel(x: Any) -> Tensor:
    """The elements as one dimension (C order).

    >>> import workbench as wb
    >>> wb.ravel(wb.ones((2, 3))).shape
    (6,)
    """
    return sh.reshape(x, (-1,))


# --- repeating and padding --------------------------------------------------------------------
def tile(x: Any, reps: Any) -> Tensor:
    """Repeat the whole tensor ``reps`` times along each axis (NumPy's ``tile``, TF's ``tile``).

    >>> import workbench as wb
    >>> wb.tile(wb.constant([1.0, 2.0]), 2).numpy()
    array([1., 2., 1., 2.])
    """
    x = _t(x)
    reps = (int(reps),) if np.ndim(reps) == 0 else tuple(int(r) for r in reps)
    ndim = max(len(reps), x.ndim)
    reps = (1,) * (ndim - len(reps)) + reps
    shape = (1,) * (ndim - x.ndim) + x.shape
    spread = sh.reshape(x, tuple(d for s in shape for d in (1, s)))
    pairs = zip(reps, shape, strict=True)
    wide = sh.broadcast_to(spread, tuple(d for r, s in pairs for d in (r, s)))
    return sh.reshape(wide, tuple(r * s for r, s in zip(reps, shape, strict=True)))


def repeat(x: Any, repeats: Any, axis: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (of the flattened tensor by default).

    ``repeats`` is one count or one per element along the axis (NumPy's and TF's ``repeat``).

    >>> import workbench as wb
    >>> wb.repeat(wb.constant([1.0, 2.0]), [1, 2]).numpy()
    array([1., 2., 2.])
    """
    x = _t(x)
    if axis is None:
        x, axis = ravel(x), 0
    axis = normalize_axis_index(axis, x.ndim)
    counts = np.asarray(repeats)
    if counts.dtype.kind not in "iu" or (counts < 0).any():
        raise ValueError(f"repeat: repeats must be non-negative integers, got {repeats!r}")
    if counts.ndim == 0:
        k = int(counts)
        spread = sh.reshape(x, x.shape[: axis + 1] + (1,) + x.shape[axis + 1:])
        wide = sh.broadcast_to(spread, x.shape[: axis + 1] + (k,) + x.shape[axis + 1:])
        return sh.reshape(wide, x.shape[:axis] + (x.shape[axis] * k,) + x.shape[axis + 1:])
    index = np.repeat(np.arange(x.shape[axis]), counts)
    return sh.getitem(x, _along(axis, index))


def _pad_width(pad_width: Any, ndim: int) -> list[tuple[int, int]]:
    width = np.asarray(pad_width, dtype=object)
    if width.ndim == 2 and width.shape == (ndim, 2):
        pairs = [(int(b), int(a)) for b, a in width]
    else:
        pairs = [tuple(int(w) for w in np.broadcast_to(np.asarray(pad_width), (ndim, 2))[i])
                 for i in range(ndim)]
    if any(w < 0 for p in pairs for w in p):
        raise ValueError(f"pad: widths must be non-negative, got {pad_width!r}")
    return pairs


def pad(x: Any, pad_width: Any = None, mode: str = "constant", constant_values: float = 0, *,
        paddings: Any = None) -> Tensor:
    """Pad each axis by ``(before, after)`` entries (NumPy's ``pad``; TF's ``tf.pad``).

    ``pad_width`` (TF: ``paddings``) is an int, a pair, or one pair per axis. ``mode`` is
    "constant" (the gradient drops the pad), or "reflect", "symmetric", "edge", "wrap" (the
    gradient adds the copies back); TF's upper-case names are accepted.

    >>> import workbench as wb
    >>> wb.pad(wb.constant([1.0, 2.0]), 1, constant_values=9.0).numpy()
    array([9., 1., 2., 9.])
    >>> wb.pad(wb.constant([1.0, 2.0, 3.0]), [[2, 0]], mode="REFLECT").numpy()
    array([3., 2., 1., 2., 3.])
    """
    if (pad_width is None) == (paddings is None):
        raise TypeError("pad: give the widths once, as pad_width (NumPy) or paddings (TF)")
    pad_width = paddings if pad_width is None else pad_width
    x = _t(x)
    pairs = _pad_width(pad_width, x.ndim)
    mode = mode.lower()
    if mode == "constant":
        shape = tuple(b + d + a for (b, a), d in zip(pairs, x.shape, strict=True))
        inner = tuple(slice(b, b + d) for (b, _), d in zip(pairs, x.shape, strict=True))
        out = sh.scatter_add_p(x, index=inner, shape=shape)
        if np.any(np.asarray(constant_values) != 0):
            frame = np.full(shape, constant_values, dtype=x.dtype)
            frame[inner] = 0
            out = ew.add(out, constant(frame))
        return out
    if mode not in ("reflect", "symmetric", "edge", "wrap"):
        raise ValueError(f"pad: unknown mode {mode!r}; use constant, reflect, symmetric, "
                         "edge or wrap")
    for axis, (b, a) in enumerate(pairs):
        if b or a:
            index = np.pad(np.arange(x.shape[axis]), (b, a), mode=mode)
            x = sh.getitem(x, _along(axis, index))
    return x


# --- differences and norms --------------------------------------------------------------------
def diff(x: Any, n: int = 1, axis: int = -1, prepend: Any = None, append: Any = None) -> Tensor:
    """The ``n``-th discrete difference along ``axis``, as ``np.diff``.

    >>> import workbench as wb
    >>> wb.diff(wb.constant([1.0, 4.0, 9.0])).numpy()
    array([3., 5.])
    """
    x = _t(x)
    axis = normalize_axis_index(axis, x.ndim)
    extra = [p for p in (prepend, append) if p is not None]
    if extra:
        def widen(p):
            p = _t(p)
            edge = x.shape[:axis] + (1,) + x.shape[axis + 1:]
            return sh.broadcast_to(p, edge) if p.ndim == 0 else p
        parts = ([widen(prepend)] if prepend is not None else []) + [x]
        x = sh.concat(parts + ([widen(append)] if append is not None else []), axis=axis)
    if n < 0:
        raise ValueError(f"diff: order n must be non-negative, got {n}")
    for _ in range(n):
        hi = sh.getitem(x, _along(axis, slice(1, None)))
        lo = sh.getitem(x, _along(axis, slice(None, -1)))
        x = hi != lo if x.dtype.kind == "b" else ew.sub(hi, lo)  # bools: NumPy's not_equal
    return x


def clip_by_norm(t: Any, clip_norm: Any, axes: Any = None) -> Tensor:
    """Rescale ``t`` so its L2 norm over ``axes`` is at most ``clip_norm`` (TF semantics).

    The norm's gradient is kept safe at ``t = 0`` as in TensorFlow.

    >>> import workbench as wb
    >>> wb.clip_by_norm(wb.constant([3.0, 4.0]), 1.0).numpy()
    array([0.6, 0.8])
    """
    t = _t(t)
    squares = red.sum(ew.mul(t, t), axis=axes, keepdims=True)
    positive = squares > 0
    norm = ew.where(positive, ew.sqrt(ew.where(positive, squares, 1.0)), squares)
    return ew.div(ew.mul(t, clip_norm), ew.maximum(norm, clip_norm))

"""NumPy's selection and assembly functions (block, delete, insert, compress, extract, resize,
choose, r_, c_) as composites of take, concatenate and where: no rules of their own."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.axes import normalize_axis_index
from workbench.ops.indexing import take
from workbench.ops.joining import array_split, concatenate
from workbench.tensor import Tensor


def _depth(x: Any) -> int:
    return 1 + _depth(x[0]) if isinstance(x, list) and x else 0


def block(arrays: Any) -> Tensor:
    """Assemble a tensor from nested lists of blocks (``np.block``): the innermost lists are
    joined along the last axis, the next ones along the axis before, and so on.

    >>> import workbench as wb
    >>> wb.block([[wb.ones((1, 1)), wb.zeros((1, 2))]]).numpy()
    array([[1., 0., 0.]])
    """
    depth = _depth(arrays)

    def join(item: Any, level: int) -> Tensor:
        if level == depth:
            return constant(item)
        parts = [join(x, level + 1) for x in item]
        rank = max(depth, *(p.ndim for p in parts))
        parts = [sh.reshape(p, (1,) * (rank - p.ndim) + p.shape) for p in parts]
        return concatenate(parts, axis=level - depth)

    return join(arrays, 0)


def _mask_positions(condition: Any, size: int) -> np.ndarray:
    cond = np.asarray(condition, dtype=bool).ravel()
    return np.flatnonzero(cond[:size])


def delete(arr: Any, obj: Any, axis: int | None = None) -> Tensor:
    """``arr`` without the entries ``obj`` along ``axis`` (flattened when None).

    >>> import workbench as wb
    >>> wb.delete(wb.constant([1.0, 2.0, 3.0]), 1).numpy()
    array([1., 3.])
    """
    x = constant(arr)
    if axis is None:
        x, axis = sh.reshape(x, (-1,)), 0
    axis = normalize_axis_index(axis, x.ndim)
    keep = np.delete(np.arange(x.shape[axis]), obj)
    return take(x, keep, axis=axis)


def insert(arr: Any, obj: Any, values: Any, axis: int | None = None) -> Tensor:
    """``arr`` with ``values`` inserted before the index ``obj`` along ``axis`` (one index).

    >>> import workbench as wb
    >>> wb.insert(wb.constant([1.0, 3.0]), 1, 2.0).numpy()
    array([1., 2., 3.])
    """
    x = constant(arr)
    if axis is None:
        x, axis = sh.reshape(x, (-1,)), 0
    axis = normalize_axis_index(axis, x.ndim)
    if np.ndim(obj) != 0:
        raise NotImplementedError("insert: obj must be one index; insert blocks one at a time")
    n = x.shape[axis]
    at = int(obj) + n if int(obj) < 0 else int(obj)  # -1 is before the last entry, as NumPy
    if not 0 <= at <= n:
        raise IndexError(f"insert: index {obj} is out of bounds for axis {axis} with size {n}")
    piece_shape = x.shape[:axis] + (1,) + x.shape[axis + 1:]
    piece = sh.broadcast_to(ew.cast(constant(values), x.dtype), piece_shape)
    left, right = array_split(x, [at], axis=axis)
    return concatenate([left, piece, right], axis=axis)


def compress(condition: Any, a: Any, axis: int | None = None) -> Tensor:
    """The slices of ``a`` along ``axis`` where ``condition`` is true (``np.compress``).

    >>> import workbench as wb
    >>> wb.compress([True, False, True], wb.constant([1.0, 2.0, 3.0])).numpy()
    array([1., 3.])
    """
    x = constant(a)
    if axis is None:
        x, axis = sh.reshape(x, (-1,)), 0
    axis = normalize_axis_index(axis, x.ndim)
    return take(x, _mask_positions(condition, x.shape[axis]), axis=axis)


def extract(condition: Any, arr: Any) -> Tensor:
    """The entries of ``arr`` (flattened) where ``condition`` is true (``np.extract``).

    >>> import workbench as wb
    >>> x = wb.constant([[1.0, -2.0], [3.0, -4.0]])
    >>> wb.extract(x > 0, x).numpy()
    array([1., 3.])
    """
    x = sh.reshape(constant(arr), (-1,))
    return take(x, np.flatnonzero(np.ravel(np.asarray(condition))), axis=0)


def resize(a: Any, new_shape: Any) -> Tensor:
    """``a`` flattened, repeated as often as needed and reshaped to ``new_shape``.

    >>> import workbench as wb
    >>> wb.resize(wb.constant([1.0, 2.0, 3.0]), (2, 2)).numpy()
    array([[1., 2.],
           [3., 1.]])
    """
    x = sh.reshape(constant(a), (-1,))
    shape = (new_shape,) if np.ndim(new_shape) == 0 else tuple(new_shape)
    n = int(np.prod(shape))
    if x.shape[0] == 0:
        return Tensor(np.zeros(shape, x.dtype))
    return sh.reshape(take(x, np.arange(n) % x.shape[0], axis=0), shape)


def choose(a: Any, choices: Sequence[Any]) -> Tensor:
    """Entry ``i`` from ``choices[a[i]]`` (``np.choose``, broadcasting; mode 'raise').

    >>> import workbench as wb
    >>> wb.choose([0, 1], [wb.constant([1.0, 2.0]), wb.constant([3.0, 4.0])]).numpy()
    array([1., 4.])
    """
    idx = np.asarray(a)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"choose: the index array must be integer, got {idx.dtype.name}")
    if idx.size and (idx.min() < 0 or idx.max() >= len(choices)):
        raise ValueError(f"choose: indices must lie in [0, {len(choices)})")
    out = constant(choices[-1])
    for i in range(len(choices) - 2, -1, -1):
        out = ew.where(Tensor(idx == i), choices[i], out)
    return sh.broadcast_to(out, np.broadcast_shapes(idx.shape, out.shape))


class _Concatenator:
    """``r_[...]`` joins along the first axis and ``c_[...]`` as columns (``np.r_``, ``np.c_``):
    Tensors (on the tape), arrays, numbers and slices, by indexing syntax.

    >>> import workbench as wb
    >>> wb.r_[wb.constant([1.0, 2.0]), 0.0, 5:7].numpy()
    array([1., 2., 0., 5., 6.])
    >>> wb.c_[wb.constant([1.0, 2.0]), wb.constant([3.0, 4.0])].numpy()
    array([[1., 3.],
           [2., 4.]])
    """

    def __init__(self, columns: bool) -> None:
        self._columns = columns

    def __getitem__(self, key: Any) -> Tensor:
        items = key if isinstance(key, tuple) else (key,)
        # NumPy's promotion over the values, Python numbers weak (float32 stays float32)
        dtype = np.result_type(*[i.dtype if isinstance(i, Tensor) else i for i in items
                                 if not isinstance(i, slice | str | list)] or [float])
        parts = []
        for item in items:
            if isinstance(item, str):
                raise NotImplementedError(
                    f"{'c_' if self._columns else 'r_'}[...]: directive strings such as "
                    f"{item!r} are not supported; use wb.concatenate or wb.stack")
            if isinstance(item, slice):
                t = Tensor(np.r_[item])
            elif isinstance(item, int | float):
                t = Tensor(np.asarray(item, dtype))
            else:
                t = constant(item)
            if self._columns:
                t = sh.reshape(t, (1, 1) if t.ndim == 0 else (-1, 1)) if t.ndim < 2 else t
            else:
                t = sh.reshape(t, (1,)) if t.ndim == 0 else t
            parts.append(t)
        return concatenate(parts, axis=-1 if self._columns else 0)


r_ = _Concatenator(columns=False)
c_ = _Concatenator(columns=True)

"""Joining and splitting (NumPy's stacks, concatenate, append, atleast_nd, split) as composites
of concat, reshape and getitem: differentiable, printable and compilable with no rules of their own.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from workbench.ops import shape as sh
from workbench.ops.arrays import _along, _t, ravel
from workbench.ops.axes import normalize_axis_index
from workbench.tensor import Tensor


# --- joining --------------------------------------------------------------------------------
def atleast_1d(*xs: Any) -> Any:
    """Tensors of rank at least 1 (one tensor for one argument, else a tuple).

    >>> import workbench as wb
    >>> wb.atleast_1d(wb.constant(1.0)).shape
    (1,)
    """
    out = tuple(sh.reshape(t, (1,)) if t.ndim == 0 else t for t in map(_t, xs))
    return out[0] if len(out) == 1 else out


def atleast_2d(*xs: Any) -> Any:
    """Rank at least 2: a vector ``(n,)`` becomes ``(1, n)``.

    >>> import workbench as wb
    >>> wb.atleast_2d(wb.ones(3)).shape
    (1, 3)
    """
    out = tuple(sh.reshape(t, (1,) * (2 - t.ndim) + t.shape) if t.ndim < 2 else t
                for t in map(_t, xs))
    return out[0] if len(out) == 1 else out


def atleast_3d(*xs: Any) -> Any:
    """Rank at least 3: ``(n,)`` becomes ``(1, n, 1)`` and ``(m, n)`` becomes ``(m, n, 1)``.

    >>> import workbench as wb
    >>> [t.shape for t in wb.atleast_3d(wb.ones(3), wb.ones((2, 3)))]
    [(1, 3, 1), (2, 3, 1)]
    """
    shapes = {0: lambda s: (1, 1, 1), 1: lambda s: (1,) + s + (1,), 2: lambda s: s + (1,)}
    out = tuple(sh.reshape(t, shapes[t.ndim](t.shape)) if t.ndim < 3 else t for t in map(_t, xs))
    return out[0] if len(out) == 1 else out


def concatenate(arrays: Sequence[Any], axis: int | None = 0) -> Tensor:
    """NumPy's ``concatenate``: ``concat``, or of the flattened tensors when ``axis`` is None.

    >>> import workbench as wb
    >>> wb.concatenate([wb.ones((1, 2)), wb.zeros((1, 2))], axis=None).shape
    (4,)
    """
    if axis is None:
        return sh.concat([ravel(a) for a in arrays], axis=0)
    return sh.concat([_t(a) for a in arrays], axis=axis)


def vstack(tup: Sequence[Any]) -> Tensor:
    """Stack rows: vectors become rows, then join along axis 0.

    >>> import workbench as wb
    >>> wb.vstack([wb.ones(2), wb.zeros((2, 2))]).shape
    (3, 2)
    """
    return sh.concat([atleast_2d(t) for t in tup], axis=0)


def hstack(tup: Sequence[Any]) -> Tensor:
    """Join along axis 1 (axis 0 for vectors).

    >>> import workbench as wb
    >>> wb.hstack([wb.ones((2, 1)), wb.zeros((2, 2))]).shape
    (2, 3)
    """
    ts = [atleast_1d(t) for t in tup]
    return sh.concat(ts, axis=0 if ts[0].ndim == 1 else 1)


def dstack(tup: Sequence[Any]) -> Tensor:
    """Join along axis 2 after ``atleast_3d``.

    >>> import workbench as wb
    >>> wb.dstack([wb.ones((2, 2)), wb.zeros((2, 2))]).shape
    (2, 2, 2)
    """
    return sh.concat([atleast_3d(t) for t in tup], axis=2)


def column_stack(tup: Sequence[Any]) -> Tensor:
    """Vectors become columns; then join along axis 1.

    >>> import workbench as wb
    >>> wb.column_stack([wb.ones(3), wb.zeros((3, 2))]).shape
    (3, 3)
    """
    ts = [_t(t) for t in tup]
    return sh.concat([sh.reshape(t, t.shape + (1,)) if t.ndim < 2 else t for t in ts], axis=1)


def append(arr: Any, values: Any, axis: int | None = None) -> Tensor:
    """``values`` appended to ``arr`` (both flattened when ``axis`` is None).

    >>> import workbench as wb
    >>> wb.append(wb.constant([1.0]), [[2.0, 3.0]]).numpy()
    array([1., 2., 3.])
    """
    return concatenate([arr, values], axis=axis)


# --- splitting ------------------------------------------------------------------------------
def _split_at(x: Tensor, cuts: Sequence[int], axis: int) -> list[Tensor]:
    n = x.shape[axis]
    bounds = [0] + [min(max(int(c) + n * (c < 0), 0), n) for c in cuts] + [n]
    return [sh.getitem(x, _along(axis, slice(lo, max(lo, hi))))
            for lo, hi in itertools.pairwise(bounds)]


def array_split(x: Any, indices_or_sections: Any, axis: int = 0) -> list[Tensor]:
    """NumPy's ``array_split``: like ``split``, but ``n`` sections need not divide the axis.

    >>> import workbench as wb
    >>> [t.shape for t in wb.array_split(wb.zeros(5), 2)]
    [(3,), (2,)]
    """
    x = _t(x)
    axis = normalize_axis_index(axis, x.ndim)
    if np.ndim(indices_or_sections) == 0:
        sections, n = int(indices_or_sections), x.shape[axis]
        if sections <= 0:
            raise ValueError(f"array_split: the number of sections must be positive, "
                             f"got {sections}")
        sizes = [n // sections + 1] * (n % sections) + [n // sections] * (sections - n % sections)
        return _split_at(x, np.cumsum(sizes)[:-1].tolist(), axis)
    return _split_at(x, list(indices_or_sections), axis)


def split(x: Any, indices_or_sections: Any = None, axis: int = 0, *,
          num_or_size_splits: Any = None) -> list[Tensor]:
    """Split along ``axis`` with NumPy's semantics: ``n`` equal sections, or cut before each index.

    TensorFlow's ``tf.split(value, num_or_size_splits, axis)`` takes a list of *sizes* instead of
    indices: pass it by keyword, ``split(x, num_or_size_splits=[2, -1])`` (one size may be -1).

    >>> import workbench as wb
    >>> [t.shape for t in wb.split(wb.zeros(6), [1, 4])]
    [(1,), (3,), (2,)]
    >>> [t.shape for t in wb.split(wb.zeros(6), num_or_size_splits=[1, -1])]
    [(1,), (5,)]
    """
    x = _t(x)
    axis = normalize_axis_index(axis, x.ndim)
    n = x.shape[axis]
    if num_or_size_splits is not None:
        if indices_or_sections is not None:
            raise TypeError("split: give indices_or_sections (NumPy) or num_or_size_splits (TF)")
        if np.ndim(num_or_size_splits) == 0:
            return split(x, num_or_size_splits, axis)
        sizes = [int(s) for s in num_or_size_splits]
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = n - (sum(sizes) + 1)
        if sum(sizes) != n or min(sizes, default=0) < 0:
            raise ValueError(f"split: sizes {list(num_or_size_splits)} do not add up to {n}")
        return _split_at(x, np.cumsum(sizes)[:-1].tolist(), axis)
    if np.ndim(indices_or_sections) == 0 and n % int(indices_or_sections):
        raise ValueError(f"split: {indices_or_sections} sections do not divide axis {axis} of "
                         f"size {n} equally; use wb.array_split for unequal sections")
    return array_split(x, indices_or_sections, axis)

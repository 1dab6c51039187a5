"""Gathering by integer indices (take, gather, gather_nd, one_hot), where/nonzero and meshgrid.

All are composites of ``getitem`` (whose gradient is a scatter-add) and ``where``. Index tensors
are read as NumPy values: inside ``wb.function`` they must not depend on the traced arguments.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.axes import normalize_axis_index
from workbench.tensor import Tensor


def _indices(indices: Any, name: str = "indices") -> np.ndarray:
    idx = np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integers, got dtype {idx.dtype.name}")
    return idx


def integer_values(values: Any, what: str) -> np.ndarray:
    """``values`` (a Tensor, array or list) as int64 indices; ``what`` names them in the error.
    Empty values pass whatever their dtype (``[]`` is a float array to NumPy).

    >>> integer_values([2, 0], "ids")
    array([2, 0])
    """
    arr = np.asarray(values._value if isinstance(values, Tensor) else values)
    if arr.dtype.kind not in "iu" and arr.size:
        raise TypeError(f"{what} must be integers, got dtype {arr.dtype.name}")
    return arr.astype(np.int64)


def _placed(values: np.ndarray, at: int, ndim: int) -> np.ndarray:
    """``values`` reshaped so its axes sit at positions ``at, at+1, ...`` of a rank-``ndim``
    grid."""
    return values.reshape((1,) * at + values.shape + (1,) * (ndim - at - values.ndim))


def _in_range(idx: np.ndarray, size: int, what: str) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)].flat[0]
        raise IndexError(f"{what}: index {bad} is out of range for a dimension of size {size}")


def take(a: Any, indices: Any, axis: int | None = None) -> Tensor:
    """Elements at ``indices`` along ``axis`` (of the flattened tensor by default), as ``np.take``.

    >>> import workbench as wb
    >>> wb.take(wb.constant([[1.0, 2.0], [3.0, 4.0]]), [3, 0]).numpy()
    array([4., 1.])
    """
    a = constant(a)
    if axis is None:
        a, axis = sh.reshape(a, (-1,)), 0
    axis = normalize_axis_index(axis, a.ndim)
    return sh.getitem(a, (slice(None),) * axis + (_indices(indices),))


def take_along_axis(arr: Any, indices: Any, axis: int) -> Tensor:
    """Pick values along ``axis`` with indices shaped like ``arr`` (``np.take_along_axis``).

    >>> import workbench as wb
    >>> x = wb.constant([[3.0, 1.0], [2.0, 5.0]])
    >>> wb.take_along_axis(x, [[1], [0]], axis=1).numpy()
    array([[1.],
           [2.]])
    """
    arr = constant(arr)
    idx = _indices(indices)
    axis = normalize_axis_index(axis, arr.ndim)
    if idx.ndim != arr.ndim:
        raise ValueError(f"take_along_axis: indices of rank {idx.ndim} for a tensor of "
                         f"rank {arr.ndim}")
    grid = [_placed(np.arange(d), k, arr.ndim) for k, d in enumerate(arr.shape)]
    grid[axis] = idx
    return sh.getitem(arr, tuple(grid))


def gather(params: Any, indices: Any, axis: int | None = None, batch_dims: int = 0) -> Tensor:
    """TensorFlow's ``tf.gather``: slices of ``params`` along ``axis`` at ``indices``.

    The result has shape ``params.shape[:axis] + indices.shape[batch_dims:] +
    params.shape[axis + 1:]``; the gradient scatter-adds back into ``params``. ``axis``
    defaults to the first non-batch axis (``batch_dims``), as in TensorFlow.

    >>> import workbench as wb
    >>> wb.gather(wb.constant([[1.0, 2.0], [3.0, 4.0]]), [1, 1, 0]).numpy()
    array([[3., 4.],
           [3., 4.],
           [1., 2.]])
    """
    params = constant(params)
    idx = _indices(indices)
    ndim = params.ndim
    batch_dims = normalize_axis_index(batch_dims, idx.ndim + 1, "batch_dims")
    axis = batch_dims if axis is None else normalize_axis_index(axis, ndim)
    if batch_dims > axis:
        raise ValueError(f"gather: batch_dims ({batch_dims}) must not exceed axis ({axis})")
    if idx.shape[:batch_dims] != params.shape[:batch_dims]:
        raise ValueError(f"gather: the first {batch_dims} dimensions of params {params.shape} "
                         f"and indices {idx.shape} must match")
    _in_range(idx, params.shape[axis], "gather")
    if batch_dims == 0:
        return sh.getitem(params, (slice(None),) * axis + (idx,))
    rest = idx.ndim - batch_dims
    out_ndim = ndim - 1 + rest
    index = []
    for k, d in enumerate(params.shape):
        if k == axis:
            gap = (1,) * (axis - batch_dims)
            head = idx.reshape(idx.shape[:batch_dims] + gap + idx.shape[batch_dims:])
            index.append(_placed(head, 0, out_ndim))
        else:
            index.append(_placed(np.arange(d), k if k < axis else k - 1 + rest, out_ndim))
    return sh.getitem(params, tuple(index))


def gather_nd(params: Any, indices: Any, batch_dims: int = 0) -> Tensor:
    """TensorFlow's ``tf.gather_nd``: the last axis of ``indices`` indexes the leading axes.

    >>> import workbench as wb
    >>> wb.gather_nd(wb.constant([[1.0, 2.0], [3.0, 4.0]]), [[1, 0], [0, 1]]).numpy()
    array([3., 2.])
    """
    params = constant(params)
    idx = _indices(indices)
    if idx.ndim < 1:
        raise ValueError("gather_nd: indices need at least one axis (the index tuples)")
    batch_dims = normalize_axis_index(batch_dims, idx.ndim, "batch_dims")
    depth = idx.shape[-1]
    if batch_dims + depth > params.ndim:
        raise ValueError(f"gather_nd: index tuples of length {depth} after {batch_dims} batch "
                         f"dimensions exceed the rank of params {params.shape}")
    if idx.shape[:batch_dims] != params.shape[:batch_dims]:
        raise ValueError(f"gather_nd: the first {batch_dims} dimensions of params {params.shape} "
                         f"and indices {idx.shape} must match")
    grid_ndim = idx.ndim - 1
    index = [_placed(np.arange(params.shape[k]), k, grid_ndim) for k in range(batch_dims)]
    for j in range(depth):
        _in_range(idx[..., j], params.shape[batch_dims + j], "gather_nd")
        index.append(idx[..., j])
    return sh.getitem(params, tuple(index))


def one_hot(indices: Any, depth: int, on_value: Any = None, off_value: Any = None,
            axis: int = -1, dtype: Any = None) -> Tensor:
    """TensorFlow's ``tf.one_hot``: ``on_value`` where the new axis equals the index, else
    ``off_value``. The dtype is ``dtype``, else that of ``on_value``/``off_value``, else float32.
    Indices outside ``[0, depth)`` give a row of ``off_value``.

    >>> import workbench as wb
    >>> wb.one_hot([2, 0], 3).numpy()
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    idx = _indices(indices)
    axis = -1 if axis == -1 else normalize_axis_index(axis, idx.ndim + 1)
    hit = np.moveaxis(idx[..., None] == np.arange(int(depth)), -1, axis)
    given = [v for v in (on_value, off_value) if v is not None]
    if dtype is None:
        dtype = next((v.dtype for v in given if isinstance(v, Tensor | np.ndarray)), np.float32)
    on = 1 if on_value is None else on_value
    off = 0 if off_value is None else off_value
    if not any(isinstance(v, Tensor) for v in (on, off)):
        return constant(np.where(hit, on, off).astype(dtype))
    return ew.cast(ew.where(constant(hit), on, off), dtype)


def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """``x`` where ``condition`` holds, else ``y`` (differentiable in ``x`` and ``y``).

    With ``condition`` alone, the indices where it holds: NumPy's tuple of index Tensors (as
    ``np.where`` and ``np.nonzero``).

    >>> import workbench as wb
    >>> wb.where(wb.constant([1.0, -1.0]) > 0, 1.0, 0.0).numpy()
    array([1., 0.])
    >>> wb.where(wb.constant([0.0, 3.0, 4.0]) > 1)
    (<wb.Tensor: shape=(2,), dtype=int64, numpy=[1, 2]>,)
    """
    if x is None and y is None:
        return nonzero(condition)
    if x is None or y is None:
        raise TypeError("where takes either condition alone or condition, x and y")
    return ew.where(condition, x, y)


def nonzero(x: Any) -> tuple[Tensor, ...]:
    """The indices of the non-zero (true) elements, one index Tensor per axis, as ``np.nonzero``.

    >>> import workbench as wb
    >>> wb.nonzero(wb.constant([0.0, 2.0, 3.0]))[0].numpy()
    array([1, 2])
    """
    arr = np.asarray(x)
    if arr.ndim == 0:
        raise ValueError("nonzero of a rank-0 tensor is ambiguous: use wb.atleast_1d first")
    return tuple(constant(i) for i in np.nonzero(arr))


def meshgrid(*xi: Any, indexing: str = "xy") -> list[Tensor]:
    """Coordinate grids from 1-D tensors (``indexing`` "xy" as NumPy's default, or "ij").

    >>> import workbench as wb
    >>> [g.shape for g in wb.meshgrid(wb.zeros(3), wb.zeros(2))]
    [(2, 3), (2, 3)]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    vs = [sh.reshape(constant(v), (-1,)) for v in xi]
    shape = [v.shape[0] for v in vs]
    order = list(range(len(vs)))
    if indexing == "xy" and len(vs) > 1:
        shape[0], shape[1] = shape[1], shape[0]
        order[0], order[1] = 1, 0
    out = []
    for v, at in zip(vs, order, strict=True):
        lifted = sh.reshape(v, tuple(shape[k] if k == at else 1 for k in range(len(vs))))
        out.append(sh.broadcast_to(lifted, tuple(shape)))
    return out

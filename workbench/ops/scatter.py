"""TensorFlow's scatters (``tf.scatter_nd``, ``tf.tensor_scatter_nd_*``) as composites of the
``scatter_add`` primitive (getitem's transpose) and ``where``; gradients reach the updates and
the tensor (an overwritten position sends none to the tensor). Indices are read as NumPy values.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.indexing import integer_values
from workbench.ops.segments import unsorted_segment_max, unsorted_segment_min
from workbench.tensor import Tensor


def _index_tuples(indices: Any, shape: tuple[int, ...], updates: Tensor, op: str) -> np.ndarray:
    """The checked index tuples (last axis of ``indices``) into ``shape``."""
    idx = integer_values(indices, f"{op}: indices")
    if idx.ndim < 1 or idx.shape[-1] > len(shape):
        raise ValueError(f"{op}: indices of shape {idx.shape} need a last axis of at most the "
                         f"rank of the shape {shape}")
    depth = idx.shape[-1]
    want = idx.shape[:-1] + tuple(shape[depth:])
    if updates.shape != want:
        raise ValueError(f"{op}: updates must have shape {want} (indices.shape[:-1] + "
                         f"shape[{depth}:]), got {updates.shape}")
    bad = np.argwhere((idx < 0) | (idx >= np.asarray(shape[:depth], dtype=np.int64)))
    if bad.size:
        at = tuple(int(i) for i in bad[0][:-1])
        raise IndexError(f"{op}: indices[{', '.join(map(str, at))}] = {idx[at].tolist()} does "
                         f"not index into shape {tuple(shape)}")
    return idx.astype(np.int64)


def _scatter(updates: Tensor, idx: np.ndarray, shape: tuple[int, ...]) -> Tensor:
    index = tuple(idx[..., j] for j in range(idx.shape[-1]))
    return sh.scatter_add_p(updates, index=index, shape=tuple(shape))


def scatter_nd(indices: Any, updates: Any, shape: Any) -> Tensor:
    """TensorFlow's ``tf.scatter_nd``: zeros of ``shape`` with ``updates`` added at the index
    tuples in the last axis of ``indices`` (duplicate indices add up).

    >>> import workbench as wb
    >>> wb.scatter_nd([[1], [1], [3]], wb.constant([1.0, 2.0, 3.0]), [5]).numpy()
    array([0., 3., 0., 3., 0.])
    """
    updates = constant(updates)
    shape = tuple(int(d) for d in np.asarray(shape).reshape(-1))
    return _scatter(updates, _index_tuples(indices, shape, updates, "scatter_nd"), shape)


def _prepared(tensor: Any, indices: Any, updates: Any, op: str):
    tensor, updates = constant(tensor), constant(updates)
    return tensor, _index_tuples(indices, tensor.shape, updates, op), updates


def _hit(idx: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Where the index tuples land, as a boolean mask broadcasting against ``shape``."""
    depth = idx.shape[-1]
    mask = np.zeros(shape[:depth], dtype=bool)
    mask[tuple(idx[..., j] for j in range(depth))] = True
    return mask.reshape(mask.shape + (1,) * (len(shape) - depth))


def _linear(idx: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Each index tuple as one flat position into ``shape[:depth]``."""
    depth = idx.shape[-1]
    if depth == 0:
        return np.zeros(idx.shape[:-1], dtype=np.int64)
    return np.ravel_multi_index(tuple(idx[..., j] for j in range(depth)), shape[:depth])


def tensor_scatter_nd_add(tensor: Any, indices: Any, updates: Any) -> Tensor:
    """``tensor`` with ``updates`` added at ``indices`` (duplicates add up).

    >>> import workbench as wb
    >>> wb.tensor_scatter_nd_add(wb.ones(3), [[0], [0]], wb.constant([1.0, 2.0])).numpy()
    array([4., 1., 1.])
    """
    tensor, idx, updates = _prepared(tensor, indices, updates, "tensor_scatter_nd_add")
    return ew.add(tensor, _scatter(updates, idx, tensor.shape))


def tensor_scatter_nd_sub(tensor: Any, indices: Any, updates: Any) -> Tensor:
    """``tensor`` with ``updates`` subtracted at ``indices`` (duplicates add up).

    >>> import workbench as wb
    >>> wb.tensor_scatter_nd_sub(wb.ones(3), [[2]], wb.constant([5.0])).numpy()
    array([ 1.,  1., -4.])
    """
    tensor, idx, updates = _prepared(tensor, indices, updates, "tensor_scatter_nd_sub")
    return ew.sub(tensor, _scatter(updates, idx, tensor.shape))


def tensor_scatter_nd_update(tensor: Any, indices: Any, updates: Any) -> Tensor:
    """``tensor`` with the values at ``indices`` replaced by ``updates``. Of duplicate indices
    the last update wins (TensorFlow leaves the order unspecified); overwritten positions send
    no gradient to ``tensor``, and overruled duplicate updates get none.

    >>> import workbench as wb
    >>> wb.tensor_scatter_nd_update(wb.zeros(4), [[1], [3]], wb.constant([5.0, 6.0])).numpy()
    array([0., 5., 0., 6.])
    """
    tensor, idx, updates = _prepared(tensor, indices, updates, "tensor_scatter_nd_update")
    depth = idx.shape[-1]
    rows = sh.reshape(updates, (-1,) + tensor.shape[depth:])
    flat_idx = idx.reshape(-1, depth)
    linear = _linear(flat_idx, tensor.shape)
    last = linear.size - 1 - np.unique(linear[::-1], return_index=True)[1]
    if last.size != linear.size:
        rows, flat_idx = sh.getitem(rows, (np.sort(last),)), flat_idx[np.sort(last)]
    placed = _scatter(rows, flat_idx, tensor.shape)
    return ew.where(_hit(idx, tensor.shape), placed, tensor)


def _extreme(tensor: Any, indices: Any, updates: Any, op: str, kind: str) -> Tensor:
    tensor, idx, updates = _prepared(tensor, indices, updates, op)
    depth = idx.shape[-1]
    rest = tensor.shape[depth:]
    cells = math.prod(tensor.shape[:depth])
    segment = unsorted_segment_max if kind == "max" else unsorted_segment_min
    best = segment(sh.reshape(updates, (-1,) + rest), _linear(idx, tensor.shape).reshape(-1),
                   cells)
    best = sh.reshape(best, tensor.shape)
    both = ew.maximum(tensor, best) if kind == "max" else ew.minimum(tensor, best)
    return ew.where(_hit(idx, tensor.shape), both, tensor)


def tensor_scatter_nd_max(tensor: Any, indices: Any, updates: Any) -> Tensor:
    """``tensor`` with each indexed value replaced by the largest of it and its updates.

    >>> import workbench as wb
    >>> wb.tensor_scatter_nd_max(wb.ones(3), [[0], [2]], wb.constant([4.0, -1.0])).numpy()
    array([4., 1., 1.])
    """
    return _extreme(tensor, indices, updates, "tensor_scatter_nd_max", "max")


def tensor_scatter_nd_min(tensor: Any, indices: Any, updates: Any) -> Tensor:
    """``tensor`` with each indexed value replaced by the smallest of it and its updates.

    >>> import workbench as wb
    >>> wb.tensor_scatter_nd_min(wb.ones(3), [[0], [2]], wb.constant([4.0, -1.0])).numpy()
    array([ 1.,  1., -1.])
    """
    return _extreme(tensor, indices, updates, "tensor_scatter_nd_min", "min")

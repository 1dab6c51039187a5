"""TensorFlow's segment reductions (``tf.math.segment_*``, ``unsorted_segment_*``) as composites.

Sums scatter-add rows into their segments (the gradient gathers back). Max, min and prod first
place each segment's rows into a padded grid (one row of the grid per segment), then reduce it:
the gradient is that of ``wb.max`` (ties share it equally, as TensorFlow) or of ``wb.prod`` (exact
at zeros). Segment ids are read as NumPy values: inside ``wb.function`` they must be constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.cumulative import prod
from workbench.ops.indexing import integer_values
from workbench.tensor import Tensor


def _ids(segment_ids: Any, op: str) -> np.ndarray:
    return integer_values(segment_ids, f"{op}: segment_ids")


def _flatten(data: Tensor, ids: np.ndarray, num_segments: int, op: str):
    """``data`` as rows (one per id), the ids, with negative ids dropped (as TensorFlow)."""
    if data.shape[: ids.ndim] != ids.shape:
        raise ValueError(f"{op}: segment_ids of shape {ids.shape} must be a prefix of the data's "
                         f"shape {data.shape}")
    high = np.argwhere(ids >= num_segments)
    if high.size:
        at = tuple(int(i) for i in high[0])
        where = ", ".join(map(str, at))
        raise IndexError(f"{op}: segment_ids[{where}] = {ids[at]} is out of range "
                         f"[0, {num_segments}); pass a larger num_segments")
    rest = data.shape[ids.ndim:]
    rows = sh.reshape(data, (ids.size,) + rest)
    flat = ids.reshape(-1)
    keep = flat >= 0
    if not keep.all():
        rows, flat = sh.getitem(rows, (np.flatnonzero(keep),)), flat[keep]
    return rows, flat, rest


def _column(values: np.ndarray, rest: tuple[int, ...]) -> np.ndarray:
    return values.reshape(values.shape + (1,) * len(rest))


def _sum(data: Tensor, ids: np.ndarray, n: int, op: str) -> tuple[Tensor, np.ndarray, tuple]:
    rows, flat, rest = _flatten(data, ids, n, op)
    total = sh.scatter_add_p(rows, index=(flat,), shape=(n,) + rest)
    return total, np.bincount(flat, minlength=n), rest


def _mean(data: Tensor, ids: np.ndarray, n: int, op: str) -> Tensor:
    total, counts, rest = _sum(data, ids, n, op)
    return ew.div(total, _column(np.maximum(counts, 1).astype(total.dtype), rest))


def _extreme(dtype: np.dtype, high: bool) -> tuple[Any, Any]:
    """The padding value and TensorFlow's value for an empty segment of max (min if ``high``)."""
    if dtype.kind == "f":
        info = np.finfo(dtype)
        return (np.inf, info.max) if high else (-np.inf, info.min)
    info = np.iinfo(dtype)
    return (info.max, info.max) if high else (info.min, info.min)


def _reduce(data: Tensor, ids: np.ndarray, n: int, op: str, kind: str, empty: Any) -> Tensor:
    """``kind`` ("max", "min", "prod") of each segment, ``empty`` for a segment with no rows
    (None: TensorFlow's unsorted default, the lowest or highest value, or 1)."""
    rows, flat, rest = _flatten(data, ids, n, op)
    dtype = rows.dtype
    counts = np.bincount(flat, minlength=n)
    width = max(int(counts.max()) if flat.size else 0, 1)
    starts = np.cumsum(counts) - counts
    order = np.argsort(flat, kind="stable")
    pos = np.empty_like(flat)
    pos[order] = np.arange(flat.size) - starts[flat[order]]
    filled = np.zeros((n, width), dtype=bool)
    filled[flat, pos] = True
    fill, lowest = (1, 1) if kind == "prod" else _extreme(dtype, kind == "min")
    pad = _column(np.where(filled, 0, fill).astype(dtype), rest)
    grid = ew.add(sh.scatter_add_p(rows, index=(flat, pos), shape=(n, width) + rest), pad)
    out = {"max": red.max, "min": red.min, "prod": prod}[kind](grid, axis=1)
    fallback = lowest if empty is None else empty
    return ew.where(_column(counts > 0, rest), out, np.asarray(fallback, dtype=dtype))


def _sorted_ids(segment_ids: Any, data: Tensor, op: str) -> tuple[np.ndarray, int]:
    ids = _ids(segment_ids, op)
    if ids.ndim != 1 or (data.ndim and ids.shape[0] != data.shape[0]):
        raise ValueError(f"{op}: segment_ids must be a vector as long as the data's first axis "
                         f"{data.shape[:1]}, got shape {ids.shape}")
    if ids.size and (ids[0] < 0 or np.any(np.diff(ids) < 0)):
        raise ValueError(f"{op}: segment_ids must be sorted and non-negative, got {ids}; use "
                         f"unsorted_{op} for ids in any order")
    return ids, int(ids[-1]) + 1 if ids.size else 0


def segment_sum(data: Any, segment_ids: Any) -> Tensor:
    """Sums of the rows of ``data`` in each segment (sorted ids; ``max id + 1`` segments).

    >>> import workbench as wb
    >>> wb.math.segment_sum(wb.constant([1.0, 2.0, 4.0]), [0, 0, 2]).numpy()
    array([3., 0., 4.])
    """
    data = constant(data)
    ids, n = _sorted_ids(segment_ids, data, "segment_sum")
    return _sum(data, ids, n, "segment_sum")[0]


def segment_mean(data: Any, segment_ids: Any) -> Tensor:
    """Means of the rows in each segment (sorted ids); 0 for an empty segment.

    >>> import workbench as wb
    >>> wb.math.segment_mean(wb.constant([1.0, 2.0, 4.0]), [0, 0, 2]).numpy()
    array([1.5, 0. , 4. ])
    """
    data = constant(data)
    ids, n = _sorted_ids(segment_ids, data, "segment_mean")
    return _mean(data, ids, n, "segment_mean")


def _sorted_reduce(kind: str, empty: Any):
    op = f"segment_{kind}"

    def reduce(data: Any, segment_ids: Any) -> Tensor:
        data = constant(data)
        ids, n = _sorted_ids(segment_ids, data, op)
        return _reduce(data, ids, n, op, kind, empty)

    reduce.__name__ = reduce.__qualname__ = op
    return reduce


def _unsorted_reduce(kind: str):
    op = f"unsorted_segment_{kind}"

    def reduce(data: Any, segment_ids: Any, num_segments: int) -> Tensor:
        data = constant(data)
        return _reduce(data, _ids(segment_ids, op), int(num_segments), op, kind, None)

    reduce.__name__ = reduce.__qualname__ = op
    return reduce


segment_max = _sorted_reduce("max", 0)
segment_max.__doc__ = """Maxima of the rows in each segment (sorted ids); 0 for an empty segment.
Tied maxima share the gradient equally.

>>> import workbench as wb
>>> wb.math.segment_max(wb.constant([1.0, 3.0, 4.0]), [0, 0, 2]).numpy()
array([3., 0., 4.])
"""
segment_min = _sorted_reduce("min", 0)
segment_min.__doc__ = """Minima of the rows in each segment (sorted ids); 0 for an empty segment.

>>> import workbench as wb
>>> wb.math.segment_min(wb.constant([1.0, 3.0, 4.0]), [0, 0, 2]).numpy()
array([1., 0., 4.])
"""
segment_prod = _sorted_reduce("prod", 1)
segment_prod.__doc__ = """Products of the rows in each segment (sorted ids); 1 for an empty one.

>>> import workbench as wb
>>> wb.math.segment_prod(wb.constant([2.0, 3.0, 4.0]), [0, 0, 2]).numpy()
array([6., 1., 4.])
"""
unsorted_segment_max = _unsorted_reduce("max")
unsorted_segment_max.__doc__ = """Maxima per segment, ids in any order (shaped like a prefix of
the data's shape; negative ids are dropped); an empty segment holds the dtype's lowest value.

>>> import workbench as wb
>>> wb.math.unsorted_segment_max(wb.constant([1.0, 3.0, 4.0]), [1, 0, 1], 2).numpy()
array([3., 4.])
"""
unsorted_segment_min = _unsorted_reduce("min")
unsorted_segment_min.__doc__ = """Minima per segment, ids in any order; an empty segment holds the
dtype's highest value.

>>> import workbench as wb
>>> wb.math.unsorted_segment_min(wb.constant([1.0, 3.0, 4.0]), [1, 0, 1], 2).numpy()
array([3., 1.])
"""
unsorted_segment_prod = _unsorted_reduce("prod")
unsorted_segment_prod.__doc__ = """Products per segment, ids in any order; 1 for an empty one.

>>> import workbench as wb
>>> wb.math.unsorted_segment_prod(wb.constant([2.0, 3.0, 4.0]), [1, 0, 1], 3).numpy()
array([3., 8., 1.])
"""


def unsorted_segment_sum(data: Any, segment_ids: Any, num_segments: int) -> Tensor:
    """Sums per segment, ids in any order (shaped like a prefix of the data's shape; negative
    ids are dropped, as TensorFlow); ``num_segments`` rows.

    >>> import workbench as wb
    >>> wb.math.unsorted_segment_sum(wb.constant([1.0, 2.0, 4.0]), [1, 0, 1], 3).numpy()
    array([2., 5., 0.])
    """
    op = "unsorted_segment_sum"
    return _sum(constant(data), _ids(segment_ids, op), int(num_segments), op)[0]


def unsorted_segment_mean(data: Any, segment_ids: Any, num_segments: int) -> Tensor:
    """Means per segment, ids in any order; 0 for an empty segment.

    >>> import workbench as wb
    >>> wb.math.unsorted_segment_mean(wb.constant([1.0, 2.0, 4.0]), [1, 0, 1], 3).numpy()
    array([2. , 2.5, 0. ])
    """
    op = "unsorted_segment_mean"
    return _mean(constant(data), _ids(segment_ids, op), int(num_segments), op)


def unsorted_segment_sqrt_n(data: Any, segment_ids: Any, num_segments: int) -> Tensor:
    """Sums per segment divided by the square root of the segment's size; 0 for an empty one.

    >>> import workbench as wb
    >>> wb.math.unsorted_segment_sqrt_n(wb.constant([1.0, 2.0, 4.0]), [1, 0, 1], 3).numpy()
    array([2.        , 3.53553391, 0.        ])
    """
    op = "unsorted_segment_sqrt_n"
    total, counts, rest = _sum(constant(data), _ids(segment_ids, op), int(num_segments), op)
    return ew.div(total, _column(np.sqrt(np.maximum(counts, 1)).astype(total.dtype), rest))

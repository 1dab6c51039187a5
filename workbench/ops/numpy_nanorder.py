"""NaN-ignoring order statistics (nanquantile, nanpercentile, nanmedian): the quantile of each
slice's non-NaN entries, one slice at a time (differentiable like ``quantile``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.axes import reduction_axes
from workbench.ops.indexing import take
from workbench.ops.numpy_stats import (
    _quantile,
    median_dtype,
    percent_to_fraction,
    quantile_dtype,
)
from workbench.tensor import Tensor, as_input


def _nan_quantile(a: Any, q: Any, axis: Any, keepdims: bool, method: str) -> Tensor:
    x = constant(a)
    axes = reduction_axes(axis, x.ndim)
    axes = tuple(range(x.ndim)) if axes is None else axes
    rest = [i for i in range(x.ndim) if i not in axes]
    flat = sh.reshape(sh.transpose(x, rest + list(axes)), (-1, int(np.prod(
        [x.shape[i] for i in axes], dtype=int))))
    values = np.asarray(flat)
    q = as_input(q) if isinstance(q, Tensor) else q
    qs = np.asarray(q, dtype=float)
    rows = []
    for r in range(flat.shape[0]):
        keep = np.flatnonzero(~np.isnan(values[r]))
        if keep.size:
            rows.append(sh.reshape(_quantile(take(flat[r], keep), q, None, False, method),
                                   (-1,)))
        else:  # an all-NaN slice gives NaN, as NumPy (which also warns)
            rows.append(Tensor(np.full(qs.size, np.nan, x.dtype)))
    out = sh.transpose(sh.stack(rows, axis=0)) if rows else Tensor(np.zeros((qs.size, 0)))
    kept = tuple(1 if i in axes else d for i, d in enumerate(x.shape))
    shape = kept if keepdims else tuple(x.shape[i] for i in rest)
    return sh.reshape(out, qs.shape + shape)


def nanquantile(a: Any, q: Any, axis: Any = None, keepdims: bool = False, *,
                method: str = "linear") -> Tensor:
    """The ``q``-th quantile(s) of the non-NaN elements over ``axis`` (linear method).

    >>> import numpy as np, workbench as wb
    >>> float(wb.nanquantile([1.0, np.nan, 3.0, 2.0], 0.5))
    2.0
    """
    x = constant(a)
    return ew.cast(_nan_quantile(x, q, axis, keepdims, method), quantile_dtype(x, q))


def nanpercentile(a: Any, q: Any, axis: Any = None, keepdims: bool = False, *,
                  method: str = "linear") -> Tensor:
    """The ``q``-th percentile(s) (``q`` in [0, 100]) of the non-NaN elements.

    >>> import numpy as np, workbench as wb
    >>> float(wb.nanpercentile([1.0, np.nan, 3.0], 50))
    2.0
    """
    x = constant(a)
    return ew.cast(_nan_quantile(x, percent_to_fraction(q), axis, keepdims, method),
                   quantile_dtype(x, q))


def nanmedian(a: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """The median of the non-NaN elements over ``axis``.

    >>> import numpy as np, workbench as wb
    >>> wb.nanmedian(wb.constant([[1.0, np.nan, 4.0], [2.0, 3.0, 9.0]]), axis=1).numpy()
    array([2.5, 3. ])
    """
    x = constant(a)
    return ew.cast(_nan_quantile(x, 0.5, axis, keepdims, "linear"), median_dtype(x))

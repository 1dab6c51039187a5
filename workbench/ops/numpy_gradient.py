"""NumPy's ``gradient``: second-order finite differences along each axis, with unit, scalar or
coordinate (non-uniform) spacing and first- or second-order edges, as composites."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.arrays import _along, diff
from workbench.ops.axes import reduction_axes
from workbench.ops.joining import concatenate
from workbench.tensor import Tensor


def _spacing(h: Any, n: int, ax: int, name: str) -> Any:
    """One axis's spacing for ``gradient``: a scalar, or the ``n - 1`` gaps of coordinates."""
    if not isinstance(h, Tensor) and np.ndim(h) == 0:
        return float(np.asarray(h))
    h = constant(h)
    if h.ndim != 1 or h.shape[0] != n:
        raise ValueError(f"{name}: the coordinates for axis {ax} must be a vector of its "
                         f"{n} points, got shape {h.shape}")
    return diff(h)


def _gradient_axis(f: Tensor, ax: int, h: Any, edge_order: int) -> Tensor:
    """NumPy's second-order differences along ``ax`` (uniform ``h`` or coordinate gaps)."""
    n = f.shape[ax]

    def at(start: int, stop: int | None) -> Tensor:
        return f[_along(ax, slice(start, stop))]

    def gap(start: int, stop: int | None) -> Any:  # gaps shaped to broadcast along ``ax``
        return h if isinstance(h, float) else sh.reshape(h[start:stop],
                                                          (-1,) + (1,) * (f.ndim - 1 - ax))

    def combine(terms: list[tuple[Any, Tensor]]) -> Tensor:
        out = ew.mul(terms[0][0], terms[0][1])
        for c, t in terms[1:]:
            out = ew.add(out, ew.mul(c, t))
        return out

    d1, d2 = gap(0, n - 2), gap(1, n - 1)  # the gaps left and right of each inner point
    if isinstance(h, float):
        inner = ew.div(ew.sub(at(2, None), at(0, n - 2)), 2.0 * h)
    else:
        inner = combine([(ew.neg(ew.div(d2, ew.mul(d1, ew.add(d1, d2)))), at(0, n - 2)),
                         (ew.div(ew.sub(d2, d1), ew.mul(d1, d2)), at(1, n - 1)),
                         (ew.div(d1, ew.mul(d2, ew.add(d1, d2))), at(2, None))])
    if edge_order == 1:
        first = ew.div(ew.sub(at(1, 2), at(0, 1)), gap(0, 1))
        last = ew.div(ew.sub(at(n - 1, n), at(n - 2, n - 1)), gap(n - 2, n - 1))
    else:
        a, b = gap(0, 1), gap(1, 2)  # first two gaps, then the last two
        first = combine([(ew.neg(ew.div(ew.add(ew.mul(a, 2.0), b), ew.mul(a, ew.add(a, b)))),
                          at(0, 1)),
                         (ew.div(ew.add(a, b), ew.mul(a, b)), at(1, 2)),
                         (ew.neg(ew.div(a, ew.mul(b, ew.add(a, b)))), at(2, 3))])
        a, b = gap(n - 3, n - 2), gap(n - 2, n - 1)
        last = combine([(ew.div(b, ew.mul(a, ew.add(a, b))), at(n - 3, n - 2)),
                        (ew.neg(ew.div(ew.add(a, b), ew.mul(a, b))), at(n - 2, n - 1)),
                        (ew.div(ew.add(ew.mul(b, 2.0), a), ew.mul(b, ew.add(a, b))),
                         at(n - 1, n))])
    return concatenate([first, inner, last], axis=ax)


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """Second-order central differences inside, one- or two-sided (``edge_order`` 1 or 2) at
    the ends, as ``np.gradient``: spacing is unit, one scalar, one per axis, or per axis the
    coordinates of the points (non-uniform: NumPy's second-order formula). Differentiable in
    ``f`` and in the coordinates. One tensor per axis, or one tensor for one axis.

    >>> import workbench as wb
    >>> wb.gradient(wb.constant([1.0, 4.0, 9.0, 16.0])).numpy()
    array([3., 4., 6., 7.])
    >>> wb.gradient(wb.constant([0.0, 1.0, 4.0]), wb.constant([0.0, 1.0, 2.0]), edge_order=2).numpy()
    array([0., 2., 4.])
    """
    f = constant(f)
    if edge_order not in (1, 2):
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    if f.dtype.kind in "biu":
        f = ew.cast(f, np.float64)  # NumPy differentiates integers in float64
    axes = tuple(range(f.ndim)) if axis is None else reduction_axes(axis, f.ndim)
    spacing = list(varargs) if varargs else [1.0] * len(axes)
    if len(spacing) == 1 and len(axes) > 1:
        if isinstance(spacing[0], Tensor) or np.ndim(spacing[0]):
            raise ValueError(f"gradient: one coordinate array for {len(axes)} axes; give one "
                             "per axis")
        spacing = spacing * len(axes)
    if len(spacing) != len(axes):
        raise TypeError(f"gradient: {len(spacing)} spacings for {len(axes)} axes; give one "
                        "scalar, or one per axis")
    outs = []
    for ax, h in zip(axes, spacing, strict=True):
        n = f.shape[ax]
        if n < edge_order + 1:
            raise ValueError(f"gradient: axis {ax} has {n} points; edge_order={edge_order} "
                             f"needs at least {edge_order + 1}")
        out = _gradient_axis(f, ax, _spacing(h, n, ax, "gradient"), edge_order)
        outs.append(out if out.dtype == f.dtype else ew.cast(out, f.dtype))
    return outs[0] if len(outs) == 1 else tuple(outs)

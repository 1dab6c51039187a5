"""NumPy's products as exact composites: tensordot, dot, inner, outer, kron, cross, trace.

Contractions are one ``einsum`` (or ``matmul`` where NumPy's ``dot`` is a matrix product), so
the symbolic engine prints them as products and traces; the rest are reshapes and multiplies.
"""

from __future__ import annotations

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.axes import planes_last
from workbench.ops.einsum import LETTERS, einsum
from workbench.ops.linalg import matmul
from workbench.ops.ufunc_dtypes import accumulator_dtype
from workbench.tensor import Tensor


def _axes_list(axes, ndim: int, name: str) -> list[int]:
    axes = [axes] if isinstance(axes, int | np.integer) else list(axes)
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"tensordot: axis {a} is out of range for {name} of rank {ndim}")
    return [int(a) % ndim for a in axes]


def tensordot(a, b, axes=2) -> Tensor:
    """Sum products over ``axes``: an int N (the last N of ``a`` with the first N of ``b``) or a
    pair of axis sequences.

    >>> import numpy as np, workbench as wb
    >>> a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    >>> np.allclose(wb.tensordot(a, b, axes=1).numpy(), a @ b)
    True
    """
    a, b = constant(a), constant(b)
    if isinstance(axes, int | np.integer):
        if not 0 <= axes <= min(a.ndim, b.ndim):
            raise ValueError(f"tensordot: axes={axes} needs 0 <= axes <= min of the ranks "
                             f"({a.ndim}, {b.ndim})")
        ax_a, ax_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        first, second = axes
        ax_a, ax_b = _axes_list(first, a.ndim, "a"), _axes_list(second, b.ndim, "b")
        if len(ax_a) != len(ax_b):
            raise ValueError(f"tensordot: {len(ax_a)} axes of a paired with {len(ax_b)} of b")
    for i, j in zip(ax_a, ax_b, strict=True):
        if a.shape[i] != b.shape[j]:
            raise ValueError(f"tensordot: axis {i} of a (size {a.shape[i]}) does not match "
                             f"axis {j} of b (size {b.shape[j]})")
    sa = list(LETTERS[: a.ndim])
    sb = list(LETTERS[a.ndim: a.ndim + b.ndim])
    for i, j in zip(ax_a, ax_b, strict=True):
        sb[j] = sa[i]
    out = [c for k, c in enumerate(sa) if k not in ax_a] + [c for k, c in enumerate(sb)
                                                            if k not in ax_b]
    return einsum("".join(sa) + "," + "".join(sb) + "->" + "".join(out), a, b)


def dot(a, b) -> Tensor:
    """NumPy's ``dot``: scalars multiply, 1-d/2-d operands are ``matmul``, and N-d with M-d sums
    the last axis of ``a`` against the second-to-last of ``b`` (the last, if ``b`` is 1-d).

    >>> import workbench as wb
    >>> float(wb.dot([1.0, 2.0], [3.0, 4.0]))
    11.0
    """
    a, b = constant(a), constant(b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.mul(a, b)
    if a.ndim <= 2 and b.ndim <= 2:
        return matmul(a, b)
    k = b.ndim - 2 if b.ndim >= 2 else 0
    return tensordot(a, b, axes=([a.ndim - 1], [k]))


def inner(a, b) -> Tensor:
    """Sum over the last axes: ``a.shape[:-1] + b.shape[:-1]`` (scalars multiply).

    >>> import workbench as wb
    >>> wb.inner(wb.constant([[1.0, 2.0]]), wb.constant([[3.0, 4.0], [5.0, 6.0]])).numpy()
    array([[11., 17.]])
    """
    a, b = constant(a), constant(b)
    if a.ndim == 0 or b.ndim == 0:
        return ew.mul(a, b)
    return tensordot(a, b, axes=([a.ndim - 1], [b.ndim - 1]))


def outer(a, b) -> Tensor:
    """Outer product of the flattened inputs: ``ravel(a)[:, None] * ravel(b)[None, :]``.

    >>> import workbench as wb
    >>> wb.outer([1.0, 2.0], [3.0, 4.0, 5.0]).shape
    (2, 3)
    """
    a, b = constant(a), constant(b)
    return ew.mul(sh.reshape(a, (-1, 1)), sh.reshape(b, (1, -1)))


def kron(a, b) -> Tensor:
    """Kronecker product (NumPy's ``kron``: the lower-rank input gets leading size-1 axes).

    >>> import workbench as wb
    >>> wb.kron(wb.eye(2), wb.constant([[1.0, 2.0]])).numpy().tolist()
    [[1.0, 2.0, 0.0, 0.0], [0.0, 0.0, 1.0, 2.0]]
    """
    a, b = constant(a), constant(b)
    nd = max(a.ndim, b.ndim)
    sa = (1,) * (nd - a.ndim) + a.shape
    sb = (1,) * (nd - b.ndim) + b.shape
    wide_a = sh.reshape(a, [d for da in sa for d in (da, 1)])
    wide_b = sh.reshape(b, [d for db in sb for d in (1, db)])
    return sh.reshape(ew.mul(wide_a, wide_b), [x * y for x, y in zip(sa, sb, strict=True)])


def cross(a, b, axis: int = -1) -> Tensor:
    """Cross product of 3-vectors along ``axis`` (NumPy's ``axisa = axisb = axisc``),
    broadcasting the other axes.

    >>> import workbench as wb
    >>> wb.cross([1.0, 0.0, 0.0], [0.0, 1.0, 0.0]).numpy()
    array([0., 0., 1.])
    """
    a, b = constant(a), constant(b)
    for name, x in (("a", a), ("b", b)):
        if x.ndim == 0 or x.shape[axis] != 3:
            raise ValueError(f"cross: {name} has shape {x.shape}; axis {axis} must have size 3 "
                             "(only 3-vectors are supported)")
    am = [sh.getitem(_last(a, axis), (Ellipsis, k)) for k in range(3)]
    bm = [sh.getitem(_last(b, axis), (Ellipsis, k)) for k in range(3)]
    parts = [ew.sub(ew.mul(am[(k + 1) % 3], bm[(k + 2) % 3]),
                    ew.mul(am[(k + 2) % 3], bm[(k + 1) % 3])) for k in range(3)]
    out_ndim = max(a.ndim, b.ndim)
    return sh.stack(parts, axis=axis % out_ndim)


def _last(x: Tensor, axis: int) -> Tensor:
    """``x`` with ``axis`` moved to the end."""
    axis %= x.ndim
    order = [k for k in range(x.ndim) if k != axis] + [axis]
    return x if axis == x.ndim - 1 else sh.transpose(x, order)


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """NumPy's ``trace``: the sum of ``a[..., i, i + offset]`` over the plane (axis1, axis2);
    the other axes stay, in order. ``wb.linalg.trace`` (TensorFlow's) is the last two axes.

    >>> import workbench as wb
    >>> float(wb.trace(wb.constant([[1.0, 2.0], [3.0, 4.0]])))
    5.0
    >>> float(wb.trace(wb.constant([[1.0, 2.0], [3.0, 4.0]]), offset=1))
    2.0
    """
    a = constant(a)
    order = planes_last(axis1, axis2, a.ndim, "trace")
    if order != tuple(range(a.ndim)):
        a = sh.transpose(a, order)
    rows, cols = a.shape[-2:]
    lo_r, lo_c = max(-offset, 0), max(offset, 0)
    n = max(min(rows - lo_r, cols - lo_c), 0)
    if (lo_r, lo_c, n, n) != (0, 0, rows, cols):
        a = sh.getitem(a, (Ellipsis, slice(lo_r, lo_r + n), slice(lo_c, lo_c + n)))
    if accumulator_dtype(a.dtype) != a.dtype:
        a = ew.cast(a, accumulator_dtype(a.dtype))  # NumPy sums bool and int32 as int64
    return einsum("...ii->...", a)

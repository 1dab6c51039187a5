"""Vector and matrix norms: NumPy's ``np.linalg.norm`` and TensorFlow's ``tf.norm`` semantics.

Square roots of sums of squares (2-norms, Frobenius, ``reduce_euclidean_norm``,
``global_norm``) have gradient 0 where the sum is 0: a subgradient, where plain ``sqrt`` would
give NaN (0/0, as TensorFlow does). p-norms do the same.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import decompositions as dec
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.ops.axes import reduction_axes
from workbench.tensor import Tensor


def _root(total, p: float) -> Tensor:
    """``total ** (1/p)``, and 0 with gradient 0 where ``total`` is 0 (a NaN total stays NaN:
    the mask tests for zero, not for a positive total)."""
    zero = total == 0.0
    safe = ew.where(zero, 1.0, total)
    root = ew.sqrt(safe) if p == 2 else ew.power(safe, 1.0 / p)
    return ew.where(zero, 0.0, root)


def _sum_squares(x, axis) -> Tensor:
    return red.sum(ew.mul(x, x), axis=axis)


def _vector_norm(x, ord: Any, axis: int) -> Tensor:
    if ord is None or ord == 2 or ord == "euclidean":
        return _root(_sum_squares(x, axis), 2)
    if isinstance(ord, str):
        raise ValueError(  # noqa: TRY004 - a bad order value, as NumPy and TF raise
            f"invalid norm order {ord!r} for vectors (use None, 2, 1, inf, -inf, "
            f"0 or a number)")
    if ord == math.inf:
        return red.max(ew.abs(x), axis=axis)
    if ord == -math.inf:
        return red.min(ew.abs(x), axis=axis)
    if ord == 0:
        return red.sum(ew.cast(x != 0.0, x.dtype), axis=axis)
    if ord == 1:
        return red.sum(ew.abs(x), axis=axis)
    p = float(ord)
    return _root(red.sum(ew.power(ew.abs(x), p), axis=axis), p)


def _svdvals_over(x, row: int, col: int) -> Tensor:
    rest = [k for k in range(x.ndim) if k not in (row, col)]
    return dec.svdvals(sh.transpose_p(x, axes=tuple(rest) + (row, col)))


def _matrix_norm(x, ord: Any, row: int, col: int) -> Tensor:
    if ord is None or ord in ("fro", "euclidean"):
        return _root(_sum_squares(x, (row, col)), 2)
    if ord == "nuc":
        return red.sum(_svdvals_over(x, row, col), axis=-1)
    if ord in (2, -2):
        return (red.max if ord == 2 else red.min)(_svdvals_over(x, row, col), axis=-1)
    if ord in (1, -1, math.inf, -math.inf):
        summed, kept = (row, col) if ord in (1, -1) else (col, row)
        kept -= kept > summed  # the summed axis is gone
        extreme = red.max if ord > 0 else red.min
        return extreme(red.sum(ew.abs(x), axis=summed), axis=kept)
    raise ValueError(f"invalid norm order {ord!r} for matrices (use None, 'fro', 'nuc', 1, -1, "
                     f"2, -2, inf or -inf)")


def _keep(out, shape: tuple[int, ...], axes: tuple[int, ...]) -> Tensor:
    return sh.reshape_p(out, shape=tuple(1 if k in axes else d for k, d in enumerate(shape)))


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= int(a) < ndim:
            raise ValueError(f"norm: axis {a} is out of range for a tensor of rank {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"norm: duplicate axes in {axis!r}")
    return tuple(out)


def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``np.linalg.norm``: vector norms over one axis (ord None/2, 1, inf, -inf, 0, any p),
    matrix norms over two (None/'fro', 'nuc', 1, -1, 2, -2, inf, -inf). ``axis=None`` means the
    whole of a 1-D or 2-D tensor (any rank when ``ord`` is None). ``'euclidean'`` is accepted as
    TensorFlow's name for ``None``. The gradient at 0 of the 2-norm and p-norms is 0.

    >>> import workbench as wb
    >>> float(wb.linalg.norm(wb.constant([3.0, 4.0])))
    5.0
    >>> wb.linalg.norm(wb.constant([[1.0, -2.0], [3.0, 4.0]]), ord=1).numpy()
    np.float64(6.0)
    """
    x = constant(x)
    if axis is None:
        if ord is None or ord == "euclidean" or (ord == "fro" and x.ndim == 2):
            out = _root(_sum_squares(x, None), 2)
            return _keep(out, x.shape, tuple(range(x.ndim))) if keepdims else out
        if x.ndim not in (1, 2):
            raise ValueError(f"norm with ord={ord!r} and axis=None needs a 1-D or 2-D tensor, "
                             f"got shape {x.shape}: pass axis")
        axis = tuple(range(x.ndim))
    axes = _axes(axis, x.ndim)
    if len(axes) == 1:
        out = _vector_norm(x, ord, axes[0])
    elif len(axes) == 2:
        out = _matrix_norm(x, ord, *axes)
    else:
        raise ValueError(f"norm: axis must be an int or a pair of ints, got {axis!r}")
    return _keep(out, x.shape, axes) if keepdims else out


def tf_norm(tensor: Any, ord: Any = "euclidean", axis: Any = None, keepdims: Any = None,
            name: str | None = None) -> Tensor:
    """``tf.norm``: with ``axis=None`` the whole tensor is one vector (even a matrix: unlike
    ``wb.linalg.norm``); an int axis gives vector norms, a pair matrix norms ('euclidean'/'fro',
    1, 2, inf).

    >>> import workbench as wb
    >>> float(wb.norm(wb.constant([[1.0, -2.0], [3.0, 4.0]]), ord=1))
    10.0
    """
    x = constant(tensor)
    del name
    if axis is None:
        flat = sh.reshape_p(x, shape=(x.size,))
        out = _vector_norm(flat, 2 if ord == "fro" else ord, 0)
        return _keep(out, x.shape, tuple(range(x.ndim))) if keepdims else out
    axes = _axes(axis, x.ndim)
    if len(axes) == 2 and ord not in ("euclidean", "fro", 1, 2, math.inf):
        raise ValueError(f"tf.norm: matrix norms take ord 'euclidean', 'fro', 1, 2 or inf, "
                         f"got {ord!r}")
    return norm(x, ord, axes[0] if len(axes) == 1 else axes, bool(keepdims))


def reduce_euclidean_norm(input_tensor: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``sqrt(sum(x**2, axis))`` (``tf.math.reduce_euclidean_norm``), gradient 0 at 0.

    >>> import workbench as wb
    >>> wb.math.reduce_euclidean_norm(wb.constant([[3.0, 4.0], [0.0, 0.0]]), axis=1).numpy()
    array([5., 0.])
    """
    x = constant(input_tensor)
    axes = reduction_axes(axis, x.ndim)
    return _root(red.sum(ew.mul(x, x), axis=axes, keepdims=keepdims), 2)


def global_norm(t_list: Any) -> Tensor:
    """The 2-norm of all the tensors together (``tf.linalg.global_norm``); None entries skipped.

    >>> import workbench as wb
    >>> float(wb.linalg.global_norm([wb.constant([3.0]), None, wb.constant([[4.0]])]))
    5.0
    """
    parts = [_sum_squares(constant(t), None) for t in t_list if t is not None]
    if not parts:
        raise ValueError("global_norm needs at least one tensor that is not None")
    total = parts[0]
    for p in parts[1:]:
        total = ew.add(total, p)
    return _root(total, 2)

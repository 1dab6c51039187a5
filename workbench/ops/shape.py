"""Shape primitives: reshape, transpose, broadcast_to, indexing (and its transpose), concat."""

from __future__ import annotations

import math

import numpy as np

from workbench.convert import as_tensors
from workbench.ops import numba_rules as nb
from workbench.ops import reduce as red
from workbench.ops.axes import normalize_axis_index, reduction_axes
from workbench.primitive import defprimitive
from workbench.tensor import Tensor, as_input

SHAPE = "shape"


def _nbatch(g: Tensor, ans: Tensor) -> int:
    """Leading batch axes a cotangent carries beyond the output's own (0 outside jacobians)."""
    return g.ndim - ans.ndim


def _transpose_vjp(g, ans, x, axes):
    nb = _nbatch(g, ans)
    inverse = tuple(int(i) for i in np.argsort(axes))
    return transpose_p(g, axes=tuple(range(nb)) + tuple(nb + i for i in inverse))


def _broadcast_vjp(g, ans, x, shape):
    nb = _nbatch(g, ans)
    return red.sum_to(g, g.shape[:nb], np.shape(x._value if isinstance(x, Tensor) else x))


reshape_p = defprimitive(
    "reshape", lambda x, shape: np.reshape(x, shape),
    vjp=(lambda g, ans, x, shape: reshape_p(g, shape=g.shape[: _nbatch(g, ans)] + x.shape),),
    sympy=lambda x, shape: x.reshape(shape),
    kind=SHAPE,
    numba=nb.reshape,
)
transpose_p = defprimitive(
    "transpose", lambda x, axes: np.transpose(x, axes),
    vjp=(_transpose_vjp,),
    sympy=lambda x, axes: x.transpose(axes),
    kind=SHAPE,
    numba=nb.transpose,
)
broadcast_to_p = defprimitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
    vjp=(_broadcast_vjp,),
    sympy=lambda x, shape: x.broadcast_to(shape),
    kind=SHAPE,
    numba=nb.broadcast_to,
)


# --- indexing -----------------------------------------------------------------------------
def _is_advanced(part) -> bool:
    return isinstance(part, np.ndarray | list)


def _batched_index(index: tuple, nb: int) -> tuple:
    """``index`` for an array with ``nb`` extra leading axes."""
    if nb == 0:
        return index
    advanced = [i for i, part in enumerate(index) if _is_advanced(part)]
    if advanced and advanced[-1] - advanced[0] + 1 != len(advanced):
        from workbench.autodiff import BatchingUnsupported

        raise BatchingUnsupported("indexing with separated integer arrays")
    return (slice(None),) * nb + index


def _scatter_add(g, index, shape):
    out = np.zeros(shape, dtype=np.result_type(g))
    np.add.at(out, index, g)
    return out


getitem_p = defprimitive(
    "getitem", lambda x, index: x[index],
    vjp=(lambda g, ans, x, index: scatter_add_p(
        g, index=_batched_index(index, _nbatch(g, ans)), shape=g.shape[: _nbatch(g, ans)] + x.shape),),
    sympy=lambda x, index: x.getitem(index),
    kind=SHAPE,
    numba=nb.getitem,
)
scatter_add_p = defprimitive(  # getitem's transpose: zeros(shape) with g added at index
    "scatter_add", _scatter_add,
    vjp=(lambda g, ans, x, index, shape: getitem_p(g, index=_batched_index(index, _nbatch(g, ans))),),
    sympy=lambda g, index, shape: g.scatter_add(index, shape),
    kind=SHAPE,
    numba=nb.scatter_add,
)


def _concat_vjp(argnum: int):
    def rule(g, ans, *xs, axis):
        start = int(np.sum([x.shape[axis] for x in xs[:argnum]], dtype=int))
        stop = start + xs[argnum].shape[axis]
        trailing = (slice(None),) * (ans.ndim - axis - 1)
        return getitem_p(g, index=(Ellipsis, slice(start, stop)) + trailing)

    return rule


concat_p = defprimitive(
    "concat", lambda *xs, axis: np.concatenate(xs, axis=axis),
    vjp=_concat_vjp,
    sympy=lambda *xs, axis: xs[0].concat(xs[1:], axis),
    kind=SHAPE,
    numba=nb.concat,
)


# --- public functions ---------------------------------------------------------------------
def reshape(x, shape, order: str = "C") -> Tensor:
    """Reshape (one dimension may be -1), reading and writing in row-major order (``"C"``)
    or column-major order (``"F"``, as NumPy).

    >>> import workbench as wb
    >>> wb.reshape(wb.constant([1.0, 2.0, 3.0, 4.0]), (2, 2)).shape
    (2, 2)
    >>> wb.reshape(wb.constant([1.0, 2.0, 3.0, 4.0]), (2, 2), order="F").numpy()
    array([[1., 3.],
           [2., 4.]])
    """
    x = as_input(x)
    shape = (shape,) if isinstance(shape, int | np.integer) else tuple(int(d) for d in shape)
    resolved = _resolve(np.shape(_value(x)), shape)
    if order == "F":
        return transpose(reshape_p(transpose(x), shape=resolved[::-1]))
    if order != "C":
        raise ValueError(f"reshape: order must be 'C' or 'F', got {order!r}")
    return reshape_p(x, shape=resolved)


def _resolve(old: tuple[int, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    """``shape`` with its -1 filled in for an array of shape ``old``, computed (the common
    cases) or, for the rest, from NumPy reshaping an empty stand-in (its errors included)."""
    size, known = math.prod(old), math.prod(d for d in shape if d != -1)
    if all(d >= 0 for d in shape) and known == size:
        return shape
    if shape.count(-1) == 1 and known > 0 and size % known == 0 and min(shape) >= -1:
        return tuple(size // known if d == -1 else d for d in shape)
    return np.empty(old, dtype=np.bool_).reshape(shape).shape


def transpose(x, perm=None, *, axes=None) -> Tensor:
    """Permute axes (reverse them by default); ``perm`` is TensorFlow's name, ``axes`` NumPy's.

    >>> import workbench as wb
    >>> wb.transpose(wb.constant([[1.0, 2.0]])).shape
    (2, 1)
    >>> wb.transpose(wb.ones((2, 3, 4)), axes=(2, 0, 1)).shape
    (4, 2, 3)
    """
    if axes is not None:
        if perm is not None:
            raise TypeError("transpose: give perm or axes, not both")
        perm = axes
    x = as_input(x)
    ndim = np.ndim(_value(x))
    if perm is None:
        axes = tuple(range(ndim))[::-1]
    else:
        axes = tuple(normalize_axis_index(a, ndim, "perm") for a in perm)
        if sorted(axes) != list(range(ndim)):
            raise ValueError(f"perm {tuple(perm)} is not a permutation of the {ndim} axes")
    return transpose_p(x, axes=axes)


def broadcast_to(x, shape) -> Tensor:
    """Broadcast ``x`` to ``shape`` (an int or a tuple; its gradient sums back)."""
    shape = (shape,) if np.ndim(shape) == 0 else shape
    return broadcast_to_p(x, shape=tuple(int(d) for d in shape))


def _normalize_index(index) -> tuple:
    parts = index if isinstance(index, tuple) else (index,)
    out = []
    for part in parts:
        if isinstance(part, Tensor):
            part = part._value
        if isinstance(part, list):
            part = np.asarray(part)
        if isinstance(part, np.ndarray) and part.ndim == 0 and part.dtype.kind in "iu":
            part = int(part)
        out.append(part)
    return tuple(out)


def getitem(x, index) -> Tensor:
    """``x[index]`` with NumPy semantics; differentiable (the gradient scatters back).

    >>> import workbench as wb
    >>> wb.constant([1.0, 2.0, 3.0])[1:].numpy()
    array([2., 3.])
    """
    return getitem_p(x, index=_normalize_index(index))


def concat(values, axis: int = 0) -> Tensor:
    """Join tensors along an existing axis.

    >>> import workbench as wb
    >>> wb.concat([wb.constant([1.0]), wb.constant([2.0, 3.0])], axis=0).numpy()
    array([1., 2., 3.])
    """
    values = [as_input(v) for v in values]
    if not values:
        raise ValueError("concat needs at least one tensor")
    ndim = np.ndim(_value(values[0]))
    if ndim == 0:
        raise ValueError("concat cannot join rank-0 tensors: use wb.stack")
    return concat_p(*values, axis=normalize_axis_index(axis, ndim))


def expand_dims(x, axis) -> Tensor:
    """Insert size-1 axes at ``axis`` (one position or a tuple, counted in the result).

    >>> import workbench as wb
    >>> wb.expand_dims(wb.ones((2, 3)), (0, -1)).shape
    (1, 2, 3, 1)
    """
    shape = list(np.shape(_value(as_input(x))))
    axes = tuple(axis) if isinstance(axis, tuple | list) else (axis,)
    ndim = len(shape) + len(axes)
    placed = sorted(normalize_axis_index(a, ndim) for a in axes)
    if len(set(placed)) != len(placed):
        raise ValueError(f"expand_dims: repeated axis in {axis!r}")
    for a in placed:
        shape.insert(a, 1)
    return reshape(x, shape)


def squeeze(x, axis=None) -> Tensor:
    """Drop size-1 axes (all of them, or those in ``axis``, which must have size 1)."""
    shape = np.shape(_value(as_input(x)))
    axes = reduction_axes(axis, len(shape))
    if axes is not None and any(shape[a] != 1 for a in axes):
        raise ValueError(f"squeeze: axis {axis} of shape {shape} is not of size 1")
    keep = [d for i, d in enumerate(shape) if d != 1 or (axes is not None and i not in axes)]
    return reshape(x, keep)


def stack(values, axis: int = 0) -> Tensor:
    """Join tensors along a new axis.

    >>> import workbench as wb
    >>> wb.stack([wb.constant(1.0), wb.constant(2.0)]).numpy()
    array([1., 2.])
    """
    values = as_tensors(values)
    if not values:
        raise ValueError("stack needs at least one tensor")
    ndim = values[0].ndim
    axis = normalize_axis_index(axis, ndim + 1)
    shapes = {v.shape for v in values}
    if len(shapes) > 1:
        raise ValueError(f"stack needs tensors of one shape, got {sorted(shapes)}")
    return concat([reshape(v, v.shape[:axis] + (1,) + v.shape[axis:]) for v in values], axis=axis)


def flatten(x) -> Tensor:
    """Reshape to one dimension."""
    return reshape(x, (-1,))


def _value(x):
    return x._value if isinstance(x, Tensor) else x



def shape(x) -> tuple[int, ...]:
    """The shape as a tuple of ints (``np.shape``; TF's ``tf.shape(x)[0]`` ports unchanged).

    >>> import workbench as wb
    >>> wb.shape(wb.zeros((2, 3))), wb.shape([1.0, 2.0])
    ((2, 3), (2,))
    """
    return tuple(x.shape) if isinstance(x, Tensor) else np.shape(x)


def size(x, axis: int | None = None) -> int:
    """The number of elements (``np.size``, ``tf.size``), or the length of ``axis``.

    >>> import workbench as wb
    >>> wb.size(wb.zeros((2, 3))), wb.size(wb.zeros((2, 3)), axis=-1)
    (6, 3)
    """
    if axis is None:
        return math.prod(shape(x))
    dims = shape(x)
    return dims[normalize_axis_index(axis, len(dims))]


def ndim(x) -> int:
    """The number of axes (``np.ndim``; TF calls it ``tf.rank``).

    >>> import workbench as wb
    >>> wb.ndim(wb.zeros((2, 3))), wb.rank(1.0)
    (2, 0)
    """
    return len(shape(x))

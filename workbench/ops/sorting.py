"""Sorting: ``sort`` (differentiable through its permutation), ``argsort`` (an index) and
TensorFlow's ``top_k``.

Two primitives carry the permutation: ``sort_by(h, key)`` reorders ``h`` in the order that sorts
``key`` (stably), and ``unsort_by`` puts it back; each is the other's VJP, so every order of
derivative stays a permutation of the cotangent. ``sort(x)`` is ``sort_by(x, x)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.axes import normalize_axis_index
from workbench.primitive import NON_DIFFERENTIABLE, NotSupported, defprimitive
from workbench.tensor import Tensor

SHAPE = "shape"
_NO_FORMULA = NotSupported("sorting is a permutation chosen by the values: it has no formula")


def _perm(key: np.ndarray, axis: int, ndim: int) -> np.ndarray:
    """The stable sorting permutation of ``key`` along ``axis``, with leading axes for batches."""
    perm = np.argsort(key, axis=axis, kind="stable")
    return perm.reshape((1,) * (ndim - perm.ndim) + perm.shape)


def _sort_by(h, key, axis):
    return np.take_along_axis(np.asarray(h), _perm(key, axis, np.ndim(h)), axis)


def _unsort_by(g, key, axis):
    g = np.asarray(g)
    out = np.empty_like(g)
    perm = np.broadcast_to(_perm(key, axis, g.ndim), g.shape)
    np.put_along_axis(out, perm, g, axis)
    return out


def _emitter(mode: str):
    def emit(ctx, out, ins, axis):
        """Copy each line of ``key`` along the axis, argsort it (stable), then gather/scatter."""
        key = ins[-1]
        kshape = ctx.shape(key)
        oshape = tuple(out.shape)
        k = axis % len(kshape)
        n = kshape[k]
        nb = len(oshape) - len(kshape)
        name = ctx.out(out)
        oref = ctx.refs[id(out)]
        tmp, perm, j = ctx.fresh("line"), ctx.fresh("perm"), ctx.fresh("j")
        lines = [f"{tmp} = np.empty({n}, np.{np.dtype(ctx.dtype(key)).name})"]
        kept = tuple(d for i, d in enumerate(kshape) if i != k)
        oidx, ohead, opad = ctx.loops(kept)

        def at(pos):
            full = list(oidx)
            full.insert(k, pos)
            return full

        lines += ohead + [f"{opad}for {j} in range({n}):",
                          f"{opad}    {tmp}[{j}] = {ctx.read(key, at(j))}",
                          f"{opad}{perm} = np.argsort({tmp}, kind='mergesort')"]
        if mode == "argsort":
            target = oref.index(at(j)) if oshape else name
            return lines + [f"{opad}for {j} in range({n}):", f"{opad}    {target} = {perm}[{j}]"]
        bidx, bhead, bpad = ctx.loops(oshape[:nb])
        src, dst = (at(f"{perm}[{j}]"), at(j)) if mode == "sort_by" else (at(j), at(f"{perm}[{j}]"))
        pad = opad + bpad
        lines += [opad + h for h in bhead]
        value = ctx.read(ins[0], bidx + src, out.dtype)
        return lines + [f"{pad}for {j} in range({n}):",
                        f"{pad}    {oref.index(bidx + dst)} = {value}"]

    return emit


sort_by_p = defprimitive(
    "sort_by", _sort_by,
    vjp=(lambda g, ans, h, key, axis: unsort_by_p(g, key, axis=axis), None),
    sympy=_NO_FORMULA,
    kind=SHAPE,
    numba=_emitter("sort_by"),
)
unsort_by_p = defprimitive(
    "unsort_by", _unsort_by,
    vjp=(lambda g, ans, h, key, axis: sort_by_p(g, key, axis=axis), None),
    sympy=_NO_FORMULA,
    kind=SHAPE,
    numba=_emitter("unsort_by"),
)
argsort_p = defprimitive(
    "argsort", lambda x, axis: np.argsort(x, axis=axis, kind="stable"),
    vjp=NON_DIFFERENTIABLE,
    sympy=NotSupported("argsort is an index, not a formula"),
    kind=SHAPE,
    numba=_emitter("argsort"),
)


def _direction(direction: str) -> bool:
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"direction must be 'ASCENDING' or 'DESCENDING', got {direction!r}")
    return direction == "DESCENDING"


def sort(x: Any, axis: int | None = -1, direction: str = "ASCENDING", *, kind: Any = None,
         stable: Any = None) -> Tensor:
    """Sorted along ``axis`` (the flattened tensor for None); TF's ``direction`` is accepted.

    The gradient flows back through the sorting permutation (ties keep their order). NumPy's
    ``kind`` and ``stable`` are accepted: the sort is always stable.

    >>> import workbench as wb
    >>> wb.sort(wb.constant([3.0, 1.0, 2.0])).numpy()
    array([1., 2., 3.])
    >>> wb.sort(wb.constant([3.0, 1.0, 2.0]), direction="DESCENDING").numpy()
    array([3., 2., 1.])
    """
    x = constant(x)
    if axis is None:
        x, axis = sh.reshape(x, (-1,)), 0
    if _direction(direction):
        return ew.neg(sort(ew.neg(x), axis))
    axis = normalize_axis_index(axis, x.ndim) - x.ndim
    return sort_by_p(x, x, axis=axis)


def argsort(x: Any, axis: int | None = -1, direction: str = "ASCENDING", *, kind: Any = None,
            stable: Any = None) -> Tensor:
    """Indices that sort ``x`` along ``axis`` (always stable, whatever NumPy's ``kind`` and
    ``stable`` say; not differentiable: gradient None).

    >>> import workbench as wb
    >>> wb.argsort(wb.constant([3.0, 1.0, 2.0])).numpy()
    array([1, 2, 0])
    """
    x = constant(x)
    if axis is None:
        x, axis = sh.reshape(x, (-1,)), 0
    if _direction(direction):
        x = ew.neg(x)
    return argsort_p(x, axis=normalize_axis_index(axis, x.ndim))


class TopKResult(NamedTuple):
    """``top_k``'s result, as TensorFlow's ``TopKV2``: ``values`` and ``indices``."""

    values: Tensor
    indices: Tensor


def top_k(input: Any, k: int = 1, sorted: bool = True, index_type: Any = None,
          name: str | None = None) -> TopKResult:
    """The ``k`` largest entries along the last axis, largest first (ties: the lower index
    first), and their indices (``tf.math.top_k``; always sorted). The gradient flows back to
    the chosen entries.

    >>> import workbench as wb
    >>> values, indices = wb.math.top_k(wb.constant([1.0, 3.0, 2.0, 3.0]), k=3)
    >>> values.numpy(), indices.numpy()
    (array([3., 3., 2.]), array([1, 3, 2]))
    """
    x = constant(input)
    if x.ndim == 0 or not 0 <= int(k) <= x.shape[-1]:
        raise ValueError(f"top_k: k must be in [0, {x.shape[-1] if x.ndim else 0}] (the size of "
                         f"the last axis of a tensor of shape {x.shape}), got {k}")
    key = ew.neg(x)  # a stable ascending sort of -x: largest first, lower index first on ties
    values = sort_by_p(x, key, axis=-1)[..., :int(k)]
    indices = argsort_p(key, axis=x.ndim - 1)[..., :int(k)]
    return TopKResult(values, indices if index_type is None else ew.cast(indices, index_type))

"""The element view: a tensor as a NumPy object array of SymPy scalars, with the array methods
that primitives' ``sympy=`` rules call (the same methods the matrix view implements)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import sympy


def scalar(value: Any) -> sympy.Expr:
    """A number as SymPy: integral floats become Integers, floats that round-trip from a small
    fraction become Rationals (0.5 -> 1/2, 0.1 -> 1/10), others stay Floats.

    >>> scalar(2.0), scalar(0.5), scalar(0.1), scalar(0.123456789)
    (2, 1/2, 1/10, 0.123456789000000)
    """
    if isinstance(value, sympy.Basic):
        return value
    if isinstance(value, bool | np.bool_):
        return sympy.true if value else sympy.false
    if isinstance(value, int | np.integer):
        return sympy.Integer(int(value))
    v = float(value)
    if v.is_integer():
        return sympy.Integer(int(v))
    r = sympy.Rational(v).limit_denominator(64)
    return r if float(r) == v else sympy.Float(v)


class Elements:
    """A tensor seen element by element: ``.a`` is an object ndarray of SymPy expressions.

    >>> x = Elements.symbols("x", (2,))
    >>> x.sum(None, False).a.item()
    x_0 + x_1
    """

    __slots__ = ("a",)
    view = "elements"

    def __init__(self, a: Any):
        self.a = np.asarray(a, dtype=object) if not isinstance(a, np.ndarray) else a
        if self.a.dtype != object:
            self.a = np.vectorize(scalar, otypes=[object])(self.a) if self.a.size else \
                self.a.astype(object)

    @classmethod
    def symbols(cls, name: str, shape: tuple[int, ...]) -> Elements:
        """Real scalar symbols ``name_i_j`` (or the plain ``name`` for a scalar)."""
        if shape == ():
            return cls(np.array(sympy.Symbol(name, real=True), dtype=object))
        out = np.empty(shape, dtype=object)
        for idx in itertools.product(*(range(d) for d in shape)):
            out[idx] = sympy.Symbol(f"{name}_" + "_".join(map(str, idx)), real=True)
        return cls(out)

    @classmethod
    def number(cls, value: Any) -> Elements:
        return cls(np.asarray(value))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.a.shape

    def __repr__(self) -> str:
        return f"Elements({self.a!r})"

    # --- elementwise --------------------------------------------------------------------------
    def apply(self, fn: Any, *others: Elements) -> Elements:
        """``fn`` on scalars, lifted with NumPy broadcasting over this and ``others``."""
        arrays = [self.a] + [o.a for o in others]
        out = np.frompyfunc(fn, len(arrays), 1)(*arrays)
        return Elements(np.asarray(out, dtype=object))

    # --- reductions ---------------------------------------------------------------------------
    def sum(self, axis: tuple[int, ...] | None, keepdims: bool) -> Elements:
        return Elements(np.asarray(np.sum(self.a, axis=axis, keepdims=keepdims), dtype=object))

    def max(self, axis: tuple[int, ...] | None, keepdims: bool) -> Elements:
        def mx(v: np.ndarray) -> sympy.Expr:
            return sympy.Max(*v.ravel()) if v.size > 1 else v.ravel()[0]

        axes = tuple(range(self.a.ndim)) if axis is None else tuple(axis)
        moved = np.moveaxis(self.a, axes, tuple(range(-len(axes), 0)))
        lead = moved.shape[: moved.ndim - len(axes)]
        flat = moved.reshape(lead + (-1,))
        out = np.empty(lead, dtype=object)
        for idx in itertools.product(*(range(d) for d in lead)):
            out[idx] = mx(flat[idx])
        if keepdims:
            out = out.reshape(tuple(1 if i in axes else d for i, d in enumerate(self.a.shape)))
        return Elements(out)

    # --- shape --------------------------------------------------------------------------------
    def transpose(self, axes: tuple[int, ...]) -> Elements:
        return Elements(np.transpose(self.a, axes))

    def reshape(self, shape: tuple[int, ...]) -> Elements:
        return Elements(np.reshape(self.a, shape))

    def broadcast_to(self, shape: tuple[int, ...]) -> Elements:
        return Elements(np.array(np.broadcast_to(self.a, shape), dtype=object))

    def getitem(self, index: tuple) -> Elements:
        return Elements(np.asarray(self.a[index], dtype=object))

    def scatter_add(self, index: tuple, shape: tuple[int, ...]) -> Elements:
        out = np.empty(shape, dtype=object)
        out.fill(sympy.Integer(0))
        np.add.at(out, index, self.a)
        return Elements(out)

    def concat(self, others: tuple[Elements, ...], axis: int) -> Elements:
        return Elements(np.concatenate([self.a] + [o.a for o in others], axis=axis))

    # --- linear algebra -----------------------------------------------------------------------
    def matmul(self, other: Elements) -> Elements:
        out = np.matmul(self.a, other.a)
        return Elements(np.asarray(out, dtype=object))

    def _stacked(self, fn: Any, out_shape: Any) -> Elements:
        lead = self.a.shape[:-2]
        out = np.empty(lead + out_shape, dtype=object)
        for idx in itertools.product(*(range(d) for d in lead)):
            res = fn(sympy.Matrix(self.a[idx].tolist()))
            out[idx] = np.array(res.tolist(), dtype=object) if out_shape else res
        return Elements(out)

    def inv(self) -> Elements:
        return self._stacked(lambda m: m.inv(), self.a.shape[-2:])

    def det(self) -> Elements:
        return self._stacked(lambda m: m.det(), ())

    def solve(self, b: Elements) -> Elements:
        inverse = self.inv()
        if b.a.ndim == 1:
            return Elements(np.asarray(np.matmul(inverse.a, b.a), dtype=object))
        return inverse.matmul(b)

    # --- conversions --------------------------------------------------------------------------
    def to_sympy(self) -> Any:
        """A scalar expression, a column ``Matrix`` (1-D), a ``Matrix`` (2-D) or an ``Array``."""
        if self.a.ndim == 0:
            return self.a.item()
        if self.a.ndim == 1:
            return sympy.Matrix(self.a.reshape(-1, 1).tolist())
        if self.a.ndim == 2:
            return sympy.Matrix(self.a.tolist())
        return sympy.Array(self.a.tolist())

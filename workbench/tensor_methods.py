"""NumPy's array methods and operators on Tensors (``t.sum()``, ``t.prod()``, ``t & u``,
``divmod(t, u)``...): each calls the op of the same name, so NumPy's functions, which call these
methods (``np.sum(t)``), stay on the tape."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from workbench.tensor import Tensor


def _op(family: str) -> Any:
    """``workbench.ops.<family>``, looked up when called: the ops import the Tensor class, which
    is built on these methods."""
    return importlib.import_module(f"workbench.ops.{family}")


class ArrayMethods:
    """The methods NumPy arrays have, as Tensor methods (mixed into ``Tensor``)."""

    __slots__ = ()

    # --- NumPy's bitwise operators, divmod and round (see ops/bitwise.py, ops/numpy_more.py) --
    def __and__(self, other):
        from workbench.ops import bitwise
        return bitwise.bitwise_and(self, other)

    def __rand__(self, other):
        from workbench.ops import bitwise
        return bitwise.bitwise_and(other, self)

    def __or__(self, other):
        from workbench.ops import bitwise
        return bitwise.bitwise_or(self, other)

    def __ror__(self, other):
        from workbench.ops import bitwise
        return bitwise.bitwise_or(other, self)

    def __xor__(self, other):
        from workbench.ops import bitwise
        return bitwise.bitwise_xor(self, other)

    def __rxor__(self, other):
        from workbench.ops import bitwise
        return bitwise.bitwise_xor(other, self)

    def __invert__(self):
        from workbench.ops import bitwise
        return bitwise.invert(self)

    def __divmod__(self, other):
        from workbench.ops.numpy_more import floor_divide
        return floor_divide(self, other), _op("elementwise").mod(self, other)

    def __rdivmod__(self, other):
        from workbench.ops.numpy_more import floor_divide
        return floor_divide(other, self), _op("elementwise").mod(other, self)

    def __round__(self, ndigits=None):
        return _op("elementwise").round(self) if ndigits is None else self.round(ndigits)

    def round(self, decimals: int = 0) -> Tensor:
        """``x.round(decimals)``: halves to even, as NumPy (not differentiable)."""
        if not decimals:
            return _op("elementwise").round(self)
        ew, scale = _op("elementwise"), 10.0 ** decimals
        return ew.div(ew.round(ew.mul(self, scale)), scale)

    # --- TensorFlow's -------------------------------------------------------------------------
    def ref(self) -> Any:
        """A hashable handle on this Tensor or Variable (``tf.Tensor.ref``), to key dicts."""
        from workbench.tf_types import Reference
        return Reference(self)

    experimental_ref = ref

    # --- NumPy's array methods (each calls the op of the same name) --------------------------
    @property
    def mT(self) -> Tensor:
        """The last two axes swapped (the matrix transpose of a stack of matrices)."""
        return _op("arrays").swapaxes(self, -1, -2)

    def transpose(self, *axes) -> Tensor:
        """``x.transpose()``, ``x.transpose(1, 0, 2)`` or ``x.transpose((1, 0, 2))``."""
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], tuple | list)):
            axes = axes[0]
        return _op("shape").transpose(self, axes or None)

    def ravel(self) -> Tensor:
        return _op("arrays").ravel(self)

    def flatten(self) -> Tensor:
        return _op("arrays").ravel(self)

    def squeeze(self, axis=None) -> Tensor:
        return _op("shape").squeeze(self, axis)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        return _op("arrays").swapaxes(self, axis1, axis2)

    def repeat(self, repeats, axis=None) -> Tensor:
        return _op("arrays").repeat(self, repeats, axis)

    def sum(self, axis=None, dtype=None, out=None, keepdims: bool = False) -> Tensor:
        return _op("reduce").sum(_numpy_args(self, "sum", dtype, out), axis, keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims: bool = False) -> Tensor:
        return _op("reduce").mean(_numpy_args(self, "mean", dtype, out), axis, keepdims)

    def max(self, axis=None, out=None, keepdims: bool = False) -> Tensor:
        return _op("reduce").max(_numpy_args(self, "max", None, out), axis, keepdims)

    def min(self, axis=None, out=None, keepdims: bool = False) -> Tensor:
        return _op("reduce").min(_numpy_args(self, "min", None, out), axis, keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        from workbench.ops import statistics
        return statistics.var(_numpy_args(self, "var", dtype, out), axis, ddof, keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof: int = 0, keepdims: bool = False) -> Tensor:
        from workbench.ops import statistics
        return statistics.std(_numpy_args(self, "std", dtype, out), axis, ddof, keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims: bool = False) -> Tensor:
        from workbench.ops import cumulative
        return cumulative.prod(_numpy_args(self, "prod", dtype, out), axis, keepdims)

    def cumsum(self, axis=None, dtype=None, out=None) -> Tensor:
        from workbench.ops import cumulative
        return cumulative.cumsum(_numpy_args(self, "cumsum", dtype, out), axis)

    def cumprod(self, axis=None, dtype=None, out=None) -> Tensor:
        from workbench.ops import cumulative
        return cumulative.cumprod(_numpy_args(self, "cumprod", dtype, out), axis)

    def ptp(self, axis=None, keepdims: bool = False) -> Tensor:
        from workbench.ops import statistics
        return statistics.ptp(self, axis, keepdims)

    def any(self, axis=None, out=None, keepdims: bool = False) -> Tensor:
        from workbench.ops import statistics
        return statistics.any(_numpy_args(self, "any", None, out), axis, keepdims)

    def all(self, axis=None, out=None, keepdims: bool = False) -> Tensor:
        from workbench.ops import statistics
        return statistics.all(_numpy_args(self, "all", None, out), axis, keepdims)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None,
              out=None) -> Tensor:
        from workbench.ops import products
        return products.trace(_numpy_args(self, "trace", dtype, out), offset, axis1, axis2)

    def argmax(self, axis=None, out=None) -> Tensor:
        return _op("reduce").argmax(_numpy_args(self, "argmax", None, out), axis)

    def argmin(self, axis=None, out=None) -> Tensor:
        return _op("reduce").argmin(_numpy_args(self, "argmin", None, out), axis)

    def clip(self, min=None, max=None, out=None) -> Tensor:
        clipped = _numpy_args(self, "clip", None, out)
        clipped = clipped if min is None else _op("elementwise").maximum(clipped, min)
        return clipped if max is None else _op("elementwise").minimum(clipped, max)

    def dot(self, other) -> Tensor:
        from workbench.ops import products
        return products.dot(self, other)

    def astype(self, dtype) -> Tensor:
        return _op("elementwise").cast(self, dtype)

    def copy(self) -> Tensor:
        """The same value (Tensors are immutable, so this is the tensor itself, on the tape)."""
        return self._read() if hasattr(self, "_read") else self  # a Variable: a read

    def item(self) -> Any:
        """The one element as a Python number (leaves the tape, as ``float()`` does)."""
        self._note_escape()
        return np.asarray(self._value).item()

    def tolist(self) -> Any:
        """The value as nested Python lists (leaves the tape)."""
        self._note_escape()
        return np.asarray(self._value).tolist()


def _numpy_args(x: Tensor, method: str, dtype: Any, out: Any) -> Tensor:
    """NumPy's ``dtype=``/``out=`` arguments (``np.sum(t)`` calls ``t.sum(dtype=, out=)``)."""
    if out is not None:
        raise TypeError(f"{method}: out= is not supported (Tensors are immutable); "
                        f"use the returned Tensor")
    return x if dtype is None or np.dtype(dtype) == x.dtype else _op("elementwise").cast(x, dtype)


def _in_place(op: str, assign: str, new: str) -> RuntimeError:
    return RuntimeError(
        f"`variable {op} value` with wb.Variables is not supported (as in TensorFlow): use "
        f"`{assign}` to modify the Variable, or `out = {new}` for a new Tensor")


class NoInPlaceOperators:
    """``v += x`` on a Variable would rebind ``v`` to a Tensor, which tapes no longer see as
    the Variable (its gradient becomes None): refused, as in TensorFlow (mixed into
    ``Variable``)."""

    __slots__ = ()

    def __iadd__(self, other):
        raise _in_place("+=", "variable.assign_add(value)", "variable + value")

    def __isub__(self, other):
        raise _in_place("-=", "variable.assign_sub(value)", "variable - value")

    def __imul__(self, other):
        raise _in_place("*=", "variable.assign(variable * value)", "variable * value")

    def __itruediv__(self, other):
        raise _in_place("/=", "variable.assign(variable / value)", "variable / value")

    def __ipow__(self, other):
        raise _in_place("**=", "variable.assign(variable ** value)", "variable ** value")

"""``DType`` and ``TensorShape``: what ``t.dtype`` and ``t.shape`` return. They are a NumPy dtype
and a tuple to NumPy (equal, hashed and printed the same) with TensorFlow's attributes added
(``dtype.base_dtype``, ``dtype.is_floating``, ``shape.as_list()``), so TF code ports unchanged."""

from __future__ import annotations

from typing import Any

import numpy as np


class DType:
    """A NumPy dtype with TensorFlow's ``tf.DType`` attributes.

    NumPy accepts it wherever a dtype goes (through its ``dtype`` attribute), it compares and
    hashes as the NumPy dtype, and every NumPy dtype attribute (``kind``, ``name``, ``itemsize``)
    reads through.

    >>> import numpy as np, workbench as wb
    >>> dt = wb.constant(1.0, wb.float32).dtype
    >>> dt == np.float32, dt.is_floating, dt.base_dtype == wb.float32, dt.kind
    (True, True, True, 'f')
    >>> np.zeros(2, dtype=dt).dtype
    dtype('float32')
    """

    __slots__ = ("dtype",)

    def __new__(cls, dtype: Any) -> DType:  # noqa: PYI034 - typing.Self needs Python 3.11
        try:
            return _CACHE[dtype]  # the hot path: an ndarray's dtype
        except (KeyError, TypeError):
            pass
        np_dtype = np.dtype(dtype)
        found = _CACHE.get(np_dtype)
        if found is None:
            found = object.__new__(cls)
            object.__setattr__(found, "dtype", np_dtype)
            _CACHE[np_dtype] = found
        return found

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("DType is immutable")

    def __getattr__(self, name: str) -> Any:  # NumPy's attributes: kind, name, itemsize, char...
        return getattr(object.__getattribute__(self, "dtype"), name)

    def __eq__(self, other: object) -> bool:
        if type(other) is DType:  # one DType per NumPy dtype (the cache), so equal means same
            return self is other
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __repr__(self) -> str:
        return repr(self.dtype)

    def __str__(self) -> str:
        return str(self.dtype)

    def __reduce__(self) -> tuple:
        return (DType, (self.dtype.str,))

    # --- TensorFlow's names -------------------------------------------------------------------
    @property
    def base_dtype(self) -> DType:
        """The dtype itself (TensorFlow's reference dtypes do not exist here)."""
        return self

    @property
    def real_dtype(self) -> DType:
        """The dtype of the real part (float64 for complex128, else the dtype itself)."""
        return DType(np.finfo(self.dtype).dtype) if self.dtype.kind == "c" else self

    @property
    def as_numpy_dtype(self) -> type:
        """The NumPy scalar type (``np.float32``)."""
        return self.dtype.type

    @property
    def is_floating(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def is_integer(self) -> bool:
        return self.dtype.kind in "iu"

    @property
    def is_unsigned(self) -> bool:
        return self.dtype.kind in "ub"

    @property
    def is_bool(self) -> bool:
        return self.dtype.kind == "b"

    @property
    def size(self) -> int:
        """Bytes per element (TensorFlow's ``DType.size``)."""
        return self.dtype.itemsize

    @property
    def min(self) -> Any:
        return _limits(self.dtype).min

    @property
    def max(self) -> Any:
        return _limits(self.dtype).max


_CACHE: dict[np.dtype, DType] = {}


def _limits(dtype: np.dtype) -> Any:
    if dtype.kind == "b":
        raise TypeError("bool has no min/max")
    return np.finfo(dtype) if dtype.kind in "fc" else np.iinfo(dtype)


def as_dtype(dtype: Any) -> DType:
    """TensorFlow's ``tf.as_dtype``: a ``DType`` from a name, NumPy type or dtype.

    >>> import workbench as wb
    >>> wb.as_dtype("float32").is_floating
    True
    """
    return DType(dtype)


class TensorShape(tuple):
    """A shape: a tuple of ints (equal to, hashed and printed as the tuple) with TensorFlow's
    ``as_list()``, ``rank`` and ``num_elements()``.

    >>> import workbench as wb
    >>> s = wb.zeros((2, 3)).shape
    >>> s, s.as_list(), s.rank, s == (2, 3)
    ((2, 3), [2, 3], 2, True)
    """

    __slots__ = ()

    def as_list(self) -> list[int]:
        return list(self)

    @property
    def rank(self) -> int:
        return len(self)

    @property
    def ndims(self) -> int:
        return len(self)

    def num_elements(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def is_fully_defined(self) -> bool:
        return True

    def __reduce__(self) -> tuple:
        return (tuple, (tuple(self),))


class Reference:
    """A hashable handle on a Tensor or Variable (``t.ref()``, TensorFlow's way to key a dict by
    a tensor, as Tensors themselves are unhashable): equal only to a handle on the same object.

    >>> import workbench as wb
    >>> v = wb.Variable(1.0)
    >>> slots = {v.ref(): "slot"}
    >>> slots[v.ref()], v.ref().deref() is v
    ('slot', True)
    """

    __slots__ = ("_obj",)

    def __init__(self, obj: object):
        self._obj = obj

    def deref(self) -> object:
        """The Tensor or Variable this handle refers to."""
        return self._obj

    def __hash__(self) -> int:
        return id(self._obj)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Reference) and other._obj is self._obj

    def __repr__(self) -> str:
        return f"<Reference wrapping {self._obj!r}>"

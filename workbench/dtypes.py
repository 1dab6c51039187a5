"""The dtype policy (Python floats follow the default float dtype, NumPy arrays keep theirs)
and TensorFlow's dtype names (``wb.float32`` ...) as NumPy dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.tf_types import DType

_DEFAULT_FLOAT = [np.dtype(np.float64)]


def set_default_dtype(dtype: Any) -> None:
    """Set the float dtype that Python floats and float lists become (``float64`` by default).

    >>> import workbench as wb
    >>> wb.set_default_dtype("float32"); wb.constant(1.5).dtype
    dtype('float32')
    >>> wb.set_default_dtype("float64")
    """
    dt = np.dtype(dtype)
    if dt.kind != "f":
        raise ValueError(f"the default dtype must be a floating dtype, got {dt.name}")
    _DEFAULT_FLOAT[0] = dt


def default_dtype() -> np.dtype:
    """The current default float dtype."""
    return _DEFAULT_FLOAT[0]


def to_array(value: Any, dtype: Any = None) -> np.ndarray:
    """Convert ``value`` to an ndarray under the dtype policy (copying nothing it need not)."""
    if dtype is not None:
        return np.asarray(value, dtype=np.dtype(dtype))
    arr = np.asarray(value)
    if arr.dtype == np.float64 and not isinstance(value, np.ndarray | np.generic):
        arr = arr.astype(_DEFAULT_FLOAT[0], copy=False)
    return arr


def is_floating(dtype: Any) -> bool:
    return np.dtype(dtype).kind in "fc"


# TensorFlow's dtype names as NumPy dtypes: ``wb.cast(x, wb.float32)``, ``dtype=wb.int64``
# (``DType``: equal to the NumPy dtype, with ``tf.DType``'s attributes such as ``is_floating``).
float16 = DType(np.float16)
float32 = DType(np.float32)
float64 = DType(np.float64)
int8 = DType(np.int8)
int16 = DType(np.int16)
int32 = DType(np.int32)
int64 = DType(np.int64)
uint8 = DType(np.uint8)
bool = DType(np.bool_)

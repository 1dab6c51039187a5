"""The dtype policy (Python floats follow the default float dtype, NumPy arrays keep theirs)
and TensorFlow's dtype names (``wb.float32`` ...) as NumPy dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np

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


# TensorFlow's dtype names as NumPy dtypes: ``wb.cast(x, wb.float32)``, ``dtype=wb.int64``.
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool = np.dtype(np.bool_)  # noqa: A001 - TensorFlow's name (tf.bool); workbench.dtypes.bool

"""``constant`` / ``convert_to_tensor``: values to Tensors, keeping Tensors (even inside nested
lists and tuples) on the tape, as TensorFlow packs them."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.dtypes import to_array
from workbench.tensor import Tensor, _raw, as_input


def constant(value: Any, dtype: Any = None, shape: Any = None, name: str | None = None) -> Tensor:
    """A Tensor holding ``value`` (Python floats become the default float dtype).

    A Tensor passes through (cast if ``dtype`` differs), and a nested list or tuple holding
    Tensors is stacked, so gradients flow through it as in TensorFlow. As ``tf.constant``,
    ``shape`` fills that shape with a scalar ``value`` or reshapes one of as many elements.

    >>> import workbench as wb
    >>> wb.constant(3.0)
    <wb.Tensor: shape=(), dtype=float64, numpy=3.0>
    >>> x = wb.constant(1.0)
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = wb.reduce_sum(wb.convert_to_tensor([x, 2 * x]))
    >>> float(tape.gradient(y, x))
    3.0
    >>> wb.constant(0.0, shape=[2]).numpy()
    array([0., 0.])
    """
    if shape is not None:
        return _shaped(constant(value, dtype, name=name), shape)
    if isinstance(value, Tensor):
        out = as_input(value)
        if dtype is not None and np.dtype(dtype) != out.dtype:
            out = _ew.cast(out, dtype)
        return out
    if isinstance(value, list | tuple) and _holds_tensor(value):
        out = _shape.stack(as_tensors(value, dtype))
        if dtype is not None and np.dtype(dtype) != out.dtype:
            out = _ew.cast(out, dtype)
        return out
    return Tensor(to_array(_raw(value), dtype), name)


def _shaped(value: Tensor, shape: Any) -> Tensor:
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
    if value.size == 1 and int(np.prod(shape)) != 1:
        return _shape.broadcast_to(_shape.reshape(value, ()), shape)
    if value.size != int(np.prod(shape)):
        raise TypeError(f"constant: a value of {value.size} element(s) {value.shape} cannot "
                        f"fill shape {shape}: give a scalar or as many elements")
    return _shape.reshape(value, shape)


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, Tensor):
        return True
    return isinstance(value, list | tuple) and any(_holds_tensor(v) for v in value)


def _first_dtype(value: Any) -> np.dtype | None:
    if isinstance(value, Tensor):
        return value.dtype
    for v in value if isinstance(value, list | tuple) else ():
        found = _first_dtype(v)
        if found is not None:
            return found
    return None


def as_tensors(values: Any, dtype: Any = None) -> list[Tensor]:
    """Each item of ``values`` as a Tensor for packing: Tensors stay on the tape, and plain
    numbers take the dtype of the first Tensor found (or ``dtype``), as TensorFlow packs them."""
    values = list(values)
    if dtype is None:
        found = _first_dtype(values)
        dtype = found if found is not None and found.kind == "f" else None
    return [constant(v, dtype) for v in values]


# Ops are imported last: they build on Tensor and on ``constant``.
from workbench.ops import elementwise as _ew
from workbench.ops import shape as _shape

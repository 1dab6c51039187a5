"""Axis arguments checked in one place: every op that takes an axis normalizes it here.

Out-of-range axes raise ``AxisError`` (NumPy's, so it is a ValueError and an IndexError too).
"""

from __future__ import annotations

from typing import Any

import numpy as np


class AxisError(np.exceptions.AxisError):
    """An axis out of range for a tensor's rank; the message names the argument and the rank."""

    def __init__(self, message: str):
        super().__init__(message)


def normalize_axis_index(axis: Any, ndim: int, argname: str = "axis") -> int:
    """``axis`` as an int in ``[0, ndim)``; negative axes count from the end.

    >>> normalize_axis_index(-1, 3)
    2
    >>> normalize_axis_index(3, 3)
    Traceback (most recent call last):
    ...
    workbench.ops.axes.AxisError: axis 3 is out of bounds for a tensor of rank 3 (valid: -3 to 2)
    """
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        if hasattr(axis, "__index__") and not isinstance(axis, bool):
            axis = axis.__index__()
        else:
            raise TypeError(f"{argname} must be an integer, got {axis!r}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        valid = f"valid: {-ndim} to {ndim - 1}" if ndim else "a rank-0 tensor has no axes"
        raise AxisError(f"{argname} {axis} is out of bounds for a tensor of rank {ndim} ({valid})")
    return axis % ndim


def normalize_axis(axis: Any, ndim: int, argname: str = "axis") -> tuple[int, ...] | None:
    """``axis`` (an int or a sequence of ints) as a sorted tuple of distinct axes in ``[0, ndim)``.

    None stays None (all axes). A repeated axis raises ValueError, as in NumPy.

    >>> normalize_axis((-1, 0), 3)
    (0, 2)
    >>> normalize_axis(1.5, 3)
    Traceback (most recent call last):
    ...
    TypeError: axis must be an integer, got 1.5
    """
    if axis is None:
        return None
    if isinstance(axis, tuple | list):
        axes = tuple(axis)
    elif isinstance(axis, np.ndarray) and axis.ndim == 1:
        axes = tuple(axis.tolist())
    else:
        axes = (axis,)
    out = tuple(normalize_axis_index(a, ndim, argname) for a in axes)
    if len(set(out)) != len(out):
        raise ValueError(f"repeated axis in {argname} {axis!r}: each axis may appear once")
    return tuple(sorted(out))


def reduction_axes(axis: Any, ndim: int, argname: str = "axis") -> tuple[int, ...] | None:
    """``normalize_axis`` for reductions: as in NumPy, a rank-0 tensor also takes axis 0 or -1
    (it reduces its one element: None is returned).

    >>> reduction_axes(-1, 0) is None
    True
    """
    if ndim == 0 and axis is not None:
        try:
            normalize_axis(axis, 1, argname)
        except AxisError:
            normalize_axis(axis, 0, argname)  # raises, naming rank 0
        return None
    return normalize_axis(axis, ndim, argname)


def planes_last(axis1: Any, axis2: Any, ndim: int, op: str) -> tuple[int, ...]:
    """The permutation that moves the plane ``(axis1, axis2)`` to the last two axes, the others
    kept in order (``trace``, ``diagonal``); both axes are validated.

    >>> planes_last(0, 2, 3, "trace")
    (1, 0, 2)
    """
    if ndim < 2:
        raise ValueError(f"{op} needs at least 2 axes, got a tensor of rank {ndim}")
    i = normalize_axis_index(axis1, ndim, "axis1")
    j = normalize_axis_index(axis2, ndim, "axis2")
    if i == j:
        raise ValueError(f"{op}: axis1 and axis2 are the same axis ({axis1}, {axis2})")
    return tuple(k for k in range(ndim) if k not in (i, j)) + (i, j)

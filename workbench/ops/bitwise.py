"""NumPy's bitwise operators (``&``, ``|``, ``^``, ``~``, shifts, gcd/lcm): logical operators
(traceable composites) on booleans, NumPy's integer ops on integer values (not differentiable)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops.elementwise_composite import (
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
)
from workbench.tensor import Tensor

_LOGICAL = {"and": logical_and, "or": logical_or, "xor": logical_xor}
_INTEGER = {"and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
            "left_shift": np.left_shift, "right_shift": np.right_shift, "gcd": np.gcd,
            "lcm": np.lcm}


def _kind(x: Any) -> str:
    return x.dtype.kind if isinstance(x, Tensor) else np.asarray(x).dtype.kind


def _integer_op(op: str, x1: Any, x2: Any) -> Tensor:
    kinds = {_kind(x1), _kind(x2)}
    if op in _LOGICAL and kinds == {"b"}:
        return _LOGICAL[op](x1, x2)
    if not kinds <= set("biu"):
        raise TypeError(f"bitwise_{op}: needs integer or boolean inputs, got kinds {sorted(kinds)}"
                        "; floats have no bits to combine (use wb.logical_* on comparisons)")
    return Tensor(_INTEGER[op](np.asarray(constant(x1)), np.asarray(constant(x2))))


def bitwise_and(x1: Any, x2: Any) -> Tensor:
    """``x1 & x2``: logical AND of booleans, bitwise AND of integers.

    >>> import workbench as wb
    >>> x = wb.constant([1.0, -2.0, 3.0])
    >>> ((x > 0) & (x < 2)).numpy(), wb.bitwise_and(6, 3).numpy()
    (array([ True, False, False]), np.int64(2))
    """
    return _integer_op("and", x1, x2)


def bitwise_or(x1: Any, x2: Any) -> Tensor:
    """``x1 | x2``: logical OR of booleans, bitwise OR of integers.

    >>> import workbench as wb
    >>> wb.bitwise_or(wb.constant([True, False]), wb.constant([False, False])).numpy()
    array([ True, False])
    """
    return _integer_op("or", x1, x2)


def bitwise_xor(x1: Any, x2: Any) -> Tensor:
    """``x1 ^ x2``: logical XOR of booleans, bitwise XOR of integers.

    >>> import workbench as wb
    >>> wb.bitwise_xor(6, 3).numpy()
    np.int64(5)
    """
    return _integer_op("xor", x1, x2)


def invert(x: Any) -> Tensor:
    """``~x``: logical NOT of booleans, bitwise NOT of integers (``np.invert``).

    >>> import workbench as wb
    >>> (~(wb.constant([1.0, -1.0]) > 0)).numpy(), wb.invert(wb.constant([0, 5])).numpy()
    (array([False,  True]), array([-1, -6]))
    """
    kind = _kind(x)
    if kind == "b":
        return logical_not(x)
    if kind not in "iu":
        raise TypeError(f"invert: needs integer or boolean input, got kind {kind!r}")
    return Tensor(np.invert(np.asarray(constant(x))))


def left_shift(x1: Any, x2: Any) -> Tensor:
    """``x1 << x2`` for integers.

    >>> import workbench as wb
    >>> wb.left_shift(1, [1, 3]).numpy()
    array([2, 8])
    """
    return _integer_op("left_shift", x1, x2)


def right_shift(x1: Any, x2: Any) -> Tensor:
    """``x1 >> x2`` for integers.

    >>> import workbench as wb
    >>> wb.right_shift(16, [1, 3]).numpy()
    array([8, 2])
    """
    return _integer_op("right_shift", x1, x2)


def gcd(x1: Any, x2: Any) -> Tensor:
    """The greatest common divisor of integers.

    >>> import workbench as wb
    >>> wb.gcd(12, [8, 9]).numpy()
    array([4, 3])
    """
    return _integer_op("gcd", x1, x2)


def lcm(x1: Any, x2: Any) -> Tensor:
    """The least common multiple of integers.

    >>> import workbench as wb
    >>> wb.lcm(4, [6, 5]).numpy()
    array([12, 20])
    """
    return _integer_op("lcm", x1, x2)

"""A compile target (CPU or CUDA): how arrays are allocated and which rules it overrides."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Target:
    """What differs between targets: array allocation and per-primitive rule overrides."""

    name: str = "cpu"
    overrides: dict[str, Any] = field(default_factory=dict)

    def alloc(self, name: str, size: int, dtype: np.dtype) -> str:
        return f"{name} = np.empty({size}, np.{np.dtype(dtype).name})"


CPU = Target()


def dtype_expr(dtype: Any) -> str:
    """``np.float32`` etc.: the constructor/cast for ``dtype`` in generated code."""
    name = np.dtype(dtype).name
    return "np.bool_" if name == "bool" else f"np.{name}"


def is_weak(value: Any) -> bool:
    """Python numbers take the dtype of what they meet (NumPy's NEP 50 rule)."""
    return type(value) in (int, float, bool)


def native(value: np.ndarray, what: str) -> np.ndarray:
    """``value`` in a dtype compiled code handles (byte-swapped to native order if needed), or a
    ``TypeError`` naming ``what`` and the dtype: compiled kernels compute in bool, integers,
    float32 and float64 only."""
    dt = value.dtype
    if dt.kind not in "biuf" or (dt.kind == "f" and dt.itemsize not in (4, 8)):
        hint = ("cast it to float32 or float64 (x.astype(np.float32)) to compile"
                if dt.kind == "f" else "complex numbers are not supported by wb.function; "
                "split them into real and imaginary parts" if dt.kind == "c"
                else "pass a numeric array")
        raise TypeError(f"wb.function cannot compile {what} of dtype {dt}: it computes in bool, "
                        f"integer, float32 and float64 only; {hint}. Eagerly (outside "
                        "wb.function) this dtype works")
    return value if dt.isnative else value.astype(dt.newbyteorder("="))

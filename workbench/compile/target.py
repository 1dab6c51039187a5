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

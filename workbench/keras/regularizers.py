"""Keras weight regularizers (``L1``, ``L2``, ``L1L2``): penalties that ``layer.losses`` adds up
(``Dense(..., kernel_regularizer=keras.regularizers.l2(1e-3))``)."""

from __future__ import annotations

from typing import Any

from workbench.ops import elementwise as ew
from workbench.ops import reduce


class Regularizer:
    """A callable ``weight -> scalar penalty``."""

    def __call__(self, x: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {}


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x**2)`` (Keras's definition: no factor 1/2).

    >>> import workbench as wb
    >>> float(wb.keras.regularizers.L1L2(l1=0.5, l2=0.1)(wb.constant([1.0, -2.0])))
    2.0
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, x: Any) -> Any:
        total = 0.0
        if self.l1:
            total = ew.add(total, ew.mul(self.l1, reduce.sum(ew.abs(x))))
        if self.l2:
            total = ew.add(total, ew.mul(self.l2, reduce.sum(ew.square(x))))
        return total

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|x|)``."""

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1)


class L2(L1L2):
    """``l2 * sum(x**2)``."""

    def __init__(self, l2: float = 0.01):
        super().__init__(l2=l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """Keras's ``l1_l2`` (both default to 0.01)."""
    return L1L2(l1, l2)


l1, l2 = L1, L2
_NAMES = {"l1": L1, "l2": L2, "l1_l2": l1_l2, "l1l2": l1_l2}


def get(identifier: Any) -> Any:
    """A regularizer from None, a name (``"l2"``) or a callable."""
    if identifier is None or callable(identifier):
        return identifier
    try:
        return _NAMES[str(identifier).lower()]()
    except KeyError:
        raise ValueError(f"unknown regularizer {identifier!r}; use one of {sorted(_NAMES)} "
                         "or a callable") from None


__all__ = ["L1", "L1L2", "L2", "Regularizer", "get", "l1", "l1_l2", "l2"]

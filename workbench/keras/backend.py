"""``keras.backend``'s settings that training scripts call: ``floatx``/``set_floatx`` (the default
float dtype), ``epsilon`` and ``clear_session``."""

from __future__ import annotations

from workbench.dtypes import default_dtype, set_default_dtype


def floatx() -> str:
    """The default float dtype's name (``'float64'`` unless ``set_floatx``/``set_default_dtype``).

    >>> import workbench as wb
    >>> wb.keras.backend.floatx()
    'float64'
    """
    return default_dtype().name


def set_floatx(value: str) -> None:
    """Set the default float dtype (the same setting as ``wb.set_default_dtype``)."""
    set_default_dtype(value)


def epsilon() -> float:
    """The fuzz factor Keras uses in losses and metrics (1e-7)."""
    return 1e-7


def clear_session() -> None:
    """Nothing to clear (no global graph); kept so Keras scripts port unchanged."""


__all__ = ["clear_session", "epsilon", "floatx", "set_floatx"]

"""SymPy, loaded on first use: rule tables name SymPy functions without importing SymPy.

``sympy=sympy.exp`` in an op block is read when the module is imported; through this proxy it
is a deferred name that imports SymPy when the symbolic engine first calls it, so
``import workbench`` stays light. Once SymPy is loaded the proxy hands out the real objects.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


def _sympy() -> Any:
    return sys.modules.get("sympy") or importlib.import_module("sympy")


class _Deferred:
    """``sympy.<name>`` before SymPy is loaded: calling it (or reading an attribute) loads it."""

    __slots__ = ("_name",)

    def __init__(self, name: str):
        self._name = name

    def _resolve(self) -> Any:
        return getattr(_sympy(), self._name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._resolve(), attr)

    def __repr__(self) -> str:
        return f"<sympy.{self._name}, loaded on first use>"


class _LazySympy:
    """Stands for the ``sympy`` module in the op tables."""

    def __getattr__(self, name: str) -> Any:
        module = sys.modules.get("sympy")
        return getattr(module, name) if module is not None else _Deferred(name)


sympy: Any = _LazySympy()

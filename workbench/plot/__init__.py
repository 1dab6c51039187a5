"""Matplotlib helpers for teaching on the public API: derivatives with their closed forms, descent
paths and animations, landscapes, sweeps, training histories and derivation cards.

Importing ``workbench`` never imports this package (nor matplotlib); ``from workbench import plot``
does, and each helper loads its module on first use. Every helper returns the matplotlib Figure
(or Animation) it drew.
"""

from __future__ import annotations

import importlib
from typing import Any

_HOME = {
    "animate_descent": "descent", "plot_descent": "descent", "descent_path": "descent",
    "derivation_card": "card", "plot_derivative": "derivative",
    "plot_history": "history", "plot_lr_sweep": "history",
    "evaluate_landscape": "landscape", "plot_landscape": "landscape",
    "graph_to_dot": "dot", "graph_html": "dot", "chain_rule_table": "table", "save": "script", "script_args": "script",
}

__all__ = sorted(_HOME)  # noqa: PLE0605 - sorted() gives a list


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module 'workbench.plot' has no attribute {name!r}")
    return getattr(importlib.import_module(f"workbench.plot.{_HOME[name]}"), name)


def __dir__() -> list[str]:
    return __all__

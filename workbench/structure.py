"""Flatten nested lists, tuples and dicts of leaves and rebuild them (for targets and sources)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def flatten(tree: Any) -> tuple[list[Any], Callable[[list[Any]], Any]]:
    """Leaves of ``tree`` in order, and a function that rebuilds the structure from new leaves.

    >>> leaves, rebuild = flatten({"b": [1, 2], "a": 3})
    >>> leaves, rebuild([10, 20, 30])
    ([1, 2, 3], {'b': [10, 20], 'a': 30})
    """
    leaves: list[Any] = []

    def walk(node: Any) -> Callable[[Any], Any]:
        if isinstance(node, dict):
            keys = list(node)
            builders = [walk(node[k]) for k in keys]
            return lambda it: type(node)((k, b(it)) for k, b in zip(keys, builders, strict=True))
        if isinstance(node, list | tuple):
            builders = [walk(child) for child in node]
            if hasattr(node, "_fields"):  # namedtuple
                return lambda it: type(node)(*(b(it) for b in builders))
            return lambda it: type(node)(b(it) for b in builders)
        leaves.append(node)
        return lambda it: next(it)

    build = walk(tree)
    return leaves, lambda new: build(iter(new))

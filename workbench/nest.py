"""``wb.nest``: TensorFlow's ``tf.nest`` on nested lists, tuples, namedtuples and dicts (dict
entries in sorted key order, as TensorFlow orders them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["assert_same_structure", "flatten", "is_nested", "map_structure", "pack_sequence_as"]


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a list, tuple or dict (not a leaf)."""
    return isinstance(structure, list | tuple | dict)


def _children(node: Any) -> list[Any]:
    return [node[k] for k in sorted(node)] if isinstance(node, dict) else list(node)


def flatten(structure: Any, expand_composites: bool = False) -> list[Any]:
    """The leaves, depth first (dicts by sorted key).

    >>> import workbench as wb
    >>> wb.nest.flatten({"b": [1, 2], "a": (3,)})
    [3, 1, 2]
    """
    if not is_nested(structure):
        return [structure]
    return [leaf for child in _children(structure) for leaf in flatten(child)]


def _rebuild(node: Any, leaves: Any) -> Any:
    if not is_nested(node):
        return next(leaves)
    if isinstance(node, dict):
        built = {k: _rebuild(node[k], leaves) for k in sorted(node)}
        return type(node)((k, built[k]) for k in node)
    items = [_rebuild(child, leaves) for child in node]
    return type(node)(*items) if hasattr(node, "_fields") else type(node)(items)


def pack_sequence_as(structure: Any, flat_sequence: Any, expand_composites: bool = False) -> Any:
    """``flat_sequence`` arranged as ``structure``.

    >>> import workbench as wb
    >>> wb.nest.pack_sequence_as({"b": [0, 0], "a": 0}, [1, 2, 3])
    {'b': [2, 3], 'a': 1}
    """
    flat = list(flat_sequence)
    n = len(flatten(structure))
    if len(flat) != n:
        raise ValueError(f"pack_sequence_as: the structure has {n} leaves, the sequence "
                         f"{len(flat)} elements")
    return _rebuild(structure, iter(flat))


def assert_same_structure(nest1: Any, nest2: Any, check_types: bool = True) -> None:
    """Raise ``ValueError`` (``TypeError`` for differing types) unless both nest alike."""
    if is_nested(nest1) != is_nested(nest2):
        raise ValueError(f"The two structures don't have the same nested structure: "
                         f"{nest1!r} and {nest2!r}")
    if not is_nested(nest1):
        return
    if check_types and type(nest1) is not type(nest2):
        raise TypeError(f"The two structures don't have the same sequence type: "
                        f"{type(nest1).__name__} and {type(nest2).__name__}")
    if isinstance(nest1, dict) and sorted(nest1) != sorted(nest2):
        raise ValueError(f"The two dictionaries don't have the same keys: {sorted(nest1)} and "
                         f"{sorted(nest2)}")
    a, b = _children(nest1), _children(nest2)
    if len(a) != len(b):
        raise ValueError(f"The two structures don't have the same number of elements: "
                         f"{len(a)} and {len(b)}")
    for x, y in zip(a, b, strict=True):
        assert_same_structure(x, y, check_types)


def map_structure(func: Callable[..., Any], *structure: Any, **kwargs: Any) -> Any:
    """``func`` applied leaf by leaf to structures of one shape.

    >>> import workbench as wb
    >>> wb.nest.map_structure(lambda a, b: a + b, [1, (2,)], [10, (20,)])
    [11, (22,)]
    """
    check_types = kwargs.pop("check_types", True)
    for other in structure[1:]:
        assert_same_structure(structure[0], other, check_types)
    flats = [flatten(s) for s in structure]
    return pack_sequence_as(structure[0], [func(*leaves) for leaves in zip(*flats, strict=True)])

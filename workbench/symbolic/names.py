"""Symbol names: distinct values never share a SymPy symbol (same-named Variables, a user name
that equals an element symbol or a generated one get a suffix, and the renaming is reported)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

#: Names the engine generates itself: program temporaries t1, adjoints a1, CSE s0, constants c0.
GENERATED = re.compile(r"[tasc]\d+")
#: The only names a plain (non-program) translation generates: constants c0, c1, ...
CONSTANTS = re.compile(r"c\d+")
#: Element names are only listed for tensors up to this size (bigger ones are never expanded).
_MAX_LISTED = 100_000


def _element_names(name: str, shape: tuple[int, ...]) -> set[str]:
    size = 1
    for d in shape:
        size *= int(d)
    if not shape or size > _MAX_LISTED:
        return {name}
    out = {name}
    idx = [[]]
    for d in shape:
        idx = [i + [k] for i in idx for k in range(int(d))]
    out.update(f"{name}_" + "_".join(map(str, i)) for i in idx)
    return out


class SymbolNames:
    """Hands out one symbol name per value, renaming ``x`` to ``x_1``, ``x_2``, ... on a clash.

    >>> names = SymbolNames()
    >>> names.claim("x", ()), names.claim("x", ()), names.renamed
    ('x', 'x_1', [('x', 'x_1')])
    >>> names.claim("t1", ())  # t1, a1, s0, c0 are the engine's own names
    't1_1'
    """

    def __init__(self, generated: re.Pattern = GENERATED) -> None:
        self._taken: set[str] = set()
        self._generated = generated
        self.renamed: list[tuple[str, str]] = []

    def claim(self, name: str, shape: tuple[int, ...] = (), generated: bool = False) -> str:
        """A free name for a new value of ``shape`` (``name`` itself when nothing clashes);
        ``generated=True`` for the engine's own names (``c0``), which may use its patterns."""
        shape = tuple(shape)
        cand, k = name, 0
        while self._clashes(cand, shape, generated_ok=generated or k > 0):
            k += 1
            cand = f"{name}_{k}"
        self._taken |= _element_names(cand, shape)
        if cand != name:
            self.renamed.append((name, cand))
        return cand

    def _clashes(self, name: str, shape: tuple[int, ...], generated_ok: bool) -> bool:
        if not generated_ok and self._generated.fullmatch(name):
            return True
        return bool(_element_names(name, shape) & self._taken)

    def note(self) -> str:
        """One sentence naming every renaming ("" if none)."""
        if not self.renamed:
            return ""
        pairs = ", ".join(f"'{old}' shown as {new}" for old, new in self.renamed)
        return (f"symbols renamed so that distinct values never share one: {pairs} (a name "
                "was already taken by another value, an element symbol or a generated name; "
                "give each Variable/constant its own name to avoid this)")


def unique_inputs(inputs: Sequence[tuple[str | None, Any]],
                  shapes: Sequence[tuple[int, ...]]) -> tuple[list[tuple[str, Any]], SymbolNames]:
    """``(name, tensors)`` pairs with unique names (unnamed ones become ``x0, x1, ...``)."""
    names = SymbolNames()
    out = []
    for k, ((name, tensors), shape) in enumerate(zip(inputs, shapes, strict=True)):
        out.append((names.claim(name or f"x{k}", shape), tensors))
    return out, names


def warn_renamed(names: SymbolNames, stacklevel: int = 3) -> None:
    """Say (as a UserWarning) that symbols were renamed, where no result can carry a note."""
    if names.renamed:
        warnings.warn(names.note(), UserWarning, stacklevel=stacklevel)

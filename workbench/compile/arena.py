"""A split driver's buffers laid out in one array per dtype (its arenas): blocks get pointers into
them, and the driver returns the arenas, not one array per output (Numba compiles a driver that
allocates, slices, reshapes and returns dozens of arrays slowly; pointers and one array are cheap).
"""

from __future__ import annotations

import math
import re
from typing import Any

#: Buffers start on 64-byte boundaries (as separate allocations would), for SIMD loads.
ALIGN = 64
#: An allocation line as ``Target.alloc`` writes it: name, size, dtype name.
ALLOC = re.compile(r"^(\w+) = np\.empty\((\d+), np\.(\w+)\)$")
_OUTPUT = re.compile(r"^(\w+)(?:\.reshape\(.*\))?$")


class Arenas:
    """Where each buffer of a driver lives: ``slots[name] = (arena name, offset, size)``."""

    def __init__(self, dtypes: dict[str, int]):
        self.itemsize = dtypes  # dtype name -> bytes: the dtypes that may live in an arena
        self.slots: dict[str, tuple[str, int, int]] = {}
        self.totals: dict[str, int] = {}  # arena name -> elements
        self.dtype: dict[str, str] = {}  # arena name -> dtype name
        self.kept: list[str] = []  # allocations that stay separate arrays
        self.scalars: set[str] = set()  # one-element slots holding 0-d values

    def add(self, line: str, scalar: bool = False) -> None:
        """Place the buffer that the allocation ``line`` makes (or keep the line as it is)."""
        m = ALLOC.match(line)
        if m is None or m.group(3) not in self.itemsize:
            self.kept.append(line)
            return
        name, size, dtype = m.group(1), int(m.group(2)), m.group(3)
        arena = f"arena__{dtype}"
        step = max(1, ALIGN // self.itemsize[dtype])
        start = self.totals.get(arena, 0)
        self.slots[name] = (arena, start, size)
        self.totals[arena] = start + -(-size // step) * step
        self.dtype[arena] = dtype
        if scalar:
            self.scalars.add(name)

    def element(self, name: str) -> str:
        """The driver expression for the first element of buffer ``name`` (a 0-d value's slot)."""
        arena, start, _ = self.slots[name]
        return f"{arena}[{start}]"

    def head(self, lines: list[str], returned: list[str]) -> list[str]:
        """The driver's allocations: its arenas, the separate arrays, and a view of each
        arena buffer that ``lines`` or ``returned`` still name as an array."""
        text = "\n".join(_code(line) for line in lines + returned)
        used = set(re.findall(r"\b\w+\b", text))
        head = [f"{a} = np.empty({max(n, 1)}, np.{self.dtype[a]})" for a, n in self.totals.items()]
        head += self.kept
        for name, (arena, start, size) in self.slots.items():
            if name in used and name not in self.scalars:
                head.append(f"{name} = {arena}[{start}:{start + size}]")
        return head

    def returns(self, exprs: list[str], shapes: list[tuple]) -> tuple[list[str], list[tuple]]:
        """What the driver returns for outputs ``exprs`` (the arenas first, then every output
        not held in an arena) and how to rebuild each output from that tuple (see ``rebuild``).
        """
        arenas = list(self.totals)
        returned, how = list(arenas), []
        for expr, shape in zip(exprs, shapes, strict=True):
            m = _OUTPUT.match(expr)
            slot = self.slots.get(m.group(1)) if m else None
            if slot is None or math.prod(shape) != slot[2] or not shape:
                how.append(("value", len(returned)))
                returned.append(expr)
            else:
                arena, start, size = slot
                how.append(("view", arenas.index(arena), start, size, tuple(shape)))
        return returned, how


def rebuild_exprs(how: list[tuple], result: str, base: int = 0) -> list[str]:
    """Python expressions for each output from the driver's result tuple ``result`` (whose
    part from ``base`` on is what ``Arenas.returns`` listed)."""
    exprs = []
    for entry in how:
        if entry[0] == "value":
            exprs.append(f"{result}[{base + entry[1]}]")
        else:
            _, k, start, size, shape = entry
            view = f"{result}[{base + k}][{start}:{start + size}]"
            exprs.append(view if len(shape) == 1 else f"{view}.reshape({shape!r})")
    return exprs


def rebuild(how: list[tuple], values: Any) -> list[Any]:
    """The outputs from the driver's returned ``values`` (as ``rebuild_exprs``).

    >>> import numpy as np
    >>> rebuild([("view", 0, 2, 4, (2, 2)), ("value", 1)], (np.arange(8.0), 7.0))[0].tolist()
    [[2.0, 3.0], [4.0, 5.0]]
    """
    outs = []
    for entry in how:
        if entry[0] == "value":
            outs.append(values[entry[1]])
        else:
            _, k, start, size, shape = entry
            outs.append(values[k][start:start + size].reshape(shape))
    return outs


def _code(line: str) -> str:
    """``line`` without its comment (generated lines hold no ``#`` inside strings)."""
    return line.split("#", 1)[0]

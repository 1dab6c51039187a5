"""How generated code reads a value: a scalar name, or a strided view into a flat buffer.

Every array in a kernel lives in a flat 1-D buffer; shapes are static, so reshape, transpose,
broadcast and basic indexing are views (new strides, no code) and reads are constant-stride sums.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


def c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Element strides of a C-contiguous array of ``shape``.

    >>> c_strides((2, 3, 4))
    (12, 4, 1)
    """
    strides, step = [], 1
    for d in reversed(shape):
        strides.append(step if d != 1 else 0)
        step *= d
    return tuple(reversed(strides))


@dataclass(frozen=True, slots=True)
class Ref:
    """``name`` is a scalar expression (``strides`` is None) or a flat buffer read as a view."""

    name: str
    shape: tuple[int, ...]
    offset: int = 0
    strides: tuple[int, ...] | None = None

    @property
    def is_scalar(self) -> bool:
        return self.strides is None

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def dense(self) -> bool:
        """True if the view walks its buffer in C order with no gaps (reshape is then free)."""
        if self.strides is None:
            return False
        want = c_strides(self.shape)
        return all(s == w for s, w, d in zip(self.strides, want, self.shape, strict=True) if d != 1)

    def index(self, idx: list[str]) -> str:
        """The element at ``idx`` (trailing indices used; broadcast size-1 axes read index 0)."""
        if self.strides is None:
            return self.name
        idx = idx[len(idx) - len(self.shape):] if self.shape else []
        terms = [str(self.offset)] if self.offset else []
        for i, s, d in zip(idx, self.strides, self.shape, strict=True):
            if s == 0 or d == 1:
                continue
            terms.append(i if s == 1 else f"{i} * {s}")
        return f"{self.name}[{' + '.join(terms) or '0'}]"

    def reshape(self, shape: tuple[int, ...]) -> Ref | None:
        if self.strides is None:
            return Ref(self.name, shape)
        if not self.dense:
            return None
        return Ref(self.name, shape, self.offset, c_strides(shape))

    def broadcast(self, shape: tuple[int, ...]) -> Ref:
        if self.strides is None:
            return Ref(self.name, shape)
        lead = len(shape) - len(self.shape)
        strides = [0] * lead
        for s, d, want in zip(self.strides, self.shape, shape[lead:], strict=True):
            strides.append(0 if d == 1 and want != 1 else s)
        return Ref(self.name, shape, self.offset, tuple(strides))

    def transpose(self, axes: tuple[int, ...]) -> Ref:
        shape = tuple(self.shape[a] for a in axes)
        if self.strides is None:
            return Ref(self.name, shape)
        return Ref(self.name, shape, self.offset, tuple(self.strides[a] for a in axes))

    def physical(self) -> np.ndarray:
        """Buffer position of every element, as an int array of this view's shape."""
        pos = np.full(self.shape, self.offset, dtype=np.int64)
        for axis, (s, d) in enumerate(zip(self.strides or (), self.shape, strict=False)):
            view = [1] * len(self.shape)
            view[axis] = d
            pos = pos + (np.arange(d) * s).reshape(view)
        return pos


def affine_view(name: str, table: np.ndarray) -> Ref | None:
    """A view reading ``name[table[idx]]`` if ``table`` is affine in its indices, else None."""
    if table.size == 0:
        return None
    offset = int(table.flat[0])
    strides = []
    for axis, d in enumerate(table.shape):
        if d == 1:
            strides.append(0)
            continue
        step = np.take(table, 1, axis=axis).flat[0] - offset
        strides.append(int(step))
    ref = Ref(name, table.shape, offset, tuple(strides))
    return ref if np.array_equal(ref.physical(), table) else None

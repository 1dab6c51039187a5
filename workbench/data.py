"""``wb.data.Dataset``: ``tf.data``-shaped input pipelines as plain Python iteration."""

from __future__ import annotations

import itertools
import math
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from workbench.ops import creation
from workbench.tensor import Tensor, constant


def _leaves_map(fn: Callable[[Any], Any], element: Any) -> Any:
    if isinstance(element, tuple):
        return tuple(_leaves_map(fn, e) for e in element)
    if isinstance(element, dict):
        return {k: _leaves_map(fn, v) for k, v in element.items()}
    return fn(element)


def _first_leaf(element: Any) -> Any:
    if isinstance(element, tuple):
        return _first_leaf(element[0])
    if isinstance(element, dict):
        return _first_leaf(next(iter(element.values())))
    return element


class Dataset:
    """A re-iterable sequence of elements (Tensors, or tuples / dicts of them).

    >>> import numpy as np, workbench as wb
    >>> ds = wb.data.Dataset.from_tensor_slices((np.arange(5.0), np.arange(5))).batch(2)
    >>> [(x.shape, y.numpy().tolist()) for x, y in ds]
    [((2,), [0, 1]), ((2,), [2, 3]), ((1,), [4])]
    >>> len(ds)
    3
    """

    def __init__(self, make_iter: Callable[[], Iterator[Any]], length: int | None):
        self._make_iter = make_iter
        self._length = length

    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        """One element per row of ``tensors`` (an array, or a tuple / dict of equal-length ones)."""
        arrays = _leaves_map(lambda t: t.numpy() if isinstance(t, Tensor) else np.asarray(t),
                             tensors if not isinstance(tensors, list) else np.asarray(tensors))
        lengths = set()
        _leaves_map(lambda a: lengths.add(len(a)) if np.ndim(a) else lengths.add(None), arrays)
        if None in lengths:
            raise ValueError("from_tensor_slices needs arrays with at least one axis")
        if len(lengths) != 1:
            raise ValueError(f"from_tensor_slices: all arrays need the same first dimension, "
                             f"got {sorted(lengths)}")
        (n,) = lengths

        def rows(idx: Any) -> Any:
            return _leaves_map(lambda a: constant(a[idx]), arrays)

        return Dataset(lambda: (rows(i) for i in range(n)), n)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._make_iter())

    def __len__(self) -> int:
        if self._length is None:
            raise TypeError("the length of this dataset is unknown")
        return self._length

    def cardinality(self) -> int:
        """The number of elements (-2 if unknown, as ``tf.data.UNKNOWN_CARDINALITY``)."""
        return -2 if self._length is None else self._length

    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        """Stack ``batch_size`` consecutive elements into one (the last may be smaller)."""
        size = int(batch_size)
        if size < 1:
            raise ValueError(f"batch: batch_size must be positive, got {batch_size}")

        def batches() -> Iterator[Any]:
            it = iter(self)
            while True:
                group = list(itertools.islice(it, size))
                if not group or (drop_remainder and len(group) < size):
                    return
                yield _stack(group)

        n = self._length
        length = None if n is None else (n // size if drop_remainder else math.ceil(n / size))
        return Dataset(batches, length)

    def shuffle(self, buffer_size: int, seed: int | None = None,
                reshuffle_each_iteration: bool = True) -> Dataset:
        """Shuffle through a buffer of ``buffer_size`` elements (a new order each pass)."""
        size = int(buffer_size)
        if size < 1:
            raise ValueError(f"shuffle: buffer_size must be positive, got {buffer_size}")
        base = np.random.default_rng(seed) if seed is not None else None
        first = [None]

        def shuffled() -> Iterator[Any]:
            if base is None:
                rng = creation._RNG[0]
            elif reshuffle_each_iteration or first[0] is None:
                rng = first[0] = np.random.default_rng(base.integers(2**63))
            else:
                rng = np.random.default_rng(first[0].bit_generator.seed_seq)
            buffer: list[Any] = []
            for element in self:
                if len(buffer) < size:
                    buffer.append(element)
                    continue
                k = int(rng.integers(size))
                yield buffer[k]
                buffer[k] = element
            while buffer:
                yield buffer.pop(int(rng.integers(len(buffer))))

        return Dataset(shuffled, self._length)

    @staticmethod
    def range(*args: int) -> Dataset:
        """``range(start, stop, step)`` as a Dataset of int64 scalars (``Dataset.range``).

        >>> import workbench as wb
        >>> [int(x) for x in wb.data.Dataset.range(1, 7, 2)]
        [1, 3, 5]
        """
        values = range(*(int(a) for a in args))
        return Dataset(lambda: (constant(np.int64(v)) for v in values), len(values))

    def filter(self, predicate: Callable[..., Any]) -> Dataset:
        """The elements for which ``predicate`` (called as ``map`` calls) is true."""
        def kept() -> Iterator[Any]:
            for e in self:
                if bool(predicate(*e) if isinstance(e, tuple) else predicate(e)):
                    yield e

        return Dataset(kept, None)

    def map(self, fn: Callable[..., Any], num_parallel_calls: Any = None,
            deterministic: Any = None) -> Dataset:
        """Apply ``fn`` to each element (a tuple element is passed as separate arguments);
        ``num_parallel_calls`` is accepted and ignored (iteration is sequential)."""
        def mapped() -> Iterator[Any]:
            for e in self:
                yield fn(*e) if isinstance(e, tuple) else fn(e)

        return Dataset(mapped, self._length)

    def take(self, count: int) -> Dataset:
        """The first ``count`` elements (all of them if ``count`` is -1)."""
        count = int(count)
        if count < 0:
            return self
        n = None if self._length is None else min(self._length, count)
        return Dataset(lambda: itertools.islice(iter(self), count), n)

    def skip(self, count: int) -> Dataset:
        """All but the first ``count`` elements."""
        count = int(count)
        n = None if self._length is None else max(self._length - count, 0)
        return Dataset(lambda: itertools.islice(iter(self), count, None), n)

    def repeat(self, count: int | None = None) -> Dataset:
        """The elements ``count`` times over (forever if None)."""
        def repeated() -> Iterator[Any]:
            for _ in itertools.count() if count is None else range(int(count)):
                yield from self

        n = None if count is None or self._length is None else self._length * int(count)
        return Dataset(repeated, n)

    def prefetch(self, buffer_size: Any = None) -> Dataset:
        """No-op (iteration is synchronous); kept so tf.data pipelines port unchanged."""
        return self

    cache = prefetch

    def as_numpy_iterator(self) -> Iterator[Any]:
        """Iterate with ndarrays instead of Tensors."""
        for e in self:
            yield _leaves_map(lambda t: t.numpy() if isinstance(t, Tensor) else t, e)


def _stack(group: list[Any]) -> Any:
    first = group[0]
    if isinstance(first, tuple):
        return tuple(_stack([g[i] for g in group]) for i in range(len(first)))
    if isinstance(first, dict):
        return {k: _stack([g[k] for g in group]) for k in first}
    return constant(np.stack([g.numpy() if isinstance(g, Tensor) else np.asarray(g)
                              for g in group]))


AUTOTUNE = -1
experimental = types.SimpleNamespace(AUTOTUNE=AUTOTUNE)  # tf.data.experimental.AUTOTUNE

__all__ = ["AUTOTUNE", "Dataset", "experimental"]

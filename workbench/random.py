"""``wb.random``: seeded random tensors, eagerly from NumPy and, inside ``wb.function``, from a
counter-based generator whose state (``KEY``, a Variable) the compiled program carries.

Eagerly, ``uniform``/``normal`` draw from a NumPy generator. While ``wb.function`` traces, each
draw becomes a ``random_uniform`` equation reading ``KEY`` and advancing it by one: the key is
state like any Variable, so every call and every ``repeat`` step draws fresh numbers, and
``set_seed`` then the same sequence of calls gives the same numbers. The two modes use different
generators: the same seed gives reproducible, but not the same, numbers eagerly and compiled.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench import tape_state
from workbench.dtypes import default_dtype
from workbench.ops import creation
from workbench.primitive import NON_DIFFERENTIABLE, NotSupported, defprimitive
from workbench.tensor import Tensor, Variable

__all__ = ["KEY", "normal", "random_uniform_p", "set_key", "set_seed", "shuffle",
           "truncated_normal", "uniform"]

_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB


def random_bits_body(key, i, mantissa):  # pragma: no cover - also runs compiled
    """A uniform number in ``[0, 1)`` with ``mantissa`` random bits, for element ``i`` of the
    draw with ``key``: SplitMix64 of the key, then of the element's counter (a stateless,
    counter-based generator). Plain arithmetic on ``uint64``: the same function runs on NumPy
    arrays (the eager forward), compiled by Numba, and as a CUDA device function."""
    z = np.uint64(key) + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    z = z ^ (z >> np.uint64(31))
    z = z + np.uint64(i) * np.uint64(_GOLDEN) + np.uint64(_GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
    z = z ^ (z >> np.uint64(31))
    return np.float64(z >> np.uint64(64 - mantissa)) * 2.0 ** -mantissa


def _mantissa(dtype: Any) -> int:
    """Random bits per number: what ``dtype`` holds exactly, so a draw never rounds up to 1."""
    return 24 if np.dtype(dtype).itemsize <= 4 else 53


def _uniform_forward(key: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    size = math.prod(shape)
    keys = np.full(size, np.asarray(key), dtype=np.int64)  # arrays: uint64 arithmetic wraps
    counters = np.arange(size, dtype=np.int64)
    values = random_bits_body(keys, counters, _mantissa(dtype))
    return np.asarray(values, dtype=dtype).reshape(shape)


def _uniform_numba(ctx: Any, out: Any, ins: tuple, shape: tuple[int, ...], dtype: Any) -> list[str]:
    key = ctx.read(ins[0], [])
    name = ctx.out(out)
    cast = f"np.{np.dtype(dtype).name}"
    m = _mantissa(dtype)
    if tuple(shape) == ():
        return [f"{name} = {cast}(random_bits({key}, 0, {m}))"]
    k = ctx.fresh("k")
    return [f"for {k} in range({math.prod(shape)}):",
            f"    {name}[{k}] = {cast}(random_bits({key}, {k}, {m}))"]


#: ``random_uniform(key, shape=, dtype=)``: numbers in ``[0, 1)``, a pure function of the key.
#: A random primitive for other ops (dropout...) is this one: read ``KEY``, advance it, draw.
random_uniform_p = defprimitive(
    "random_uniform", _uniform_forward, vjp=NON_DIFFERENTIABLE, kind="creation",
    sympy=NotSupported("random numbers have no closed form"), numba=_uniform_numba,
    register=False)

#: The compiled generator's state: an int64 counter, advanced by one per draw (``set_seed``).
KEY = Variable(np.random.default_rng().integers(0, 2**62), trainable=False, name="wb.random.KEY")


def set_seed(seed: int) -> None:
    """Seed ``wb.random`` (eager and compiled): the same seed gives the same numbers.

    >>> import workbench as wb
    >>> wb.random.set_seed(0); a = wb.random.normal((2,)).numpy()
    >>> wb.random.set_seed(0); bool((a == wb.random.normal((2,)).numpy()).all())
    True
    """
    creation.set_seed(seed)
    set_key(int(np.random.default_rng(seed).integers(0, 2**62)))  # far apart for each seed


def set_key(key: int) -> None:
    """Set the compiled generator's state ``KEY`` (not recorded by any tape).

    >>> import workbench as wb
    >>> wb.random.set_key(7); int(wb.random.KEY.numpy())
    7
    """
    KEY._value = np.asarray(key, dtype=np.int64)
    KEY._snapshot = Tensor(KEY._value, KEY.name)


def compiling() -> bool:
    """Whether a ``wb.function`` trace is recording (random draws then come from ``KEY``)."""
    return any(getattr(tape, "compiles", False) for tape in tape_state.ACTIVE.get())


def _draw(shape: Any, dtype: Any) -> Tensor:
    """A ``random_uniform`` draw with the current key; the key advances (traced as state)."""
    key = KEY.read_value()
    KEY.assign_add(1)
    shape = (int(shape),) if np.ndim(shape) == 0 else tuple(int(d) for d in shape)
    return random_uniform_p(key, shape=shape, dtype=np.dtype(dtype))


def uniform(shape: Any = (), minval: float = 0.0, maxval: float = 1.0, dtype: Any = None,
            seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples from a uniform distribution on ``[minval, maxval)`` (fresh on every compiled call).
    TensorFlow's per-op ``seed`` is accepted and ignored: ``set_seed`` makes runs reproducible.

    >>> import workbench as wb
    >>> u = wb.random.uniform((3,)).numpy()
    >>> bool(((u >= 0.0) & (u < 1.0)).all())
    True
    """
    if not compiling():
        return creation.uniform(shape, minval, maxval, dtype)
    dtype = default_dtype() if dtype is None else np.dtype(dtype)
    return _draw(shape, dtype) * (maxval - minval) + minval


def normal(shape: Any = (), mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
           seed: int | None = None, name: str | None = None) -> Tensor:
    """Samples from a normal distribution (compiled: Box-Muller on two uniform draws); the
    per-op ``seed`` is accepted and ignored, as in ``uniform``.

    >>> import workbench as wb
    >>> wb.random.normal((2, 3)).shape
    (2, 3)
    """
    if not compiling():
        return creation.normal(shape, mean, stddev, dtype)
    from workbench.ops import elementwise as ew

    dtype = default_dtype() if dtype is None else np.dtype(dtype)
    u1, u2 = _draw(shape, dtype), _draw(shape, dtype)
    radius = ew.sqrt(-2.0 * ew.log(1.0 - u1))
    return radius * ew.cos((2 * math.pi) * u2) * stddev + mean


def truncated_normal(shape: Any = (), mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: int | None = None, name: str | None = None) -> Tensor:
    """Normal samples redrawn until within two ``stddev`` of ``mean`` (``tf.random.truncated_normal``;
    eager only).

    >>> import workbench as wb
    >>> bool((abs(wb.random.truncated_normal((100,)).numpy()) <= 2.0).all())
    True
    """
    if compiling():
        raise NotImplementedError("wb.random.truncated_normal inside wb.function: draw it "
                                  "outside (e.g. as an initial value) or use wb.random.normal")
    values = creation.normal(shape, 0.0, 1.0, np.float64).numpy()
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = creation.normal(int(outside.sum()), 0.0, 1.0, np.float64).numpy()
        outside = np.abs(values) > 2.0
    dtype = default_dtype() if dtype is None else np.dtype(dtype)
    return Tensor((values * stddev + mean).astype(dtype))


def shuffle(value: Any, seed: int | None = None, name: str | None = None) -> Tensor:
    """``value`` with its first axis in a random order (``tf.random.shuffle``; eager only;
    the gradient follows the permutation).

    >>> import workbench as wb
    >>> sorted(wb.random.shuffle(wb.constant([1.0, 2.0, 3.0])).numpy().tolist())
    [1.0, 2.0, 3.0]
    """
    from workbench.ops import indexing

    if compiling():
        raise NotImplementedError("wb.random.shuffle inside wb.function: shuffle the data "
                                  "outside (e.g. with wb.data.Dataset.shuffle)")
    n = int(np.shape(value._value if isinstance(value, Tensor) else value)[0])
    order = np.argsort(creation.uniform(n, 0.0, 1.0, np.float64).numpy(), kind="stable")
    return indexing.gather(value, order, axis=0)

"""Keras weight initializers: callables ``init(shape, dtype)`` drawing from ``wb.random``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.dtypes import default_dtype
from workbench.ops import creation


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """Keras's fan-in and fan-out: a Dense kernel (in, out); a conv kernel (h, w, in, out)."""
    if len(shape) < 1:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: ``init(shape, dtype=None)`` returns an array of that shape."""

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = tuple(int(d) for d in shape)
        return np.asarray(self.sample(shape), dtype=dtype or default_dtype())

    def sample(self, shape: tuple[int, ...]) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return dict(vars(self))


class Zeros(Initializer):
    """All zeros."""

    def sample(self, shape):
        return np.zeros(shape)


class Ones(Initializer):
    """All ones."""

    def sample(self, shape):
        return np.ones(shape)


class Constant(Initializer):
    """Every element ``value``.

    >>> Constant(0.5)((2,)).tolist()
    [0.5, 0.5]
    """

    def __init__(self, value: float = 0.0):
        self.value = value

    def sample(self, shape):
        return np.full(shape, self.value)


class RandomNormal(Initializer):
    """Normal samples with ``mean`` and ``stddev``."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev, self.seed = mean, stddev, seed

    def sample(self, shape):
        return _rng(self.seed).normal(self.mean, self.stddev, shape)


class RandomUniform(Initializer):
    """Uniform samples on ``[minval, maxval)``."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval, self.maxval, self.seed = minval, maxval, seed

    def sample(self, shape):
        return _rng(self.seed).uniform(self.minval, self.maxval, shape)


class GlorotUniform(Initializer):
    """Uniform on ``±sqrt(6 / (fan_in + fan_out))`` (Keras's default kernel initializer).

    >>> w = GlorotUniform(seed=0)((300, 100))
    >>> bool(abs(w).max() <= (6 / 400) ** 0.5)
    True
    """

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def sample(self, shape):
        fan_in, fan_out = _fans(shape)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return _rng(self.seed).uniform(-limit, limit, shape)


class HeNormal(Initializer):
    """Truncated normal (at two deviations) with standard deviation ``sqrt(2 / fan_in)``."""

    def __init__(self, seed: int | None = None):
        self.seed = seed

    def sample(self, shape):
        fan_in, _ = _fans(shape)
        # 0.8796... is the standard deviation of a unit normal truncated to [-2, 2]
        return _truncated(_rng(self.seed), shape) * math.sqrt(2.0 / fan_in) / 0.87962566103423978


def _truncated(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    out = rng.normal(size=shape)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = rng.normal(size=int(bad.sum()))
        bad = np.abs(out) > 2.0
    return out


def _rng(seed: int | None) -> np.random.Generator:
    return creation._RNG[0] if seed is None else np.random.default_rng(seed)


_NAMES = {"zeros": Zeros, "ones": Ones, "random_normal": RandomNormal,
          "random_uniform": RandomUniform, "uniform": RandomUniform,
          "normal": RandomNormal, "glorot_uniform": GlorotUniform,
          "he_normal": HeNormal}


def get(identifier: Any) -> Initializer:
    """An initializer from a name (``"glorot_uniform"``), a class, or an instance.

    >>> type(get("zeros")).__name__
    'Zeros'
    """
    if isinstance(identifier, str):
        try:
            return _NAMES[identifier.lower()]()
        except KeyError:
            raise ValueError(f"unknown initializer {identifier!r}; known: "
                             f"{sorted(_NAMES)}") from None
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"cannot use {identifier!r} as an initializer")


glorot_uniform, he_normal, zeros, ones = GlorotUniform, HeNormal, Zeros, Ones

__all__ = ["Constant", "GlorotUniform", "HeNormal", "Initializer", "Ones", "RandomNormal",
           "RandomUniform", "Zeros", "get"]

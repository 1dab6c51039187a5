"""Keras layers that move or pad values (ZeroPadding2D, Cropping2D, UpSampling2D, RepeatVector,
Permute) and the training-time noise layers (GaussianNoise, GaussianDropout)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench import random as wb_random
from workbench.keras.layer import Layer
from workbench.ops import elementwise as ew
from workbench.ops import shape
from workbench.ops.arrays import pad
from workbench.tensor import Tensor


def _pairs(value: Any, name: str, layer: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """``((top, bottom), (left, right))`` from an int, a pair (symmetric), or two pairs."""
    if isinstance(value, int | np.integer):
        return ((int(value),) * 2,) * 2
    value = tuple(value)
    if len(value) == 2 and all(isinstance(v, int | np.integer) for v in value):
        return ((int(value[0]),) * 2, (int(value[1]),) * 2)
    if len(value) == 2 and all(len(tuple(v)) == 2 for v in value):
        (a, b), (c, d) = value
        return ((int(a), int(b)), (int(c), int(d)))
    raise ValueError(f"{layer}: {name} must be an int, a pair of ints, or a pair of pairs, got "
                     f"{value!r}")


def _image(layer: Layer, x: Tensor) -> None:
    if x.ndim != 4:
        raise ValueError(f"{type(layer).__name__} expects NHWC images (rank 4), got shape "
                         f"{tuple(x.shape)}")


def _channels_last(data_format: str | None, layer: str) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{layer}: only data_format='channels_last' is supported, got "
                         f"{data_format!r}")


class ZeroPadding2D(Layer):
    """Zeros around NHWC images: ``padding`` is an int, (rows, cols), or
    ((top, bottom), (left, right)).

    >>> import workbench as wb
    >>> ZeroPadding2D(((1, 0), (2, 1)))(wb.ones((1, 2, 2, 3))).shape
    (1, 3, 5, 3)
    """

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        _channels_last(data_format, "ZeroPadding2D")
        self.padding = _pairs(padding, "padding", "ZeroPadding2D")

    def call(self, inputs):
        _image(self, inputs)
        return pad(inputs, [(0, 0), *self.padding, (0, 0)])

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class Cropping2D(Layer):
    """Remove rows and columns at the borders of NHWC images (``cropping`` as ZeroPadding2D's
    ``padding``).

    >>> import workbench as wb
    >>> Cropping2D(((1, 0), (0, 2)))(wb.ones((1, 4, 5, 3))).shape
    (1, 3, 3, 3)
    """

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        _channels_last(data_format, "Cropping2D")
        self.cropping = _pairs(cropping, "cropping", "Cropping2D")

    def call(self, inputs):
        _image(self, inputs)
        (top, bottom), (left, right) = self.cropping
        h, w = inputs.shape[1:3]
        if top + bottom >= h or left + right >= w:
            raise ValueError(f"Cropping2D: cropping {self.cropping} leaves nothing of images "
                             f"of size {h}x{w}")
        return inputs[:, top:h - bottom, left:w - right, :]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class UpSampling2D(Layer):
    """Repeat each row ``size[0]`` times and each column ``size[1]`` times (nearest
    neighbour) in NHWC images.

    >>> import workbench as wb
    >>> UpSampling2D(2)(wb.constant([[[[1.0], [2.0]]]])).numpy()[0, :, :, 0]
    array([[1., 1., 2., 2.],
           [1., 1., 2., 2.]])
    """

    def __init__(self, size: Any = (2, 2), data_format: str | None = None,
                 interpolation: str = "nearest", **kwargs: Any):
        super().__init__(**kwargs)
        _channels_last(data_format, "UpSampling2D")
        if interpolation != "nearest":
            raise NotImplementedError(f"UpSampling2D: only interpolation='nearest' is "
                                      f"supported, got {interpolation!r}")
        size = (size, size) if isinstance(size, int | np.integer) else tuple(size)
        self.size = (int(size[0]), int(size[1]))
        self.interpolation = interpolation

    def call(self, inputs):
        _image(self, inputs)
        n, h, w, c = inputs.shape
        sh_, sw = self.size
        grid = shape.broadcast_to(shape.reshape(inputs, (n, h, 1, w, 1, c)),
                                  (n, h, sh_, w, sw, c))
        return shape.reshape(grid, (n, h * sh_, w * sw, c))

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": self.interpolation}


class RepeatVector(Layer):
    """(batch, features) to (batch, n, features), the vector repeated ``n`` times.

    >>> import workbench as wb
    >>> RepeatVector(3)(wb.ones((2, 4))).shape
    (2, 3, 4)
    """

    def __init__(self, n: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.n = int(n)

    def call(self, inputs):
        if inputs.ndim != 2:
            raise ValueError(f"RepeatVector expects inputs of rank 2 (batch, features), got "
                             f"shape {tuple(inputs.shape)}")
        b, f = inputs.shape
        return shape.broadcast_to(shape.reshape(inputs, (b, 1, f)), (b, self.n, f))

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Permute(Layer):
    """Permute the non-batch axes: ``dims`` counts them from 1 (``(2, 1)`` swaps the two).

    >>> import workbench as wb
    >>> Permute((2, 1))(wb.ones((5, 3, 4))).shape
    (5, 4, 3)
    """

    def __init__(self, dims: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(self.dims)}, got "
                             f"{self.dims}")

    def call(self, inputs):
        if inputs.ndim != len(self.dims) + 1:
            raise ValueError(f"Permute{self.dims} expects inputs of rank {len(self.dims) + 1}, "
                             f"got shape {tuple(inputs.shape)}")
        return shape.transpose(inputs, (0, *self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class GaussianNoise(Layer):
    """While training, add zero-mean normal noise of ``stddev``; identity otherwise."""

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.stddev, self.seed = float(stddev), seed

    def call(self, inputs, training=False):
        if not training or self.stddev == 0.0:
            return inputs
        return ew.add(inputs, wb_random.normal(inputs.shape, 0.0, self.stddev,
                                               dtype=inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """While training, multiply by normal noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))``; identity otherwise."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"GaussianDropout: rate must be in [0, 1), got {rate}")
        self.rate, self.seed = float(rate), seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        std = math.sqrt(self.rate / (1.0 - self.rate))
        return ew.mul(inputs, wb_random.normal(inputs.shape, 1.0, std, dtype=inputs.dtype))

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


__all__ = ["Cropping2D", "GaussianDropout", "GaussianNoise", "Permute", "RepeatVector",
           "UpSampling2D", "ZeroPadding2D"]

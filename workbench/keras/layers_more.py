"""More Keras layers on workbench ops: LayerNormalization, Embedding, Conv1D, 1-D and global
pooling, and the activation layers LeakyReLU, ELU and PReLU."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.keras import activations
from workbench.keras.layer import Layer
from workbench.ops import conv, nn, shape
from workbench.ops import elementwise as ew
from workbench.ops import reduce as red
from workbench.ops.arrays import pad
from workbench.ops.nn_more import conv1d
from workbench.tensor import Tensor
from workbench.tf_more import moments


def _one(value: Any, name: str, layer: str) -> int:
    """An int from an int or a 1-tuple (Keras's 1-D arguments)."""
    values = (value,) if isinstance(value, int | np.integer) else tuple(value)
    if len(values) != 1:
        raise ValueError(f"{layer}: {name} must be an int or a 1-tuple, got {value!r}")
    return int(values[0])


def _rank(layer: Layer, x: Tensor, rank: int, what: str) -> None:
    if x.ndim != rank:
        raise ValueError(f"{type(layer).__name__} expects inputs of rank {rank} ({what}), got "
                         f"shape {tuple(x.shape)}")


def _channels_last(data_format: str | None, layer: str) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(f"{layer}: only data_format='channels_last' is supported, got "
                         f"{data_format!r}")


def _name_of(obj: Any) -> Any:
    """A config value for an initializer or regularizer: its name, its config, or None."""
    if obj is None or isinstance(obj, str):
        return obj
    return obj.get_config() if hasattr(obj, "get_config") else obj


class LayerNormalization(Layer):
    """Normalize each example over ``axis`` (the last by default) with its own mean and
    variance, then scale by ``gamma`` and shift by ``beta`` (weights over ``axis``).

    >>> import workbench as wb
    >>> ln = LayerNormalization(epsilon=0.0)
    >>> ln(wb.constant([[1.0, 3.0], [2.0, 6.0]])).numpy()
    array([[-1.,  1.],
           [-1.,  1.]])
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis if isinstance(axis, int) else tuple(int(a) for a in axis)
        self.epsilon, self.center, self.scale = float(epsilon), bool(center), bool(scale)
        self.beta_initializer, self.gamma_initializer = beta_initializer, gamma_initializer
        self.beta_regularizer, self.gamma_regularizer = beta_regularizer, gamma_regularizer

    def _axes(self, ndim: int) -> tuple[int, ...]:
        axes = (self.axis,) if isinstance(self.axis, int) else self.axis
        for a in axes:
            if not -ndim <= a < ndim or a % ndim == 0:
                raise ValueError(f"LayerNormalization: axis {a} is out of range or the batch "
                                 f"axis for inputs of rank {ndim}")
        return tuple(sorted(a % ndim for a in axes))

    def build(self, input_shape):
        axes = self._axes(len(input_shape))
        size = tuple(input_shape[a] for a in axes)
        self.gamma = self.add_weight("gamma", size, self.gamma_initializer,
                                     regularizer=self.gamma_regularizer) if self.scale else None
        self.beta = self.add_weight("beta", size, self.beta_initializer,
                                    regularizer=self.beta_regularizer) if self.center else None

    def call(self, inputs):
        axes = self._axes(inputs.ndim)
        mean, variance = moments(inputs, list(axes), keepdims=True)
        y = ew.mul(ew.sub(inputs, mean), ew.div(1.0, ew.sqrt(ew.add(variance, self.epsilon))))
        along = [inputs.shape[a] if a in axes else 1 for a in range(inputs.ndim)]
        if self.gamma is not None:
            y = ew.mul(y, shape.reshape(self.gamma, along))
        if self.beta is not None:
            y = ew.add(y, shape.reshape(self.beta, along))
        return y

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale,
                "beta_initializer": _name_of(self.beta_initializer),
                "gamma_initializer": _name_of(self.gamma_initializer)}


class Embedding(Layer):
    """Rows of an ``(input_dim, output_dim)`` table at integer indices; the gradient adds into
    the rows used.

    >>> import workbench as wb
    >>> emb = Embedding(10, 3)
    >>> emb(wb.constant([[1, 2, 2]])).shape, emb.count_params()
    ((1, 3, 3), 30)
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, mask_zero: bool = False,
                 input_length: int | None = None, **kwargs: Any):
        if mask_zero:
            raise NotImplementedError("Embedding: mask_zero=True (masking) is not supported")
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = embeddings_initializer
        self.embeddings_regularizer = embeddings_regularizer
        self.input_length = input_length

    def _cast(self, x: Any) -> Any:
        return x  # indices stay integers

    def build(self, input_shape):
        self.embeddings = self.add_weight("embeddings", (self.input_dim, self.output_dim),
                                          self.embeddings_initializer,
                                          regularizer=self.embeddings_regularizer)

    def call(self, inputs):
        idx = np.asarray(inputs.numpy() if isinstance(inputs, Tensor) else inputs)
        if idx.dtype.kind == "f":
            if not np.all(idx == np.round(idx)):
                raise TypeError("Embedding: the inputs must be integer indices, got "
                                "non-integer floats")
            idx = idx.astype(np.int64)
        if idx.size and (idx.min() < 0 or idx.max() >= self.input_dim):
            raise ValueError(f"Embedding: indices must be in [0, {self.input_dim}), got values "
                             f"from {idx.min()} to {idx.max()}")
        return shape.getitem(self.embeddings, (idx,))

    def get_config(self):
        return {**super().get_config(), "input_dim": self.input_dim,
                "output_dim": self.output_dim,
                "embeddings_initializer": _name_of(self.embeddings_initializer)}


class Conv1D(Layer):
    """1-D convolution on (batch, steps, channels) with a (kernel_size, in, filters) kernel;
    ``padding`` is "valid", "same" or "causal" (zeros on the left only).

    >>> import workbench as wb
    >>> layer = Conv1D(4, 3, padding="causal")
    >>> layer(wb.ones((2, 7, 5))).shape, layer.count_params()
    ((2, 7, 4), 64)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: str | None = None, dilation_rate: Any = 1, groups: int = 1,
                 activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        _channels_last(data_format, "Conv1D")
        if groups != 1:
            raise NotImplementedError("Conv1D: groups > 1 is not supported")
        if padding.lower() not in ("valid", "same", "causal"):
            raise ValueError(f"Conv1D: padding must be 'valid', 'same' or 'causal', got "
                             f"{padding!r}")
        self.filters = int(filters)
        self.kernel_size = _one(kernel_size, "kernel_size", "Conv1D")
        self.strides = _one(strides, "strides", "Conv1D")
        self.dilation_rate = _one(dilation_rate, "dilation_rate", "Conv1D")
        self.padding = padding.lower()
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (self.kernel_size, input_shape[-1], self.filters),
                                      self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def call(self, inputs):
        _rank(self, inputs, 3, "batch, steps, channels")
        x, padding = inputs, self.padding
        if padding == "causal":
            left = self.dilation_rate * (self.kernel_size - 1)
            x = pad(x, [(0, 0), (left, 0), (0, 0)]) if left else x
            padding = "valid"
        y = conv1d(x, self.kernel, self.strides, padding.upper(), dilations=self.dilation_rate)
        return self.activation(ew.add(y, self.bias) if self.bias is not None else y)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": (self.kernel_size,), "strides": (self.strides,),
                "padding": self.padding, "dilation_rate": (self.dilation_rate,),
                "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
                "kernel_initializer": _name_of(self.kernel_initializer),
                "bias_initializer": _name_of(self.bias_initializer)}


class _Pooling1D(Layer):
    op = staticmethod(conv.max_pool2d)

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        _channels_last(data_format, type(self).__name__)
        self.pool_size = _one(pool_size, "pool_size", type(self).__name__)
        self.strides = self.pool_size if strides is None else \
            _one(strides, "strides", type(self).__name__)
        self.padding = padding.lower()

    def call(self, inputs):
        _rank(self, inputs, 3, "batch, steps, channels")
        y = type(self).op(shape.expand_dims(inputs, 1), (1, self.pool_size), (1, self.strides),
                          self.padding.upper())
        return shape.squeeze(y, 1)

    def get_config(self):
        return {**super().get_config(), "pool_size": (self.pool_size,),
                "strides": (self.strides,), "padding": self.padding}


class MaxPooling1D(_Pooling1D):
    """Max over windows of ``pool_size`` steps (stride ``pool_size`` unless given).

    >>> import workbench as wb
    >>> MaxPooling1D(2)(wb.constant([[[1.0], [3.0], [2.0], [0.0]]])).numpy().ravel()
    array([3., 2.])
    """

    op = staticmethod(conv.max_pool2d)


class AveragePooling1D(_Pooling1D):
    """Mean over windows of ``pool_size`` steps (stride ``pool_size`` unless given)."""

    op = staticmethod(conv.avg_pool2d)


class _GlobalPooling(Layer):
    rank = 3
    reduce = staticmethod(red.mean)

    def __init__(self, data_format: str | None = None, keepdims: bool = False, **kwargs: Any):
        super().__init__(**kwargs)
        _channels_last(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def call(self, inputs):
        _rank(self, inputs, self.rank, "batch, ..., channels")
        axes = tuple(range(1, self.rank - 1))
        return type(self).reduce(inputs, axis=axes, keepdims=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps of (batch, steps, channels).

    >>> import workbench as wb
    >>> GlobalAveragePooling1D()(wb.ones((2, 5, 3))).shape
    (2, 3)
    """


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps of (batch, steps, channels)."""

    reduce = staticmethod(red.max)


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over height and width of NHWC images."""

    rank = 4


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over height and width of NHWC images."""

    rank, reduce = 4, staticmethod(red.max)


class LeakyReLU(Layer):
    """``x`` for x > 0, ``negative_slope * x`` otherwise (Keras's layer default 0.3; the old
    name ``alpha`` is accepted).

    >>> import workbench as wb
    >>> LeakyReLU()(wb.constant([-1.0, 2.0])).numpy()
    array([-0.3,  2. ])
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any):
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        if float(negative_slope) < 0:
            raise ValueError(f"LeakyReLU: negative_slope must be >= 0, got {negative_slope}")
        self.negative_slope = float(negative_slope)

    def call(self, inputs):
        return nn.leaky_relu(inputs, alpha=self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """``x`` for x > 0, ``alpha (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha = float(alpha)

    def call(self, inputs):
        return nn.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class PReLU(Layer):
    """``x`` for x > 0, ``alpha * x`` otherwise, with a learned ``alpha`` per input element
    (one per group along ``shared_axes``, 1-based axes without the batch axis).

    >>> import workbench as wb
    >>> layer = PReLU(shared_axes=[1, 2])
    >>> layer(wb.ones((1, 4, 4, 3))).shape, layer.alpha.shape
    ((1, 4, 4, 3), (1, 1, 3))
    """

    def __init__(self, alpha_initializer: Any = "zeros", alpha_regularizer: Any = None,
                 shared_axes: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.alpha_initializer, self.alpha_regularizer = alpha_initializer, alpha_regularizer
        self.shared_axes = None if shared_axes is None else \
            tuple(int(a) for a in np.atleast_1d(shared_axes))

    def build(self, input_shape):
        size = list(input_shape[1:])
        for a in self.shared_axes or ():
            if not 1 <= a <= len(size):
                raise ValueError(f"PReLU: shared axis {a} is out of range for inputs of shape "
                                 f"{tuple(input_shape)} (axes count from 1, after the batch)")
            size[a - 1] = 1
        self.alpha = self.add_weight("alpha", tuple(size), self.alpha_initializer,
                                     regularizer=self.alpha_regularizer)

    def call(self, inputs):
        return ew.sub(nn.relu(inputs), ew.mul(self.alpha, nn.relu(ew.neg(inputs))))

    def get_config(self):
        return {**super().get_config(), "alpha_initializer": _name_of(self.alpha_initializer),
                "shared_axes": None if self.shared_axes is None else list(self.shared_axes)}


__all__ = ["ELU", "AveragePooling1D", "Conv1D", "Embedding", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
           "LayerNormalization", "LeakyReLU", "MaxPooling1D", "PReLU"]

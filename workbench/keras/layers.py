"""Keras layers on workbench ops: Dense, Conv2D, pooling, Flatten, Dropout, BatchNormalization,
Activation, Input; the others (``layers_more``, ``layers_shape``, ``merging``) re-exported."""

from __future__ import annotations

import math
from typing import Any

from workbench.keras import activations
from workbench.keras.layer import KerasTensor, Layer
from workbench.keras.layers_more import (
    ELU,
    AveragePooling1D,
    Conv1D,
    Embedding,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    LayerNormalization,
    LeakyReLU,
    MaxPooling1D,
    PReLU,
)
from workbench.keras.layers_shape import (
    Cropping2D,
    GaussianDropout,
    GaussianNoise,
    Permute,
    RepeatVector,
    UpSampling2D,
    ZeroPadding2D,
)
from workbench.keras.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from workbench.ops import conv, linalg, nn, shape
from workbench.ops import elementwise as ew
from workbench.tf_more import moments


def _pair(value: Any) -> tuple[int, int]:
    return (int(value), int(value)) if isinstance(value, int) else tuple(int(v) for v in value)


class Dense(Layer):
    """``activation(x @ kernel + bias)``.

    >>> import workbench as wb
    >>> layer = wb.keras.layers.Dense(4)
    >>> layer(wb.ones((2, 3))).shape, layer.count_params()
    ((2, 4), 16)
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units),
                                      self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.units,), self.bias_initializer,
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def call(self, inputs):
        y = linalg.matmul(inputs, self.kernel)
        return self.activation(ew.add(y, self.bias) if self.bias is not None else y)


class Conv2D(Layer):
    """2-D convolution on NHWC images with an (h, w, in, filters) kernel (``wb.nn.conv2d``).

    >>> import workbench as wb
    >>> layer = wb.keras.layers.Conv2D(8, 3, padding="same")
    >>> layer(wb.ones((1, 5, 5, 2))).shape, layer.count_params()
    ((1, 5, 5, 8), 152)
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = (1, 1),
                 padding: str = "valid", dilation_rate: Any = (1, 1), activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", data_format: str | None = None,
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        if data_format not in (None, "channels_last"):
            raise ValueError(f"Conv2D: only data_format='channels_last' is supported, "
                             f"got {data_format!r}")
        self.filters, self.kernel_size = int(filters), _pair(kernel_size)
        self.strides, self.padding = _pair(strides), padding
        self.dilation_rate = _pair(dilation_rate)
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", self.kernel_size + (input_shape[-1], self.filters),
                                      self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.bias = self.add_weight("bias", (self.filters,), self.bias_initializer,
                                    regularizer=self.bias_regularizer) if self.use_bias else None

    def call(self, inputs):
        y = conv.conv2d(inputs, self.kernel, self.strides, self.padding,
                        dilations=self.dilation_rate)
        return self.activation(ew.add(y, self.bias) if self.bias is not None else y)


class _Pooling2D(Layer):
    op = staticmethod(conv.max_pool2d)

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid",
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.pool_size = _pair(pool_size)
        self.strides = self.pool_size if strides is None else _pair(strides)
        self.padding = padding

    def call(self, inputs):
        return type(self).op(inputs, self.pool_size, self.strides, self.padding)


class MaxPooling2D(_Pooling2D):
    """Max over ``pool_size`` windows (stride ``pool_size`` unless given).

    >>> import workbench as wb
    >>> wb.keras.layers.MaxPooling2D(2)(wb.ones((1, 5, 5, 3))).shape
    (1, 2, 2, 3)
    """

    op = staticmethod(conv.max_pool2d)


class AveragePooling2D(_Pooling2D):
    """Mean over ``pool_size`` windows (stride ``pool_size`` unless given)."""

    op = staticmethod(conv.avg_pool2d)


class Flatten(Layer):
    """Reshape to (batch, everything else).

    >>> import workbench as wb
    >>> wb.keras.layers.Flatten()(wb.ones((2, 3, 4))).shape
    (2, 12)
    """

    def call(self, inputs):
        return shape.reshape(inputs, (inputs.shape[0], math.prod(inputs.shape[1:])))


class Dropout(Layer):
    """Drop inputs with probability ``rate`` while training (``training=True``); identity otherwise.

    >>> import workbench as wb
    >>> layer = wb.keras.layers.Dropout(0.5)
    >>> bool((layer(wb.ones((4,))).numpy() == 1.0).all())
    True
    """

    def __init__(self, rate: float, noise_shape: Any = None, seed: int | None = None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        if not 0.0 <= float(rate) < 1.0:
            raise ValueError(f"Dropout: rate must be in [0, 1), got {rate}")
        self.rate, self.noise_shape, self.seed = float(rate), noise_shape, seed

    def call(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        return conv.dropout(inputs, self.rate, self.noise_shape, self.seed)


class Activation(Layer):
    """Apply an activation (a name such as ``"relu"`` or a callable)."""

    def __init__(self, activation: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)


class Softmax(Layer):
    """``softmax`` over ``axis`` (the beginners' quickstart's ``probability_model``)."""

    def __init__(self, axis: int = -1, **kwargs: Any):
        super().__init__(**kwargs)
        self.axis = axis

    def call(self, inputs):
        return nn.softmax(inputs, axis=self.axis)


class ReLU(Layer):
    """``relu`` as a layer."""

    def call(self, inputs):
        return nn.relu(inputs)


class Reshape(Layer):
    """Reshape each example to ``target_shape`` (the batch axis is kept; -1 is inferred).

    >>> import workbench as wb
    >>> wb.keras.layers.Reshape((3, 2))(wb.ones((4, 6))).shape
    (4, 3, 2)
    """

    def __init__(self, target_shape: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.target_shape = tuple(target_shape)

    def call(self, inputs):
        return shape.reshape(inputs, (inputs.shape[0],) + self.target_shape)


class Lambda(Layer):
    """Wrap a function of the inputs (written in workbench ops) as a layer."""

    def __init__(self, function: Any, **kwargs: Any):
        super().__init__(**kwargs)
        self.function = function

    def call(self, inputs):
        return self.function(inputs)


class InputLayer(Layer):
    """Declares the input shape (without the batch axis) of a model."""

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 name: str | None = None, input_shape: Any = None):
        shape = input_shape if shape is None else shape
        if shape is None:
            raise ValueError("Input needs shape=(...) without the batch axis, e.g. (28, 28, 1)")
        super().__init__(name=name, dtype=dtype, input_shape=tuple(shape))
        self.shape = (batch_size,) + tuple(shape)
        self.output_shape = (None,) + tuple(shape)
        self.built = True

    def call(self, inputs):
        return inputs


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,
          name: str | None = None) -> KerasTensor:
    """``keras.Input``: a symbolic batch that starts a functional model or a ``Sequential``.

    >>> import workbench as wb
    >>> inputs = wb.keras.Input(shape=(3,))
    >>> outputs = wb.keras.layers.Dense(2)(wb.keras.layers.Dense(4, activation="relu")(inputs))
    >>> model = wb.keras.Model(inputs=inputs, outputs=outputs)
    >>> model.count_params(), model(wb.ones((5, 3))).shape
    (26, (5, 2))
    """
    layer = InputLayer(shape, batch_size, dtype, name)
    return KerasTensor(layer.output_shape, layer)


__all__ = [
    "ELU",
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Cropping2D",
    "Dense",
    "Dropout",
    "Embedding",
    "Flatten",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Minimum",
    "Multiply",
    "PReLU",
    "Permute",
    "ReLU",
    "RepeatVector",
    "Reshape",
    "Softmax",
    "Subtract",
    "UpSampling2D",
    "ZeroPadding2D",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
MaxPool2D, AvgPool2D, Convolution2D = MaxPooling2D, AveragePooling2D, Conv2D
MaxPool1D, AvgPool1D, Convolution1D = MaxPooling1D, AveragePooling1D, Conv1D


class BatchNormalization(Layer):
    """Normalize over the batch (every axis but ``axis``): with the batch's mean and variance
    while training, which also moves ``moving_mean``/``moving_variance`` towards them by
    ``1 - momentum``; with the moving averages otherwise. Then scale by ``gamma``, shift by
    ``beta`` (the trainable weights).

    >>> import workbench as wb
    >>> bn = wb.keras.layers.BatchNormalization(epsilon=0.0)
    >>> bn(wb.constant([[1.0, 2.0], [3.0, 6.0]]), training=True).numpy()
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.moving_mean.numpy(), len(bn.trainable_variables), len(bn.variables)
    (array([0.02, 0.04]), 2, 4)
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", **kwargs: Any):
        super().__init__(**kwargs)
        self.axis, self.momentum, self.epsilon = int(axis), float(momentum), float(epsilon)
        self.center, self.scale = center, scale
        self._inits = (gamma_initializer, beta_initializer, moving_mean_initializer,
                       moving_variance_initializer)

    def build(self, input_shape):
        size = (input_shape[self.axis],)
        gamma, beta, mean, variance = self._inits
        self.gamma = self.add_weight("gamma", size, gamma) if self.scale else None
        self.beta = self.add_weight("beta", size, beta) if self.center else None
        self.moving_mean = self.add_weight("moving_mean", size, mean, trainable=False)
        self.moving_variance = self.add_weight("moving_variance", size, variance,
                                               trainable=False)

    def call(self, inputs, training=False):
        axis = self.axis % inputs.ndim
        along = [1] * inputs.ndim
        along[axis] = inputs.shape[axis]
        if training and self.trainable:
            batch_axes = [i for i in range(inputs.ndim) if i != axis]
            mean, variance = moments(inputs, batch_axes)
            for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
                moving.assign(ew.add(ew.mul(moving, self.momentum),
                                     ew.mul(ew.stop_gradient(batch), 1.0 - self.momentum)))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        inv = ew.div(1.0, ew.sqrt(ew.add(variance, self.epsilon)))
        if self.gamma is not None:
            inv = ew.mul(inv, self.gamma)
        y = ew.mul(ew.sub(inputs, shape.reshape(mean, along)), shape.reshape(inv, along))
        return ew.add(y, shape.reshape(self.beta, along)) if self.beta is not None else y

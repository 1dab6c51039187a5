"""``wb.nn``: activation functions."""

from workbench.ops.conv import avg_pool2d, conv2d, dropout, max_pool2d
from workbench.ops.elementwise import tanh
from workbench.ops.nn import elu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus

__all__ = ["elu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "softplus", "tanh"]
__all__ += ["avg_pool2d", "conv2d", "dropout", "max_pool2d"]  # convolution, pooling, dropout

"""``wb.nn``: activation functions."""

from workbench.ops.elementwise import tanh
from workbench.ops.nn import elu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus

__all__ = ["elu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "softplus", "tanh"]

"""``wb.nn``: activation functions."""

from workbench.ops.nn import elu, leaky_relu, log_softmax, relu, sigmoid, softmax, softplus
from workbench.ops.elementwise import tanh

__all__ = ["elu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "softplus", "tanh"]

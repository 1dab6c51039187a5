"""``wb.nn``: activation functions and losses under TensorFlow's ``tf.nn`` names."""

from workbench.ops.conv import avg_pool2d, conv2d, dropout, max_pool2d
from workbench.ops.elementwise import tanh
from workbench.ops.losses import (
    l2_loss,
    l2_normalize,
    sigmoid_cross_entropy_with_logits,
    softmax_cross_entropy_with_logits,
    sparse_softmax_cross_entropy_with_logits,
)
from workbench.ops.nn import (
    elu,
    gelu,
    leaky_relu,
    log_sigmoid,
    log_softmax,
    relu,
    relu6,
    selu,
    sigmoid,
    silu,
    softmax,
    softplus,
    softsign,
    swish,
)

__all__ = ["elu", "leaky_relu", "log_softmax", "relu", "sigmoid", "softmax", "softplus", "tanh"]
__all__ += [  # activations and losses coverage
    "gelu",
    "l2_loss",
    "l2_normalize",
    "log_sigmoid",
    "relu6",
    "selu",
    "sigmoid_cross_entropy_with_logits",
    "silu",
    "softmax_cross_entropy_with_logits",
    "softsign",
    "sparse_softmax_cross_entropy_with_logits",
    "swish",
]
__all__ += ["avg_pool2d", "conv2d", "dropout", "max_pool2d"]  # convolution, pooling, dropout

from workbench.tf_more import bias_add, embedding_lookup, moments

__all__ += ["bias_add", "embedding_lookup", "moments"]

from workbench.ops.sorting import top_k

__all__ += ["top_k"]

from workbench.ops.tf_math_misc import in_top_k  # special functions, segments, scatter

__all__ += ["in_top_k"]

from workbench.ops.nn_more import (  # control flow, linalg, nn names
    batch_normalization,
    conv1d,
    conv2d_transpose,
    depthwise_conv2d,
    local_response_normalization,
    log_poisson_loss,
    lrn,
    normalize_moments,
    weighted_cross_entropy_with_logits,
)

__all__ += ["batch_normalization", "conv1d", "conv2d_transpose", "depthwise_conv2d",
            "local_response_normalization", "log_poisson_loss", "lrn", "normalize_moments",
            "weighted_cross_entropy_with_logits"]

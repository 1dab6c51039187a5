"""More of ``tf.nn`` as functions of existing ops: batch normalization, ``normalize_moments``,
weighted and Poisson losses, local response normalization, and the 1-D, depthwise and
transposed convolutions (through the 2-D convolution primitives, so gradients come free)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import arrays, conv
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.joining import concatenate
from workbench.ops.nn import relu
from workbench.tensor import Tensor


def batch_normalization(x: Any, mean: Any, variance: Any, offset: Any, scale: Any,
                        variance_epsilon: float, name: str | None = None) -> Tensor:
    """``scale * (x - mean) / sqrt(variance + variance_epsilon) + offset``, in TensorFlow's
    order of operations (``tf.nn.batch_normalization``); ``offset``/``scale`` may be None.

    >>> import workbench as wb
    >>> wb.nn.batch_normalization(wb.constant([1.0, 3.0]), 2.0, 4.0, 1.0, 2.0, 0.0).numpy()
    array([0., 2.])
    """
    inv = ew.reciprocal(ew.sqrt(ew.add(variance, variance_epsilon)))
    if scale is not None:
        inv = ew.mul(inv, scale)
    shift = ew.neg(ew.mul(mean, inv)) if offset is None else ew.sub(offset, ew.mul(mean, inv))
    return ew.add(ew.mul(x, inv), shift)


def normalize_moments(counts: Any, mean_ss: Any, variance_ss: Any, shift: Any,
                      name: str | None = None) -> tuple[Tensor, Tensor]:
    """Mean and variance from sufficient statistics (``tf.nn.normalize_moments``): the count,
    the sum of ``x - shift`` and the sum of its squares (``shift`` may be None).

    >>> import workbench as wb
    >>> m, v = wb.nn.normalize_moments(2.0, wb.constant(4.0), wb.constant(10.0), None)
    >>> float(m), float(v)
    (2.0, 1.0)
    """
    divisor = ew.reciprocal(counts)
    shifted_mean = ew.mul(mean_ss, divisor)
    mean = shifted_mean if shift is None else ew.add(shifted_mean, shift)
    variance = ew.sub(ew.mul(variance_ss, divisor), ew.square(shifted_mean))
    return mean, variance


def weighted_cross_entropy_with_logits(labels: Any, logits: Any, pos_weight: Any,
                                       name: str | None = None) -> Tensor:
    """Sigmoid cross-entropy with the positive term weighted by ``pos_weight``
    (``tf.nn.weighted_cross_entropy_with_logits``), in its overflow-free form
    ``(1 - z) x + (1 + (q - 1) z) (log1p(exp(-|x|)) + relu(-x))``.

    >>> import workbench as wb
    >>> round(float(wb.nn.weighted_cross_entropy_with_logits(1.0, 0.0, 3.0)), 6)
    2.079442
    """
    labels, logits = constant(labels), constant(logits)
    log_weight = ew.add(1.0, ew.mul(ew.sub(pos_weight, 1.0), labels))
    soft = ew.add(ew.log1p(ew.exp(ew.neg(ew.abs(logits)))), relu(ew.neg(logits)))
    return ew.add(ew.mul(ew.sub(1.0, labels), logits), ew.mul(log_weight, soft))


def log_poisson_loss(targets: Any, log_input: Any, compute_full_loss: bool = False,
                     name: str | None = None) -> Tensor:
    """The Poisson negative log-likelihood ``exp(log_input) - log_input * targets``
    (``tf.nn.log_poisson_loss``); ``compute_full_loss`` adds Stirling's approximation of
    ``log(targets!)`` where ``targets > 1``.

    >>> import workbench as wb
    >>> float(wb.nn.log_poisson_loss(wb.constant(2.0), wb.constant(0.0)))
    1.0
    """
    targets, log_input = constant(targets), constant(log_input)
    loss = ew.sub(ew.exp(log_input), ew.mul(log_input, targets))
    if not compute_full_loss:
        return loss
    above = targets > 1.0
    safe = ew.where(above, targets, 1.0)  # the other branch's log(0) would poison gradients
    stirling = ew.add(ew.sub(ew.mul(safe, ew.log(safe)), safe),
                      ew.mul(0.5, ew.log(ew.mul(2.0 * math.pi, safe))))
    return ew.add(loss, ew.where(above, stirling, 0.0))


def local_response_normalization(input: Any, depth_radius: int = 5, bias: float = 1.0,
                                 alpha: float = 1.0, beta: float = 0.5,
                                 name: str | None = None) -> Tensor:
    """``input / (bias + alpha * s) ** beta``, ``s`` the sum of squares over the
    ``2 * depth_radius + 1`` neighbouring channels of the last axis (``tf.nn.lrn``).

    >>> import workbench as wb
    >>> wb.nn.local_response_normalization(wb.constant([[[[1.0, 2.0]]]]), 1, 1.0, 1.0, 1.0).numpy()
    array([[[[0.16666667, 0.33333333]]]])
    """
    x = constant(input)
    if x.ndim != 4:
        raise ValueError(f"local_response_normalization: input must be rank 4 (NHWC), got "
                         f"shape {x.shape}")
    r, c = int(depth_radius), x.shape[-1]
    padded = arrays.pad(ew.square(x), [(0, 0)] * 3 + [(r, r)])
    window = [sh.getitem(padded, (Ellipsis, slice(k, k + c))) for k in range(2 * r + 1)]
    sqr_sum = window[0]
    for part in window[1:]:
        sqr_sum = ew.add(sqr_sum, part)
    return ew.div(x, ew.power(ew.add(bias, ew.mul(alpha, sqr_sum)), beta))


lrn = local_response_normalization


def _stride_1d(value: Any, name: str) -> int:
    """TF's 1-D forms: an int, [s] or [1, s, 1]."""
    v = [int(value)] if np.ndim(value) == 0 else [int(s) for s in value]
    if len(v) == 3 and v[0] == v[2] == 1:
        v = v[1:2]
    if len(v) != 1 or v[0] < 1:
        raise ValueError(f"conv1d: {name} must be a positive int, [s] or [1, s, 1], got {value!r}")
    return v[0]


def conv1d(input: Any, filters: Any, stride: Any = 1, padding: Any = "VALID",
           data_format: str = "NWC", dilations: Any = None, name: str | None = None) -> Tensor:
    """1-D cross-correlation as ``tf.nn.conv1d``: NWC input, (width, in, out) filters; a 2-D
    convolution over a unit height.

    >>> import numpy as np, workbench as wb
    >>> x = wb.constant(np.arange(4.0).reshape(1, 4, 1))
    >>> wb.nn.conv1d(x, wb.constant(np.ones((2, 1, 1))), 1, "VALID").numpy()[0, :, 0]
    array([1., 3., 5.])
    """
    if data_format not in ("NWC", "NHWC"):
        raise ValueError(f"conv1d: only data_format='NWC' is supported, got {data_format!r}")
    x, w = constant(input), constant(filters)
    if x.ndim != 3 or w.ndim != 3:
        raise ValueError(f"conv1d: input must be (batch, width, channels) and filters (width, "
                         f"in_channels, out_channels), got shapes {x.shape} and {w.shape}")
    d = 1 if dilations is None else _stride_1d(dilations, "dilations")
    if isinstance(padding, str):
        pads = padding
    elif len(padding) == 3:  # TF's explicit [[0, 0], [left, right], [0, 0]]
        pads = [(0, 0), tuple(padding[1])]
    else:
        raise ValueError(f"conv1d: padding must be 'VALID', 'SAME' or [[0, 0], [left, right], "
                         f"[0, 0]], got {padding!r}")
    y = conv.conv2d(sh.expand_dims(x, 1), sh.expand_dims(w, 0),
                    strides=(1, _stride_1d(stride, "stride")), padding=pads, dilations=(1, d))
    return sh.squeeze(y, 1)


def depthwise_conv2d(input: Any, filter: Any, strides: Any, padding: Any,
                     data_format: str | None = None, dilations: Any = None,
                     name: str | None = None) -> Tensor:
    """Each input channel convolved with its own ``channel_multiplier`` filters
    (``tf.nn.depthwise_conv2d``): filter (height, width, in, multiplier), output channel
    ``c * multiplier + m``. One 2-D convolution per input channel.

    >>> import numpy as np, workbench as wb
    >>> x = wb.constant(np.ones((1, 2, 2, 2)))
    >>> w = wb.constant(np.stack([np.ones((2, 2)), 2 * np.ones((2, 2))], -1)[:, :, :, None])
    >>> wb.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID").numpy().ravel()
    array([4., 8.])
    """
    x, w = conv._image(input, "depthwise_conv2d"), constant(filter)
    if w.ndim != 4 or w.shape[2] != x.shape[3]:
        raise ValueError(f"depthwise_conv2d: filter must be (height, width, {x.shape[3]}, "
                         f"channel_multiplier) for input {x.shape}, got {w.shape}")
    if data_format not in (None, "NHWC"):
        raise ValueError(f"depthwise_conv2d: only data_format='NHWC' is supported, got "
                         f"{data_format!r}")
    parts = [conv.conv2d(x[..., c:c + 1], w[:, :, c:c + 1, :], strides=strides,
                         padding=padding, dilations=dilations) for c in range(x.shape[3])]
    return parts[0] if len(parts) == 1 else concatenate(parts, axis=3)


def conv2d_transpose(input: Any, filters: Any, output_shape: Any, strides: Any,
                     padding: Any = "SAME", data_format: str = "NHWC", dilations: Any = None,
                     name: str | None = None) -> Tensor:
    """The transposed 2-D convolution (``tf.nn.conv2d_transpose``): the gradient of
    ``conv2d(y, filters, strides, padding)`` with respect to a ``y`` of ``output_shape``,
    applied to ``input``. Filters are (height, width, output_channels, in_channels).

    >>> import numpy as np, workbench as wb
    >>> x = wb.constant(np.ones((1, 2, 2, 1))); w = wb.constant(np.ones((2, 2, 1, 1)))
    >>> wb.nn.conv2d_transpose(x, w, [1, 3, 3, 1], 1, "VALID").numpy()[0, :, :, 0]
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    """
    op = "conv2d_transpose"
    if data_format != "NHWC":
        raise ValueError(f"{op}: only data_format='NHWC' is supported, got {data_format!r}")
    x, w = conv._image(input, op), constant(filters)
    out = tuple(int(d) for d in np.asarray(output_shape._value if isinstance(
        output_shape, Tensor) else output_shape).tolist())
    if len(out) != 4 or out[0] != x.shape[0] or w.ndim != 4 or w.shape[2] != out[3] \
            or w.shape[3] != x.shape[3]:
        raise ValueError(f"{op}: need input (N, H, W, in), filters (height, width, out, in) "
                         f"and output_shape (N, OH, OW, out); got {x.shape}, {w.shape} and "
                         f"{list(out)}")
    s = conv._pair(strides, "strides", op)
    d = conv._pair(1 if dilations is None else dilations, "dilations", op)
    eff = [(k - 1) * di + 1 for k, di in zip(w.shape[:2], d, strict=True)]
    pads = conv._pads(padding, out[1:3], eff, s, op)
    hw = tuple((out[1 + a] + sum(pads[a]) - eff[a]) // s[a] + 1 for a in (0, 1))
    if hw != x.shape[1:3]:
        raise ValueError(f"{op}: a conv2d of output_shape {list(out)} with strides {list(s)} "
                         f"and padding {padding!r} gives spatial size {hw}, not the input's "
                         f"{x.shape[1:3]}; fix output_shape")
    return conv.conv2d_backprop_input_p(x, w, input_shape=out, strides=s, pads=pads,
                                        dilations=d)


__all__ = ["batch_normalization", "conv1d", "conv2d_transpose", "depthwise_conv2d",
           "local_response_normalization", "log_poisson_loss", "lrn", "normalize_moments",
           "weighted_cross_entropy_with_logits"]

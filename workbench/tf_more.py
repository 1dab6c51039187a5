"""More of TensorFlow's names as functions of workbench ops: eager control flow (``cond``,
``while_loop``), list ops (``add_n``, ``boolean_mask``), ``clip_by_global_norm``,
``nn.moments``/``bias_add``/``embedding_lookup``, ``linalg.matvec``/``band_part``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise, indexing, reduce, shape
from workbench.ops.norms import global_norm
from workbench.tensor import Tensor, as_input


def cond(pred: Any, true_fn: Callable[[], Any], false_fn: Callable[[], Any],
         name: str | None = None) -> Any:
    """``true_fn()`` if ``pred`` holds, else ``false_fn()``: eager ``tf.cond``, so only the
    branch taken is recorded (its gradient is the gradient of that branch).

    >>> import workbench as wb
    >>> x = wb.constant(2.0)
    >>> float(wb.cond(x > 0, lambda: x * x, lambda: -x))
    4.0
    """
    return true_fn() if bool(pred) else false_fn()


def while_loop(cond: Callable[..., Any], body: Callable[..., Any], loop_vars: Any,
               maximum_iterations: int | None = None, **_ignored: Any) -> Any:
    """Eager ``tf.while_loop``: ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)``.
    ``loop_vars`` is a tuple or list (a single tensor is allowed too); the result has its
    structure. Keywords such as ``parallel_iterations`` are accepted and ignored.

    >>> import workbench as wb
    >>> i, x = wb.while_loop(lambda i, x: i < 3, lambda i, x: (i + 1, x * 2.0), (0, 1.0))
    >>> i, float(x)
    (3, 8.0)
    """
    single = not isinstance(loop_vars, list | tuple)
    values = [loop_vars] if single else list(loop_vars)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and bool(cond(*values)):
        out = body(*values)
        values = [out] if single else list(out) if isinstance(out, list | tuple) else [out]
        steps += 1
    return values[0] if single else type(loop_vars)(values)


def add_n(inputs: Any, name: str | None = None) -> Tensor:
    """The elementwise sum of a list of tensors of one shape (``tf.add_n``).

    >>> import workbench as wb
    >>> wb.add_n([wb.constant([1.0, 2.0]), wb.constant([3.0, 4.0])]).numpy()
    array([4., 6.])
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("add_n: inputs must be a non-empty list of tensors")
    shapes = {tuple(np.shape(t)) for t in inputs}
    if len(shapes) > 1:
        raise ValueError(f"add_n: all inputs must have the same shape, got {sorted(shapes)}")
    total = as_input(inputs[0])
    for t in inputs[1:]:
        total = elementwise.add(total, t)
    return total


def boolean_mask(tensor: Any, mask: Any, axis: int = 0, name: str | None = None) -> Tensor:
    """The entries of ``tensor`` where ``mask`` is True (``tf.boolean_mask``); the mask covers
    the axes from ``axis`` on. Differentiable in ``tensor``.

    >>> import workbench as wb
    >>> wb.boolean_mask(wb.constant([1.0, 2.0, 3.0]), [True, False, True]).numpy()
    array([1., 3.])
    """
    tensor = as_input(tensor)
    m = np.asarray(mask._value if isinstance(mask, Tensor) else mask, dtype=bool)
    lead = tensor.shape[:axis]
    if tensor.shape[axis:axis + m.ndim] != m.shape:
        raise ValueError(f"boolean_mask: mask of shape {m.shape} does not match tensor shape "
                         f"{tensor.shape} at axis {axis}")
    flat = shape.reshape(tensor, lead + (m.size,) + tensor.shape[axis + m.ndim:])
    return indexing.gather(flat, np.flatnonzero(m), axis=axis)


def clip_by_global_norm(t_list: Any, clip_norm: Any, use_norm: Any = None,
                        name: str | None = None) -> tuple[list, Tensor]:
    """Scale every tensor by ``clip_norm / max(global_norm, clip_norm)`` (``tf.clip_by_global_norm``);
    returns ``(clipped_list, global_norm)``. None entries stay None; a non-finite global norm
    makes every entry NaN, as TensorFlow signals it. The scale takes each tensor's dtype.

    >>> import workbench as wb
    >>> clipped, n = wb.clip_by_global_norm([wb.constant([3.0]), wb.constant([4.0])], 1.0)
    >>> float(n), [round(float(c[0]), 6) for c in clipped]
    (5.0, [0.6, 0.8])
    """
    t_list = list(t_list)
    norm = global_norm(t_list) if use_norm is None else as_input(use_norm)
    scale = elementwise.divide(clip_norm, elementwise.maximum(norm, clip_norm))
    scale = elementwise.add(scale, elementwise.subtract(norm, norm))  # NaN where norm is not finite
    clipped = []
    for t in t_list:
        if t is not None:
            t = as_input(t)
            t = elementwise.multiply(t, elementwise.cast(scale, t.dtype))
        clipped.append(t)
    return clipped, norm


def is_tensor(x: Any) -> bool:
    """Whether ``x`` is a Tensor or Variable (``tf.is_tensor``)."""
    return isinstance(x, Tensor)


def executing_eagerly() -> bool:
    """False while ``wb.function`` traces, else True (``tf.executing_eagerly``).

    >>> import workbench as wb
    >>> wb.executing_eagerly()
    True
    """
    from workbench.random import compiling

    return not compiling()


def moments(x: Any, axes: Any, shift: Any = None, keepdims: bool = False,
            name: str | None = None) -> tuple[Tensor, Tensor]:
    """Mean and (biased) variance over ``axes`` (``tf.nn.moments``).

    >>> import workbench as wb
    >>> m, v = wb.nn.moments(wb.constant([1.0, 3.0]), axes=[0])
    >>> float(m), float(v)
    (2.0, 1.0)
    """
    axes = tuple(axes) if isinstance(axes, list | tuple) else axes
    mean = reduce.mean(x, axes, True)
    variance = reduce.mean(elementwise.square(elementwise.subtract(x, mean)), axes, keepdims)
    return (mean if keepdims else shape.squeeze(mean, axes)), variance


def bias_add(value: Any, bias: Any, data_format: str | None = None,
             name: str | None = None) -> Tensor:
    """``value + bias`` along the last axis (``tf.nn.bias_add``; ``NCHW``: along axis 1)."""
    if data_format is not None and data_format.startswith("NC"):
        value = as_input(value)
        bias = shape.reshape(as_input(bias), (-1,) + (1,) * (value.ndim - 2))
    return elementwise.add(value, bias)


def embedding_lookup(params: Any, ids: Any, max_norm: Any = None,
                     name: str | None = None) -> Tensor:
    """Rows of ``params`` at ``ids`` (``tf.nn.embedding_lookup``; the gradient scatter-adds)."""
    if max_norm is not None:
        raise NotImplementedError("embedding_lookup: max_norm is not supported; clip the rows "
                                  "with wb.clip_by_norm")
    return indexing.gather(params, ids, axis=0)


def matvec(a: Any, b: Any, transpose_a: bool = False, adjoint_a: bool = False,
           name: str | None = None) -> Tensor:
    """The matrix-vector product ``a @ b`` over the last axes (``tf.linalg.matvec``).

    >>> import workbench as wb
    >>> wb.linalg.matvec(wb.constant([[1.0, 2.0], [3.0, 4.0]]), wb.constant([1.0, 1.0])).numpy()
    array([3., 7.])
    """
    from workbench.tf_names import matmul

    column = shape.expand_dims(b, -1)
    return shape.squeeze(matmul(a, column, transpose_a=transpose_a, adjoint_a=adjoint_a), -1)


def band_part(input: Any, num_lower: int, num_upper: int,
              name: str | None = None) -> Tensor:
    """Keep the band of ``num_lower`` sub- and ``num_upper`` super-diagonals (negative: all) of
    the last two axes, zero the rest (``tf.linalg.band_part``)."""
    x = as_input(input)
    rows, cols = x.shape[-2:]
    i, j = np.arange(rows)[:, None], np.arange(cols)[None, :]
    keep = ((num_lower < 0) | (i - j <= num_lower)) & ((num_upper < 0) | (j - i <= num_upper))
    return elementwise.multiply(x, constant(keep.astype(x.dtype)))


__all__ = ["add_n", "band_part", "bias_add", "boolean_mask", "clip_by_global_norm", "cond",
           "embedding_lookup", "executing_eagerly", "is_tensor", "matvec", "moments",
           "while_loop"]

"""TensorFlow's spellings of existing ops (``tf.matmul(transpose_b=)``, ``tf.range``,
``tf.clip_by_value``, ``tf.print``, ``tf.newaxis``) as thin functions of workbench ops, and
``tf.function``'s keywords (``input_signature``, ``jit_compile``...) with ``TensorSpec``."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import numpy as np

from workbench.dtypes import default_dtype
from workbench.ops import arrays, creation, elementwise
from workbench.ops import linalg as _linalg
from workbench.tensor import Tensor, _raw

newaxis = None

_FUNCTION_KEYWORDS = ("input_signature", "autograph", "jit_compile", "reduce_retracing",
                      "experimental_relax_shapes", "experimental_compile",
                      "experimental_follow_type_hints", "experimental_autograph_options",
                      "experimental_implements")


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """TensorFlow's ``tf.TensorSpec`` (for ``input_signature``): a shape, dtype and name.

    >>> import workbench as wb
    >>> wb.TensorSpec(shape=[None, 3], dtype=wb.float32).shape
    (None, 3)
    """

    shape: Any = None
    dtype: Any = "float32"
    name: str | None = None

    def __post_init__(self) -> None:
        if self.shape is not None:
            object.__setattr__(self, "shape", tuple(self.shape))


def function(func: Any = None, input_signature: Any = None, **kwargs: Any) -> Any:
    """``wb.function`` (see ``workbench.compile.function``) with ``tf.function``'s keywords:
    ``input_signature``, ``autograph``, ``jit_compile``, ``reduce_retracing`` and the
    ``experimental_*`` ones are accepted and ignored (the function is traced per argument
    signature on its first calls; it is always compiled). ``target=`` and ``cache=`` pass on.

    >>> import workbench as wb
    >>> @wb.function(input_signature=[wb.TensorSpec([None], wb.float64)], jit_compile=True)
    ... def double(x):
    ...     return 2.0 * x
    >>> double(wb.constant([1.0, 2.0])).numpy()
    array([2., 4.])
    """
    from workbench import compile as _compile  # the compiled engine loads on first use

    for key in _FUNCTION_KEYWORDS:
        kwargs.pop(key, None)
    if func is None:
        return lambda f: _compile.function(f, **kwargs)
    return _compile.function(func, **kwargs)


def matmul(a: Any, b: Any, transpose_a: bool = False, transpose_b: bool = False,
           adjoint_a: bool = False, adjoint_b: bool = False, name: str | None = None) -> Tensor:
    """``a @ b`` with TensorFlow's keywords: ``transpose_*``/``adjoint_*`` swap the last two axes
    of that operand first (real values, so the adjoint is the transpose).

    >>> import workbench as wb
    >>> a = wb.constant([[1.0, 2.0]])
    >>> wb.matmul(a, a, transpose_b=True).numpy()
    array([[5.]])
    """
    if transpose_a or adjoint_a:
        a = arrays.swapaxes(a, -1, -2)
    if transpose_b or adjoint_b:
        b = arrays.swapaxes(b, -1, -2)
    return _linalg.matmul(a, b)


def clip_by_value(t: Any, clip_value_min: Any, clip_value_max: Any,
                  name: str | None = None) -> Tensor:
    """``t`` clipped to ``[clip_value_min, clip_value_max]`` (gradient 1 inside, 0 outside).

    >>> import workbench as wb
    >>> wb.clip_by_value(wb.constant([-2.0, 0.5, 3.0]), -1.0, 1.0).numpy()
    array([-1. ,  0.5,  1. ])
    """
    return elementwise.clip(t, clip_value_min, clip_value_max)


def range(start: Any, limit: Any = None, delta: Any = 1, dtype: Any = None,
          name: str | None = None) -> Tensor:
    """TensorFlow's ``tf.range(start, limit, delta)``: ``[start, limit)`` in steps of ``delta``
    (one argument: ``[0, start)``). Integers stay int64 (NumPy's); floats follow the default
    float dtype.

    >>> import workbench as wb
    >>> wb.range(1, 10, 3).numpy()
    array([1, 4, 7])
    """
    out = creation.arange(start, limit, delta, dtype)
    if dtype is None and out.dtype == np.float64 and default_dtype() != np.float64:
        out = Tensor(np.asarray(_raw(out)).astype(default_dtype()))
    return out


def print(*inputs: Any, output_stream: Any = None, summarize: int = 3, sep: str = " ",
          end: str = "\n", name: str | None = None) -> None:
    """TensorFlow's ``tf.print``: the values of Tensors (and anything else, as ``str``) on one
    line, to ``sys.stderr`` by default as in TensorFlow; ``summarize`` elements of each end of
    a long axis. Inside ``wb.function`` it prints when the function is traced.

    >>> import sys, workbench as wb
    >>> wb.print("x:", wb.constant([1.0, 2.5]), output_stream=sys.stdout)
    x: [1 2.5]
    """
    stream = sys.stderr if output_stream is None else output_stream
    text = sep.join(_format(x, summarize) for x in inputs)
    stream.write(text + end)


def _format(x: Any, summarize: int) -> str:
    if not isinstance(x, Tensor | np.ndarray | np.generic):
        return str(x)
    arr = np.asarray(_raw(x))
    threshold = sys.maxsize if summarize is None or summarize < 0 else 2 * summarize
    return np.array2string(arr, separator=" ", threshold=threshold, edgeitems=max(summarize, 1),
                           formatter={"float_kind": _float_text}, max_line_width=sys.maxsize)


def _float_text(v: Any) -> str:
    return f"{v:.{7 if np.asarray(v).dtype.itemsize <= 4 else 15}g}"

"""NumPy's output dtypes for the composites that stand for a NumPy ufunc or reduction: one rule
(the ufunc's own type resolution, NumPy's accumulator dtype) shared by all of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from workbench.dtypes import default_dtype
from workbench.ops import elementwise as ew
from workbench.tensor import Tensor

_PY_SCALARS = (int, float, complex)


def _probe(x: Any, alone: bool = False) -> Any:
    """What ``ufunc.resolve_dtypes`` reads for ``x``: a dtype, or a Python scalar's type (weak,
    as in NumPy, so ``float32_tensor * 2.0`` stays float32). Python floats with no array beside
    them (``alone``) are the default float dtype, as ``wb.constant`` makes them."""
    if alone and isinstance(x, float):
        return default_dtype()
    if isinstance(x, Tensor):
        return np.dtype(x.dtype)
    if isinstance(x, bool | np.bool_):
        return np.dtype(bool)
    if isinstance(x, _PY_SCALARS):
        return type(x)
    return np.asarray(x).dtype


@functools.lru_cache(maxsize=1024)
def _resolve(ufunc: np.ufunc, probes: tuple) -> tuple[np.dtype, ...]:
    return ufunc.resolve_dtypes(probes + (None,) * ufunc.nout)


def loop_dtypes(ufunc: np.ufunc, *args: Any) -> tuple[np.dtype, ...]:
    """The dtypes NumPy's ``ufunc`` computes in for ``args``: one per input, then the output.

    >>> import numpy as np, workbench as wb
    >>> from workbench.ops.ufunc_dtypes import loop_dtypes
    >>> loop_dtypes(np.fabs, wb.constant([1, 2]))
    (dtype('float64'), dtype('float64'))
    """
    alone = all(isinstance(a, _PY_SCALARS) for a in args)
    return _resolve(ufunc, tuple(_probe(a, alone) for a in args))


def like_ufunc(ufunc: np.ufunc) -> Callable[[Callable[..., Tensor]], Callable[..., Tensor]]:
    """Make a composite give ``ufunc``'s output dtype: array inputs are cast to the dtypes of
    NumPy's loop first (integers become floats for ``fabs``, bools int8 for ``square``), Python
    scalars stay weak, and the result is cast to the loop's output dtype where it differs.
    Float inputs already in the loop's dtype pass untouched (float32 stays float32)."""
    def wrap(fn: Callable[..., Tensor]) -> Callable[..., Tensor]:
        @functools.wraps(fn)
        def conformed(*args: Any, **kwargs: Any) -> Tensor:
            *ins, out_dtype = loop_dtypes(ufunc, *args)
            cast = [a if isinstance(a, _PY_SCALARS) or _probe(a) == dt else ew.cast(a, dt)
                    for a, dt in zip(args, ins, strict=True)]
            out = fn(*cast, **kwargs)
            return out if ew.dtype_of(out) == out_dtype else ew.cast(out, out_dtype)
        return conformed
    return wrap


@functools.lru_cache(maxsize=64)
def accumulator_dtype(dtype: Any) -> np.dtype:
    """The dtype NumPy's ``sum``/``prod``/``cumsum``/``cumprod``/``trace`` give for ``dtype``:
    bool and small integers widen to the platform integer, everything else stays.

    >>> import numpy as np
    >>> from workbench.ops.ufunc_dtypes import accumulator_dtype
    >>> accumulator_dtype(np.int32), accumulator_dtype(np.float32)
    (dtype('int64'), dtype('float32'))
    """
    return np.sum(np.zeros(1, np.dtype(dtype))).dtype


def dot_dtype(out: Tensor, *factors: Any) -> Tensor:
    """A sum of products (``vdot``, ``vecdot``, ``matvec``...) in NumPy's dtype for it: the
    factors' common dtype (int32 stays int32; bools give ``any(a & b)``, a bool)."""
    dtype = np.result_type(*(_probe(f) for f in factors))
    return out if out.dtype == dtype else ew.cast(out, dtype)

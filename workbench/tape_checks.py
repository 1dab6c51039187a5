"""Checks a tape makes before differentiating: complex sources and complex values on the
gradient path are refused (the VJP rules do not implement complex gradients)."""

from __future__ import annotations

import numpy as np

from workbench import autodiff
from workbench.tensor import Tensor

_REAL = np.dtype(np.float64)


def refuse_complex(t: Tensor, what: str) -> None:
    """Complex sources are refused: their gradients would need the conjugate-Wirtinger
    convention, which the VJP rules do not implement (a wrong number is worse than an error).

    >>> import workbench as wb
    >>> refuse_complex(wb.constant(1.0), "watch")  # real: nothing to say
    >>> refuse_complex(wb.constant(1j), "watch")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    TypeError: cannot watch a complex128 tensor: gradients with respect to complex values ...
    """
    if t.dtype.kind == "c":
        raise TypeError(
            f"cannot {what} a {t.dtype.name} tensor{f' {t.name!r}' if t.name else ''}: "
            "gradients with respect to complex values are not supported (they would need the "
            "conjugate-Wirtinger convention). Write the computation with real tensors, e.g. "
            "the real and imaginary parts as separate real arrays"
        )


def refuse_complex_path(records: list, targets: list[Tensor], groups: list[list[int]]) -> None:
    """Raise if a complex value lies between the sources and the targets: the VJP rules do not
    conjugate, so the gradient would be silently wrong."""
    if not any(getattr(r[2]._value, "dtype", _REAL).kind == "c" for r in records):
        return  # the common case, checked on the raw values (this runs on every gradient call)
    on_path = {id(r[2]) for r in autodiff.backward_slice(records, targets)}
    _, live = autodiff.forward_reach(records, {i for g in groups for i in g})
    for prim, _, out, _ in live:
        if id(out) in on_path and out.dtype.kind == "c":
            raise TypeError(
                f"the gradient path passes through a complex value ('{prim.name}' gives "
                f"{out.dtype.name}): gradients through complex intermediates are not supported "
                "(they would need the conjugate-Wirtinger convention). Compute with real "
                "tensors (real and imaginary parts as separate real arrays)"
            )

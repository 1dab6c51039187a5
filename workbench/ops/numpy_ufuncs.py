"""The public NumPy ufunc names whose dtype differs from the workbench op behind them (``fabs``,
``rint``, ``square``, ``reciprocal``): the same op, with NumPy's output dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.ops import elementwise as ew
from workbench.ops.ufunc_dtypes import like_ufunc
from workbench.tensor import Tensor


@like_ufunc(np.fabs)
def fabs(x: Any) -> Tensor:
    """``|x|`` as a float (``np.fabs``: integers give float64).

    >>> import workbench as wb
    >>> wb.fabs(wb.constant([-2, 3])).numpy()
    array([2., 3.])
    """
    return ew.abs(x)


@like_ufunc(np.rint)
def rint(x: Any) -> Tensor:
    """Round to the nearest integer, ties to even, as a float (``np.rint``).

    >>> import workbench as wb
    >>> wb.rint(wb.constant([0.5, 1.5, 2])).numpy()
    array([0., 2., 2.])
    """
    return ew.round(x)


@like_ufunc(np.square)
def square(x: Any) -> Tensor:
    """``x ** 2`` (``np.square``: bools give int8, as NumPy).

    >>> import workbench as wb
    >>> float(wb.square(3.0))
    9.0
    """
    return ew.square(x)


@like_ufunc(np.reciprocal)
def reciprocal(x: Any) -> Tensor:
    """``1 / x``; on integers NumPy's integer reciprocal (``1 // x`` truncated toward zero: 1 and
    -1 stay, every other value gives 0; ``1 / 0`` gives 0 here, NumPy's is undefined).

    >>> import workbench as wb
    >>> wb.reciprocal(wb.constant([2.0, 4.0])).numpy()
    array([0.5 , 0.25])
    >>> wb.reciprocal(wb.constant([1, -1, 2])).numpy()
    array([ 1, -1,  0])
    """
    if ew.dtype_of(x).kind in "iub":
        return ew.where(ew.abs(x) == 1, x, 0)
    return ew.reciprocal(x)

"""NumPy's constant-producing helpers: window functions, index grids and triangles of ones
(new tensors that depend on no input, so nothing to differentiate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from workbench.tensor import Tensor


def hamming(M: int) -> Tensor:
    """The Hamming window of ``M`` points.

    >>> import workbench as wb
    >>> wb.hamming(3).numpy()
    array([0.08, 1.  , 0.08])
    """
    return Tensor(np.hamming(M))


def hanning(M: int) -> Tensor:
    """The Hann window of ``M`` points.

    >>> import workbench as wb
    >>> wb.hanning(3).numpy()
    array([0., 1., 0.])
    """
    return Tensor(np.hanning(M))


def blackman(M: int) -> Tensor:
    """The Blackman window of ``M`` points.

    >>> import workbench as wb
    >>> wb.blackman(3).numpy().round(6)
    array([-0.,  1., -0.])
    """
    return Tensor(np.blackman(M))


def bartlett(M: int) -> Tensor:
    """The Bartlett (triangular) window of ``M`` points.

    >>> import workbench as wb
    >>> wb.bartlett(3).numpy()
    array([0., 1., 0.])
    """
    return Tensor(np.bartlett(M))


def kaiser(M: int, beta: float) -> Tensor:
    """The Kaiser window of ``M`` points with shape parameter ``beta``.

    >>> import workbench as wb
    >>> wb.kaiser(3, 0.0).numpy()
    array([1., 1., 1.])
    """
    return Tensor(np.kaiser(M, beta))


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = float) -> Tensor:
    """Ones at and below diagonal ``k`` of an ``N x M`` matrix.

    >>> import workbench as wb
    >>> wb.tri(2, 3).numpy()
    array([[1., 0., 0.],
           [1., 1., 0.]])
    """
    return Tensor(np.tri(N, M, k, dtype=dtype))


def indices(dimensions: Any, dtype: Any = int, sparse: bool = False) -> Any:
    """The index grid of an array of shape ``dimensions`` (one tensor per axis, stacked).

    >>> import workbench as wb
    >>> wb.indices((2, 2)).numpy()[1]
    array([[0, 1],
           [0, 1]])
    """
    grid = np.indices(dimensions, dtype=dtype, sparse=sparse)
    return tuple(Tensor(g) for g in grid) if sparse else Tensor(grid)


def fromfunction(function: Callable[..., Any], shape: Any, *, dtype: Any = float,
                 **kwargs: Any) -> Any:
    """``function`` called with one index grid per axis (as ``np.fromfunction``); a function
    of workbench ops gives a Tensor.

    >>> import workbench as wb
    >>> wb.fromfunction(lambda i, j: i + j, (2, 2)).numpy()
    array([[0., 1.],
           [1., 2.]])
    """
    grids = [Tensor(g) for g in np.indices(shape, dtype=dtype)]
    return function(*grids, **kwargs)


def ix_(*args: Any) -> tuple[np.ndarray, ...]:
    """Open index arrays for cross-indexing (``x[wb.ix_(rows, cols)]``), as NumPy's.

    >>> import workbench as wb
    >>> x = wb.constant([[1.0, 2.0], [3.0, 4.0]])
    >>> x[wb.ix_([1, 0], [1])].numpy()
    array([[4.],
           [2.]])
    """
    return np.ix_(*[np.asarray(a) for a in args])

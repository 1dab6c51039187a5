"""Adam's eager update of a large float Variable as one Numba loop: the float operations of
``optim_numpy.adam_numpy`` in the same order (the same bits), one pass over memory, not twelve.
Imported on first use, so ``import workbench`` does not load Numba.
"""

from __future__ import annotations

import numpy as np

from workbench.compile.runtime import _jit


def _adam_body(value, grad, m_old, v_old, c1, c2, alpha, eps, new, m, v):  # pragma: no cover
    # Each line is the NumPy pass of adam_numpy it replaces, element by element; the
    # constants have the arrays' dtype, so nothing is computed in a wider type.
    for i in range(value.size):
        g, mo, vo = grad[i], m_old[i], v_old[i]
        mi = mo + (g - mo) * c1
        vi = vo + (g * g - vo) * c2
        m[i] = mi
        v[i] = vi
        new[i] = value[i] - (alpha * mi) / (np.sqrt(vi) + eps)


_adam_loop = _jit(_adam_body)


def fits(*arrays: np.ndarray) -> bool:
    """Whether the fused loop applies: C-contiguous float32 or float64 arrays of one dtype
    and shape."""
    first = arrays[0]
    return (first.dtype in _DTYPES
            and all(a.dtype == first.dtype and a.shape == first.shape
                    and a.flags.c_contiguous for a in arrays))


def adam(value: np.ndarray, grad: np.ndarray, m_old: np.ndarray, v_old: np.ndarray,
         c1: float, c2: float, alpha: np.ndarray, eps: float) -> tuple[np.ndarray, ...]:
    """``(new value, m, v)`` in fresh arrays; ``c1 = 1 - beta_1``, ``c2 = 1 - beta_2``, and
    ``alpha`` the step size already in the value's dtype (see ``optim_numpy.adam_numpy``).

    >>> import numpy as np
    >>> z = np.zeros(3, np.float32)
    >>> new, m, v = adam(z + 1, z + 5, z, z, 0.1, 0.001, np.float32(0.1), 1e-7)
    >>> round(float(new[0]), 4), float(m[0]), round(float(v[0]), 6)  # 1 - 0.1 * 0.5 / 0.025**0.5
    (0.6838, 0.5, 0.025)
    """
    t = value.dtype.type
    new, m, v = np.empty_like(value), np.empty_like(value), np.empty_like(value)
    _adam_loop(value.reshape(-1), grad.reshape(-1), m_old.reshape(-1), v_old.reshape(-1),
               t(c1), t(c2), t(alpha), t(eps), new.reshape(-1), m.reshape(-1), v.reshape(-1))
    return new, m, v


_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

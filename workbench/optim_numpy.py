"""Adam's eager update on NumPy arrays: ``optim.adam_rule``'s ufuncs in the same order (the same
bits) without recording an op; a large float Variable takes ``optim_fused``'s one-pass loop.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

Slots = tuple[Any, ...]


def adam_numpy(value: np.ndarray, grad: np.ndarray, slots: Slots, step: Any, *,
               learning_rate: float, beta_1: float = 0.9, beta_2: float = 0.999,
               epsilon: float = 1e-7) -> tuple[np.ndarray, Slots]:
    """``adam_rule`` on NumPy arrays: the same ufuncs on the same operands in the same order,
    so the same bits, without recording an op (Adam's eager update of one variable). A large
    float32/float64 variable takes one fused Numba loop of those operations instead
    (``workbench.optim_fused``: one pass over memory, the same bits).

    >>> import numpy as np
    >>> from workbench.optim import adam_rule
    >>> args = (np.array([1.0]), np.array([5.0]), (np.zeros(1), np.zeros(1)), 1)
    >>> bool(adam_numpy(*args, learning_rate=0.1)[0] == adam_rule(*args, learning_rate=0.1)[0])
    True
    """
    m_old, v_old = slots
    try:
        alpha = _adam_alpha_cached(learning_rate, beta_1, beta_2, float(step), value.dtype)
    except TypeError:  # an unhashable hyperparameter (an array)
        alpha = _adam_alpha(learning_rate, beta_1, beta_2, float(step), value.dtype)
    if value.size >= _FUSED_MIN_SIZE:
        from workbench import optim_fused

        if optim_fused.fits(value, grad, m_old, v_old):
            new, m, v = optim_fused.adam(value, grad, m_old, v_old, 1.0 - beta_1, 1.0 - beta_2,
                                         alpha, epsilon)
            return new, (m, v)
    m = np.subtract(grad, m_old)  # each line one op of adam_rule, into the same fresh buffers
    np.multiply(m, 1.0 - beta_1, out=m)
    np.add(m_old, m, out=m)
    v = np.multiply(grad, grad)
    np.subtract(v, v_old, out=v)
    np.multiply(v, 1.0 - beta_2, out=v)
    np.add(v_old, v, out=v)
    root = np.sqrt(v)
    np.add(root, epsilon, out=root)
    new = np.multiply(alpha, m)
    np.true_divide(new, root, out=new)
    return np.subtract(value, new, out=new), (m, v)


def _adam_alpha(learning_rate: Any, beta_1: float, beta_2: float, step: float,
                dtype: np.dtype) -> np.ndarray:
    """``adam_rule``'s step size: its ops in float64, then rounded to ``dtype``."""
    steps = np.asarray(step).astype(np.float64)
    alpha = np.true_divide(np.multiply(learning_rate, np.sqrt(np.subtract(1.0, np.power(
        beta_2, steps)))), np.subtract(1.0, np.power(beta_1, steps)))
    return np.asarray(alpha).astype(dtype)


#: The same for every variable of one update: computed once (the arrays are never mutated).
_adam_alpha_cached = functools.lru_cache(maxsize=64)(_adam_alpha)


#: Variables with at least this many elements take the fused loop; smaller ones the NumPy
#: passes (there a call costs more than the passes it saves, and Numba is not even imported).
_FUSED_MIN_SIZE = 1 << 10

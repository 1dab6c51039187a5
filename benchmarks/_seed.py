"""The seeds' linear regression step (y = 10x + 5, absolute error, SGD lr 0.001), shared by the
compiled-engine benchmarks so each measures the same problem."""

from __future__ import annotations

import numpy as np

import workbench as wb


def seed_data(dtype=np.float64) -> tuple[np.ndarray, np.ndarray]:
    """x = 0..10 and y = 10x + 5 in ``dtype``."""
    x = np.arange(11.0).astype(dtype)
    return x, (10 * x + 5).astype(dtype)


def seed_step(dtype=np.float64):
    """The plain Python step and its Variables ``a``, ``b`` (wrap it with ``wb.function``)."""
    a = wb.Variable(0.0, name="a", dtype=dtype)
    b = wb.Variable(0.0, name="b", dtype=dtype)

    def step(x, y):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum(wb.abs(y - (a * x + b)))
        ga, gb = tape.gradient(loss, (a, b))
        a.assign_sub(0.001 * ga)
        b.assign_sub(0.001 * gb)
        return loss

    return step, a, b

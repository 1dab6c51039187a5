"""Jacobian cost: one vectorized reverse pass vs one reverse pass per output row.

``tape.jacobian`` seeds the reverse pass with a batch of one-hot cotangents (the VJP rules accept
leading batch axes), so an n-output Jacobian costs one pass over n-wide cotangents. The loop is
what a tape without that does: n separate passes. Both are measured in the same run.

Run: python benchmarks/jacobian.py
"""

from __future__ import annotations

import platform

import numpy as np
from _timing import best_time, table

import workbench as wb


def vectorized(f, x):
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    return tape.jacobian(y, x)


def row_loop(f, x):
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
        outputs = [y[i] for i in range(y.shape[0])]
    return wb.stack([tape.gradient(yi, x) for yi in outputs])


CASES = {
    "sin, 1000 elements": (wb.sin, lambda: wb.constant(np.linspace(-3, 3, 1000))),
    "tanh(W x), W 200x200": (
        lambda x: wb.tanh(wb.matmul(WEIGHTS, x)), lambda: wb.constant(np.linspace(-1, 1, 200))),
    "softmax, 300 elements": (wb.nn.softmax, lambda: wb.constant(np.linspace(-2, 2, 300))),
}
WEIGHTS = wb.constant(np.random.default_rng(0).normal(size=(200, 200)) / 14)


def main() -> None:
    rows = []
    for name, (f, make_x) in CASES.items():
        x = make_x()
        np.testing.assert_allclose(vectorized(f, x).numpy(), row_loop(f, x).numpy(), atol=1e-12)
        t_vec = best_time(lambda f=f, x=x: vectorized(f, x), repeat=5)
        t_loop = best_time(lambda f=f, x=x: row_loop(f, x), repeat=3)
        rows.append((name, f"{t_vec * 1e3:.2f}", f"{t_loop * 1e3:.1f}", f"{t_loop / t_vec:.0f}x"))
    print(table(
        f"Jacobian: vectorized pass vs one reverse pass per row "
        f"({platform.machine()}, Python {platform.python_version()})",
        ("function", "vectorized ms", "row loop ms", "speed-up"), rows,
    ))


if __name__ == "__main__":
    main()

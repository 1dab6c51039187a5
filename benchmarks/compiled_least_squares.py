"""Least-squares value and gradient, X of shape (10**6, 10) float64: compiled vs hand-fused vs NumPy.

loss = sum((X @ beta - y)**2), grad = 2 X^T (X beta - y). The hand-written reference makes one
fused pass over X (the practical limit); NumPy makes several. Best of 10 runs each.
Run: ``PYTHONPATH=. python3 benchmarks/compiled_least_squares.py``
"""

from __future__ import annotations

import time

import numpy as np
from _timing import best_run
from numba import njit

import workbench as wb


@njit(error_model="numpy")
def fused_by_hand(X, y, beta):
    n, d = X.shape
    grad = np.zeros(d)
    loss = 0.0
    for i in range(n):
        r = -y[i]
        for j in range(d):
            r += X[i, j] * beta[j]
        loss += r * r
        for j in range(d):
            grad[j] += 2.0 * r * X[i, j]
    return loss, grad


def numpy_vg(X, y, beta):
    r = X @ beta - y
    return r @ r, 2 * X.T @ r


@wb.function
def compiled_vg(X, y, beta):
    with wb.GradientTape() as tape:
        tape.watch(beta)
        loss = wb.reduce_sum((X @ beta - y) ** 2)
    return loss, tape.gradient(loss, beta)


def main() -> None:
    rng = np.random.default_rng(0)
    n, d = 1_000_000, 10
    X, y, beta = rng.normal(size=(n, d)), rng.normal(size=n), rng.normal(size=d)
    want_loss, want_grad = numpy_vg(X, y, beta)
    loss, grad = compiled_vg(X, y, beta)
    np.testing.assert_allclose(float(loss), want_loss, rtol=1e-10)
    np.testing.assert_allclose(grad.numpy(), want_grad, rtol=1e-8)
    rows = [("wb.function (compiled)", lambda: compiled_vg(X, y, beta)),
            ("hand-fused @njit", lambda: fused_by_hand(X, y, beta)),
            ("NumPy 2*X.T@(X@b - y)", lambda: numpy_vg(X, y, beta))]
    times = {name: best_run(fn, repeats=10) for name, fn in rows}
    ref = times["hand-fused @njit"]
    print(f"# least squares value+grad, X {n}x{d} float64 ({time.strftime('%Y-%m-%d')}, "
          "2-core CPU)")
    print(f"{'implementation':<26} {'ms':>8} {'vs hand-fused':>14}")
    for name, t in times.items():
        print(f"{name:<26} {t * 1e3:>8.2f} {t / ref:>14.2f}")


if __name__ == "__main__":
    main()

"""Fused gradient-descent runs: step.repeat vs a hand-written @njit loop (same dtype, same work).

Three problems: the seeds' linear regression (absolute error, 100,000 steps), a polynomial
regression (mean squared error, 10,000 steps) and (beta/2 - 1)^2 (10,000 steps). Compile time is
excluded (each kernel runs once first); the table shows the best of several interleaved runs
and the ratio.
Run: ``PYTHONPATH=. python3 benchmarks/compiled_seed.py``
"""

from __future__ import annotations

import platform
import time

import numpy as np
from _seed import seed_data, seed_step
from _timing import best_run
from numba import njit

import workbench as wb


# --- hand-written references (analytic gradients) ----------------------------------------
# Constants come in as arguments of the array's dtype: an untyped literal (2, 1.0) or an int
# from a comparison would silently promote a float32 loop to float64.
@njit(error_model="numpy")
def seed_by_hand(x, y, a, b, lr, zero, one, n):
    loss = zero
    for _ in range(n):
        ga = zero
        gb = zero
        loss = zero
        for i in range(x.size):
            r = y[i] - (a * x[i] + b)
            loss += abs(r)
            if r > 0:
                ga -= x[i]
                gb -= one
            elif r < 0:
                ga += x[i]
                gb += one
        a -= lr * ga
        b -= lr * gb
    return a, b, loss


@njit(error_model="numpy")
def poly_by_hand(x, y, c, lr, two, m, n):
    for _ in range(n):
        g0 = c[0] - c[0]
        g1 = c[0] - c[0]
        g2 = c[0] - c[0]
        for i in range(x.size):
            r = (c[0] * x[i] * x[i] + c[1] * x[i] + c[2]) - y[i]
            g0 += r * x[i] * x[i]
            g1 += r * x[i]
            g2 += r
        c[0] -= lr * (two * g0 / m)
        c[1] -= lr * (two * g1 / m)
        c[2] -= lr * (two * g2 / m)
    return c


@njit(error_model="numpy")
def beta_by_hand(beta, lr, two, one, n):
    for _ in range(n):
        beta -= lr * (beta / two - one)
    return beta


def seed_problem(dtype):
    step_fn, a, b = seed_step(dtype)
    step = wb.function(step_fn)
    x, y = seed_data(dtype)

    def ours():
        a.assign(0.0)
        b.assign(0.0)
        step.repeat(100_000, x, y, record_every=100_000)

    lr = dtype(0.001)
    ref = lambda: seed_by_hand(x, y, dtype(0), dtype(0), lr, dtype(0), dtype(1), 100_000)
    ours()
    got = (float(a.numpy()), float(b.numpy()))
    want = ref()[:2]
    return ours, ref, got, want


def poly_problem(dtype):
    c = wb.Variable([0.0, 0.0, 0.0], name="c", dtype=dtype)

    @wb.function
    def step(x, y):
        with wb.GradientTape() as tape:
            loss = wb.reduce_mean((c[0] * x * x + c[1] * x + c[2] - y) ** 2)
        c.assign_sub(0.1 * tape.gradient(loss, c))
        return loss

    x = np.linspace(-1.0, 1.0, 50).astype(dtype)
    y = (6 * x * x + 8 * x + 2).astype(dtype)

    def ours():
        c.assign([0.0, 0.0, 0.0])
        step.repeat(10_000, x, y, record_every=10_000)

    ref = lambda: poly_by_hand(x, y, np.zeros(3, dtype), dtype(0.1), dtype(2), dtype(50), 10_000)
    ours()
    return ours, ref, tuple(c.numpy()), tuple(ref())


def beta_problem(dtype):
    beta = wb.Variable(0.0, name="beta", dtype=dtype)

    @wb.function
    def step():
        with wb.GradientTape() as tape:
            loss = (beta / 2 - 1) ** 2
        beta.assign_sub(0.1 * tape.gradient(loss, beta))
        return loss

    def ours():
        beta.assign(0.0)
        step.repeat(10_000, record_every=10_000)

    ref = lambda: beta_by_hand(dtype(0), dtype(0.1), dtype(2), dtype(1), 10_000)
    ours()
    return ours, ref, (float(beta.numpy()),), (float(ref()),)


def main() -> None:
    print(f"# step.repeat vs hand-written @njit ({platform.processor() or platform.machine()}, "
          f"{time.strftime('%Y-%m-%d')})")
    print(f"{'problem':<34} {'dtype':<8} {'repeat ms':>10} {'by hand ms':>11} {'ratio':>6}  result (ours | by hand)")
    for label, make in (("seed linear regression, 100k", seed_problem),
                        ("polynomial regression, 10k", poly_problem),
                        ("(beta/2-1)^2, 10k", beta_problem)):
        for dtype in (np.float64, np.float32):
            ours, ref, got, want = make(dtype)
            t_ours = t_ref = float("inf")
            for _ in range(15):  # interleaved, so a burst of load hits both alike
                t_ours = min(t_ours, best_run(ours, repeats=1))
                t_ref = min(t_ref, best_run(ref, repeats=1))
            shown = ", ".join(f"{g:.7g}" for g in got) + " | " + ", ".join(f"{w:.7g}" for w in want)
            print(f"{label:<34} {np.dtype(dtype).name:<8} {t_ours * 1e3:>10.3f} {t_ref * 1e3:>11.3f} "
                  f"{t_ours / t_ref:>6.2f}  {shown}")


if __name__ == "__main__":
    main()

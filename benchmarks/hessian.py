"""Hessians three ways, timed in one run: the closed form from ``tape.derive(..., order=2)``
compiled with ``Derivation.function()``, the tape's nested-jacobian Hessian, and hand-written NumPy.

Run: ``python benchmarks/hessian.py [n]`` (default n = 500).
"""

from __future__ import annotations

import sys
import time
import timeit

import numpy as np

import workbench as wb


def best_ms(fn, number: int, repeat: int = 5) -> float:
    """Best of ``repeat`` timings of ``number`` calls, in milliseconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number * 1e3


def tape_hessian(fn, A: np.ndarray, x: np.ndarray) -> np.ndarray:
    At, xt = wb.constant(A), wb.constant(x)
    with wb.GradientTape() as outer:
        outer.watch(xt)
        with wb.GradientTape() as inner:
            inner.watch(xt)
            y = fn(At, xt)
        g = inner.gradient(y, xt)
    return outer.jacobian(g, xt).numpy()


def derivation(fn, A: np.ndarray, x: np.ndarray) -> tuple[wb.Derivation, float]:
    At, xt = wb.constant(A, name="A"), wb.constant(x, name="x")
    start = time.perf_counter()
    with wb.GradientTape() as tape:
        tape.watch(xt)
        y = fn(At, xt)
    d = tape.derive(y, xt, order=2)
    return d, time.perf_counter() - start


def quadratic(A, x):
    return x @ A @ x


def logistic(A, x):
    return wb.sum(wb.nn.softplus(A @ x))


def hand_quadratic(A, x):
    return A + A.T


def hand_logistic(A, x):
    s = 1.0 / (1.0 + np.exp(-(A @ x)))
    return (A.T * (s * (1.0 - s))) @ A


def main(n: int = 500) -> None:
    rng = np.random.default_rng(0)
    A, x = rng.normal(size=(n, n)) / np.sqrt(n), rng.normal(size=n)
    print(f"Hessians, A {n}x{n}, float64 (best of 5; ratio = time / hand-written NumPy)")
    print(f"{'function':<26} {'method':<34} {'ms':>9} {'ratio':>8} {'max |err|':>10}")
    for label, fn, hand in (("x.T A x", quadratic, hand_quadratic),
                            ("sum(softplus(A x))", logistic, hand_logistic)):
        d, derive_s = derivation(fn, A, x)
        compiled = d.function()
        ref = hand(A, x)
        rows = [
            ("hand-written NumPy", lambda hand=hand: hand(A, x), 50),
            (f"closed form: {d.view} view", lambda f=compiled: f(A=A, x=x), 50),
            ("tape: jacobian of gradient", lambda fn=fn: tape_hessian(fn, A, x), 1),
        ]
        base = None
        for method, call, number in rows:
            ms = best_ms(call, number, repeat=5 if number > 1 else 3)
            base = base or ms
            err = float(np.max(np.abs(np.asarray(call()) - ref)))
            print(f"{label:<26} {method:<34} {ms:>9.3f} {ms / base:>8.2f} {err:>10.1e}")
        print(f"{label:<26} closed form = {wb.symbolic.printing.to_str(d.expr)}")
        print(f"{label:<26} derive (symbolic, checked) took {derive_s:.2f} s once\n")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)

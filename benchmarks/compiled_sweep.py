"""A learning-rate sweep of (beta/2 - 1)^2: ``repeat_map`` of N runs x 10,000 steps.

References in the same run: a hand-written ``@njit`` kernel that interleaves the runs in its
inner loop (SIMD across runs) over blocks of runs on all cores (``prange``), and JAX
``vmap(fori_loop)`` (benchmark-only environment; skipped with a note if missing). Compile time is
excluded (each runs once first); the table shows the best of a few runs and the ratios.
Run: ``PYTHONPATH=. python3 benchmarks/compiled_sweep.py``
"""

from __future__ import annotations

import os
import platform
import time

import numpy as np
from _timing import best_run, table
from numba import njit, prange

import workbench as wb

STEPS = 10_000


@njit(error_model="numpy", parallel=True)
def sweep_by_hand(lrs, beta, n):
    for blk in prange((lrs.size + 63) // 64):
        lo, hi = blk * 64, min(blk * 64 + 64, lrs.size)
        for _ in range(n):
            for i in range(lo, hi):
                beta[i] -= lrs[i] * (beta[i] / 2.0 - 1.0)
    return beta


def ours(n_runs: int):
    beta = wb.Variable(0.0, name="beta")

    @wb.function
    def step(lr):
        with wb.GradientTape() as tape:
            loss = (beta / 2 - 1) ** 2
        beta.assign_sub(lr * tape.gradient(loss, beta))
        return loss

    lrs = np.linspace(0.001, 0.5, n_runs)
    return lambda: step.repeat_map(STEPS, lrs).variables["beta"], lrs


def jax_reference(lrs: np.ndarray):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)

    def run(lr):
        grad = jax.grad(lambda b: (b / 2 - 1) ** 2)
        return jax.lax.fori_loop(0, STEPS, lambda _, b: b - lr * grad(b), 0.0)

    fn = jax.jit(jax.vmap(run))
    lj = jnp.asarray(lrs)
    return lambda: np.asarray(fn(lj).block_until_ready())


def main() -> None:
    print(f"# repeat_map sweep of (beta/2-1)^2, {STEPS} steps per run "
          f"({platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"{time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f})")
    rows, notes = [], []
    for n_runs in (1_000, 10_000):
        run, lrs = ours(n_runs)
        hand = lambda: sweep_by_hand(lrs, np.zeros(n_runs), STEPS)
        got, want = run(), hand()
        assert np.allclose(got, want, rtol=1e-12), "repeat_map disagrees with the reference"
        t_ours, t_hand = best_run(run, repeats=5), best_run(hand, repeats=5)
        jax_run = jax_reference(lrs)
        t_jax = best_run(jax_run, repeats=5) if jax_run else None
        if jax_run is None and not notes:
            notes.append("JAX not importable: its columns are '-'")
        rows.append((n_runs, f"{t_ours * 1e3:.1f}", f"{t_hand * 1e3:.1f}",
                     f"{t_ours / t_hand:.2f}", "-" if t_jax is None else f"{t_jax * 1e3:.1f}",
                     "-" if t_jax is None else f"{t_ours / t_jax:.2f}"))
    print(table("ms per sweep", ("runs", "repeat_map", "by hand", "÷ by hand", "JAX vmap",
                                 "÷ JAX"), rows))
    for note in notes:
        print("note:", note)


if __name__ == "__main__":
    main()

"""A learning-rate sweep of (beta/2 - 1)^2: ``repeat_map`` of N runs x 10,000 steps.

References in the same run, all on every core (``prange`` over blocks of runs): a hand-written
``@njit`` kernel that keeps a block of runs in fixed-length lane arrays (the inner loop over runs
vectorizes: SIMD across runs) and does the least work, ``beta -= lr * (beta / 2 - 1)``; the same
kernel doing the work the traced step asks for (the loss, the gradient as ``2 * t / 2``, a
NaN/infinity check per step), which shows what the generated code costs beyond that work; and JAX
``vmap(fori_loop)`` (benchmark-only environment; skipped with a note if missing). Compile time
is excluded (each runs once first); the table shows the best of a few interleaved runs.
Run: ``PYTHONPATH=. python3 benchmarks/compiled_sweep.py``
"""

from __future__ import annotations

import math
import os
import platform
import time

import numpy as np
from _timing import best_run, table
from numba import njit, prange

import workbench as wb

STEPS = 10_000


LANES = 128  # runs per block: the lane loop has a fixed length and no index wraparound


@njit(error_model="numpy", parallel=True)
def sweep_by_hand(lrs, beta, n):
    for blk in prange((lrs.size + LANES - 1) // LANES):
        lo = blk * LANES
        width = min(LANES, lrs.size - lo)
        b, r = np.empty(LANES), np.empty(LANES)
        for j in range(LANES):  # unused lanes repeat the last run
            b[j], r[j] = beta[lo + min(j, width - 1)], lrs[lo + min(j, width - 1)]
        for _ in range(n):
            for j in range(LANES):
                b[j] -= r[j] * (b[j] / 2.0 - 1.0)
        beta[lo:lo + width] = b[:width]
    return beta


@njit(error_model="numpy", parallel=True)
def same_work_by_hand(lrs, beta, n):
    blocks = (lrs.size + LANES - 1) // LANES
    loss, bad = np.empty_like(beta), np.zeros(blocks, np.bool_)
    for blk in prange(blocks):
        lo = blk * LANES
        width = min(LANES, lrs.size - lo)
        b, r, last = np.empty(LANES), np.empty(LANES), np.empty(LANES)
        for j in range(LANES):
            b[j], r[j] = beta[lo + min(j, width - 1)], lrs[lo + min(j, width - 1)]
        flag = False
        for step in range(n):
            final = step == n - 1
            for j in range(LANES):
                t = b[j] / 2.0 - 1.0
                value = t * t
                b[j] -= r[j] * (2.0 * t / 2.0)
                flag = flag | (not math.isfinite(value)) | (not math.isfinite(b[j]))
                if final:
                    last[j] = value
        bad[blk] = flag
        beta[lo:lo + width] = b[:width]
        loss[lo:lo + width] = last[:width]
    if bad.any():
        raise FloatingPointError("a run diverged")
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
        hand = lambda: sweep_by_hand(lrs, np.zeros(n_runs), STEPS)  # noqa: B023
        same = lambda: same_work_by_hand(lrs, np.zeros(n_runs), STEPS)  # noqa: B023
        got, want = run(), hand()
        assert np.array_equal(got, want), "repeat_map disagrees with the reference"
        assert np.array_equal(same(), want), "the same-work kernel disagrees"
        fns = {"ours": run, "hand": hand, "same": same}
        best = {k: float("inf") for k in fns}
        for _ in range(15):  # interleaved, so a burst of load hits every column alike
            for k, fn in fns.items():
                best[k] = min(best[k], best_run(fn, repeats=1))
        # JAX last: its thread pool would compete with the prange threads if interleaved
        jax_run = jax_reference(lrs)
        if jax_run is None and not notes:
            notes.append("JAX not importable: its columns are '-'")
        elif jax_run is not None:
            best["jax"] = best_run(jax_run, repeats=15)
        t_jax = best.get("jax")
        rows.append((n_runs, f"{best['ours'] * 1e3:.2f}", f"{best['hand'] * 1e3:.2f}",
                     f"{best['ours'] / best['hand']:.2f}", f"{best['same'] * 1e3:.2f}",
                     f"{best['ours'] / best['same']:.2f}",
                     "-" if t_jax is None else f"{t_jax * 1e3:.2f}",
                     "-" if t_jax is None else f"{best['ours'] / t_jax:.2f}"))
    print(table("ms per sweep", ("runs", "repeat_map", "by hand", "÷ by hand", "same work",
                                 "÷ same work", "JAX vmap", "÷ JAX"), rows))
    for note in notes:
        print("note:", note)


if __name__ == "__main__":
    main()

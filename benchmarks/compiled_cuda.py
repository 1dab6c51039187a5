"""CUDA target vs CPU target on the same batched work (needs a GPU; ``--small`` for the simulator).

(a) value + gradient of the seeds' loss on a 1000x1000 grid of (a, b) points (10**6 copies);
(b) a learning-rate sweep: 10,000 gradient-descent runs of the seed step, 1,000 steps each.
Times exclude compilation (each kernel runs once first) and include host/device copies.
Run: ``PYTHONPATH=. python3 benchmarks/compiled_cuda.py``
"""

from __future__ import annotations

import sys
import time

import numpy as np
from _timing import best_run

import workbench as wb


def main() -> None:
    small = "--small" in sys.argv
    side, runs, steps = (20, 50, 20) if small else (1000, 10_000, 1000)
    x = np.arange(11.0)
    y = 10 * x + 5

    def value_and_grad(a, b, x, y):
        with wb.GradientTape() as tape:
            tape.watch([a, b])
            loss = wb.reduce_sum(wb.abs(y - (a * x + b)))
        return loss, tape.gradient(loss, [a, b])

    a = wb.Variable(0.0, name="a")
    b = wb.Variable(0.0, name="b")

    def step(x, y, lr):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum(wb.abs(y - (a * x + b)))
        ga, gb = tape.gradient(loss, (a, b))
        a.assign_sub(lr * ga)
        b.assign_sub(lr * gb)
        return loss

    grid_a, grid_b = (g.ravel() for g in np.meshgrid(np.linspace(0, 20, side),
                                                     np.linspace(-5, 10, side)))
    rates = np.geomspace(1e-5, 1e-2, runs)
    rows = []
    for target in ("cuda", "cpu"):
        vg = wb.function(value_and_grad, target=target)
        sweep = wb.function(step, target=target)
        t_grid = best_run(lambda: vg.map(grid_a, grid_b, x, y, in_axes=(0, 0, None, None)),  # noqa: B023
                          repeats=3)
        t_sweep = best_run(lambda: sweep.repeat_map(steps, x, y, rates,  # noqa: B023
                                                     in_axes=(None, None, 0)), repeats=3)
        rows.append((target, t_grid, t_sweep))
    print(f"# CUDA vs CPU target ({time.strftime('%Y-%m-%d')}; grid {side}x{side}, "
          f"sweep {runs} runs x {steps} steps)")
    print(f"{'target':<8} {'grid s':>10} {'sweep s':>10}")
    for target, t_grid, t_sweep in rows:
        print(f"{target:<8} {t_grid:>10.4f} {t_sweep:>10.4f}")
    (_, g_gpu, s_gpu), (_, g_cpu, s_cpu) = rows
    print(f"speed-up of cuda over cpu: grid {g_cpu / g_gpu:.1f}x, sweep {s_cpu / s_gpu:.1f}x")


if __name__ == "__main__":
    main()

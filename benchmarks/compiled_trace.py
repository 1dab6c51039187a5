"""Trace + codegen of the least-squares value-and-gradient step, X of n×10 float64, n = 10⁵…10⁷.

Shape-only tracing (the default) against tracing on the data (``shapes_only=False``, what
``wb.function`` did before): codegen is the lowered step and repeat sources, no Numba compile.
Target: trace + codegen ≤ 0.05 s at every n. Median of 5 runs (3 for the data trace).
Run: ``PYTHONPATH=. python3 benchmarks/compiled_trace.py [max_exponent]``
"""

from __future__ import annotations

import os
import statistics
import sys
import time

import numpy as np

import workbench as wb
from workbench.compile.function import Concrete
from workbench.compile.trace import trace


def least_squares(X, y, beta):
    with wb.GradientTape() as tape:
        tape.watch(beta)
        loss = wb.reduce_sum((X @ beta - y) ** 2)
    return loss, tape.gradient(loss, beta)


def trace_and_codegen(args: tuple, shapes_only: bool) -> tuple[float, float, bool]:
    """Seconds of the trace, of trace + codegen, and whether the trace was shape-only."""
    start = time.perf_counter()
    traced = trace(least_squares, args, (0, 1, 2), shapes_only=shapes_only)
    traced_at = time.perf_counter()
    Concrete(traced, use_disk=False)  # lowering and the generated sources; compiles nothing
    return traced_at - start, time.perf_counter() - start, traced.shapes_only


def main() -> None:
    top = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    rng = np.random.default_rng(0)
    load = os.getloadavg()[0]
    print(f"# trace + codegen of the least-squares step, X n×10 float64 "
          f"({time.strftime('%Y-%m-%d')}, 2-core CPU, load {load:.1f})")
    print(f"{'n':>10} {'shape-only trace':>17} {'+ codegen ms':>13} {'on the data ms':>15} "
          f"{'speed-up':>9} {'target':>7}")
    trace_and_codegen((np.ones((10, 10)), np.ones(10), np.ones(10)), True)  # warm imports
    for e in range(5, top + 1):
        n = 10**e
        args = (rng.normal(size=(n, 10)), rng.normal(size=n), rng.normal(size=10))
        traces, staged, concrete = [], [], []
        for k in range(5):  # interleaved, so both see the same machine load
            t, total, used = trace_and_codegen(args, True)
            assert used, "the shape-only trace fell back to the data"
            traces.append(t)
            staged.append(total)
            if k < 3:
                concrete.append(trace_and_codegen(args, False)[1])
        fast, slow = statistics.median(staged), statistics.median(concrete)
        print(f"{n:>10} {statistics.median(traces) * 1e3:>14.2f} ms {fast * 1e3:>13.2f} "
              f"{slow * 1e3:>15.1f} {slow / fast:>8.0f}× {'met' if fast <= 0.05 else 'MISSED':>7}")


if __name__ == "__main__":
    main()

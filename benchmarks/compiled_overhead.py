"""Per-call overhead: one compiled seed step called from a Python loop, against the raw kernel.

``step(x, y)`` checks the signature, reads the Variables, runs the Numba kernel, boxes the loss and
writes the Variables back. The raw kernel call (no wrapper) and the eager tape step are shown for
scale. Run: ``PYTHONPATH=. python3 benchmarks/compiled_overhead.py``
"""

from __future__ import annotations

import time

from _seed import seed_data, seed_step

import workbench as wb


def per_call(fn, n: int, repeats: int = 5) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best


def main() -> None:
    step, a, b = seed_step()
    compiled = wb.function(step)
    x, y = seed_data()
    compiled(x, y)
    concrete = compiled.concrete(x, y)
    kernel, hidden = concrete.step_kernel, concrete.hidden
    av, bv = a._value[()], b._value[()]
    xt, yt = wb.constant(x), wb.constant(y)
    rows = [("step(x, y) compiled", lambda: compiled(x, y), 20_000),
            ("raw Numba kernel (no wrapper)", lambda: kernel(x, y, av, bv, *hidden), 20_000),
            ("eager tape step", lambda: step(xt, yt), 500)]
    print(f"# one call from Python ({time.strftime('%Y-%m-%d')}, 2-core CPU)")
    print(f"{'call':<32} {'us per call':>12}")
    for name, fn, n in rows:
        print(f"{name:<32} {per_call(fn, n) * 1e6:>12.2f}")


if __name__ == "__main__":
    main()

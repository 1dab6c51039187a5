"""Eager-mode overhead: microseconds per recorded op (forward + record + reverse pass).

A 100-op chain (sin, scale, shift, tanh repeated) on a scalar and on 1000-element arrays, next
to the same arithmetic in plain Python/NumPy with a hand-written backward pass (the floor),
measured in the same run. PyTorch and HIPS autograd are timed too when importable.

Run: python benchmarks/eager_overhead.py [--cpu-time [--reps N]]. With ``--cpu-time`` the engines
are timed in interleaved rounds by the calling thread's CPU time (``time.thread_time``), so other
processes on a shared machine slow them alike; the table gives the median and 10th percentile
per round, and workbench's time over PyTorch's paired round by round.
"""

from __future__ import annotations

import argparse
import math
import platform
import time

import numpy as np
from _timing import best_time, table

import workbench as wb

REPEATS = 25  # 4 ops each: 100 ops


def wb_chain(x):
    for _ in range(REPEATS):
        x = wb.tanh(wb.sin(x) * 1.01 + 0.5)
    return x


def wb_step(x0):
    with wb.GradientTape() as tape:
        tape.watch(x0)
        y = wb_chain(x0)
    return tape.gradient(y, x0)


def numpy_step(x0, sin=np.sin, cos=np.cos, tanh=np.tanh):
    """Forward keeping intermediates, then the chain rule by hand: the floor."""
    x, saved = x0, []
    for _ in range(REPEATS):
        s = sin(x)
        t = tanh(s * 1.01 + 0.5)
        saved.append((x, t))
        x = t
    g = 1.0
    for xi, t in reversed(saved):
        g = g * (1.0 - t * t) * 1.01 * cos(xi)
    return g


def torch_step_factory(value):
    import torch

    x0 = torch.tensor(value, dtype=torch.float64, requires_grad=True)

    def step():
        x = x0
        for _ in range(REPEATS):
            x = torch.tanh(torch.sin(x) * 1.01 + 0.5)
        (g,) = torch.autograd.grad(x.sum(), x0)
        return g

    return step


def autograd_step_factory(value):
    import autograd
    import autograd.numpy as anp

    def f(x):
        for _ in range(REPEATS):
            x = anp.tanh(anp.sin(x) * 1.01 + 0.5)
        return anp.sum(x)

    grad = autograd.grad(f)
    return lambda: grad(value)


def interleaved(engines: dict, reps: int, min_time: float = 0.02) -> dict[str, list[float]]:
    """Seconds per call of each engine, ``reps`` rounds of thread CPU time, engines interleaved."""
    number = {}
    for name, fn in engines.items():
        fn()
        n, start = 1, time.thread_time()
        while True:
            for _ in range(n):
                fn()
            if time.thread_time() - start >= min_time or n >= 1 << 16:
                break
            n, start = n * 2, time.thread_time()
        number[name] = n
    times: dict[str, list[float]] = {name: [] for name in engines}
    for _ in range(reps):
        for name, fn in engines.items():
            n = number[name]
            start = time.thread_time()
            for _ in range(n):
                fn()
            times[name].append((time.thread_time() - start) / n)
    return times


def main_cpu_time(reps: int) -> None:
    n_ops = 4 * REPEATS
    rows = []
    for label, value in (("scalar", 0.3), ("1000 elements", np.linspace(-1.0, 1.0, 1000))):
        x = wb.constant(value)
        np.testing.assert_allclose(wb_step(x).numpy(), numpy_step(value), rtol=1e-12)
        engines = {"workbench tape": lambda x=x: wb_step(x)}
        if label == "scalar":
            engines["plain Python (math)"] = lambda v=value: numpy_step(v, math.sin, math.cos,
                                                                         math.tanh)
        else:
            engines["NumPy, hand-written backward"] = lambda v=value: numpy_step(v)
        try:
            engines["PyTorch eager"] = torch_step_factory(value)
        except ImportError:
            pass
        times = interleaved(engines, reps)
        for name, ts in times.items():
            ts = sorted(ts)
            rows.append((label, name, f"{ts[len(ts) // 2] / n_ops * 1e6:.2f}",
                         f"{ts[len(ts) // 10] / n_ops * 1e6:.2f}", ""))
        if "PyTorch eager" in times:
            ratios = sorted(a / b for a, b in zip(times["workbench tape"], times["PyTorch eager"],
                                                  strict=True))
            rows.append((label, "workbench / PyTorch", "", "", f"{ratios[len(ratios) // 2]:.2f}x"))
    print(table(
        f"Eager overhead per op (thread CPU time, {reps} interleaved rounds), 100-op chain "
        f"({platform.processor() or platform.machine()}, {platform.python_version()})",
        ("input", "engine", "median us/op", "p10 us/op", "paired median"), rows,
    ))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-time", action="store_true",
                        help="interleaved rounds timed by thread CPU time (for a shared machine)")
    parser.add_argument("--reps", type=int, default=21, help="rounds with --cpu-time")
    args = parser.parse_args()
    if args.cpu_time:
        main_cpu_time(args.reps)
        return
    n_ops = 4 * REPEATS
    rows = []
    for label, value in (("scalar", 0.3), ("1000 elements", np.linspace(-1.0, 1.0, 1000))):
        x = wb.constant(value)
        check = wb_step(x).numpy()
        if label == "scalar":
            ref = best_time(lambda v=value: numpy_step(v, math.sin, math.cos, math.tanh))
            ref_name = "plain Python (math)"
        else:
            ref = best_time(lambda v=value: numpy_step(v))
            ref_name = "NumPy, hand-written backward"
        np.testing.assert_allclose(check, numpy_step(value), rtol=1e-12)
        t_wb = best_time(lambda x=x: wb_step(x))
        rows.append((label, "workbench tape", f"{t_wb / n_ops * 1e6:.2f}", f"{t_wb / ref:.1f}x"))
        rows.append((label, ref_name, f"{ref / n_ops * 1e6:.2f}", "1.0x"))
        for name, factory in (("PyTorch eager", torch_step_factory),
                              ("HIPS autograd", autograd_step_factory)):
            try:
                other = factory(value)
            except ImportError:
                continue
            t = best_time(other)
            rows.append((label, name, f"{t / n_ops * 1e6:.2f}", f"{t / ref:.1f}x"))
    print(table(
        f"Eager overhead per op, 100-op chain, forward + record + reverse "
        f"({platform.processor() or platform.machine()}, {platform.python_version()})",
        ("input", "engine", "us/op", "vs floor"), rows,
    ))


if __name__ == "__main__":
    main()

"""The ``workbench demo`` tour: each section shows one capability on the classic examples."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import workbench as wb


def tape_basics(out: Callable[[str], None]) -> None:
    x = wb.constant(3.0, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x**3
    out(f"d(x^3)/dx at x=3           = {float(tape.gradient(y, x)):g}   (3x^2 = 27)")

    with wb.GradientTape() as outer:
        outer.watch(x)
        with wb.GradientTape() as inner:
            inner.watch(x)
            y = x**3
        dy = inner.gradient(y, x)
    out(f"d2(x^3)/dx2 (nested tapes) = {float(outer.gradient(dy, x)):g}   (6x = 18)")

    x = wb.constant([1.0, 3.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    out(f"persistent tape: dz/dx = {tape.gradient(z, x).numpy()}, dy/dx = {tape.gradient(y, x).numpy()}")

    x = wb.constant(2.0, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.sin(x) * x
    out("the recorded graph of sin(x) * x:")
    for line in str(tape.graph(y)).splitlines():
        out("    " + line)


def derive(out: Callable[[str], None]) -> None:
    x = wb.constant(3.0, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    out(str(tape.derive(z, x)))

    xs = np.array([20.1, 22.2, 22.7, 23.3, 24.4, 25.1, 26.2, 27.3, 28.4, 30.4])
    X = wb.constant(np.column_stack([np.ones_like(xs), xs]), name="X")
    y = wb.constant(3.0 + 0.5 * xs + np.sin(xs), name="y")
    beta = wb.Variable([0.0, 0.0], name="beta")
    with wb.GradientTape() as tape:
        r = y - X @ beta
        loss = r.T @ r
    out("\nleast squares, loss = (y - X beta).T (y - X beta):")
    out(str(tape.derive(loss, beta)))
    out(str(tape.solve_stationary(loss, beta)))


def explain_none(out: Callable[[str], None]) -> None:
    w = wb.Variable(2.0, name="w")
    with wb.GradientTape() as tape:
        y = wb.constant(np.sin(w)) * 2.0  # np.sin takes the value off the tape
    out(f"gradient: {tape.gradient(y, w)}")
    out("tape.explain: " + tape.explain(y, w))


def linear_regression(out: Callable[[str], None], steps: int = 20_000) -> None:
    xs = wb.constant(np.arange(11.0))
    ys = 10.0 * xs + 5.0
    a, b = wb.Variable(0.0, name="a"), wb.Variable(0.0, name="b")
    report_every = steps // 4
    for step in range(1, steps + 1):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum(wb.abs(ys - (a * xs + b)))
        ga, gb = tape.gradient(loss, (a, b))
        a.assign_sub(0.001 * ga)
        b.assign_sub(0.001 * gb)
        if step % report_every == 0:
            out(f"step {step:6d}  loss {float(loss):9.4f}  a {float(a):.4f}  b {float(b):.4f}")


def jacobians(out: Callable[[str], None]) -> None:
    x = wb.constant([[1.0, 2.0], [3.0, 4.0]])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.nn.softmax(x)
    out(f"batch_jacobian of softmax, first example:\n{tape.batch_jacobian(y, x).numpy()[0]}")


def check(out: Callable[[str], None]) -> None:
    report = wb.check_gradients(lambda x: wb.reduce_sum(wb.sin(x) * x**2), np.array([0.5, 1.0, 2.0]))
    out(str(report))

    @wb.custom_gradient
    def bad_square(x):
        return x * x, lambda upstream: upstream * 3 * x  # wrong on purpose: d(x^2)/dx = 2x

    try:
        wb.check_gradients(lambda x: wb.reduce_sum(bad_square(x)), np.array([1.0, 2.0]),
                           engines=("tape", "fd"))
    except wb.GradientMismatch as mismatch:
        out("a deliberately wrong custom gradient is caught:")
        out(str(mismatch).splitlines()[1])


def compiled(out: Callable[[str], None]) -> None:
    import time

    a, b = wb.Variable(0.0, name="a"), wb.Variable(0.0, name="b")

    @wb.function
    def step(x, y):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum(wb.abs(y - (a * x + b)))
        ga, gb = tape.gradient(loss, (a, b))
        a.assign_sub(0.001 * ga)
        b.assign_sub(0.001 * gb)
        return loss

    x = np.arange(11.0)
    y = 10.0 * x + 5.0
    start = time.perf_counter()
    step(x, y)  # traces and compiles (or loads the cached kernel)
    out(f"first call (trace + compile or cache load): {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    history = step.repeat(100_000, x, y, record_every=25_000)
    out(f"step.repeat(100_000): {(time.perf_counter() - start) * 1e3:.1f} ms in one compiled loop")
    for i, (k, loss) in enumerate(zip(history.steps, history.outputs, strict=True)):
        out(f"step {k:6d}  loss {loss:9.4f}  a {history['a'][i]:.4f}  b {history['b'][i]:.4f}")
    out("the generated kernel (step.source), first lines of its loop:")
    body = [line for line in step.source.splitlines() if line.startswith("    ")]
    for line in body[:8]:
        out("  " + line)


SECTIONS: dict[str, Callable[[Callable[[str], None]], None]] = {
    "The tape: first, second and persistent gradients": tape_basics,
    "Derive: closed forms, the tape's own reverse pass as a formula, and a check": derive,
    "Why is my gradient None?": explain_none,
    "Linear regression y = 10x + 5, absolute error, SGD lr 0.001 (eager)": linear_regression,
    "Jacobians in one vectorized pass": jacobians,
    "Checking gradients every way (tape, finite differences, SymPy)": check,
    "Compiled: the same training step with wb.function, 100,000 steps in one Numba loop": compiled,
}


def run(out: Callable[[str], None] = print) -> None:
    """Print every section of the tour."""
    for title, section in SECTIONS.items():
        out(f"\n== {title} ==")
        section(out)

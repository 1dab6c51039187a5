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
    out(f"persistent tape: dz/dx = {tape.gradient(z, x).numpy()}, "
        f"dy/dx = {tape.gradient(y, x).numpy()}")

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


EAGER_STEPS = 2_000
COMPILED_STEPS = 100_000


def _seed_step() -> tuple[Callable, wb.Variable, wb.Variable]:
    """The seed regression's SGD step (absolute error, lr 0.001) and its two Variables."""
    a, b = wb.Variable(0.0, name="a"), wb.Variable(0.0, name="b")

    def step(x, y):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum(wb.abs(y - (a * x + b)))
        ga, gb = tape.gradient(loss, (a, b))
        a.assign_sub(0.001 * ga)
        b.assign_sub(0.001 * gb)
        return loss

    return step, a, b


SEED_X = np.arange(11.0)
SEED_Y = 10.0 * SEED_X + 5.0


def linear_regression(out: Callable[[str], None], steps: int = EAGER_STEPS) -> None:
    step, a, b = _seed_step()
    x, y = wb.constant(SEED_X), wb.constant(SEED_Y)
    for k in range(1, steps + 1):
        loss = step(x, y)
        if k % (steps // 4) == 0:
            out(f"step {k:6d}  loss {float(loss):9.4f}  a {float(a):.4f}  b {float(b):.4f}")
    out(f"(eager: one tape per step; the compiled section runs these same {steps:,} steps and "
        f"then continues to {COMPILED_STEPS:,})")


def jacobians(out: Callable[[str], None]) -> None:
    x = wb.constant([[1.0, 2.0], [3.0, 4.0]])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.nn.softmax(x)
    out(f"batch_jacobian of softmax, first example:\n{tape.batch_jacobian(y, x).numpy()[0]}")


def check(out: Callable[[str], None]) -> None:
    report = wb.check_gradients(lambda x: wb.reduce_sum(wb.sin(x) * x**2),
                                np.array([0.5, 1.0, 2.0]))
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

    fn, a, b = _seed_step()
    step = wb.function(fn)
    start = time.perf_counter()
    step.repeat(1, SEED_X, SEED_Y)  # traces and compiles the fused loop (or loads it from cache)
    out(f"compile (trace + Numba, or cache load): {time.perf_counter() - start:.2f} s")
    a.assign(0.0)
    b.assign(0.0)  # start again from the eager run's starting point
    start = time.perf_counter()
    first = step.repeat(EAGER_STEPS, SEED_X, SEED_Y, record_every=EAGER_STEPS)
    rest = step.repeat(COMPILED_STEPS - EAGER_STEPS, SEED_X, SEED_Y, record_every=24_500)
    took = time.perf_counter() - start
    out(f"run: {COMPILED_STEPS:,} steps in {took * 1e3:.1f} ms in one compiled loop "
        f"({took / COMPILED_STEPS * 1e9:.0f} ns per step)")
    out(f"after {EAGER_STEPS:,} steps, as in the eager run: a {first['a'][-1]:.4f}  "
        f"b {first['b'][-1]:.4f}")
    for i, (k, loss) in enumerate(zip(rest.steps, rest.outputs, strict=True)):
        out(f"step {k + EAGER_STEPS:6d}  loss {loss:9.4f}  a {rest['a'][i]:.4f}  "
            f"b {rest['b'][i]:.4f}")
    out(f"(the same {EAGER_STEPS:,} steps give the same a and b eagerly and compiled; with the "
        "absolute error the gradient is a sum of signs, so a fixed learning rate settles into "
        "a small cycle near a = 10, b = 5 instead of converging)")
    out("the generated kernel (step.source), first lines of its loop:")
    lines = step.source.splitlines()
    loop = next((k for k, line in enumerate(lines) if line.lstrip().startswith("for ")), 0)
    for line in lines[loop:loop + 8]:
        out("  " + line)


def keras_digits(out: Callable[[str], None]) -> None:
    import time

    from workbench import keras

    try:
        (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    except ImportError as missing:  # scikit-learn is an optional extra
        out(f"skipped: {missing}")
        return
    wb.random.set_seed(0)
    model = keras.Sequential([
        keras.layers.Flatten(input_shape=(8, 8)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(10),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    start = time.perf_counter()
    model.fit(x_train / 16.0, y_train, batch_size=64, epochs=5, verbose=0)
    took = time.perf_counter() - start
    loss, accuracy = model.evaluate(x_test / 16.0, y_test, verbose=0)
    out(f"Sequential Flatten -> Dense 64 relu -> Dense 10 ({model.count_params():,} parameters), "
        f"Adam, 5 epochs on {len(x_train):,} 8x8 digits in {took:.1f} s")
    out(f"held-out {len(x_test):,} digits: loss {loss:.3f}, accuracy {accuracy:.1%}")


SECTIONS: dict[str, Callable[[Callable[[str], None]], None]] = {
    "The tape: first, second and persistent gradients": tape_basics,
    "Derive: closed forms, the tape's own reverse pass as a formula, and a check": derive,
    "Why is my gradient None?": explain_none,
    "Linear regression y = 10x + 5, absolute error, SGD lr 0.001 (eager, 2,000 steps)":
        linear_regression,
    "Jacobians in one vectorized pass": jacobians,
    "Checking gradients every way (tape, finite differences, SymPy)": check,
    "Compiled: the same step with wb.function, 100,000 steps in one Numba loop": compiled,
    "Keras on the tape: a classifier for scikit-learn's 8x8 digits": keras_digits,
}


def run(out: Callable[[str], None] = print) -> None:
    """Print every section of the tour."""
    for title, section in SECTIONS.items():
        out(f"\n== {title} ==")
        section(out)

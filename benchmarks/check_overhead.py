"""What one ``check_gradients`` call costs, as a multiple of one tape gradient of the same
function (measured in the same run). Run: ``python benchmarks/check_overhead.py``."""

import time

import numpy as np

import workbench as wb

RNG = np.random.default_rng(0)


def mlp(w1, w2, x):
    return wb.sum(wb.tanh(wb.tanh(x @ w1) @ w2) ** 2)


def least_squares(beta, x, y):
    r = y - x @ beta
    return wb.sum(r * r)


CASES = {
    "polynomial, 3 elements": (lambda x: wb.sum(3 * x**4 - 2 * x**3 + x), (RNG.normal(size=3),)),
    "least squares, 2 params": (least_squares, (RNG.normal(size=2), RNG.normal(size=(10, 2)),
                                                RNG.normal(size=10))),
    "tanh MLP, 30 params": (mlp, (RNG.normal(size=(4, 5)), RNG.normal(size=(5, 2)),
                                  RNG.normal(size=(6, 4)))),
    "tanh MLP, 1100 params": (mlp, (RNG.normal(size=(20, 50)), RNG.normal(size=(50, 2)),
                                    RNG.normal(size=(64, 20)))),
}


def best_of(fn, *args, repeat=5, **kwargs):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - t0)
    return min(times)


def tape_gradient(f, args):
    xs = [wb.constant(a) for a in args]
    with wb.GradientTape() as tape:
        tape.watch(xs)
        y = f(*xs)
    return tape.gradient(y, xs)


def main():
    print(f"{'case':26} {'order':>5} {'tape grad (ms)':>15} {'check (ms)':>11} {'ratio':>7}")
    for name, (f, args) in CASES.items():
        base = best_of(tape_gradient, f, args)
        for order in (1, 2):
            t = best_of(wb.check_gradients, f, *args, order=order, engines=("tape", "fd"),
                        repeat=3)
            print(f"{name:26} {order:>5} {base * 1e3:>15.3f} {t * 1e3:>11.2f} {t / base:>7.0f}")


if __name__ == "__main__":
    main()

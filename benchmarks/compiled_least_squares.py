"""Least-squares value and gradient, X of shape (10**6, 10) float64: compiled vs hand-fused vs
NumPy, and every time against the memory-bandwidth floor measured in the same run.

loss = sum((X @ beta - y)**2), grad = 2 X^T (X beta - y). The hand-written references make one
fused pass over X, on one core and on both (``prange`` over row chunks); NumPy makes several.

Two floors, measured in the same run. The read floor (the one the ratios are judged by): the
time to read X and y once, their bytes over the bandwidth of a parallel read-only pass on every
core (a ``prange`` sum over the same arrays: the one pass the step cannot avoid, on the cores the
step uses). The copy floor (the issue's first definition): X's bytes over the bandwidth of
``np.copyto`` of X (one core; bytes read + bytes written per second). Best of 20 runs each,
interleaved.
Run: ``PYTHONPATH=. python3 benchmarks/compiled_least_squares.py``
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np
from numba import njit, prange

import workbench as wb
from workbench.compile import fusion

#: Row chunks of the parallel references (a fixed count: the result is the same on any
#: number of threads).
CHUNKS = 16


def prange_only() -> dict:
    """Numba's parallel options for one parallel loop per call, as the compiled kernel has
    (array expressions stay serial: each extra parallel region costs a wait on a busy machine).
    A new dict each time: Numba empties the one it is given."""
    return {"prange": True, "comprehension": False, "reduction": False, "inplace_binop": False,
            "setitem": False, "numpy": False, "stencil": False, "fusion": False}


@njit(error_model="numpy")
def rows_by_hand(X, y, beta, lo, hi, grad):
    """One fused pass over rows lo..hi: the loss returned, the gradient added into ``grad``."""
    loss = 0.0
    for i in range(lo, hi):
        r = -y[i]
        for j in range(X.shape[1]):
            r += X[i, j] * beta[j]
        loss += r * r
        for j in range(X.shape[1]):
            grad[j] += 2.0 * r * X[i, j]
    return loss


@njit(error_model="numpy")
def fused_by_hand(X, y, beta):
    grad = np.zeros(X.shape[1])
    return rows_by_hand(X, y, beta, 0, X.shape[0], grad), grad


@njit(error_model="numpy", parallel=prange_only())
def fused_by_hand_parallel(X, y, beta):
    n, d = X.shape
    losses = np.zeros(CHUNKS)
    grads = np.zeros((CHUNKS, d))
    for c in prange(CHUNKS):  # each chunk's gradient in its own row: no allocation in the loop
        losses[c] = rows_by_hand(X, y, beta, c * n // CHUNKS, (c + 1) * n // CHUNKS, grads[c])
    return losses.sum(), grads.sum(axis=0)


@njit(parallel=prange_only())
def read_pass(a, b):
    """Read every element of ``a`` and ``b`` once on every core (the floor's one pass; the
    chunk sums are ``fastmath``, in SIMD lanes, so the pass is bound by memory, not by adds)."""
    total = np.zeros(CHUNKS)
    for c in prange(CHUNKS):
        total[c] = _sum(a[c * a.size // CHUNKS:(c + 1) * a.size // CHUNKS])
        total[c] += _sum(b[c * b.size // CHUNKS:(c + 1) * b.size // CHUNKS])
    return total.sum()


@njit(fastmath=True)
def _sum(a):
    s = 0.0
    for i in range(a.size):  # from 0: vectorised (a loop from an offset measured 10x slower)
        s += a[i]
    return s


def numpy_vg(X, y, beta):
    r = X @ beta - y
    return r @ r, 2 * X.T @ r


@wb.function
def compiled_vg(X, y, beta):
    with wb.GradientTape() as tape:
        tape.watch(beta)
        loss = wb.reduce_sum((X @ beta - y) ** 2)
    return loss, tape.gradient(loss, beta)


def one_core(fn):
    """``fn`` compiled with its loop on one core (the row threshold for chunks raised)."""
    old, fusion.PARALLEL_MIN_ROWS = fusion.PARALLEL_MIN_ROWS, 1 << 62
    try:
        compiled = wb.function(fn)
        compiled.concrete(*ARGS).source  # lowered now  # noqa: B018
        return compiled
    finally:
        fusion.PARALLEL_MIN_ROWS = old


def interleaved_best(rows: dict, repeats: int = 20) -> dict:
    """Best single-call time of each function, the functions run in turn ``repeats`` times."""
    for fn in rows.values():
        fn()
    best = dict.fromkeys(rows, float("inf"))
    for _ in range(repeats):
        for name, fn in rows.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


N, D = 1_000_000, 10
_rng = np.random.default_rng(0)
ARGS = (_rng.normal(size=(N, D)), _rng.normal(size=N), _rng.normal(size=D))


def main() -> None:
    n, d = N, D
    X, y, beta = ARGS
    serial_vg = one_core(compiled_vg.fn)
    want_loss, want_grad = numpy_vg(X, y, beta)
    for loss, grad in (compiled_vg(X, y, beta), serial_vg(X, y, beta),
                       fused_by_hand_parallel(X, y, beta)):
        np.testing.assert_allclose(float(loss), want_loss, rtol=1e-10)
        np.testing.assert_allclose(np.asarray(grad), want_grad, rtol=1e-8)
    flat, copy = X.reshape(-1), np.empty_like(X)
    rows = {"wb.function (compiled)": lambda: compiled_vg(X, y, beta),
            "wb.function, one core": lambda: serial_vg(X, y, beta),
            "hand-fused @njit": lambda: fused_by_hand(X, y, beta),
            "hand-fused prange": lambda: fused_by_hand_parallel(X, y, beta),
            "NumPy 2*X.T@(X@b - y)": lambda: numpy_vg(X, y, beta),
            "read pass (floor)": lambda: read_pass(flat, y),
            "np.copyto of X": lambda: np.copyto(copy, X)}
    times = interleaved_best(rows)
    floor = times.pop("read pass (floor)")
    copy_time = times.pop("np.copyto of X")
    read_bytes = X.nbytes + y.nbytes
    copy_rate = 2 * X.nbytes / copy_time  # bytes read + bytes written per second
    copy_floor = X.nbytes / copy_rate
    ref = times["hand-fused @njit"]
    print(f"# least squares value+grad, X {n}x{d} float64 ({time.strftime('%Y-%m-%d')}, "
          f"{os.cpu_count()}-core CPU, {numba.get_num_threads()} Numba threads, "
          f"load {os.getloadavg()[0]:.2f})")
    print(f"# read floor: {read_bytes / 1e6:.0f} MB of X and y read once at "
          f"{read_bytes / floor / 1e9:.1f} GB/s (parallel read pass) = {floor * 1e3:.2f} ms")
    print(f"# copy floor: X's {X.nbytes / 1e6:.0f} MB at the np.copyto bandwidth "
          f"({copy_rate / 1e9:.1f} GB/s read + written, one core) = {copy_floor * 1e3:.2f} ms")
    print(f"{'implementation':<26} {'ms':>8} {'vs hand-fused':>14} {'vs read floor':>14} "
          f"{'vs copy floor':>14}")
    for name, t in times.items():
        print(f"{name:<26} {t * 1e3:>8.2f} {t / ref:>14.2f} {t / floor:>14.2f} "
              f"{t / copy_floor:>14.2f}")

if __name__ == "__main__":
    main()

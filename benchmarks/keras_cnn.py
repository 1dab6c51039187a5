"""The seed CNN and the seed's Dense-only model on the tape: ms per training step (forward,
backward, Adam; batch 128 of 28x28x1, float32), eager and compiled, against PyTorch CPU with the
same thread count in the same run; then epochs and wall time to 97% on the 8x8 digits.

PyTorch comes from a benchmark-only environment (never a dependency of the package); without it
the PyTorch column says so. TensorFlow's Keras (the same model, Adam and loss, with as many
intra-op and inter-op threads) gives a second column where it is importable: its eager step in
the eager rows, its ``@tf.function`` step in the compiled rows. The table gives medians of single
steps, workbench's and the references' alternating (the Dense rows take 20 times as many; the
load average is printed with it: on a shared machine the numbers are noisy, and multi-threaded
BLAS on an oversubscribed machine stalls on its barriers, so compare with ``--threads 1`` there).
Run:
``PYTHONPATH=. python3 benchmarks/keras_cnn.py [--steps N] [--threads N] [--cpu-time]
[--no-compiled] [--no-digits]`` (``--cpu-time``: CPU seconds of the calling thread instead of
wall seconds, which on a loaded machine include the time other processes hold the cores).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

import numpy as np
from _timing import table

import workbench as wb
from workbench import keras

BATCH = 128
L = keras.layers


#: What a step's time is read from: wall time, or with ``--cpu-time`` the CPU time of the calling
#: thread (none of the time other processes hold the cores). With one thread, workbench, PyTorch
#: and TensorFlow's eager step compute on the calling thread; a ``@tf.function`` does not (its
#: column is skipped then). Process time would not do: it also counts TensorFlow's threads
#: while the other frameworks' steps run.
CLOCK = [time.perf_counter]


def median_runs(fns: list, steps: int) -> list[float]:
    """Median seconds of ``steps`` single calls of each of ``fns`` after one warm-up call each;
    the calls alternate, so a change in the machine's load hits every column alike."""
    for fn in fns:
        fn()
    clock = CLOCK[0]
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(steps):
        for column, fn in zip(times, fns, strict=True):
            start = clock()
            fn()
            column.append(clock() - start)
    return [statistics.median(column) for column in times]


# --- workbench ------------------------------------------------------------------------------
def wb_cnn(dropout: bool) -> list:
    """The seed CNN's layers (Dropout layers only when ``dropout``)."""
    layers = [L.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)),
              L.Conv2D(64, (3, 3), activation="relu"), L.MaxPooling2D(pool_size=(2, 2))]
    layers += [L.Dropout(0.25)] if dropout else []
    layers += [L.Flatten(), L.Dense(128, activation="relu")]
    layers += [L.Dropout(0.5)] if dropout else []
    return layers + [L.Dense(10, activation="softmax")]


def wb_dense() -> list:
    return [L.Flatten(input_shape=(28, 28, 1)), L.Dense(128, activation="relu"),
            L.Dense(10, activation="softmax")]


def wb_step(layers: list, compiled: bool):
    """One Adam step of a Sequential model of ``layers`` (see ``seed_step``)."""
    return seed_step(keras.Sequential(layers), compiled)


def seed_step(model, compiled: bool):
    """One Adam step of ``model`` on the categorical cross-entropy, as the seed writes it."""
    optimizer = keras.optimizers.Adam(learning_rate=0.001)
    loss_fn = keras.losses.categorical_crossentropy

    def step(x, y):
        with wb.GradientTape() as tape:
            loss = wb.reduce_mean(loss_fn(y, model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return wb.function(step) if compiled else step


def batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((BATCH, 28, 28, 1), dtype=np.float32)
    return x, keras.utils.to_categorical(rng.integers(0, 10, BATCH), 10).astype(np.float32)


def time_wb(layers: list, compiled: bool, steps: int, references: list) -> tuple:
    """(median seconds per step, seconds of the first call: tracing and compiling, the median
    seconds of each of ``references`` (None where a reference is None), all timed
    alternately)."""
    x, y = batch()
    step = wb_step(layers, compiled)
    start = time.perf_counter()
    loss = step(x, y)
    first = time.perf_counter() - start
    if np.dtype(loss.dtype) != np.float32:
        raise AssertionError(f"the float32 step computed a {loss.dtype} loss")
    present = [ref for ref in references if ref is not None]
    times = iter(median_runs([lambda: step(x, y)] + present, steps))
    mine = next(times)
    return mine, first, [None if ref is None else next(times) for ref in references]


# --- PyTorch --------------------------------------------------------------------------------
def torch_step(torch, dense: bool, dropout: bool):
    nn = torch.nn
    if dense:
        layers = [nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)]
    else:
        layers = [nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2)]
        layers += [nn.Dropout(0.25)] if dropout else []
        layers += [nn.Flatten(), nn.Linear(9216, 128), nn.ReLU()]
        layers += [nn.Dropout(0.5)] if dropout else []
        layers += [nn.Linear(128, 10)]
    model = nn.Sequential(*layers).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001, eps=1e-7)
    x, y = batch()
    x = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))  # NCHW
    y = torch.from_numpy(y)

    def step():  # softmax + categorical cross-entropy, fused as PyTorch users write it
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()

    return step


def load_torch(threads: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


# --- TensorFlow -----------------------------------------------------------------------------
def tf_step(tf, dense: bool, dropout: bool, compiled: bool):
    """The same model, optimizer and loss in TensorFlow's Keras: the seed's step, eager or
    under ``@tf.function``."""
    keras_tf = tf.keras
    L_tf = keras_tf.layers
    if dense:
        layers = [L_tf.Flatten(), L_tf.Dense(128, activation="relu"),
                  L_tf.Dense(10, activation="softmax")]
    else:
        layers = [L_tf.Conv2D(32, (3, 3), activation="relu"),
                  L_tf.Conv2D(64, (3, 3), activation="relu"), L_tf.MaxPooling2D((2, 2))]
        layers += [L_tf.Dropout(0.25)] if dropout else []
        layers += [L_tf.Flatten(), L_tf.Dense(128, activation="relu")]
        layers += [L_tf.Dropout(0.5)] if dropout else []
        layers += [L_tf.Dense(10, activation="softmax")]
    model = keras_tf.Sequential([keras_tf.Input(shape=(28, 28, 1))] + layers)
    optimizer = keras_tf.optimizers.Adam(learning_rate=0.001)
    optimizer.build(model.trainable_variables)
    loss_fn = keras_tf.losses.categorical_crossentropy
    x, y = (tf.constant(a) for a in batch())

    def step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(loss_fn(y, model(x, training=True)))
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    fn = tf.function(step) if compiled else step
    fn()  # builds the model (and traces the function)
    return lambda: fn().numpy()


def load_tf(threads: int):
    """TensorFlow limited to ``threads`` intra-op and inter-op threads, or None."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    try:
        import tensorflow as tf
    except ImportError:
        return None
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    return tf


# --- digits ---------------------------------------------------------------------------------
def digits_run(max_epochs: int = 30, target: float = 0.97) -> tuple[int | None, float, float]:
    """A small CNN on the 8x8 digits: (epochs to ``target`` test accuracy, wall s, accuracy)."""
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    x_train = (x_train / 16.0).astype(np.float32)[..., None]
    x_test = (x_test / 16.0).astype(np.float32)[..., None]
    y_train = keras.utils.to_categorical(y_train, 10).astype(np.float32)
    y_test = keras.utils.to_categorical(y_test, 10).astype(np.float32)
    wb.random.set_seed(0)
    model = keras.Sequential([
        L.Conv2D(16, (3, 3), activation="relu", input_shape=(8, 8, 1)),
        L.MaxPooling2D((2, 2)), L.Flatten(), L.Dense(64, activation="relu"),
        L.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    start, acc = time.perf_counter(), 0.0
    for epoch in range(1, max_epochs + 1):
        model.fit(x_train, y_train, batch_size=32, epochs=1, verbose=0)
        acc = float(model.evaluate(x_test, y_test, verbose=0)[1])
        if acc >= target:
            return epoch, time.perf_counter() - start, acc
    return None, time.perf_counter() - start, acc


# --- report ---------------------------------------------------------------------------------
def blas_info() -> tuple[str, int]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl not installed)", os.cpu_count() or 1
    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    if not pools:
        return "unknown", os.cpu_count() or 1
    text = "; ".join(f"{os.path.basename(p['filepath'])} ({p.get('internal_api')} "
                     f"{p.get('version')}, kernel {p.get('architecture')}, "
                     f"{p.get('num_threads')} thread(s))" for p in pools)
    return text, int(pools[0].get("num_threads") or 1)


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1e3:.0f}" if seconds >= 0.01 else f"{seconds * 1e3:.2f}"


def ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None else f"{a / b:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=7, help="timed steps per row (median)")
    parser.add_argument("--no-compiled", action="store_true", help="skip the wb.function rows")
    parser.add_argument("--no-digits", action="store_true", help="skip the digits run")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS, PyTorch and TensorFlow threads (default: what the BLAS "
                             "uses)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="time steps in CPU seconds of the calling thread instead of wall "
                             "seconds (on a machine shared with other work; with --threads 1)")
    args = parser.parse_args()
    if args.cpu_time:
        CLOCK[0] = time.thread_time
    if args.threads is not None:
        import scipy.linalg  # noqa: F401 - loads the BLAS that compiled kernels call, to limit it
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    wb.set_default_dtype("float32")
    wb.random.set_seed(0)
    warnings.simplefilter("ignore", DeprecationWarning)
    blas, threads = blas_info()
    torch, tf = load_torch(threads), load_tf(threads)
    load = os.getloadavg()
    print(f"NumPy {np.__version__}; BLAS: {blas}; cores {os.cpu_count()}; "
          f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("PyTorch: " + (f"{torch.__version__}, {torch.get_num_threads()} thread(s)" if torch
                         else "not importable: PyTorch column skipped (install it in a "
                              "benchmark-only venv, see benchmarks/README.md)"))
    print("TensorFlow: " + (f"{tf.__version__}, {threads} intra-op and inter-op thread(s); "
                            "eager rows: its eager step, compiled rows: its @tf.function step"
                            if tf else "not importable: TensorFlow column skipped"))

    def refs(dense: bool, compiled: bool) -> list:
        return [torch_step(torch, dense, not dense) if torch else None,
                tf_step(tf, dense, not dense, compiled)
                if tf and not (compiled and args.cpu_time) else None]

    rows = []
    cases = [("seed CNN", False, "eager", "≤ 2.5x"), ("seed CNN", False, "compiled", "≤ 1.5x"),
             ("Dense 784-128-10", True, "eager", "≤ 1x"),
             ("Dense 784-128-10", True, "compiled", "≤ 1x")]
    for name, dense, kind, target in cases:
        compiled = kind == "compiled"
        if compiled and args.no_compiled:
            continue
        layers = wb_dense() if dense else wb_cnn(True)
        steps = 20 * args.steps if dense else args.steps
        mine, first, (t_torch, t_tf) = time_wb(layers, compiled, steps, refs(dense, compiled))
        rows.append((name, kind, ms(mine), ms(t_torch), ratio(mine, t_torch), ms(t_tf),
                     ratio(mine, t_tf), target,
                     f"first call {first:.1f} s" if compiled else ""))
    load = os.getloadavg()
    clock = "CPU" if args.cpu_time else "wall"
    print(table(f"ms per training step ({clock} time), batch {BATCH}, float32 (median of "
                f"{args.steps}, Dense rows {20 * args.steps}); "
                f"load average after {load[0]:.2f}",
                ("model", "workbench", "ms", "PyTorch ms", "ratio", "TF ms", "TF ratio",
                 "target (PyTorch)", "note"), rows))
    if not args.no_digits:
        epochs, wall, acc = digits_run()
        reached = f"{epochs} epochs" if epochs else "not reached in 30 epochs"
        print(f"digits 8x8, small CNN (Conv2D 16 → MaxPool → Dense 64 → Dense 10, Adam, batch "
              f"32, eager): 97% test accuracy: {reached}, {wall:.1f} s wall, accuracy {acc:.3f}")


if __name__ == "__main__":
    main()

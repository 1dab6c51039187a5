"""One epoch of the seed CNN on Fashion-MNIST through ``workbench.keras``: wall time, ms per
step and test accuracy, eager and (with ``--compiled``) through ``wb.function``.

The data are read offline by ``keras.datasets.fashion_mnist.load_data()`` (Keras's cache, the IDX
files in ``$WORKBENCH_DATA_DIR``, or ``/usr/share/datasets/fashion-mnist`` from the Debian
package ``dataset-fashion-mnist``); without them the script says where it looked and stops.
The training loop is the seed's: batches of 128 from ``wb.data.Dataset``, a GradientTape step
with Adam on the categorical cross-entropy, then ``model.evaluate`` on the 10,000 test images.
Run: ``PYTHONPATH=. python3 benchmarks/fashion_mnist_epoch.py [--compiled] [--batches N]
[--threads N]``
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
from keras_cnn import BATCH, seed_step, wb_cnn

import workbench as wb
from workbench import keras


def load() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST as float32 NHWC images in [0, 1] and one-hot float32 labels."""
    (x, y), (xt, yt) = keras.datasets.fashion_mnist.load_data()

    def prepare(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return ((images / 255.0).astype(np.float32)[..., None],
                keras.utils.to_categorical(labels, 10).astype(np.float32))

    return prepare(x, y), prepare(xt, yt)


def train_epoch(model, train: tuple, compiled: bool, batches: int | None) -> tuple[int, float,
                                                                                       float]:
    """The seed's loop over one shuffled epoch: (steps, wall s, s of the first step)."""
    run = seed_step(model, compiled)
    dataset = wb.data.Dataset.from_tensor_slices(train).shuffle(60_000, seed=0).batch(BATCH)
    steps, first, start = 0, 0.0, time.perf_counter()
    for x, y in dataset.take(batches) if batches else dataset:
        if len(x) != BATCH:  # the last partial batch would trace a second program
            continue
        before = time.perf_counter()
        run(x, y)
        first = first or time.perf_counter() - before
        steps += 1
    return steps, time.perf_counter() - start, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiled", action="store_true", help="train through wb.function")
    parser.add_argument("--batches", type=int, default=None, help="stop after N batches")
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads")
    args = parser.parse_args()
    if args.threads is not None:
        import scipy.linalg  # noqa: F401 - loads the BLAS that compiled kernels call, to limit it
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    try:
        train, test = load()
    except FileNotFoundError as exc:
        sys.exit(str(exc))
    wb.set_default_dtype("float32")
    wb.random.set_seed(0)
    warnings.simplefilter("ignore", DeprecationWarning)
    model = keras.Sequential(wb_cnn(dropout=True))
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    load_before = os.getloadavg()[0]
    steps, wall, first = train_epoch(model, train, args.compiled, args.batches)
    loss, accuracy = model.evaluate(*test, batch_size=500, verbose=0)
    mode = "compiled (wb.function)" if args.compiled else "eager"
    print(f"seed CNN, Fashion-MNIST, one epoch of {steps} steps of {BATCH}, {mode}: "
          f"{wall:.1f} s wall ({(wall - first) / max(steps - 1, 1) * 1e3:.0f} ms per step after "
          f"a first step of {first:.1f} s); test loss {float(loss):.3f}, test accuracy "
          f"{float(accuracy):.4f}; load average {load_before:.2f} → {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

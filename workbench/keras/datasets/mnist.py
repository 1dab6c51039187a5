"""MNIST from files already on disk (Keras's ``mnist.npz`` or the IDX files); never downloads."""

from __future__ import annotations

import os

from workbench.keras.datasets import _files


def load_data(path: str | os.PathLike | None = None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 28, 28) and labels.

    ``path`` may be an ``.npz`` file or a directory; then ``$WORKBENCH_DATA_DIR``,
    ``~/.keras/datasets`` and ``/usr/share/datasets`` are searched (and their ``mnist/``).
    """
    return _files.load(path, "mnist.npz", "mnist", "MNIST")

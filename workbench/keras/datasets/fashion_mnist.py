"""Fashion-MNIST from files already on disk (e.g. Debian's ``dataset-fashion-mnist``)."""

from __future__ import annotations

import os

from workbench.keras.datasets import _files


def load_data(path: str | os.PathLike | None = None):
    """``(x_train, y_train), (x_test, y_test)``: uint8 images (n, 28, 28) and labels.

    Searched as ``mnist.load_data`` does (and in each place's ``fashion-mnist/``).
    """
    return _files.load(path, "fashion-mnist.npz", "fashion-mnist", "Fashion-MNIST")

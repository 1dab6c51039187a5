"""The 8x8 handwritten digits bundled with scikit-learn (always offline), split as Keras data."""

from __future__ import annotations

import numpy as np


def load_data(test_split: float = 0.2, seed: int = 0):
    """``(x_train, y_train), (x_test, y_test)``: float images (n, 8, 8) in [0, 16], int labels.

    Needs scikit-learn (``pip install workbench[datasets]``).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise ImportError("keras.datasets.digits needs scikit-learn: pip install scikit-learn "
                          "(or the extra: pip install 'workbench[datasets]')") from None
    data = load_digits()
    x, y = data.images.astype(np.float64), data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = round(len(x) * test_split)
    test, train = order[:n_test], order[n_test:]
    return (x[train], y[train]), (x[test], y[test])

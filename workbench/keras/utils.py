"""Keras utilities: ``to_categorical``."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_categorical(y: Any, num_classes: int | None = None, dtype: Any = "float32") -> np.ndarray:
    """One-hot rows for integer class labels (a trailing axis of size 1 is dropped, as Keras).

    >>> to_categorical([0, 2], 3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """
    labels = np.asarray(y.numpy() if hasattr(y, "numpy") else y)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and (labels.dtype.kind not in "iub" and not np.all(labels == labels.round())):
        raise ValueError("to_categorical: labels must be integers")
    labels = labels.astype(np.int64)
    n = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and (labels.min() < 0 or labels.max() >= n):
        raise ValueError(f"to_categorical: labels must be in [0, {n}), got {labels.min()} to "
                         f"{labels.max()}")
    return np.eye(n, dtype=dtype)[labels]


__all__ = ["to_categorical"]

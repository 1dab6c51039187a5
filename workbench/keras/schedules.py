"""Keras learning-rate schedules (``keras.optimizers.schedules``): callables ``step -> rate``
written in workbench ops, so a compiled training step evaluates them from its step Variable."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.ops import elementwise as ew


def _step(step: Any) -> Any:
    return ew.cast(step, np.float64)


class LearningRateSchedule:
    """Base class: ``schedule(step)`` is the learning rate at optimizer step ``step``."""

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return dict(vars(self))


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (floored with ``staircase``).

    >>> import workbench as wb
    >>> lr = wb.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(lr(20)), 6)
    0.025
    """

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str | None = None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step: Any) -> Any:
        p = ew.div(_step(step), float(self.decay_steps))
        p = ew.floor(p) if self.staircase else p
        return ew.mul(self.initial_learning_rate, ew.power(float(self.decay_rate), p))


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``."""

    def __init__(self, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                 staircase: bool = False, name: str | None = None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.decay_rate, self.staircase, self.name = decay_rate, staircase, name

    def __call__(self, step: Any) -> Any:
        p = ew.div(_step(step), float(self.decay_steps))
        p = ew.floor(p) if self.staircase else p
        return ew.div(self.initial_learning_rate, ew.add(1.0, ew.mul(self.decay_rate, p)))


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[i]`` for ``boundaries[i-1] < step <= boundaries[i]``.

    >>> import workbench as wb
    >>> lr = wb.keras.optimizers.schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> [float(lr(s)) for s in (0, 10, 11, 21)]
    [1.0, 1.0, 0.5, 0.1]
    """

    def __init__(self, boundaries: list, values: list, name: str | None = None):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay: {len(boundaries)} boundaries need "
                             f"{len(boundaries) + 1} values, got {len(values)}")
        self.boundaries, self.values, self.name = list(boundaries), list(values), name

    def __call__(self, step: Any) -> Any:
        s = _step(step)
        rate: Any = float(self.values[-1])
        for bound, value in zip(self.boundaries[::-1], self.values[-2::-1], strict=True):
            rate = ew.where(s <= float(bound), float(value), rate)
        return rate


class CosineDecay(LearningRateSchedule):
    """Cosine from ``initial_learning_rate`` down to ``alpha * initial_learning_rate`` over
    ``decay_steps``, then constant."""

    def __init__(self, initial_learning_rate: float, decay_steps: float, alpha: float = 0.0,
                 name: str | None = None):
        self.initial_learning_rate, self.decay_steps = initial_learning_rate, decay_steps
        self.alpha, self.name = alpha, name

    def __call__(self, step: Any) -> Any:
        p = ew.minimum(ew.div(_step(step), float(self.decay_steps)), 1.0)
        cosine = ew.mul(0.5, ew.add(1.0, ew.cos(ew.mul(np.pi, p))))
        decayed = ew.add(ew.mul(1.0 - self.alpha, cosine), self.alpha)
        return ew.mul(self.initial_learning_rate, decayed)


__all__ = ["CosineDecay", "ExponentialDecay", "InverseTimeDecay", "LearningRateSchedule",
           "PiecewiseConstantDecay"]

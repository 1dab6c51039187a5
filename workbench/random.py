"""``wb.random``: seeded random tensors."""

from workbench.ops.creation import normal, set_seed, uniform

__all__ = ["normal", "set_seed", "uniform"]

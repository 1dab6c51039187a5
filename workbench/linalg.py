"""``wb.linalg``: matrix functions."""

from workbench.ops.linalg import det, inv, logdet, matmul, solve, trace

__all__ = ["det", "inv", "logdet", "matmul", "solve", "trace"]

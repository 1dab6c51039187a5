"""The CUDA target: what differs from the CPU (thread-local arrays, a few rule overrides), the
check that a GPU or the simulator is there, and ``wb.function(..., target="cuda")``.

Overrides are one dict entry per primitive, so the op files stay untouched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.compile.codegen import CompileError
from workbench.compile.function import Function
from workbench.compile.target import Target
from workbench.primitive import NotSupported

_NO_LAPACK = NotSupported("LAPACK (np.linalg) cannot be called from a CUDA thread")

#: Rules that differ on CUDA (by primitive name); everything else uses the op's own rule.
OVERRIDES: dict[str, Any] = {
    "round": "{T}(rint({0}))",
    "floor": "{T}(math.floor({0}))",
    "ceil": "{T}(math.ceil({0}))",
    # the CPU rules call workbench/compile/vecmath.py (SIMD on the host); libm on the device
    "tanh": "math.tanh({0})",
    "exp": "math.exp({0})",
    "sigmoid": ("({T}(1) / ({T}(1) + math.exp(-{0})) if {0} >= 0 "
                "else math.exp({0}) / ({T}(1) + math.exp({0})))"),
    "inv": _NO_LAPACK,
    "det": _NO_LAPACK,
    "solve": _NO_LAPACK,
    "cbrt": "{T}(math.copysign(math.pow(abs({0}), 1.0 / 3.0), {0}))",  # np.cbrt: no CUDA form
}
OVERRIDES.update(dict.fromkeys(  # sorting allocates and calls np.argsort (workbench/ops/sorting.py)
    ("sort_by", "unsort_by", "argsort"),
    NotSupported("sorting allocates arrays and calls np.argsort, which a CUDA thread cannot")))
OVERRIDES.update(dict.fromkeys(  # decompositions (workbench/ops/decompositions.py)
    ("cholesky", "eigh", "eigvalsh", "svd", "svdvals", "slogdet", "pinv", "qr"), _NO_LAPACK))
OVERRIDES["expm"] = _NO_LAPACK  # its Numba rule solves with np.linalg (workbench/ops/expm.py)


@dataclass
class CudaTarget(Target):
    """Arrays live in thread-local memory (``cuda.local.array``)."""

    name: str = "cuda"
    overrides: dict[str, Any] = field(default_factory=lambda: dict(OVERRIDES))

    def alloc(self, name: str, size: int, dtype: np.dtype) -> str:
        return f"{name} = cuda.local.array({size}, np.{np.dtype(dtype).name})"


CUDA = CudaTarget()


def simulating() -> bool:
    """True when Numba's CUDA simulator is on (``NUMBA_ENABLE_CUDASIM=1``)."""
    from numba import config

    return bool(getattr(config, "ENABLE_CUDASIM", 0)) or os.environ.get(
        "NUMBA_ENABLE_CUDASIM") == "1"


def require_cuda() -> None:
    """Raise a clear error unless a CUDA GPU or the CUDA simulator can run kernels."""
    try:
        from numba import cuda
    except ImportError as err:  # pragma: no cover - numba always ships numba.cuda
        raise CompileError("target='cuda' needs numba-cuda: pip install 'workbench[cuda]'") from err
    if simulating():
        return
    if not cuda.is_available():
        raise CompileError(
            "target='cuda' found no usable NVIDIA GPU (numba.cuda.is_available() is False). Run on "
            "a machine with a CUDA driver, or set NUMBA_ENABLE_CUDASIM=1 before importing "
            "workbench to run the kernels in Numba's CUDA simulator (slow, for testing)"
        )


class CudaFunction(Function):
    """``wb.function(f, target="cuda")``: ``map`` and ``repeat_map`` run one GPU thread per copy.

    A plain call (one copy) has nothing to spread over threads and runs the CPU kernel.
    """

    def __init__(self, fn: Any, cache: bool = True):
        super().__init__(fn, target="cpu", cache=cache)
        self.target = "cuda"
        self.batch_target = "cuda"

"""The compiled engine: graphs traced from Python functions, lowered to Numba CPU/CUDA kernels."""

from workbench import primitive as _primitive

if "numba" not in _primitive.REQUIRED_RULES:
    _primitive.REQUIRED_RULES.append("numba")
_primitive.validate_registry()

from workbench.compile.codegen import CompileError
from workbench.compile.function import Function, function
from workbench.compile.loop import Diverged, History
from workbench.compile.trace import TraceError

__all__ = ["CompileError", "Diverged", "Function", "History", "TraceError", "function"]

"""The symbolic engine: recorded graphs as SymPy formulas, closed-form derivatives checked
against the tape, matrix notation, stationary points, and a guard against expression swell.

Each primitive's ``sympy=`` rule is one function that serves both views. An elementwise
primitive's rule is a scalar function (``sympy.sin``, ``lambda x, y: x * y``), lifted over the
tensor's elements (element view) or written with Hadamard operations and elementwise functions
(matrix view). Any other primitive's rule calls the array methods both views implement
(``x.sum(axis, keepdims)``, ``x.reshape(shape)``, ``a.matmul(b)``, ``a.inv()``, ...; see
``elements.Elements`` and ``matrix.MatrixForm``). ``sympy=NotSupported("reason")`` opts out.
"""

from workbench import primitive as _primitive
from workbench.ops import elementwise, linalg, nn, reduce, shape  # noqa: F401 - all registered
from workbench.symbolic import printing  # noqa: F401 - wb.symbolic.printing
from workbench.symbolic.budget import Budget, SymbolicBudgetExceeded
from workbench.symbolic.derivation import Derivation, derive
from workbench.symbolic.expression import expression
from workbench.symbolic.stationary import Stationary, solve_stationary

if "sympy" not in _primitive.REQUIRED_RULES:
    _primitive.REQUIRED_RULES.append("sympy")
_primitive.validate_registry()

__all__ = [
    "Budget", "Derivation", "Stationary", "SymbolicBudgetExceeded", "derive", "expression",
    "solve_stationary",
]

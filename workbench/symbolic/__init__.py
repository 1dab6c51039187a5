"""The symbolic engine: recorded graphs as SymPy formulas, closed-form derivatives checked
against the tape, matrix notation, stationary points, and a guard against expression swell.

Each primitive's ``sympy=`` rule is one function that serves both views. An elementwise
primitive's rule is a scalar function (``sympy.sin``, ``lambda x, y: x * y``), lifted over the
tensor's elements (element view) or written with Hadamard operations and elementwise functions
(matrix view). Any other primitive's rule calls the array methods both views implement
(``x.sum(axis, keepdims)``, ``x.reshape(shape)``, ``a.matmul(b)``, ``a.inv()``, ...; see
``elements.Elements`` and ``matrix.MatrixForm``). ``sympy=NotSupported("reason")`` opts out.

Views: ``"matrix"`` (default for tensors of rank <= 2: MatrixSymbols, 1-D tensors as n x 1
columns, scalars as real Symbols), ``"elements"`` (explicit matrices of real scalar symbols
``x_0``, ``X_0_1``), and ``"program"`` (a straight-line program with one symbol per
intermediate, chosen for graphs of more than 40 equations or element views of more than 300
operations, so gradients never swell). Closed forms in matrix view are canonical: products
expanded, transposes on symbols, like terms collected (``2*X.T*X*beta - 2*X.T*y``); when
SymPy's matrix calculus cannot differentiate (elementwise functions), the closed form is the
backward graph printed in matrix notation. Every matrix-notation result is checked against the
element view (on a small instance of the same shapes) before it is shown, else the element
view is used and the Derivation's ``notes`` say so.
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

"""The expression-swell guard: a time and size budget, an operation count, and CSE."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import sympy


class SymbolicBudgetExceeded(RuntimeError):
    """The symbolic engine stopped: an expression grew past the budget (the tape still works)."""


@dataclass
class Budget:
    """Limits for one symbolic computation: wall seconds and operations (counted after CSE).

    >>> b = Budget(seconds=5, max_ops=10)
    >>> b.check_size(sympy.Symbol("x") + 1, "a test")
    1
    """

    seconds: float = 20.0
    max_ops: int = 50_000
    #: Above this many operations results are not passed to ``simplify`` (too slow to be useful).
    simplify_ops: int = 400
    start: float = field(default_factory=time.perf_counter)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def check_time(self, where: str) -> None:
        if self.elapsed() > self.seconds:
            raise SymbolicBudgetExceeded(
                f"symbolic engine stopped after {self.elapsed():.1f} s (budget {self.seconds} s) "
                f"while {where}; the expression is too large for a useful closed form. Use "
                f"tape.gradient for numbers, or raise the budget: budget=Budget(seconds=...)"
            )

    def check_size(self, expr: Any, where: str) -> int:
        ops = count_ops(expr)
        if ops > self.max_ops:
            raise SymbolicBudgetExceeded(
                f"symbolic engine stopped while {where}: the expression has {ops} operations "
                f"after common-subexpression elimination (budget {self.max_ops}). Use "
                f"tape.gradient for numbers, or raise the budget: budget=Budget(max_ops=...)"
            )
        self.check_time(where)
        return ops


def _leaves(expr: Any) -> list:
    if isinstance(expr, list | tuple):
        return [leaf for e in expr for leaf in _leaves(e)]
    if isinstance(expr, sympy.MatrixBase | sympy.NDimArray):
        return list(expr)
    return [expr]


def cse(expr: Any) -> tuple[list[tuple[sympy.Symbol, Any]], list]:
    """Common subexpressions of ``expr`` (a scalar, a Matrix or an Array): (definitions, results).

    >>> x = sympy.Symbol("x")
    >>> defs, (res,) = cse(sympy.sin(x)**2 + sympy.sin(x))
    >>> len(defs)
    1
    """
    leaves = [e for e in _leaves(expr) if isinstance(e, sympy.Basic)]
    if any(isinstance(e, sympy.MatrixExpr) for e in leaves):
        return [], leaves
    return sympy.cse(leaves, symbols=sympy.numbered_symbols("s"))


def count_ops(expr: Any) -> int:
    """Operations needed to evaluate ``expr`` once common subexpressions are shared.

    >>> x = sympy.Symbol("x")
    >>> count_ops(sympy.sin(x) * sympy.sin(x) + 1)
    3
    """
    leaves = [e for e in _leaves(expr) if isinstance(e, sympy.Basic)]
    if any(isinstance(e, sympy.MatrixExpr) for e in leaves):
        return sum(_tree_ops(e) for e in leaves)
    return _dag_ops(leaves)


def _dag_ops(leaves: list) -> int:
    """Distinct non-atomic subexpressions (a DAG count: shared subtrees count once)."""
    seen: set = set()
    stack = list(leaves)
    while stack:
        node = stack.pop()
        if node.is_Atom or node in seen:
            continue
        seen.add(node)
        stack.extend(node.args)
    return sum(max(len(n.args) - 1, 1) for n in seen if not isinstance(n, sympy.Tuple))


def _tree_ops(expr: Any) -> int:
    return _dag_ops([expr])

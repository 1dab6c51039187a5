"""The expression-swell guard: a time and size budget, an operation count, and CSE."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sympy

from workbench.symbolic.deadline import SIMPLIFY_SECONDS, Expired, attempt, deadline


class SymbolicBudgetExceeded(RuntimeError):
    """The symbolic engine stopped: an expression grew past the budget (the tape still works)."""


@dataclass(eq=False)
class Budget:
    """Limits for one symbolic computation: wall seconds and operations (counted after CSE).

    ``seconds`` bounds the wall time of a whole call (``derive``, ``expression``,
    ``solve_stationary``), counted from its start. In the main thread an interval timer stops
    even a long SymPy call (the call raises :class:`SymbolicBudgetExceeded` a few milliseconds
    after the deadline); in other threads every phase checks the clock and ``simplify`` (which
    cannot be stopped there) is skipped. Each ``simplify`` gets at most ``simplify_seconds``
    (then the unsimplified form is kept). Expressions too deeply nested for SymPy's recursive
    algorithms raise :class:`SymbolicBudgetExceeded` too.

    >>> b = Budget(seconds=5, max_ops=10)
    >>> b.check_size(sympy.Symbol("x") + 1, "a test")
    1
    """

    seconds: float = 20.0
    max_ops: int = 50_000
    #: Above this many operations results are not passed to ``simplify`` (too slow to be useful).
    simplify_ops: int = 400
    #: Wall seconds one ``simplify`` may take before its input is kept as it is.
    simplify_seconds: float = SIMPLIFY_SECONDS
    start: float = field(default_factory=time.perf_counter)
    _depth: int = field(default=0, init=False, repr=False)
    _phase: str = field(default="starting", init=False, repr=False)

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def remaining(self) -> float:
        return self.seconds - self.elapsed()

    @contextmanager
    def running(self, what: str) -> Iterator[None]:
        """Run the block under this budget (re-entrant: an inner call shares the outer bound).

        >>> with Budget(seconds=0.0).running("a test"):  # doctest: +ELLIPSIS
        ...     sympy.simplify(sympy.Symbol("x") + 1)
        Traceback (most recent call last):
        ...
        workbench.symbolic.budget.SymbolicBudgetExceeded: symbolic engine stopped after ...
        """
        if self._depth:
            yield
            return
        self.start, self._phase, self._depth = time.perf_counter(), what, 1
        try:
            with deadline(self.start + self.seconds, self):
                self.check_time(what)
                yield
        except Expired as exc:
            if exc.token is not self:
                raise
            raise self._exceeded() from None
        except RecursionError:
            raise SymbolicBudgetExceeded(
                f"symbolic engine stopped while {self._phase}: the expression is nested too "
                "deeply for SymPy's recursive algorithms (Python's recursion limit). Use "
                "tape.gradient for numbers"
            ) from None
        finally:
            self._depth = 0

    def simplify(self, expr: Any, simplifier: Any = sympy.simplify) -> Any:
        """``simplifier(expr)`` if it finishes within ``simplify_seconds`` (and the budget),
        else ``expr`` unchanged."""
        seconds = min(self.simplify_seconds, max(self.remaining(), 0.0))
        return attempt(simplifier, expr, seconds=seconds, otherwise=lambda: expr)

    def _exceeded(self) -> SymbolicBudgetExceeded:
        return SymbolicBudgetExceeded(
            f"symbolic engine stopped after {self.elapsed():.1f} s (budget {self.seconds} s) "
            f"while {self._phase}; the expression is too large for a useful closed form. Use "
            f"tape.gradient for numbers, or raise the budget: budget=Budget(seconds=...)"
        )

    def check_time(self, where: str) -> None:
        self._phase = where
        if self.elapsed() > self.seconds:
            raise self._exceeded()

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


def check_depth(expr: Any, where: str) -> None:
    """Raise :class:`SymbolicBudgetExceeded` if ``expr`` is nested too deeply for SymPy's
    recursive algorithms (printing, ``simplify``) under Python's recursion limit.

    >>> x = sympy.Symbol("x")
    >>> check_depth(sympy.sin(sympy.sin(x)), "a test")
    """
    limit = max(sys.getrecursionlimit() // 8, 20)
    stack = [(e, 1) for e in _leaves(expr) if isinstance(e, sympy.Basic)]
    seen: set = set()
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise SymbolicBudgetExceeded(
                f"symbolic engine stopped while {where}: the expression is nested more than "
                f"{limit} levels deep, too deep for SymPy's recursive algorithms (printing, "
                "simplify) under Python's recursion limit. tape.derive shows such graphs as a "
                "straight-line program; tape.gradient gives the numbers")
        if (node, depth) in seen or node.is_Atom:
            continue
        seen.add((node, depth))
        stack.extend((a, depth + 1) for a in node.args)


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

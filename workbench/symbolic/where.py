"""Where-clauses for printing: a subexpression that repeats (``tanh(W*x + b)``, ``X*beta - y``)
is named once (``h = tanh(W*x + b)``) and the formulas use the name, when that reads shorter."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sympy
from sympy import Identity, MatrixExpr, MatrixSymbol, OneMatrix, Transpose, ZeroMatrix

from workbench.symbolic.functions import Elementwise, Softmax
from workbench.symbolic.printing import to_str

#: At most this many clauses; candidates tried per round (the most repeated text first).
MAX_CLAUSES = 3
CANDIDATES = 8
_HINTS = {"tanh": "h", "sigmoid": "s"}


def where_clauses(exprs: list[Any], taken: set[str]) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """``exprs`` with repeated subexpressions replaced by names, and the ``(name, definition)``
    clauses, each defined before it is used. Only
    replacements that shorten the printed whole (formulas plus clauses) are made.

    >>> X = sympy.MatrixSymbol("X", 4, 3); b = sympy.MatrixSymbol("b", 3, 1)
    >>> r = X * b - sympy.MatrixSymbol("y", 4, 1)
    >>> f = sympy.MatMul(sympy.Transpose(r), r)
    >>> (f, g), clauses = where_clauses([f, 2 * X.T * r], {"X", "b", "y"})
    >>> print(to_str(f), "|", to_str(g), "|", clauses)
    r.T*r | 2*X.T*r | [(r, X*b - y)]
    """
    taken = set(taken) | _names(exprs)
    clauses: list[tuple[Any, Any]] = []
    best = _length(exprs, clauses)
    for _ in range(MAX_CLAUSES):
        choice = None
        for sub in _repeated(exprs + [d for _, d in clauses]):
            name = _fresh(_hint(sub), taken)
            sym = MatrixSymbol(name, *sub.shape)
            trial = [e.xreplace({sub: sym}) for e in exprs]
            trial_clauses = [(n, d.xreplace({sub: sym})) for n, d in clauses] + [(sym, sub)]
            size = _length(trial, trial_clauses)
            if size < best and (choice is None or size < choice[0]):
                choice = (size, trial, trial_clauses, name)
        if choice is None:
            break
        best, exprs, clauses, name = choice
        taken.add(name)
    return exprs, _ordered(clauses)


def abbreviate(e: Any, clauses: list[tuple[Any, Any]]) -> Any:
    """``e`` with the clauses' (fully expanded) definitions replaced by their names."""
    full: dict[Any, Any] = {}
    for name, definition in clauses:
        full[name] = definition.xreplace(full)
    for name in sorted(full, key=lambda n: -len(to_str(full[n]))):
        e = e.xreplace({full[name]: name}) if isinstance(e, sympy.Basic) else e
    return e


def _ordered(clauses: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """Clauses with each definition after those of the names it uses."""
    out: list[tuple[Any, Any]] = []
    rest = list(clauses)
    while rest:
        defined = {n for n, _ in out}
        ready = next((c for c in rest if not ({n for n, _ in rest if n != c[0]} &
                                             c[1].atoms(MatrixSymbol) - defined)), rest[0])
        out.append(ready)
        rest.remove(ready)
    return out


def _repeated(exprs: list[Any]) -> list[Any]:
    """Matrix subexpressions worth naming that occur more than once, longest text first."""
    counts: Counter = Counter()
    for e in exprs:
        if isinstance(e, sympy.Basic):
            counts.update(a for a in sympy.preorder_traversal(e) if _nameable(a))
    found = [a for a, n in counts.items() if n > 1]
    found.sort(key=lambda a: -len(to_str(a)))
    return found[:CANDIDATES]


def _nameable(e: Any) -> bool:
    return isinstance(e, MatrixExpr) and not isinstance(
        e, MatrixSymbol | OneMatrix | ZeroMatrix | Identity | Transpose) and \
        bool(e.free_symbols) and len(to_str(e)) > 4


def _length(exprs: list[Any], clauses: list[tuple[Any, Any]]) -> int:
    return sum(len(to_str(e)) for e in exprs) + sum(len(to_str(n)) + len(to_str(d)) + 8
                                                     for n, d in clauses)


def _hint(e: Any) -> str:
    if isinstance(e, Elementwise):
        return _HINTS.get(e.name, "u")
    if isinstance(e, Softmax):
        return "p"
    return "r" if isinstance(e, sympy.MatAdd) else "u"


def _fresh(hint: str, taken: set[str]) -> str:
    if hint not in taken:
        return hint
    k = 1
    while f"{hint}{k}" in taken:
        k += 1
    return f"{hint}{k}"


def _names(exprs: list[Any]) -> set[str]:
    out: set[str] = set()
    for e in exprs:
        if isinstance(e, sympy.Basic):
            out |= {s.name for s in e.atoms(MatrixSymbol)}
            out |= {str(s) for s in e.free_symbols}
    return out

"""Graph -> SymPy: run each equation's ``sympy=`` rule on symbolic arrays (element or matrix view).

Rule convention (see ``workbench/symbolic/__init__.py``): an elementwise primitive's rule is a
scalar function, lifted over the view; any other primitive's rule calls the view's array methods
(``x.sum(axis, keepdims)``, ``a.matmul(b)``, ...), so one rule serves both views.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy

from workbench.ir import Graph, Literal, Var
from workbench.primitive import MissingRule, NotSupported
from workbench.symbolic import patterns
from workbench.symbolic.budget import Budget
from workbench.symbolic.elements import Elements, scalar
from workbench.symbolic.matrix import MatrixForm, NoMatrixForm, mm
from workbench.symbolic.names import CONSTANTS, SymbolNames

VIEWS = ("matrix", "elements")


@dataclass
class Translation:
    """The SymPy form of a graph: output expressions, the view used, and every symbol's value."""

    outputs: list[Any]
    view: str
    env: dict[Any, Any]
    #: symbol name -> (numeric value, NumPy shape) for the graph's inputs and named constants
    values: dict[str, Any] = field(default_factory=dict)
    #: why the matrix view was not used ("" if it was, or was not asked for)
    fallback: str = ""
    #: (name, symbol) for each value whose name was taken by another (see ``names``)
    renamed: list[tuple[str, str]] = field(default_factory=list)

    def exprs(self) -> list[Any]:
        """Outputs as SymPy objects (scalars, Matrices/matrix expressions, Arrays)."""
        return [o.to_sympy() for o in self.outputs]


def translate(graph: Graph, values: dict[Any, Any], view: str = "matrix",
              budget: Budget | None = None) -> Translation:
    """Translate ``graph`` to SymPy; the matrix view falls back to elements where it must.

    >>> import workbench as wb
    >>> from workbench.tape_graph import build_graph
    >>> x = wb.constant(2.0, name="x")
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = wb.sin(x) * x
    >>> g, vals = build_graph(tape._records, [("x", [x])], [y])
    >>> translate(g, vals).exprs()
    [x*sin(x)]
    """
    if view not in VIEWS + ("program",):
        raise ValueError(f"view must be one of {VIEWS}, got {view!r}")
    budget = budget or Budget()
    if view == "matrix":
        try:
            return _run(graph, values, MatrixForm, budget)
        except NoMatrixForm as exc:
            out = _run(graph, values, Elements, budget)
            out.fallback = f"element view used: {exc}"
            return out
    return _run(graph, values, Elements, budget)


def _run(graph: Graph, values: dict[Any, Any], cls: Any, budget: Budget) -> Translation:
    env: dict[Any, Any] = {}
    named: dict[str, Any] = {}
    names = SymbolNames(CONSTANTS)
    auto = [0]

    def leaf(atom: Any) -> Any:
        if atom in env:
            return env[atom]
        if isinstance(atom, Var):
            name = names.claim(atom.name, atom.shape)
            result = cls.symbol(name, atom.shape) if cls is MatrixForm else \
                Elements.symbols(name, atom.shape)
            named[name] = (values[atom], atom.shape)
        else:
            result = _literal(atom, cls, named, auto, names)
        env[atom] = result
        return result

    def read(atom: Any) -> Any:
        value = leaf(atom) if not isinstance(atom, Var) or atom not in env else env[atom]
        if isinstance(value, NoMatrixForm):
            raise value
        return value

    special = patterns.overrides(graph, values) if cls is MatrixForm else {}
    for var in graph.inputs:
        leaf(var)
    for i, eqn in enumerate(graph.eqns):
        out = eqn.outputs[0]
        try:
            env[out] = special[out](read) if out in special else \
                apply_rule(eqn.prim, [read(a) for a in eqn.inputs], eqn.params)
        except NoMatrixForm as exc:  # raised again if anything outside a pattern reads it
            env[out] = exc
        if i % 16 == 0:
            budget.check_time(f"translating equation {i} ({eqn.prim.name})")
    outs = [read(o) for o in graph.outputs]
    env = {k: v for k, v in env.items() if not isinstance(v, NoMatrixForm)}
    return Translation(outs, cls.view, env, named, renamed=names.renamed)


def _literal(lit: Literal, cls: Any, named: dict, auto: list, names: SymbolNames) -> Any:
    value = lit.value
    shape = np.shape(value)
    if lit.name is not None and shape != () or lit.name is not None and cls is MatrixForm:
        name = names.claim(lit.name, shape)
        named[name] = (value, shape)
        return cls.symbol(name, shape) if cls is MatrixForm else Elements.symbols(name, shape)
    if cls is Elements or shape == ():
        return cls.number(value)
    flat = np.asarray(value).ravel()
    if len(shape) == 2 and shape[0] == shape[1] and np.asarray(value).dtype.kind in "fiu" and \
            np.array_equal(value, flat[0] * np.eye(shape[0])) and shape[0] > 1:
        return MatrixForm(mm(scalar(flat[0]), sympy.Identity(shape[0])), shape)
    if flat.size and np.all(flat == flat[0]) and np.asarray(value).dtype.kind in "fiu":
        return MatrixForm.number(flat[0]).broadcast_to(shape)
    if np.asarray(value).dtype.kind not in "fiu":
        raise NoMatrixForm(f"a {np.asarray(value).dtype} constant array is shown by value")
    if len(shape) > 2:
        raise NoMatrixForm(f"a rank-{len(shape)} constant has no matrix notation")
    name = names.claim(f"c{auto[0]}", shape, generated=True)
    auto[0] += 1
    named[name] = (value, shape)
    return MatrixForm.symbol(name, shape)


def apply_rule(prim: Any, args: list[Any], params: dict[str, Any]) -> Any:
    """Apply ``prim``'s SymPy rule to view values (lifting scalar rules of elementwise prims)."""
    rule = prim.sympy
    if rule is None or isinstance(rule, NotSupported):
        why = f": {rule.reason}" if isinstance(rule, NotSupported) else ""
        raise MissingRule(f"primitive '{prim.name}' has no 'sympy' rule{why}")
    args = [a if hasattr(a, "view") else _wrap(a, args) for a in args]
    if prim.kind == "elementwise":
        fn: Callable = (lambda *s: rule(*s, **params)) if params else rule
        first, rest = args[0], args[1:]
        if isinstance(first, MatrixForm):
            return first.apply(fn, *rest, name=prim.name)
        return first.apply(fn, *rest)
    return rule(*args, **params)


def _wrap(value: Any, args: list[Any]) -> Any:
    cls = next((type(a) for a in args if hasattr(a, "view")), Elements)
    return cls.number(value)


def number(value: Any) -> sympy.Expr:
    """A Python/NumPy number as SymPy (see :func:`workbench.symbolic.elements.scalar`)."""
    return scalar(value)

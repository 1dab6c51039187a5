"""``tape.expression``: the SymPy formula of a recorded value in terms of named symbols."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.autodiff import backward_slice
from workbench.symbolic import verify
from workbench.symbolic.budget import Budget, check_depth
from workbench.symbolic.names import SymbolNames, unique_inputs, warn_renamed
from workbench.symbolic.translate import Translation, translate
from workbench.tape_graph import build_graph, source_groups

#: Matrix-view expressions over at most this many elements are checked against the elements.
CHECK_ELEMENTS = 64


def default_view(*shapes: tuple[int, ...]) -> str:
    """The matrix view when every shape has rank <= 2, else the element view."""
    return "matrix" if all(len(s) <= 2 for s in shapes) else "elements"


def translation(tape: Any, target: Any, view: str | None = None,
                budget: Budget | None = None) -> Translation:
    """The translation of ``target``'s recorded graph (see :func:`expression`)."""
    budget = budget or Budget()
    with budget.running("translating the graph"):
        return _translation(tape, target, view, budget)


def _translation(tape: Any, target: Any, view: str | None, budget: Budget) -> Translation:
    t = tape._target_tensor(target)
    kept = backward_slice(tape._records, [t])
    used = {id(a) for _, ins, _, _ in kept for a in ins} | {id(t)}
    groups = [(o, ts) for o, ts in source_groups(tape) if any(id(x) in used for x in ts)]
    inputs, names = unique_inputs([(o.name, ts) for o, ts in groups],
                                  [tuple(o.shape) for o, _ in groups])
    graph, values = build_graph(tape._records, inputs, [t])
    shapes = [v.shape for v in graph.inputs] + [t.shape]
    out = translate(graph, values, view or default_view(*shapes), budget)
    out.renamed = names.renamed + [r for r in out.renamed if r not in names.renamed]
    if out.view == "matrix" and _small(out):
        elements = translate(graph, values, "elements", budget)
        shown = verify.explicit(out.exprs()[0], {n: s for n, (_, s) in out.values.items()})
        if not verify.equal(verify.as_array(shown).ravel(),
                            verify.as_array(elements.exprs()[0]).ravel()):
            elements.fallback = "element view used: the matrix form did not match the elements"
            elements.renamed = names.renamed + [r for r in elements.renamed
                                                if r not in names.renamed]
            return elements
    return out


def _small(tr: Translation) -> bool:
    """Few enough elements that the matrix form is checked against the element view."""
    return sum(int(np.prod(shape)) for _, shape in tr.values.values()) <= CHECK_ELEMENTS


def expression(tape: Any, target: Any, view: str | None = None,
               budget: Budget | None = None) -> Any:
    """The SymPy expression of a recorded ``target`` in terms of named symbols.

    Matrix view by default for tensors of rank <= 2 (``view="elements"`` for explicit matrices of
    scalar symbols). Symbols are named after ``Variable(name=...)`` / ``constant(name=...)``,
    else ``x0, x1, ...``.

    >>> import workbench as wb
    >>> X = wb.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]], name="X")
    >>> y = wb.constant([1.0, 2.0, 3.0], name="y")
    >>> beta = wb.Variable([0.5, 0.5], name="beta")
    >>> with wb.GradientTape() as tape:
    ...     r = y - X @ beta
    ...     loss = r @ r
    >>> tape.expression(loss)
    (-X*beta + y).T*(-X*beta + y)
    """
    budget = budget or Budget()
    with budget.running("translating the graph"):
        tr = translation(tape, target, view, budget)
        out = tr.exprs()[0]
        check_depth(out, "translating the graph")
    if tr.renamed:
        names = SymbolNames()
        names.renamed = tr.renamed
        warn_renamed(names, stacklevel=4)  # the user's line, through tape.expression
    return out

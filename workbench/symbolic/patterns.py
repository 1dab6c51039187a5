"""Matrix-view forms of equation patterns whose single equations have no matrix notation: the
cofactor matrix of ``det``'s VJP (``det(A)*A^-T``), the max shift of softmax / logsumexp (a
no-op, printed away), ``slogdet``'s packed result, and ``where`` on a constant condition."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

from workbench.ir import Graph, Literal, Var
from workbench.symbolic.matrix import MatrixForm, mm, transpose

#: An override computes an equation's MatrixForm from a lookup of the graph's atoms.
Override = Callable[[Callable[[Any], MatrixForm]], MatrixForm]


def overrides(graph: Graph, values: dict[Any, Any] | None = None) -> dict[Var, Override]:
    """Equation outputs of ``graph`` whose matrix form comes from a pattern, not from its rule.

    The equations inside a pattern may have no matrix form of their own; the translator defers
    their failure until something outside the pattern reads them. ``values`` (the inputs'
    recorded values) choose between forms equal at the recorded point (``log det`` for
    ``log|det|`` where the determinant is positive).
    """
    values = values or {}
    producer = {eqn.outputs[0]: eqn for eqn in graph.eqns}
    found: dict[Var, Override] = {}
    for eqn in graph.eqns:
        out = eqn.outputs[0]
        rule = None
        for match in (_cofactor, _shifted, _slogdet_part, _constant_where):
            rule = match(eqn, producer, values)
            if rule is not None:
                break
        if rule is not None:
            found[out] = rule
    return found


def _made_by(atom: Any, producer: dict, name: str) -> Any:
    eqn = producer.get(atom) if isinstance(atom, Var) else None
    return eqn if eqn is not None and eqn.prim.name == name else None


def _cofactor(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``det(a[minors]) * signs`` (det's VJP) is the cofactor matrix ``det(a) * a^-T`` (where
    the recorded ``a`` is invertible)."""
    if eqn.prim.name != "mul" or len(eqn.inputs) != 2:
        return None
    dets, signs = eqn.inputs
    det = _made_by(dets, producer, "det")
    minors = _made_by(det.inputs[0], producer, "getitem") if det is not None else None
    if minors is None or not isinstance(signs, Literal) or len(minors.inputs[0].shape) != 2:
        return None
    a = minors.inputs[0]
    n = a.shape[-1]
    from workbench.ops.linalg import _minor_index

    want = _minor_index(n)
    index = minors.params["index"]
    if len(index) != len(want) or index[0] is not Ellipsis or not all(
            np.array_equal(i, w) for i, w in zip(index[1:], want[1:], strict=True)):
        return None
    if not np.array_equal(np.asarray(signs.value), (-1.0) ** np.add.outer(np.arange(n),
                                                                           np.arange(n))):
        return None
    if a in values and np.linalg.cond(np.asarray(values[a], dtype=float)) > 1e12:
        return None  # det(a)*a^-T is undefined at a singular matrix: the cofactors by element

    def rule(read: Callable[[Any], MatrixForm]) -> MatrixForm:
        e = read(a).e
        return MatrixForm(mm(sympy.Determinant(e), transpose(sympy.Inverse(e))), (n, n))

    return rule


def _is_shift(atom: Any, producer: dict) -> Any:
    """The input ``x`` if ``atom`` is ``stop_gradient(max(x))``, else None."""
    sg = _made_by(atom, producer, "stop_gradient")
    top = _made_by(sg.inputs[0], producer, "max") if sg is not None else None
    return top.inputs[0] if top is not None else None


def _shifted(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``x - stop_gradient(max(x))`` is ``x``, and adding the shift back adds nothing: the
    shift keeps ``exp`` finite and cancels in softmax and logsumexp."""
    if eqn.prim.name not in ("sub", "add") or len(eqn.inputs) != 2:
        return None
    a, b = eqn.inputs
    x = _is_shift(b, producer)
    if x is None or (eqn.prim.name == "sub" and x is not a):
        return None
    shape = eqn.outputs[0].shape

    def rule(read: Callable[[Any], MatrixForm]) -> MatrixForm:
        return read(a).broadcast_to(shape)

    return rule


def _slogdet_part(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``slogdet(a)[..., 1]`` is ``log|det(a)|``; of a cotangent packed by ``scatter_add`` at
    the same place, the cotangent itself. At a recorded input with a positive determinant
    ``log|det(a)| = log(det(a))``, the form a textbook prints (and SymPy can check)."""
    if eqn.prim.name != "getitem" or not _index_is(eqn.params.get("index"), (Ellipsis, 1)):
        return None
    src = eqn.inputs[0]
    slog = _made_by(src, producer, "slogdet")
    if slog is not None and len(slog.inputs[0].shape) == 2:
        a = slog.inputs[0]
        positive = a in values and np.linalg.det(np.asarray(values[a], dtype=float)) > 0
        wrap = (lambda d: d) if positive else sympy.Abs
        return lambda read: MatrixForm(sympy.log(wrap(sympy.Determinant(read(a).e))), ())
    packed = _made_by(src, producer, "scatter_add")
    if packed is not None and _index_is(packed.params.get("index"), (Ellipsis, 1)) and \
            packed.params.get("shape") == (2,):
        g = packed.inputs[0]
        return lambda read: read(g)
    return None


def _index_is(index: Any, want: tuple) -> bool:
    return isinstance(index, tuple) and len(index) == len(want) and all(
        type(i) is type(w) and i == w for i, w in zip(index, want, strict=True))


def _constant_where(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``where(c, a, b)`` with a constant condition that is all true (false) is ``a`` (``b``)."""
    if eqn.prim.name != "where" or not isinstance(eqn.inputs[0], Literal):
        return None
    cond = np.asarray(eqn.inputs[0].value)
    if cond.dtype != bool or not (cond.all() or not cond.any()):
        return None
    pick = eqn.inputs[1] if cond.all() else eqn.inputs[2]
    shape = eqn.outputs[0].shape

    def rule(read: Callable[[Any], MatrixForm]) -> MatrixForm:
        return read(pick).broadcast_to(shape)

    return rule

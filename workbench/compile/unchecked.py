"""What the unchecked chunks of an interleaved ``repeat_map`` run and test: a graph with exact
rewrites that hold whenever the test passes, NaN/infinity tests per step or once per chunk.

A chunk first runs fast and is replayed step by step, exactly, when its test fails. So the fast
run needs only the exact state when no step of the chunk meets a NaN or infinity, and a test that
fails whenever one does. A value whose NaN or infinity always reaches a state that keeps it
(``lasting``) is tested once, at the chunk's end; ``(2**k * b) / 2**k`` is ``b`` unless
``2**k * b`` overflows, which a tested ``b * b`` (or ``b ** 2``) would then show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.ir import Eqn, Graph, Literal, Var

#: Input positions through which a NaN or infinity always reaches the result, whatever the
#: other inputs are (``div``: only the dividend, since ``1 / inf`` is 0).
_KEEPS = {"add": (0, 1), "sub": (0, 1), "mul": (0, 1), "div": (0,), "neg": (0,), "abs": (0,),
          "sqrt": (0,), "log": (0,), "identity": (0,), "stop_gradient": (0,)}


@dataclass(frozen=True)
class Plan:
    """``graph``: what a fast step computes; ``per_step``: output positions tested every step;
    ``at_end``: carried ``(output, input)`` pairs whose state is tested at the chunk's end."""

    graph: Graph
    per_step: list[int]
    at_end: list[tuple[int, int]]


def plan(graph: Graph, carried: list[tuple[int, int]], rewrite: bool = True) -> Plan:
    """The fast step of ``graph`` (state ``carried`` as ``(output, input)`` pairs).

    >>> import numpy as np
    >>> from workbench.ir import Var
    >>> x = Var((), np.dtype("float64"))
    >>> plan(Graph((x,), (), (x,)), [(0, 0)]).at_end
    [(0, 0)]
    """
    producer = {id(e.outputs[0]): e for e in graph.eqns}
    squares: dict[int, list[Var]] = {}
    for eqn in graph.eqns:
        base = _squared(eqn, producer)
        if base is not None:
            squares.setdefault(id(base), []).append(eqn.outputs[0])
    alias = {}
    if rewrite:
        for eqn in graph.eqns:
            b = _unscaled(eqn, producer)
            if b is not None and id(_canon(b, producer)) in squares:
                alias[id(eqn.outputs[0])] = b
    while True:
        fast = _substitute(graph, alias)
        at_end, good = _lasting(fast, carried)
        per_step = [k for k, a in enumerate(fast.outputs)
                    if np.dtype(a.dtype).kind == "f" and id(a) not in good]
        tested = good | {id(fast.outputs[k]) for k in per_step}
        kept = {k: b for k, b in alias.items()
                if any(id(g) in tested for g in squares[id(_canon(b, producer))])}
        if len(kept) == len(alias):
            return Plan(fast, per_step, at_end)
        alias = kept


def _literal(atom: Any) -> float | None:
    """The value of a 0-d numeric literal, else None."""
    if not isinstance(atom, Literal) or np.ndim(atom.value) != 0:
        return None
    value = np.asarray(atom.value)
    return float(value) if value.dtype.kind in "iuf" else None


def _keeps(eqn: Eqn) -> tuple[int, ...]:
    if len(eqn.outputs) != 1 or np.dtype(eqn.outputs[0].dtype).kind != "f":
        return ()
    name = eqn.prim.name
    if name == "power":  # x ** c for c > 0 keeps a NaN or infinity of x
        c = _literal(eqn.inputs[1])
        return (0,) if c is not None and c > 0 else ()
    if name == "cast":
        return (0,) if np.dtype(eqn.inputs[0].dtype).kind == "f" else ()
    return _KEEPS.get(name, ())


def _reaching(graph: Graph, targets: set[int]) -> set[int]:
    """ids of the values whose NaN or infinity always reaches one of ``targets`` (ids)."""
    good = set(targets)
    for eqn in reversed(graph.eqns):
        if id(eqn.outputs[0]) in good:
            good.update(id(eqn.inputs[k]) for k in _keeps(eqn) if isinstance(eqn.inputs[k], Var))
    return good


def _lasting(graph: Graph, carried: list[tuple[int, int]]) -> tuple[list, set[int]]:
    """The float states whose NaN or infinity reaches the next state of one of them (so it
    lasts to the chunk's end), and the values whose NaN or infinity reaches one of those."""
    slots = [(o, i) for o, i in carried if isinstance(graph.outputs[o], Var)
             and np.dtype(graph.inputs[i].dtype).kind == "f"]
    while True:
        good = _reaching(graph, {id(graph.outputs[o]) for o, _ in slots})
        kept = [(o, i) for o, i in slots if id(graph.inputs[i]) in good]
        if kept == slots:
            return slots, good
        slots = kept


def _canon(atom: Any, producer: dict[int, Eqn]) -> Any:
    """``atom`` with exact identities (``x ** 1``, ``x * 1``, ``x / 1``, ``identity``) undone."""
    while isinstance(atom, Var) and id(atom) in producer:
        eqn = producer[id(atom)]
        name, ins = eqn.prim.name, eqn.inputs
        ones = [k for k, a in enumerate(ins) if _literal(a) == 1.0]
        if name in ("identity", "stop_gradient") or (name in ("power", "div") and ones == [1]):
            atom = ins[0]
        elif name == "mul" and ones:
            atom = ins[1 - ones[0]]
        else:
            break
        if tuple(atom.shape) != () or np.dtype(atom.dtype) != np.dtype(eqn.outputs[0].dtype):
            return eqn.outputs[0]
    return atom


def _squared(eqn: Eqn, producer: dict[int, Eqn]) -> Var | None:
    """``x`` (undone as ``_canon``) if ``eqn`` computes ``x ** 2`` or ``x * x``."""
    name, ins = eqn.prim.name, eqn.inputs
    power = name == "power" and _literal(ins[1]) == 2.0
    if not (power or name == "mul" and _canon(ins[0], producer) is _canon(ins[1], producer)):
        return None
    base = _canon(ins[0], producer)
    same = isinstance(base, Var) and np.dtype(base.dtype) == np.dtype(eqn.outputs[0].dtype)
    return base if same and tuple(base.shape) == () else None


def _unscaled(eqn: Eqn, producer: dict[int, Eqn]) -> Var | None:
    """``b`` if ``eqn`` computes ``(c * b) / c`` or ``(c * b) * (1 / c)`` for a power of two
    ``c >= 2`` small enough that ``b * b`` overflows wherever ``c * b`` does; else None."""
    name, ins, out = eqn.prim.name, eqn.inputs, eqn.outputs[0]
    if tuple(out.shape) != () or np.dtype(out.dtype).kind != "f":
        return None
    if name == "div" and _literal(ins[1]) is not None:
        c, scaled = _literal(ins[1]), ins[0]
    elif name == "mul" and _literal(ins[1]) not in (None, 0.0):
        c, scaled = 1.0 / _literal(ins[1]), ins[0]
    elif name == "mul" and _literal(ins[0]) not in (None, 0.0):
        c, scaled = 1.0 / _literal(ins[0]), ins[1]
    else:
        return None
    half_range = np.finfo(out.dtype).maxexp // 2 - 1  # c * c stays finite
    if not (2.0 <= c <= 2.0**half_range and math.frexp(c)[0] == 0.5):
        return None
    scaled = _canon(scaled, producer)
    first = producer.get(id(scaled))
    if first is None or first.prim.name != "mul":
        return None
    a, b = first.inputs
    if _literal(a) != c:
        a, b = b, a
    if _literal(a) != c or not isinstance(b, Var) or tuple(b.shape) != ():
        return None
    return b if np.dtype(b.dtype) == np.dtype(out.dtype) else None


def _substitute(graph: Graph, alias: dict[int, Var]) -> Graph:
    """``graph`` with the values in ``alias`` (ids) replaced, and equations nothing reads gone."""
    if not alias:
        return graph

    def resolve(atom: Any) -> Any:
        while isinstance(atom, Var) and id(atom) in alias:
            atom = alias[id(atom)]
        return atom

    eqns = [Eqn(e.prim, tuple(resolve(a) for a in e.inputs), e.outputs, e.params)
            for e in graph.eqns if id(e.outputs[0]) not in alias]
    outputs = tuple(resolve(a) for a in graph.outputs)
    needed = {id(a) for a in outputs}
    kept = []
    for eqn in reversed(eqns):
        if any(id(o) in needed for o in eqn.outputs):
            kept.append(eqn)
            needed.update(id(a) for a in eqn.inputs)
    return Graph(graph.inputs, tuple(reversed(kept)), outputs)

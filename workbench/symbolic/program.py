"""Large graphs without expression swell: a straight-line SymPy program (one symbol per
intermediate element, like CSE by construction) and symbolic reverse mode over it (each local
derivative by ``sympy.diff`` of a small definition, so the cost stays linear in the graph)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from workbench.ir import Graph, Var
from workbench.symbolic.budget import Budget, count_ops
from workbench.symbolic.elements import Elements
from workbench.symbolic.names import SymbolNames
from workbench.symbolic.translate import Translation, _literal, apply_rule

#: Graphs with more forward equations than this are differentiated as programs.
PROGRAM_EQNS = 40
#: Element-view targets with more operations than this (after CSE) are differentiated as programs.
PROGRAM_OPS = 300
_SHOWN = 24


@dataclass
class Program:
    """``defs`` (symbol, expression) in evaluation order, then ``result`` (an object array)
    written in terms of the defined symbols.

    >>> t = sympy.Symbol("t1")
    >>> print(Program([(t, sympy.sin(sympy.Symbol("x")))], np.array(2 * t, dtype=object)))
    t1 = sin(x)
    result = 2*t1
    """

    defs: list[tuple[sympy.Symbol, Any]]
    result: np.ndarray

    def ops(self) -> int:
        """Operations to evaluate the program once."""
        return count_ops([e for _, e in self.defs] + list(self.result.ravel()))

    def __str__(self) -> str:
        lines = [f"{s} = {e}" for s, e in self.defs[:_SHOWN]]
        if len(self.defs) > _SHOWN:
            lines.append(f"... ({len(self.defs) - _SHOWN} more definitions)")
        res = self.result.item() if self.result.ndim == 0 else self.result.tolist()
        lines.append(f"result = {res}")
        return "\n".join(lines)

    def _latex(self, printer: Any) -> str:
        rows = [rf"{printer._print(s)} &= {printer._print(e)}" for s, e in self.defs[:_SHOWN]]
        res = self.result.item() if self.result.ndim == 0 else sympy.Matrix(
            self.result.reshape(self.result.shape[0], -1).tolist())
        rows.append(rf"\text{{result}} &= {printer._print(res)}")
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"

    def evaluate(self, subs: dict[Any, Any]) -> np.ndarray:
        """Every result element at ``subs`` (30 digits), each definition evaluated once."""
        env = dict(subs)
        for s, e in self.defs:
            env[s] = sympy.sympify(e).xreplace(env).evalf(30)
        return np.array([complex(sympy.sympify(r).xreplace(env).evalf(30))
                         for r in self.result.ravel()]).reshape(self.result.shape)


class _Namer:
    def __init__(self, prefix: str):
        self.prefix, self.k, self.defs = prefix, 0, []

    def bind(self, e: Any) -> Any:
        e = sympy.sympify(e)
        if e.is_Atom or e.is_number:
            return e
        self.k += 1
        s = sympy.Symbol(f"{self.prefix}{self.k}", real=True)
        self.defs.append((s, e))
        return s


def translate_program(graph: Graph, values: dict[Any, Any], budget: Budget,
                      prefix: str = "t") -> tuple[Translation, list]:
    """Translate ``graph`` in the element view, binding each computed element to a symbol."""
    namer = _Namer(prefix)
    env: dict[Any, Any] = {}
    named: dict[str, Any] = {}
    names = SymbolNames(re.compile(rf"[{prefix}ac]\d+"))
    for var in graph.inputs:
        name = names.claim(var.name, var.shape)
        env[var] = Elements.symbols(name, var.shape)
        named[name] = (values[var], var.shape)

    def read(a: Any) -> Any:
        if a not in env:
            env[a] = _literal(a, Elements, named, [0], names)
        return env[a]

    for i, eqn in enumerate(graph.eqns):
        out = apply_rule(eqn.prim, [read(a) for a in eqn.inputs], eqn.params)
        env[eqn.outputs[0]] = Elements(np.vectorize(namer.bind, otypes=[object])(out.a)
                                       if out.a.size else out.a)
        if i % 16 == 0:
            budget.check_time(f"translating equation {i} ({eqn.prim.name})")
    outs = [read(o) if not isinstance(o, Var) or o not in env else env[o] for o in graph.outputs]
    return Translation(outs, "program", env, named, renamed=names.renamed), namer.defs


def reverse_mode(defs: list, output: Elements, source: Elements, budget: Budget) -> Program:
    """The gradient of the sum of ``output`` w.r.t. ``source`` by the chain rule over ``defs``:
    adjoints accumulate ``adjoint * sympy.diff(definition, argument)`` from the last definition
    to the first; each adjoint is bound to a symbol ``a1, a2, ...``."""
    definition = dict(defs)
    sources = set(source.a.ravel())
    adjoint: dict[Any, Any] = {}
    for e in output.a.ravel():
        if isinstance(e, sympy.Symbol) and (e in definition or e in sources):
            adjoint[e] = adjoint.get(e, sympy.Integer(0)) + 1
    namer = _Namer("a")
    for i, (s, e) in enumerate(reversed(defs)):
        a = adjoint.pop(s, None)
        if a is None:
            continue
        a = namer.bind(a)
        for u in e.free_symbols:
            if u in definition or u in sources:
                partial = sympy.diff(e, u)
                if partial != 0:
                    adjoint[u] = adjoint.get(u, sympy.Integer(0)) + a * partial
        if i % 64 == 0:
            budget.check_time("differentiating the program")
    grad = np.vectorize(lambda s: adjoint.get(s, sympy.Integer(0)), otypes=[object])(source.a)
    program = Program(list(defs) + namer.defs, grad)
    budget.check_size([e for _, e in program.defs], "differentiating the program")
    return program


def prune(program: Program) -> Program:
    """Drop definitions the result does not use."""
    needed = set().union(*(sympy.sympify(r).free_symbols for r in program.result.ravel()))
    kept = []
    for s, e in reversed(program.defs):
        if s in needed:
            kept.append((s, e))
            needed |= e.free_symbols
    return Program(kept[::-1], program.result)

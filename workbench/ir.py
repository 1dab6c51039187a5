"""The graph IR every engine reads: variables, literals, equations and graphs, plus a printer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from workbench.primitive import Primitive


@dataclass(frozen=True, slots=True, eq=False)
class Var:
    """A value in a graph: identity-hashed, with a static shape and dtype."""

    shape: tuple[int, ...]
    dtype: np.dtype
    name: str | None = None

    def __repr__(self) -> str:
        return f"Var({self.name or '?'}: {_type_str(self)})"


@dataclass(frozen=True, slots=True, eq=False)
class Literal:
    """A constant folded into a graph (a Python number, or an array captured from the tape)."""

    value: Any
    name: str | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.value)

    @property
    def dtype(self) -> np.dtype:
        return np.asarray(self.value).dtype

    def __repr__(self) -> str:
        return f"Literal({self.name or _literal_str(self.value)})"


Atom = Var | Literal


@dataclass(frozen=True, slots=True, eq=False)
class Eqn:
    """One primitive application: ``outputs = prim(*inputs, **params)``."""

    prim: Primitive
    inputs: tuple[Atom, ...]
    outputs: tuple[Var, ...]
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, eq=False)
class Graph:
    """A straight-line program: inputs, equations in evaluation order, outputs."""

    inputs: tuple[Var, ...]
    eqns: tuple[Eqn, ...]
    outputs: tuple[Atom, ...]

    def __str__(self) -> str:
        return pretty(self)

    def __repr__(self) -> str:
        return f"Graph({len(self.inputs)} inputs, {len(self.eqns)} eqns, {len(self.outputs)} outputs)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # IPython: the listing
        printer.text(pretty(self))

    def _repr_html_(self) -> str:  # the listing, plus an SVG drawing where graphviz exists
        from workbench.plot.dot import graph_html

        return graph_html(self)

    def to_dot(self) -> str:
        """Graphviz DOT text of this graph (see ``workbench.plot.dot.graph_to_dot``)."""
        from workbench.plot.dot import graph_to_dot

        return graph_to_dot(self)


def _type_str(atom: Atom) -> str:
    dims = ",".join(str(d) for d in atom.shape)
    return f"{np.dtype(atom.dtype).name}[{dims}]"


def _literal_str(value: Any) -> str:
    if np.ndim(value) == 0:
        return repr(float(value)) if np.issubdtype(np.asarray(value).dtype, np.floating) else repr(value)
    return f"array{_type_str(Literal(value))}"


def _param_str(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array{list(value.shape)}"
    if isinstance(value, np.dtype | type):
        return np.dtype(value).name
    return repr(value)


def pretty(graph: Graph) -> str:
    """Print a graph one equation per line, e.g. ``t3 = mul t1 t2``.

    >>> import workbench as wb
    >>> x = wb.constant(2.0, name="x")
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = wb.sin(x) * x
    >>> print(tape.graph(y))
    graph(x: float64[]) {
      t1 = sin x
      t2 = mul t1 x
      return t2
    }
    """
    names: dict[int, str] = {}
    used: set[str] = set()

    def name_of(atom: Atom) -> str:
        if isinstance(atom, Literal):
            return atom.name or _literal_str(atom.value)
        if id(atom) not in names:
            base = atom.name or f"t{len(names) - len(graph.inputs) + 1}"
            label = base
            while label in used:
                label = f"{base}_{len(used)}"
            names[id(atom)] = label
            used.add(label)
        return names[id(atom)]

    for i, var in enumerate(graph.inputs):
        if var.name is None:
            names[id(var)] = f"x{i}"
            used.add(f"x{i}")
        else:
            name_of(var)
    head = ", ".join(f"{name_of(v)}: {_type_str(v)}" for v in graph.inputs)
    lines = [f"graph({head}) {{"]
    for eqn in graph.eqns:
        outs = " ".join(name_of(v) for v in eqn.outputs)
        params = "".join(f" {k}={_param_str(v)}" for k, v in eqn.params.items())
        args = " ".join(name_of(a) for a in eqn.inputs)
        lines.append(f"  {outs} = {eqn.prim.name}{params} {args}")
    lines.append("  return " + " ".join(name_of(v) for v in graph.outputs))
    lines.append("}")
    return "\n".join(lines)

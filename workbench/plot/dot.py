"""Graphviz DOT text for an IR Graph (no matplotlib, no graphviz needed to produce the text)."""

from __future__ import annotations

import html
import shutil
from typing import Any

from workbench.ir import Graph, Literal, _literal_str, _type_str, pretty


def graph_html(graph: Graph) -> str:
    """The notebook view of a Graph: its equation listing, and the drawing as SVG when the
    ``graphviz`` package and its ``dot`` program are installed.

    >>> import workbench as wb
    >>> x = wb.constant(2.0, name="x")
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> graph_html(tape.graph(y)).startswith("<pre>graph(x: float64[])")
    True
    """
    listing = f"<pre>{html.escape(pretty(graph))}</pre>"
    if shutil.which("dot") is None:
        return listing
    try:
        import graphviz
    except ImportError:
        return listing
    svg = graphviz.Source(graph_to_dot(graph)).pipe(format="svg").decode()
    return listing + svg[svg.find("<svg"):]


def graph_to_dot(graph: Graph, name: str = "workbench") -> str:
    """The graph as DOT: inputs as ellipses, equations as boxes, outputs double-circled.

    >>> import workbench as wb
    >>> x = wb.constant(2.0, name="x")
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = wb.sin(x) * x
    >>> print(tape.graph(y).to_dot())
    digraph workbench {
      rankdir=LR;
      node [fontname="Helvetica", fontsize=11];
      v0 [label="x\\nfloat64[]", shape=ellipse];
      e0 [label="sin", shape=box, style=rounded];
      v0 -> e0;
      e0 -> v1 [label="t1"];
      v1 [label="t1", shape=point];
      e1 [label="mul", shape=box, style=rounded];
      v1 -> e1;
      v0 -> e1;
      e1 -> v2 [label="t2"];
      v2 [label="t2", shape=doublecircle, width=0.2];
    }
    """
    ids: dict[int, str] = {}
    labels: dict[int, str] = {}
    lines = [f"digraph {name} {{", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];']
    outputs = {id(v) for v in graph.outputs}

    def node(var: Any, label: str) -> str:
        ids[id(var)] = f"v{len(ids)}"
        labels[id(var)] = label
        return ids[id(var)]

    for i, var in enumerate(graph.inputs):
        label = var.name or f"x{i}"
        lines.append(f'  {node(var, label)} [label="{label}\\n{_type_str(var)}", shape=ellipse];')
    count = 0
    for k, eqn in enumerate(graph.eqns):
        lines.append(f'  e{k} [label="{eqn.prim.name}", shape=box, style=rounded];')
        for a in eqn.inputs:
            if isinstance(a, Literal):
                lit = f"c{k}_{len(lines)}"
                text = a.name or _literal_str(a.value)
                lines.append(f'  {lit} [label="{text}", shape=plaintext];')
                lines.append(f"  {lit} -> e{k};")
            else:
                lines.append(f"  {ids[id(a)]} -> e{k};")
        for out in eqn.outputs:
            count += 1
            vid = node(out, f"t{count}")
            lines.append(f'  e{k} -> {vid} [label="t{count}"];')
            shape = "doublecircle, width=0.2" if id(out) in outputs else "point"
            lines.append(f'  {vid} [label="t{count}", shape={shape}];')
    lines.append("}")
    return "\n".join(lines)

"""``chain_rule_table``: a Derivation's chain-rule steps as a table (HTML in notebooks, aligned
text elsewhere), with no matplotlib involved."""

from __future__ import annotations

import html
from typing import Any


class ChainRuleTable:
    """The steps of a Derivation: node, definition, local partials, adjoint ∂out/∂node."""

    HEAD = ("node", "definition", "local partials", "adjoint ∂out/∂node")

    def __init__(self, derivation: Any):
        from workbench.symbolic.printing import to_str

        self.rows = []
        for step in derivation.steps:
            partials = ", ".join(f"∂{step.name}/∂{a} = {to_str(v)}"
                                 for a, v in step.partials.items())
            definition = step.definition if step.definition is not None else step.prim
            self.rows.append((step.name, to_str(definition), partials,
                              "" if step.adjoint is None else to_str(step.adjoint)))

    def __str__(self) -> str:
        widths = [max(len(r[i]) for r in [self.HEAD, *self.rows]) for i in range(4)]
        return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                         for r in [self.HEAD, *self.rows])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(h)}</th>" for h in self.HEAD)
        body = "".join("<tr>" + "".join(f"<td><code>{html.escape(c)}</code></td>" for c in r)
                       + "</tr>" for r in self.rows)
        return f'<table class="workbench-chain-rule"><tr>{head}</tr>{body}</table>'


def chain_rule_table(derivation: Any) -> ChainRuleTable:
    """The chain rule of ``derivation`` node by node, displayable in a notebook.

    >>> import workbench as wb
    >>> x = wb.constant(2.0, name="x")
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = wb.sin(x) * x
    >>> print(chain_rule_table(tape.derive(y, x)))
    node     definition           local partials           adjoint ∂out/∂node
    t1       sin(x)               ∂t1/∂x = cos(x)          x
    t2       t1*x                 ∂t2/∂t1 = x, ∂t2/∂x = t1 1
    ∂out/∂x  x*cos(x) + sin(x)                             t1 + x*cos(x)
    """
    return ChainRuleTable(derivation)

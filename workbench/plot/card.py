"""``derivation_card``: a Derivation as a figure for slides: the function, the closed form, the
tape's reverse pass, the chain rule node by node, and the numbers three ways."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt

from workbench.plot._text import mathtext, shorten

_MAX_STEPS = 14


def _step_row(step: Any) -> str:
    if step.kind == "result":
        return f"{step.name} = {mathtext(step.definition)}"
    text = f"{step.name} = {mathtext(step.definition)}" if step.definition is not None \
        else f"{step.name} ({step.prim})"
    if step.partials:
        text += "    " + ",  ".join(f"∂{step.name}/∂{a} = {mathtext(v)}"
                                    for a, v in step.partials.items())
    if step.adjoint is not None:
        text += f"    adjoint = {mathtext(step.adjoint)}"
    return text


def derivation_card(d: Any, title: str | None = None) -> Any:
    """Render the Derivation ``d`` (from ``tape.derive``) as a matplotlib Figure.

    >>> import workbench as wb
    >>> x = wb.constant(3.0, name="x")
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = wb.sin(x) * x
    >>> fig = derivation_card(tape.derive(y, x))
    >>> any("chain rule" in t.get_text() for t in fig.texts)
    True
    """
    steps = list(d.steps)[:_MAX_STEPS]
    lines: list[tuple[str, dict]] = [
        (title or "derivation", {"size": 15, "weight": "bold"}),
        (f"f = {mathtext(d.forward)}", {"size": 13}),
        (f"{d._symbol()} = {mathtext(d.expr)}", {"size": 13, "color": "C0"}),
        (f"tape's reverse pass: {mathtext(d.tape_expr)}", {"size": 11, "color": "0.25"}),
        (shorten(f"check: {d.proof}", 110), {"size": 9, "color": "C2", "style": "italic"}),
        ("the chain rule, node by node (forward definitions, local partials, adjoints)",
         {"size": 11, "weight": "bold"}),
    ]
    lines += [(_step_row(s), {"size": 10}) for s in steps]
    if len(d.steps) > _MAX_STEPS:
        lines.append((f"… {len(d.steps) - _MAX_STEPS} more steps", {"size": 9}))
    lines.append(("numbers at the recorded point", {"size": 11, "weight": "bold"}))
    table = d.table().splitlines()
    lines += [(row, {"size": 9, "family": "monospace"}) for row in table]
    gaps = [0.28 if style.get("family") == "monospace" else 0.42 for _, style in lines]
    height = sum(gaps) + 0.4
    fig = plt.figure(figsize=(10.0, height))
    fig.add_axes((0.0, 0.0, 1.0, 1.0)).axis("off")  # notebooks display figures with axes only
    y = 1.0 - 0.2 / height
    for (text, style), gap in zip(lines, gaps, strict=True):
        fig.text(0.03, y, text, va="top", ha="left", **style)
        y -= gap / height
    return fig

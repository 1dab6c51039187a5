"""``plot_derivative``: a function and its derivatives from the tape, the closed forms (from
``tape.derive``) in the legend, and the largest |tape − closed form| in the corner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

import workbench as wb
from workbench.plot._text import mathtext

_NAMES = {1: "f'", 2: "f''", 3: "f'''"}


def tape_derivatives(fn: Callable[[Any], Any], x: np.ndarray, order: int) -> list[np.ndarray]:
    """``[f(x), f'(x), ..., f^(order)(x)]`` on the grid ``x`` from nested tapes (``fn`` acts
    elementwise, so the gradient of the sum is the elementwise derivative).

    >>> import numpy as np, workbench as wb
    >>> [v.tolist() for v in tape_derivatives(lambda t: t ** 3, np.array([2.0]), 2)]
    [[8.0], [12.0], [12.0]]
    """
    xt = wb.constant(np.asarray(x, dtype=float))
    return [np.broadcast_to(np.asarray(v, dtype=float), np.shape(x))
            for v in _nested(fn, xt, order)]


def _nested(fn: Callable[[Any], Any], xt: Any, order: int) -> list[np.ndarray]:
    if order == 0:
        return [fn(xt)]
    with wb.GradientTape() as tape:
        tape.watch(xt)
        values = _nested(fn, xt, order - 1)
        total = wb.reduce_sum(values[-1])
    grad = tape.gradient(total, xt)
    return values + [np.zeros(xt.shape) if grad is None else grad]


def closed_forms(fn: Callable[[Any], Any], order: int, name: str = "x") -> list[Any]:
    """The Derivations of ``fn`` of orders 1..``order`` (``tape.derive`` at a scalar point).

    >>> [str(d.expr) for d in closed_forms(lambda t: t ** 3, 2)]
    ['3*x**2', '6*x']
    """
    out = []
    for k in range(1, order + 1):
        x0 = wb.constant(0.7, name=name)
        with wb.GradientTape() as tape:
            tape.watch(x0)
            y = fn(x0)
        out.append(tape.derive(y, x0, order=k))
    return out


def _closed_values(d: Any, x: np.ndarray) -> np.ndarray:
    f = d.function()
    return np.array([float(f(**{d.source_name: v})) for v in np.asarray(x, dtype=float)])


def plot_derivative(fn: Callable[[Any], Any], x: Any = (-3.0, 3.0), order: int = 1,
                    ax: Any = None, title: str | None = None) -> Any:
    """Plot ``fn`` and its derivatives up to ``order`` on ``x`` (a grid, or ``(lo, hi)``).

    Curves come from the tape; the legend shows each closed form ``tape.derive`` found, and the
    corner the largest difference between tape and closed form on the grid.

    >>> import workbench as wb
    >>> fig = plot_derivative(wb.tanh, (-2.0, 2.0), order=2)
    >>> [t.get_text() for t in fig.axes[0].get_legend().get_texts()][1]
    "f'(x) = $\\\\frac{1}{\\\\cosh^{2}{\\\\left(x \\\\right)}}$"
    """
    grid = np.linspace(*x, 201) if len(np.shape(x)) == 1 and len(x) == 2 else np.asarray(x)
    if order < 1:
        raise ValueError(f"plot_derivative needs order >= 1, got {order}")
    values = tape_derivatives(fn, grid, order)
    derivations = closed_forms(fn, order)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.2))
    fig = ax.figure
    ax.plot(grid, values[0], lw=2.2, color="C0", label=f"f(x) = {mathtext(derivations[0].forward)}")
    worst = 0.0
    for k, d in enumerate(derivations, start=1):
        closed = _closed_values(d, grid)
        worst = max(worst, float(np.max(np.abs(values[k] - closed))))
        name = _NAMES.get(k, f"f^({k})")
        ax.plot(grid, values[k], lw=1.8, ls="--" if k == 1 else ":", color=f"C{k}",
                label=f"{name}(x) = {mathtext(d.expr)}")
        ax.plot(grid[::20], closed[::20], "o", ms=4, mfc="none", color=f"C{k}")
    ax.axhline(0.0, color="0.85", lw=0.8, zorder=0)
    ax.set_xlabel("x")
    ax.legend(fontsize=9, loc="best", title="lines: tape · circles: closed form",
              title_fontsize=8)
    ax.text(1.0, -0.07, f"max |tape − closed form| = {worst:.1e}", transform=ax.transAxes,
            ha="right", va="top", fontsize=8, color="0.3",
            bbox={"boxstyle": "round", "fc": "white", "ec": "0.8"})
    ax.set_title(title or f"f and its derivative{'s' if order > 1 else ''} from the tape")
    fig.tight_layout()
    return fig

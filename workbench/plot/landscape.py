"""``plot_landscape``: loss contours of a two-parameter function with gradient arrows, every grid
point's value and gradient computed in one batched call of the compiled engine (``map``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np

import workbench as wb


def evaluate_landscape(fn: Callable[[Any, Any], Any], ranges: Sequence[tuple[float, float]],
                       n: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, value, gradient)`` of ``fn(a, b)`` on an ``n``×``n`` grid over ``ranges``: one
    compiled kernel (``wb.function(...).map``) evaluates the loss and its tape gradient at
    every point. ``gradient`` has shape ``(n, n, 2)``.

    >>> a, b, z, g = evaluate_landscape(lambda a, b: a * a + 3.0 * b, [(0, 1), (0, 1)], n=3)
    >>> z.shape, g[2, 2].tolist()
    ((3, 3), [2.0, 3.0])
    """
    a, b = np.meshgrid(np.linspace(*ranges[0], n), np.linspace(*ranges[1], n))
    points = np.column_stack([a.ravel(), b.ravel()])

    def value_and_gradient(p: Any) -> tuple[Any, Any]:
        with wb.GradientTape() as tape:
            tape.watch(p)
            value = fn(p[0], p[1])
        return value, tape.gradient(value, p)

    values, grads = wb.function(value_and_gradient).map(points)
    return a, b, np.asarray(values).reshape(a.shape), np.asarray(grads).reshape(a.shape + (2,))


def plot_landscape(fn: Callable[[Any, Any], Any], ranges: Sequence[tuple[float, float]],
                   n: int = 60, arrows: int = 15, paths: Sequence[Any] = (),
                   optimum: Any = None, labels: Sequence[str] = ("a", "b"), ax: Any = None,
                   log: bool = True, title: str | None = None) -> Any:
    """Contours of ``fn(a, b)`` over ``ranges`` with arrows of −∇fn (the descent direction,
    normalised), optional descent ``paths`` (``(steps, 2)`` arrays) and an ``optimum`` marker.

    >>> fig = plot_landscape(lambda a, b: (a - 1.0) ** 2 + b * b, [(-2, 2), (-2, 2)], n=8,
    ...                      arrows=4, optimum=(1.0, 0.0))
    >>> fig.axes[0].get_xlabel()
    'a'
    """
    a, b, z, g = evaluate_landscape(fn, ranges, n)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.6, 5.8))
    fig = ax.figure
    shown = np.log10(z - z.min() + 1e-12 * max(1.0, abs(z.max()))) if log else z
    filled = ax.contourf(a, b, shown, levels=20, cmap="viridis")
    ax.contour(a, b, shown, levels=20, colors="white", linewidths=0.4, alpha=0.6)
    fig.colorbar(filled, ax=ax, label="log10(loss − min on grid)" if log else "loss")
    step = max(1, n // arrows)
    spans = [hi - lo for lo, hi in ranges]
    # −gradient in axes fractions, normalised there: equal lengths, true directions on screen
    fa, fb = -g[::step, ::step, 0] / spans[0], -g[::step, ::step, 1] / spans[1]
    norm = (np.hypot(fa, fb) + 1e-300) * arrows * 1.6
    ax.quiver(a[::step, ::step], b[::step, ::step], fa / norm * spans[0], fb / norm * spans[1],
              angles="xy", scale_units="xy", scale=1.0, color="white", alpha=0.85,
              width=0.004)
    for k, path in enumerate(paths):
        path = np.asarray(path, dtype=float)
        ax.plot(path[:, 0], path[:, 1], "o-", ms=2.5, lw=1.3, color=f"C{(k + 1) % 10}",
                label=f"descent path {k + 1} ({len(path) - 1} steps)")
    if optimum is not None:
        ax.plot([optimum[0]], [optimum[1]], "*", color="red", ms=15, mec="white",
                label=f"optimum ({optimum[0]:.3g}, {optimum[1]:.3g})")
    ax.set_xlim(*ranges[0])
    ax.set_ylim(*ranges[1])
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if len(paths) or optimum is not None:
        ax.legend(fontsize=8, loc="upper right")
    ax.set_title(title or "loss landscape; arrows: −gradient (compiled map)", fontsize=10)
    fig.tight_layout()
    return fig

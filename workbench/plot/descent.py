"""Gradient-descent paths: ``plot_descent`` (the path over the loss curve or contours) and
``animate_descent`` (the same as a ``FuncAnimation``: GIF via Pillow, ``to_jshtml`` in Jupyter)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.animation import FuncAnimation


def descent_path(history: Any, start: Any = None) -> np.ndarray:
    """The visited points as an ``(steps, dim)`` array (dim 1 or 2) from a ``repeat`` History
    (its Variables: one of size 1 or 2, or two scalars) or a list of points.

    >>> descent_path([1.0, 0.5, 0.25], start=2.0).ravel().tolist()
    [2.0, 1.0, 0.5, 0.25]
    """
    variables = getattr(history, "variables", None)
    if variables is not None:
        columns = [np.asarray(v, dtype=float).reshape(len(v), -1) for v in variables.values()]
        points = np.concatenate(columns, axis=1) if columns else np.empty((0, 0))
    else:
        points = np.asarray(history, dtype=float)
        points = points.reshape(len(points), -1)
    if start is not None:
        points = np.concatenate([np.asarray(start, dtype=float).reshape(1, -1), points])
    if points.ndim != 2 or points.shape[1] not in (1, 2) or len(points) == 0:
        raise ValueError(f"a descent path needs 1-D or 2-D points, got shape {points.shape}: "
                         "pass a History whose Variables hold one or two numbers, or a list")
    return points


def _loss_values(loss: Callable[..., Any], *grids: np.ndarray) -> np.ndarray:
    return np.asarray(loss(*grids), dtype=float) * np.ones_like(grids[0])


def _axes_limits(points: np.ndarray, margin: float = 0.15) -> list[tuple[float, float]]:
    lo, hi = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((hi - lo) * margin, 0.5)
    return [(float(a), float(b)) for a, b in zip(lo - pad, hi + pad, strict=True)]


def _draw_background(ax: Any, points: np.ndarray, loss: Callable[..., Any] | None,
                     limits: Sequence[tuple[float, float]] | None,
                     labels: Sequence[str] | None) -> Any:
    limits = list(limits) if limits is not None else _axes_limits(points)
    if points.shape[1] == 1:
        grid = np.linspace(*limits[0], 400)
        if loss is not None:
            ax.plot(grid, _loss_values(loss, grid), color="0.35", lw=1.5, label="loss")
        ax.set_xlabel(labels[0] if labels else "parameter")
        ax.set_ylabel("loss")
        return grid
    a, b = np.meshgrid(np.linspace(*limits[0], 160), np.linspace(*limits[1], 160))
    if loss is not None:
        z = _loss_values(loss, a, b)
        levels = np.quantile(z[np.isfinite(z)], np.linspace(0.0, 0.97, 16) ** 2)
        ax.contourf(a, b, z, levels=np.unique(levels), cmap="Blues_r", alpha=0.55)
        ax.contour(a, b, z, levels=np.unique(levels), colors="0.5", linewidths=0.5)
    ax.set_xlabel(labels[0] if labels else "parameter 1")
    ax.set_ylabel(labels[1] if labels else "parameter 2")
    return None


def _y(points: np.ndarray, loss: Callable[..., Any] | None, losses: Any) -> np.ndarray:
    if losses is not None:
        return np.asarray(losses, dtype=float).ravel()
    if loss is None:
        return np.zeros(len(points))
    return _loss_values(loss, points[:, 0])


def plot_descent(history: Any, loss: Callable[..., Any] | None = None, start: Any = None,
                 ax: Any = None, limits: Sequence[tuple[float, float]] | None = None,
                 label: str | None = None, color: str = "C3",
                 labels: Sequence[str] | None = None) -> Any:
    """Draw a gradient-descent path over the loss (a curve in 1-D, contours in 2-D).

    ``loss`` takes NumPy arrays (one per parameter) and returns the loss; ``start`` is prepended
    (a History records after each step, not the starting point); ``labels`` name the axes.

    >>> fig = plot_descent([0.0, 1.5, 1.9], loss=lambda b: (b - 2.0) ** 2, start=-1.0)
    >>> len(fig.axes[0].lines)
    2
    """
    points = descent_path(history, start)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 4.4))
    fig = ax.figure
    _draw_background(ax, points, loss, limits, labels)
    if points.shape[1] == 1:
        ax.plot(points[:, 0], _y(points, loss, None), "o-", color=color, ms=4, lw=1, alpha=0.85,
                label=label or f"{len(points) - 1} steps")
    else:
        ax.plot(points[:, 0], points[:, 1], "o-", color=color, ms=3, lw=1.2,
                label=label or f"{len(points) - 1} steps")
        ax.plot(points[:1, 0], points[:1, 1], "s", color=color, ms=7)
    ax.legend(fontsize=8)
    return fig


def animate_descent(history: Any, loss: Callable[..., Any] | None = None, start: Any = None,
                    limits: Sequence[tuple[float, float]] | None = None, interval: int = 120,
                    max_frames: int = 60, title: str = "gradient descent",
                    labels: Sequence[str] | None = None) -> FuncAnimation:
    """A ``FuncAnimation`` of the descent path: the current point moves, the trail stays.

    Save it with ``anim.save("descent.gif", writer="pillow")`` (or ``.mp4`` where ffmpeg is
    installed); in Jupyter ``HTML(anim.to_jshtml())`` shows it inline. At most ``max_frames``
    frames (evenly spaced steps, always including the first and the last).

    >>> anim = animate_descent([0.0, 1.5, 1.9], loss=lambda b: (b - 2.0) ** 2, start=-1.0)
    >>> anim.frame_count, "<script" in anim.to_jshtml()
    (4, True)
    """
    points = descent_path(history, start)
    frames = np.unique(np.linspace(0, len(points) - 1, min(max_frames, len(points))).astype(int))
    fig, ax = plt.subplots(figsize=(6.0, 4.4))
    _draw_background(ax, points, loss, limits, labels)
    ys = _y(points, loss, None) if points.shape[1] == 1 else points[:, 1]
    names = labels or ("parameter",) if points.shape[1] == 1 else labels or ("p1", "p2")
    trail, = ax.plot([], [], "-", color="C3", lw=1.2, alpha=0.7)
    dot, = ax.plot([], [], "o", color="C3", ms=9)
    caption = ax.set_title(title)

    def draw(i: int) -> tuple:
        k = frames[i]
        trail.set_data(points[:k + 1, 0], ys[:k + 1])
        dot.set_data(points[k:k + 1, 0], ys[k:k + 1])
        where = ", ".join(f"{n} = {v:.3g}" for n, v in zip(names, points[k], strict=False))
        caption.set_text(f"{title}: step {k}, {where}")
        return trail, dot, caption

    fig.tight_layout()
    anim = FuncAnimation(fig, draw, frames=len(frames), interval=interval, repeat=True)
    anim.frame_count = len(frames)
    return anim

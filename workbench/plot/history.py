"""Training curves: ``plot_history`` (a ``repeat`` History: loss and Variables over the steps)
and ``plot_lr_sweep`` (final loss against learning rate from ``repeat_map``)."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np


def plot_history(history: Any, title: str = "training history") -> Any:
    """The recorded loss (log scale where positive) and each Variable against the step.

    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> h = SimpleNamespace(steps=np.arange(1, 4), outputs=np.array([4.0, 2.0, 1.0]),
    ...                     variables={"w": np.array([1.0, 1.5, 1.75])})
    >>> [ax.get_ylabel() for ax in plot_history(h).axes]
    ['loss', 'w']
    """
    steps = np.asarray(history.steps)
    loss = np.asarray(history.outputs, dtype=float).reshape(len(steps), -1)
    names = list(history.variables)
    fig, axes = plt.subplots(1, 1 + len(names), figsize=(4.0 * (1 + len(names)), 3.4),
                             squeeze=False)
    ax = axes[0, 0]
    ax.plot(steps, loss, color="C0")
    if np.all(loss[np.isfinite(loss)] > 0):
        ax.set_yscale("log")
    ax.set_ylabel("loss")
    for ax, name in zip(axes[0, 1:], names, strict=True):
        values = np.asarray(history.variables[name], dtype=float).reshape(len(steps), -1)
        for j in range(values.shape[1]):
            ax.plot(steps, values[:, j], label=f"{name}[{j}]" if values.shape[1] > 1 else name)
        ax.set_ylabel(name)
        if values.shape[1] > 1:
            ax.legend(fontsize=8)
    for ax in axes[0]:
        ax.set_xlabel("step")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_lr_sweep(rates: Any, run: Any, start_loss: float | None = None, ax: Any = None,
                  title: str | None = None) -> Any:
    """Final loss per learning rate from ``step.repeat_map`` (a ``BatchedRun``); runs that
    overflowed (``run.diverged``) or ended above ``start_loss`` are shaded as diverging.

    >>> import numpy as np
    >>> from types import SimpleNamespace
    >>> run = SimpleNamespace(outputs=np.array([0.5, 0.1, 9.0]), diverged=np.array([0, 0, 3]))
    >>> fig = plot_lr_sweep(np.array([0.01, 0.1, 1.0]), run, start_loss=1.0)
    >>> fig.axes[0].get_xscale()
    'log'
    """
    rates = np.asarray(rates, dtype=float)
    final = np.asarray(run.outputs, dtype=float).reshape(len(rates), -1).sum(axis=1)
    ok = (np.asarray(run.diverged) == 0) & np.isfinite(final)
    if start_loss is not None:
        ok &= final < start_loss
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.0, 4.0))
    fig = ax.figure
    ax.loglog(rates[ok], final[ok], ".", ms=4, label=f"final loss ({ok.sum()} runs)")
    if (~ok).any():
        first = rates[~ok].min()
        ax.axvspan(first, rates.max(), color="C3", alpha=0.15,
                   label=f"diverges (lr ≥ {first:.3g})")
    if start_loss is not None:
        ax.axhline(start_loss, color="0.6", lw=0.8, ls="--", label="loss at the start")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss after the run")
    ax.set_title(title or f"{len(rates)} runs, one compiled sweep")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig

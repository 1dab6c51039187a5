"""Where gradient descent converges: distance to the minimum after N steps for every learning rate
× starting point on (β/2 − 1)², all runs at once in one compiled ``repeat_map`` (one batched
kernel; one GPU thread per run with ``target="cuda"``). The curvature is L = 1/2, so the dashed
line 2/L = 4 separates convergence from divergence, whatever the start.

Writes stability_heatmap.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"
CURVATURE = 0.5  # d²/dβ² (β/2 − 1)²


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    n_rates, n_starts, steps = (40, 21, 50) if args.quick else (240, 121, 100)
    beta = wb.Variable(0.0, name="beta")

    @wb.function
    def step(learning_rate):
        with wb.GradientTape() as tape:
            loss = (beta / 2.0 - 1.0) ** 2
        beta.assign_sub(learning_rate * tape.gradient(loss, beta))
        return loss

    rates = np.linspace(0.05, 5.0, n_rates)
    starts = np.linspace(-10.0, 10.0, n_starts)
    lr_grid, start_grid = np.meshgrid(rates, starts)
    run = step.repeat_map(steps, lr_grid.ravel(), in_axes=0,
                          state={"beta": start_grid.ravel()})
    error = np.abs(run.variables["beta"].reshape(lr_grid.shape) - 2.0)
    error[run.diverged.reshape(lr_grid.shape) > 0] = np.inf
    shown = np.log10(np.clip(error, 1e-16, 1e16))
    fig, ax = plt.subplots(figsize=(8.0, 5.2))
    mesh = ax.pcolormesh(lr_grid, start_grid, shown, cmap="magma_r", shading="nearest",
                         vmin=-16, vmax=16)
    fig.colorbar(mesh, ax=ax, label=f"log10 |β − 2| after {steps} steps")
    ax.axvline(2.0 / CURVATURE, color="cyan", ls="--", lw=2, label="2/L = 4: stability boundary")
    ax.axvline(1.0 / CURVATURE, color="0.35", ls=":", lw=1.5, label="1/L = 2: one-step minimum")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("starting point β₀")
    ax.set_title(f"{lr_grid.size:,} gradient-descent runs of (β/2 − 1)² in one compiled sweep")
    ax.legend(loc="lower left", fontsize=9)
    fig.tight_layout()
    return [wbplot.save(fig, args.out, "stability_heatmap.png", dpi=110)]


if __name__ == "__main__":
    for path in main():
        print(path)

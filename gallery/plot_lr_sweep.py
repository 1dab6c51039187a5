"""A learning-rate sweep in one compiled call: 400 gradient-descent runs, final loss vs rate.

``wb.function(step).repeat_map`` runs every run's 200 steps inside one Numba kernel (one GPU
thread per run with ``target="cuda"``); runs whose loss grows instead of shrinking are marked as diverging.
Writes gallery/output/lr_sweep.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import workbench as wb  # noqa: E402

OUT = Path(__file__).parent / "output"
STEPS = 200


def main() -> Path:
    rng = np.random.default_rng(0)
    x = np.linspace(-1.0, 1.0, 50)
    y = 3.0 * x + 2.0 + 0.1 * rng.normal(size=50)
    w, b = wb.Variable(0.0, name="w"), wb.Variable(0.0, name="b")

    @wb.function
    def step(x, y, learning_rate):
        with wb.GradientTape() as tape:
            loss = wb.reduce_mean((y - (w * x + b)) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * gw)
        b.assign_sub(learning_rate * gb)
        return loss

    rates = np.logspace(-3, np.log10(2.0), 400)
    run = step.repeat_map(STEPS, x, y, rates, in_axes=(None, None, 0))
    start = np.mean(y**2)  # the loss at w = b = 0
    # A run diverges if it overflowed (run.diverged) or ends worse than it started.
    ok = (run.diverged == 0) & (run.outputs < start)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.loglog(rates[ok], run.outputs[ok], ".", ms=3, label=f"loss after {STEPS} steps")
    if (~ok).any():
        first = rates[~ok].min()
        ax.axvspan(first, rates[-1], color="C3", alpha=0.15,
                   label=f"diverges (lr ≥ {first:.2f})")
    ax.axhline(start, color="0.6", lw=0.8, ls="--", label="loss at the start")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("mean squared error")
    ax.set_title("400 gradient-descent runs, one compiled sweep")
    ax.legend()
    fig.tight_layout()
    OUT.mkdir(exist_ok=True)
    path = OUT / "lr_sweep.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(main())

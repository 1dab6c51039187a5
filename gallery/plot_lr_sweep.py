"""Learning rates on a least-squares fit of y = 3x + 2 + noise: loss curves of five rates (eager
tape), and 400 runs' final loss against the rate in one compiled ``repeat_map`` sweep (one GPU
thread per run with ``target="cuda"``), diverging runs shaded.

Writes learning_rates.png and lr_sweep.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"
X = np.linspace(-1.0, 1.0, 50)
Y = 3.0 * X + 2.0 + 0.1 * np.random.default_rng(0).normal(size=50)


def make_step():
    w, b = wb.Variable(0.0, name="w"), wb.Variable(0.0, name="b")

    def step(x, y, learning_rate):
        with wb.GradientTape() as tape:
            loss = wb.reduce_mean((y - (w * x + b)) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * gw)
        b.assign_sub(learning_rate * gb)
        return loss

    return step


def loss_curve(learning_rate: float, steps: int) -> np.ndarray:
    step, x, y = make_step(), wb.constant(X), wb.constant(Y)
    losses = []
    for _ in range(steps):
        losses.append(float(step(x, y, learning_rate)))
        if not np.isfinite(losses[-1]) or losses[-1] > 1e6:
            break
    return np.array(losses)


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    steps = 60 if args.quick else 150
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for lr in (0.01, 0.05, 0.2, 0.9, 1.6):
        ax.semilogy(loss_curve(lr, steps), label=f"lr = {lr}")
    ax.set_xlabel("step")
    ax.set_ylabel("mean squared error")
    ax.set_title("Learning-rate comparison (eager tape, one step per call)")
    ax.legend()
    fig.tight_layout()
    files = [wbplot.save(fig, args.out, "learning_rates.png", dpi=110)]
    rates = np.logspace(-3, np.log10(2.0), 100 if args.quick else 400)
    run = wb.function(make_step()).repeat_map(200, X, Y, rates, in_axes=(None, None, 0))
    fig = wbplot.plot_lr_sweep(rates, run, start_loss=float(np.mean(Y**2)),
                               title=f"{len(rates)} runs of 200 steps, one compiled sweep")
    files.append(wbplot.save(fig, args.out, "lr_sweep.png", dpi=110))
    return files


if __name__ == "__main__":
    for path in main():
        print(path)

"""The seed regressions fitted with the absolute error and SGD (learning rate 0.001): y = 10x + 5
with a line, y = 6x² + 8x + 2 with a parabola. Fitted curves every k steps (light to dark) and
the loss curves, float32 beside float64; each run is one compiled ``step.repeat``.

Writes seed_regressions.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"
PROBLEMS = {
    "y = 10x + 5": (np.arange(11.0), lambda x: 10.0 * x + 5.0, 2),
    "y = 6x² + 8x + 2": (np.linspace(-2.0, 2.0, 11), lambda x: 6.0 * x**2 + 8.0 * x + 2.0, 3),
}


def fit(x, y, degree: int, dtype: str, steps: int, record_every: int):
    """SGD on sum |y − poly(x)| with coefficients c0 (highest power) .. c{degree-1}."""
    coefs = [wb.Variable(0.0, name=f"c{k}", dtype=dtype) for k in range(degree)]

    @wb.function
    def step(x, y):
        with wb.GradientTape() as tape:
            model = coefs[0]
            for c in coefs[1:]:
                model = model * x + c
            loss = wb.reduce_sum(wb.abs(y - model))
        grads = tape.gradient(loss, coefs)
        for c, g in zip(coefs, grads, strict=True):
            c.assign_sub(0.001 * g)
        return loss

    return step.repeat(steps, x.astype(dtype), y.astype(dtype), record_every=record_every)


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    steps = 2_000 if args.quick else 20_000
    curves = 8
    fig, axes = plt.subplots(len(PROBLEMS), 3, figsize=(16, 9))
    for row, (name, (x, truth, degree)) in zip(axes, PROBLEMS.items(), strict=True):
        y = truth(x)
        grid = np.linspace(x.min(), x.max(), 200)
        for ax, dtype in zip(row[:2], ("float64", "float32"), strict=True):
            history = fit(x, y, degree, dtype, steps, record_every=1)
            picks = np.unique(np.geomspace(1, steps, curves).astype(int)) - 1
            colors = plt.cm.viridis(np.linspace(0.9, 0.0, len(picks)))
            for color, i in zip(colors, picks, strict=True):
                c = [history[f"c{k}"][i] for k in range(degree)]
                ax.plot(grid, np.polyval(c, grid), color=color, lw=1.2,
                        label=f"step {history.steps[i]}")
            ax.plot(x, y, "ko", ms=5, label="data")
            final = ", ".join(f"{history[f'c{k}'][-1]:.3f}" for k in range(degree))
            ax.set_title(f"{name}, {dtype}\ncoefficients after {steps:,} steps: {final}",
                         fontsize=10)
            ax.set_xlabel("x")
            ax.legend(fontsize=7, ncol=2)
            color = "C0" if dtype == "float64" else "C1"
            row[2].loglog(history.steps, history.outputs, lw=0.5, alpha=0.3, color=color)
            window = 25
            mean = np.convolve(history.outputs, np.ones(window) / window, mode="valid")
            row[2].loglog(history.steps[window - 1:], mean, lw=1.6, color=color,
                          ls="-" if dtype == "float64" else "--",
                          label=f"{dtype} (faint: every step; line: mean of {window})")
        row[2].set_title(f"{name}: sum of absolute errors\n(a fixed rate on the sign-valued "
                         "gradient ends in a small cycle)", fontsize=10)
        row[2].set_xlabel("step")
        row[2].legend(fontsize=8)
    fig.suptitle("The seed regressions: absolute error, SGD lr 0.001 (fits at steps spaced "
                 "geometrically)", fontsize=13)
    fig.tight_layout()
    return [wbplot.save(fig, args.out, "seed_regressions.png")]


if __name__ == "__main__":
    for path in main():
        print(path)

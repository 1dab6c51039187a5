"""Grid search against gradient descent on the seed regression y = 10x + 5 (mean squared error,
a and b searched in [−10, 10]): the error reached |(a, b) − (10, 5)| against the evaluations spent.

A grid of n×n points costs n² loss evaluations (all in one compiled ``map``) and its error shrinks
like the spacing 20/(n − 1); each gradient-descent step costs one loss-and-gradient evaluation
(compiled ``repeat``) and the error shrinks geometrically.
Writes grid_vs_descent.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"
X = np.arange(11.0) / 10.0  # x in [0, 1] keeps the problem well conditioned
Y = 10.0 * X + 5.0
TRUTH = np.array([10.0, 5.0])


def mse(a, b):
    return wb.reduce_mean((Y - (a * X + b)) ** 2)


def grid_errors(sizes):
    loss = wb.function(lambda p: mse(p[0], p[1]))
    errors = []
    for n in sizes:
        axis = np.linspace(-10.0, 10.0, n)
        points = np.array(np.meshgrid(axis, axis)).reshape(2, -1).T
        best = points[np.argmin(loss.map(points))]
        errors.append(np.linalg.norm(best - TRUTH))
    return np.array(errors)


def descent_errors(steps: int, learning_rate: float = 0.5):
    p = wb.Variable(np.zeros(2), name="p")

    @wb.function
    def step():
        with wb.GradientTape() as tape:
            loss = mse(p[0], p[1])
        p.assign_sub(learning_rate * tape.gradient(loss, p))
        return loss

    history = step.repeat(steps)
    return history.steps, np.linalg.norm(history["p"] - TRUTH, axis=1)


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    sizes = [4, 8, 16, 32, 64] + ([] if args.quick else [128, 256, 512])  # (10, 5) off-grid
    grid = grid_errors(sizes)
    steps, descent = descent_errors(200 if args.quick else 1000)
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    ax.loglog(np.square(sizes), np.maximum(grid, 1e-16), "s-", color="C1",
              label="grid search over [−10, 10]²")
    for n, e in zip(sizes, grid, strict=True):
        ax.annotate(f"{n}×{n}", (n * n, e), textcoords="offset points", xytext=(4, 4),
                    fontsize=7, color="C1")
    ax.loglog(steps, np.maximum(descent, 1e-16), "-", color="C0",
              label="gradient descent from (0, 0), lr 0.5")
    ax.set_xlabel("evaluations (grid: loss values; descent: loss-and-gradient steps)")
    ax.set_ylabel("|(a, b) − (10, 5)|")
    ax.set_title("y = 10x + 5: grid search against gradient descent")
    ax.legend()
    fig.tight_layout()
    return [wbplot.save(fig, args.out, "grid_vs_descent.png", dpi=110)]


if __name__ == "__main__":
    for path in main():
        print(path)

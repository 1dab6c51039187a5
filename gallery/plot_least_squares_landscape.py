"""The least-squares landscape on the seed data: mean squared error of y ≈ b0 + b1·x over (b0, b1)
with −gradient arrows (every grid point's value and gradient from one compiled ``map``), gradient
descent paths (plain and with momentum, compiled ``repeat``) and the closed-form optimum
(XᵀX)⁻¹Xᵀy. The x values sit far from 0, so the valley is long and narrow: plain gradient
descent fixes the slope at once and then crawls along the valley floor.

Writes least_squares_landscape.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"
X_SEED = np.array([20.1, 22.2, 22.7, 23.3, 24.4, 25.1, 26.2, 27.3, 28.4, 30.4])
Y_SEED = 10.2 + 2.2 * X_SEED + np.random.default_rng(0).normal(0.0, 1.0, X_SEED.size)
RANGES = [(-10.0, 30.0), (1.4, 3.0)]
START = (25.0, 1.5)


def mse(b0, b1):
    return wb.reduce_mean((Y_SEED - (b0 + b1 * X_SEED)) ** 2)


def path(steps: int, learning_rate: float, momentum: float):
    """The (b0, b1) points visited by compiled gradient descent from START."""
    b = wb.Variable(np.array(START), name="b")
    velocity = wb.Variable(np.zeros(2), name="velocity")

    @wb.function
    def step():
        with wb.GradientTape() as tape:
            loss = mse(b[0], b[1])
        velocity.assign(momentum * velocity - learning_rate * tape.gradient(loss, b))
        b.assign_add(velocity)
        return loss

    history = step.repeat(steps, record_every=max(1, steps // 200))
    return np.vstack([START, history["b"]])


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    design = wb.constant(np.column_stack([np.ones_like(X_SEED), X_SEED]))
    optimum = (wb.linalg.inv(design.T @ design) @ design.T @ wb.constant(Y_SEED)).numpy()
    steps = 3_000 if args.quick else 30_000
    paths = [path(steps, 1.5e-3, 0.0), path(steps, 1.5e-3, 0.9)]
    fig = wbplot.plot_landscape(lambda b0, b1: mse(b0, b1), RANGES, n=40 if args.quick else 120,
                                arrows=14, paths=paths, optimum=optimum, labels=("b0", "b1"),
                                title=f"least squares on the seed data, {steps:,} descent "
                                      "steps\n−gradient arrows point across the valley, not "
                                      "at the optimum")
    ax = fig.axes[0]
    labels = [f"plain GD, lr 0.0015 (ends at {paths[0][-1, 0]:.2f}, {paths[0][-1, 1]:.3f})",
              f"momentum 0.9, lr 0.0015 (ends at {paths[1][-1, 0]:.2f}, {paths[1][-1, 1]:.3f})",
              f"(XᵀX)⁻¹Xᵀy = ({optimum[0]:.2f}, {optimum[1]:.3f})"]
    for line, label in zip(ax.get_lines()[-3:], labels, strict=True):
        line.set_label(label)
    ax.legend(fontsize=8, loc="upper right")
    return [wbplot.save(fig, args.out, "least_squares_landscape.png", dpi=110)]


if __name__ == "__main__":
    for path_ in main():
        print(path_)

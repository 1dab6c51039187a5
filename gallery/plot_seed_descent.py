"""Gradient descent on the seed lecture's loss (β/2 − 1)² from β₀ = −10, four learning rates side by
side, and the lecture's animation of one run (a GIF).

The loss has curvature L = 1/2, so plain gradient descent is stable for learning rates below
2/L = 4: at 0.3 it creeps, at 2 it lands on the minimum β = 2 in one step, at 3.5 it overshoots back
and forth, at 4.2 it diverges. Each path is one compiled ``step.repeat`` call (its History).
Writes seed_descent.png and seed_descent.gif.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"
START = -10.0
RATES = (0.3, 2.0, 3.5, 4.2)


def loss(beta):
    return (beta / 2.0 - 1.0) ** 2


def descend(learning_rate: float, steps: int):
    """The History of ``steps`` compiled gradient-descent steps from β₀."""
    beta = wb.Variable(START, name="beta")

    @wb.function
    def step(lr):
        with wb.GradientTape() as tape:
            value = loss(beta)
        beta.assign_sub(lr * tape.gradient(value, beta))
        return value

    return step.repeat(steps, np.array(learning_rate))


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    steps = 8 if args.quick else 12
    fig, axes = plt.subplots(1, len(RATES), figsize=(17, 4.4))
    for ax, lr in zip(axes, RATES, strict=True):
        history = descend(lr, steps)
        span = max(12.0, float(np.max(np.abs(history["beta"] - 2.0))) * 1.1)
        wbplot.plot_descent(history, loss=loss, start=START, ax=ax, labels=("β",),
                            limits=[(2.0 - span, 2.0 + span)], label=f"{steps} steps")
        verdict = "diverges" if lr > 4 else "oscillates, converges" if lr > 2 else \
            "minimum in one step" if lr == 2 else "creeps"
        ax.set_title(f"learning rate {lr}: {verdict}")
        ax.set_ylim(-0.05 * loss(2.0 + span), 1.05 * loss(2.0 + span))
    axes[0].set_ylabel("(β/2 − 1)²")
    fig.suptitle("Gradient descent on (β/2 − 1)² from β₀ = −10: curvature L = 1/2, stable for "
                 "learning rates below 2/L = 4", fontsize=13)
    fig.tight_layout()
    files = [wbplot.save(fig, args.out, "seed_descent.png")]
    history = descend(3.2, 12 if args.quick else 30)
    anim = wbplot.animate_descent(history, loss=loss, start=START, limits=[(-11.0, 15.0)],
                                  title="lr 3.2", labels=("β",))
    files.append(wbplot.save(anim, args.out, "seed_descent.gif", dpi=70 if args.quick else 90,
                             fps=4))
    return files


if __name__ == "__main__":
    for path in main():
        print(path)

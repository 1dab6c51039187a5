"""Gradient descent paths on a 2-D valley, drawn over the loss contours.

f(a, b) = (a - 1)^2 + 10 (b - a^2)^2 from three starting points, plain SGD and SGD with momentum.
Writes gallery/output/gradient_descent.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import workbench as wb

OUT = Path(__file__).parent / "output"


def loss(a, b):
    return (a - 1.0) ** 2 + 10.0 * (b - a**2) ** 2


def descend(start, optimizer, steps=400):
    a, b = wb.Variable(start[0]), wb.Variable(start[1])
    path = [start]
    for _ in range(steps):
        with wb.GradientTape() as tape:
            value = loss(a, b)
        optimizer.apply_gradients(zip(tape.gradient(value, [a, b]), [a, b]))
        path.append((float(a), float(b)))
    return np.array(path)


def main() -> Path:
    grid_a, grid_b = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-1, 3, 200))
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contour(grid_a, grid_b, loss(grid_a, grid_b), levels=np.logspace(-1, 2.5, 15), cmap="Greys")
    for start, color in (((-1.5, 2.5), "C0"), ((1.8, -0.5), "C1"), ((-0.5, -0.8), "C2")):
        sgd = descend(start, wb.optim.SGD(learning_rate=0.002))
        momentum = descend(start, wb.optim.SGD(learning_rate=0.002, momentum=0.9))
        ax.plot(sgd[:, 0], sgd[:, 1], "-", color=color, lw=1.2, label=f"SGD from {start}")
        ax.plot(momentum[:, 0], momentum[:, 1], ":", color=color, lw=1.2,
                label=f"momentum 0.9 from {start}")
    ax.plot([1.0], [1.0], "k*", ms=12, label="minimum (1, 1)")
    ax.set_xlabel("a")
    ax.set_ylabel("b")
    ax.set_title("Gradient descent on (a-1)^2 + 10(b-a^2)^2")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    OUT.mkdir(exist_ok=True)
    path = OUT / "gradient_descent.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(main())

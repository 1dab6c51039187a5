"""Learning-rate comparison: loss curves of the same regression under five learning rates.

Least squares y = 3x + 2 (plus fixed noise) with plain gradient descent; too small crawls, too
large oscillates or diverges. Writes gallery/output/learning_rates.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

import workbench as wb

OUT = Path(__file__).parent / "output"


def run(learning_rate: float, steps: int = 150) -> np.ndarray:
    rng = np.random.default_rng(0)
    xs = np.linspace(-1.0, 1.0, 50)
    x, y = wb.constant(xs), wb.constant(3.0 * xs + 2.0 + 0.1 * rng.normal(size=50))
    w, b = wb.Variable(0.0), wb.Variable(0.0)
    history = []
    for _ in range(steps):
        with wb.GradientTape() as tape:
            loss = wb.reduce_mean((y - (w * x + b)) ** 2)
        gw, gb = tape.gradient(loss, [w, b])
        w.assign_sub(learning_rate * gw)
        b.assign_sub(learning_rate * gb)
        history.append(float(loss))
        if not np.isfinite(history[-1]) or history[-1] > 1e6:
            break
    return np.array(history)


def main() -> Path:
    fig, ax = plt.subplots(figsize=(6, 4))
    for lr in (0.01, 0.05, 0.2, 0.9, 1.6):
        history = run(lr)
        ax.semilogy(history, label=f"lr = {lr}")
    ax.set_xlabel("step")
    ax.set_ylabel("mean squared error")
    ax.set_title("Learning-rate comparison")
    ax.legend()
    fig.tight_layout()
    OUT.mkdir(exist_ok=True)
    path = OUT / "learning_rates.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(main())

"""Gradient descent on a curved valley f(a, b) = (a − 1)² + 10 (b − a²)², plain SGD against SGD with
momentum 0.9 from three starts, over contours and −gradient arrows (compiled ``map``), plus an
animation of the momentum run from (−1.5, 2.5).

Writes gradient_descent.png and gradient_descent.gif.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"
STARTS = ((-1.5, 2.5), (1.8, -0.5), (-0.5, -0.8))


def valley(a, b):
    return (a - 1.0) ** 2 + 10.0 * (b - a**2) ** 2


def descend(start, optimizer, steps: int) -> np.ndarray:
    """The points visited by ``steps`` eager optimizer steps (a tape per step)."""
    a, b = wb.Variable(start[0], name="a"), wb.Variable(start[1], name="b")
    path = [start]
    for _ in range(steps):
        with wb.GradientTape() as tape:
            value = valley(a, b)
        optimizer.apply_gradients(zip(tape.gradient(value, [a, b]), [a, b]))
        path.append((float(a), float(b)))
    return np.array(path)


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    steps = 80 if args.quick else 400
    paths = []
    for start in STARTS:
        paths.append(descend(start, wb.optim.SGD(learning_rate=0.002), steps))
        paths.append(descend(start, wb.optim.SGD(learning_rate=0.002, momentum=0.9), steps))
    fig = wbplot.plot_landscape(valley, [(-2.0, 2.0), (-1.0, 3.0)], n=40 if args.quick else 100,
                                arrows=12, paths=paths, optimum=(1.0, 1.0),
                                title=f"(a − 1)² + 10(b − a²)²: {steps} steps of SGD lr 0.002, "
                                      "plain and with momentum 0.9")
    ax = fig.axes[0]
    for line, (start, kind) in zip(ax.get_lines(), [(s, k) for s in STARTS
                                                     for k in ("plain", "momentum")]):
        line.set_label(f"{kind} from {start}")
        line.set_linestyle("-" if kind == "plain" else ":")
    ax.legend(fontsize=7, loc="upper right")
    files = [wbplot.save(fig, args.out, "gradient_descent.png", dpi=110)]
    anim = wbplot.animate_descent(paths[1], loss=valley, limits=[(-2.0, 2.0), (-1.0, 3.0)],
                                  max_frames=20 if args.quick else 60, labels=("a", "b"),
                                  title="momentum 0.9")
    files.append(wbplot.save(anim, args.out, "gradient_descent.gif", dpi=70, fps=8))
    return files


if __name__ == "__main__":
    for path in main():
        print(path)

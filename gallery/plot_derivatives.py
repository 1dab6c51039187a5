"""Functions and their derivatives from the tape, with the closed forms ``tape.derive`` found in
each legend (mathtext) and the largest |tape − closed form| in the corner of each panel.

Writes derivatives.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    n = 61 if args.quick else 301
    panels = [
        ("x³ − 2x and its first two derivatives", lambda x: x**3 - 2.0 * x, (-2.0, 2.0), 2),
        ("sin(x) · x", lambda x: wb.sin(x) * x, (-6.0, 6.0), 1),
        ("tanh", wb.tanh, (-4.0, 4.0), 1),
        ("sigmoid", wb.nn.sigmoid, (-6.0, 6.0), 1),
        ("softplus", wb.nn.softplus, (-6.0, 6.0), 1),
        ("exp(−x²/2)", lambda x: wb.exp(-0.5 * x * x), (-3.5, 3.5), 2),
    ]
    fig, axes = plt.subplots(2, 3, figsize=(16, 8.5))
    for ax, (title, fn, (lo, hi), order) in zip(axes.ravel(), panels, strict=True):
        wbplot.plot_derivative(fn, wb.linspace(lo, hi, n).numpy(), order=order, ax=ax,
                               title=title)
    fig.suptitle("Derivatives from the tape (lines) and their closed forms (circles, legend)",
                 fontsize=14)
    fig.tight_layout()
    return [wbplot.save(fig, args.out, "derivatives.png")]


if __name__ == "__main__":
    for path in main():
        print(path)

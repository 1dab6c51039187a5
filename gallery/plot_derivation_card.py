"""Derivation cards for slides: ``tape.derive(...).plot()`` renders the function, the closed form,
the tape's reverse pass, the chain rule node by node and the numbers three ways.

Writes derivation_card.png (sin(x)·x² at x = 1.5) and derivation_card_softplus.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import workbench as wb
from workbench import plot as wbplot

OUT = Path(__file__).parent / "_out"


def derivation(fn, at: float):
    x = wb.constant(at, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    return tape.derive(y, x)


def main(argv=None) -> list[Path]:
    args = wbplot.script_args(argv, __doc__, OUT)
    cards = [("derivation_card.png", lambda x: wb.sin(x) * x**2, 1.5,
              "d/dx sin(x)·x² at x = 1.5"),
             ("derivation_card_softplus.png", lambda x: wb.nn.softplus(2.0 * x) / x, 0.8,
              "d/dx softplus(2x)/x at x = 0.8")]
    if args.quick:
        cards = cards[:1]
    return [wbplot.save(derivation(fn, at).plot(title=title), args.out, name, dpi=110)
            for name, fn, at, title in cards]


if __name__ == "__main__":
    for path in main():
        print(path)

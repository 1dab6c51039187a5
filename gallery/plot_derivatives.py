"""Functions and their derivatives from the tape: sin, tanh, sigmoid and softplus on one grid.

The derivative curve is one ``tape.gradient`` of the summed outputs (each output depends on
its own input only, so the gradient of the sum is the elementwise derivative).
Writes gallery/output/derivatives.png.
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import workbench as wb

OUT = Path(__file__).parent / "output"


def main() -> Path:
    x = wb.linspace(-6.0, 6.0, 401)
    functions = {"sin": wb.sin, "tanh": wb.tanh, "sigmoid": wb.nn.sigmoid,
                 "softplus": wb.nn.softplus}
    fig, axes = plt.subplots(1, len(functions), figsize=(14, 3.2), sharex=True)
    for ax, (name, f) in zip(axes, functions.items()):
        with wb.GradientTape() as tape:
            tape.watch(x)
            y = f(x)
        dy = tape.gradient(y, x)
        ax.plot(x.numpy(), y.numpy(), label=f"{name}(x)")
        ax.plot(x.numpy(), dy.numpy(), "--", label=f"d/dx {name}(x)")
        ax.axhline(0.0, color="0.8", lw=0.8)
        ax.set_title(name)
        ax.legend(fontsize=8)
    fig.suptitle("Functions and their tape derivatives")
    fig.tight_layout()
    OUT.mkdir(exist_ok=True)
    path = OUT / "derivatives.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(main())

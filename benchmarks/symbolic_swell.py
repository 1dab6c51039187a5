"""Expression swell, measured: the symbolic gradient of a 200-op chain and of a 3-layer tanh MLP
with 10 inputs (time, expression size with and without sharing), against ``tape.gradient``
timed in the same run.

Run: ``python benchmarks/symbolic_swell.py``.
"""

from __future__ import annotations

import time

import numpy as np
import sympy
from sympy.core.cache import clear_cache

import workbench as wb


def tree_size(expr) -> int:
    """Nodes of ``expr`` written out as a tree (no sharing), computed without expanding it."""
    memo: dict = {}

    def size(e) -> int:
        if e not in memo:
            memo[e] = 1 + sum(size(a) for a in e.args)
        return memo[e]

    leaves = list(expr) if isinstance(expr, sympy.MatrixBase) else [expr]
    return sum(size(e) for e in leaves if isinstance(e, sympy.Basic))


def inlined_size(program) -> float:
    """Tree nodes of a straight-line program's result with every definition substituted."""
    sizes: dict = {}

    def size(e) -> float:
        if e in sizes:
            return sizes[e]
        return 1 + sum(size(a) for a in e.args)

    for sym, e in program.defs:
        sizes[sym] = size(e)
    return sum(size(sympy.sympify(r)) for r in program.result.ravel())


def chain(x, n_ops: int = 200):
    """``n_ops`` recorded operations: sin, scale, add x, tanh, repeated."""
    y = x
    steps = [lambda y: wb.sin(y), lambda y: y * 1.1, lambda y: y + x, lambda y: wb.tanh(y)]
    for i in range(n_ops):
        y = steps[i % 4](y)
    return y


def mlp(x, params):
    h = x
    for W, b in params:
        h = wb.tanh(W @ h + b)
    return wb.sum(h)


def timed(fn):
    clear_cache()
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def run_case(label: str, build, view=None):
    tape_s = min(timed(lambda: build(True))[1] for _ in range(3))
    (tape, y, x), _ = timed(lambda: build(False))
    d, sym_s = timed(lambda: tape.derive(y, x, view=view))
    err = float(np.max(np.abs(np.asarray(d.value) - np.asarray(d.tape_value))))
    nodes = inlined_size(d.forward) if d.view == "program" else tree_size(d.forward)
    return [label, d.view, f"{sym_s:.2f}", f"{tape_s * 1e3:.2f}", f"{sym_s / tape_s:.0f}",
            str(len(tape._records)), f"{nodes:.3g}", str(d.ops), f"{err:.1e}"]


def main() -> None:
    rng = np.random.default_rng(0)

    def build_chain(numeric_only: bool):
        x = wb.constant(0.7, name="x")
        with wb.GradientTape() as tape:
            tape.watch(x)
            y = chain(x)
        return tape.gradient(y, x) if numeric_only else (tape, y, x)

    sizes = [(10, 10), (10, 10), (1, 10)]
    params = [(wb.constant(rng.normal(size=s) / 3, name=f"W{i + 1}"),
               wb.constant(rng.normal(size=s[0]) / 3, name=f"b{i + 1}"))
              for i, s in enumerate(sizes)]

    def build_mlp(numeric_only: bool):
        x = wb.constant(rng.normal(size=10), name="x")
        with wb.GradientTape() as tape:
            tape.watch(x)
            y = mlp(x, params)
        return tape.gradient(y, x) if numeric_only else (tape, y, x)

    head = ["case", "view", "symbolic s", "tape ms", "sym/tape", "eqns", "tree nodes",
            "ops (CSE)", "|closed-tape|"]
    rows = [head,
            run_case("200-op chain", build_chain),
            run_case("tanh MLP 10-10-10-1", build_mlp),
            run_case("tanh MLP 10-10-10-1", build_mlp, view="elements")]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    print("Symbolic gradient (derive: translate, differentiate, check against the tape)")
    for r in rows:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
    print("tree nodes: the target's formula written out with no sharing (what naive "
          "expansion manipulates); ops (CSE): operations of the closed-form gradient")

if __name__ == "__main__":
    main()

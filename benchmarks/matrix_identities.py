"""Matrix calculus identities from The Matrix Cookbook (Petersen & Pedersen, section 2: traces,
determinants, inverses, linear and quadratic forms, norms) and MatrixCalculus-style worked
examples (least squares, ridge, logistic regression, softmax cross-entropy, MLP layers,
Hessians): for each, the published answer, workbench's closed form (``tape.derive``), whether it
is correct (against central differences of the forward pass), whether it is in matrix notation,
its length against the published form, and the time; then the same for plain SymPy ``diff`` on
MatrixSymbols (where SymPy can write the function at all).

Run: ``python benchmarks/matrix_identities.py`` (``--quick`` times each row once).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

import workbench as wb
from workbench.symbolic.numeric import central_differences
from workbench.symbolic.printing import to_str

N, M = 3, 4  # square size, rows of a data matrix


@dataclass
class Identity:
    """One row: ``f(v)`` of named tensors ``v`` differentiated w.r.t. ``source``."""

    name: str
    published: str
    shapes: dict[str, tuple[int, ...]]
    source: str
    f: Callable
    sympy_f: Callable | None = None  # the same function of MatrixSymbols, where SymPy has one
    order: int = 1
    positive: tuple[str, ...] = ()  # inputs that must be positive definite / positive


def _tr(e):
    return wb.trace(e)


IDENTITIES = [
    # --- traces (Cookbook 2.5) ---------------------------------------------------------------
    Identity("tr(X)", "I", {"X": (N, N)}, "X", lambda v: _tr(v["X"]),
             lambda s: sympy.Trace(s["X"])),
    Identity("tr(XA)", "A.T", {"X": (N, N), "A": (N, N)}, "X",
             lambda v: _tr(v["X"] @ v["A"]), lambda s: sympy.Trace(s["X"] * s["A"])),
    Identity("tr(AXB)", "A.T*B.T", {"A": (N, N), "X": (N, N), "B": (N, N)}, "X",
             lambda v: _tr(v["A"] @ v["X"] @ v["B"]),
             lambda s: sympy.Trace(s["A"] * s["X"] * s["B"])),
    Identity("tr(X.T A)", "A", {"X": (N, N), "A": (N, N)}, "X",
             lambda v: _tr(v["X"].T @ v["A"]), lambda s: sympy.Trace(s["X"].T * s["A"])),
    Identity("tr(X.T X)", "2*X", {"X": (N, N)}, "X", lambda v: _tr(v["X"].T @ v["X"]),
             lambda s: sympy.Trace(s["X"].T * s["X"])),
    Identity("tr(X X)", "2*X.T", {"X": (N, N)}, "X", lambda v: _tr(v["X"] @ v["X"]),
             lambda s: sympy.Trace(s["X"] * s["X"])),
    Identity("tr(X.T A X)", "(A + A.T)*X", {"X": (N, N), "A": (N, N)}, "X",
             lambda v: _tr(v["X"].T @ v["A"] @ v["X"]),
             lambda s: sympy.Trace(s["X"].T * s["A"] * s["X"])),
    Identity("tr(X B X.T)", "X*B.T + X*B", {"X": (N, N), "B": (N, N)}, "X",
             lambda v: _tr(v["X"] @ v["B"] @ v["X"].T),
             lambda s: sympy.Trace(s["X"] * s["B"] * s["X"].T)),
    Identity("tr(A X B X.T C)", "A.T*C.T*X*B.T + C*A*X*B",
             {"A": (N, N), "X": (N, N), "B": (N, N), "C": (N, N)}, "X",
             lambda v: _tr(v["A"] @ v["X"] @ v["B"] @ v["X"].T @ v["C"]),
             lambda s: sympy.Trace(s["A"] * s["X"] * s["B"] * s["X"].T * s["C"])),
    Identity("tr(X^-1)", "-(X**-2).T", {"X": (N, N)}, "X", lambda v: _tr(wb.linalg.inv(v["X"])),
             lambda s: sympy.Trace(s["X"].inv()), positive=("X",)),
    Identity("tr(A X^-1 B)", "-(X^-1*B*A*X^-1).T", {"A": (N, N), "X": (N, N), "B": (N, N)}, "X",
             lambda v: _tr(v["A"] @ wb.linalg.inv(v["X"]) @ v["B"]),
             lambda s: sympy.Trace(s["A"] * s["X"].inv() * s["B"]), positive=("X",)),
    # --- determinants (Cookbook 2.1) ---------------------------------------------------------
    Identity("det(X)", "det(X)*X^-T", {"X": (N, N)}, "X", lambda v: wb.linalg.det(v["X"]),
             lambda s: sympy.Determinant(s["X"]), positive=("X",)),
    Identity("log det(X)", "X^-T", {"X": (N, N)}, "X",
             lambda v: wb.log(wb.linalg.det(v["X"])),
             lambda s: sympy.log(sympy.Determinant(s["X"])), positive=("X",)),
    Identity("logdet(X)", "X^-T", {"X": (N, N)}, "X", lambda v: wb.linalg.logdet(v["X"]),
             lambda s: sympy.log(sympy.Determinant(s["X"])), positive=("X",)),
    Identity("det(A X B)", "det(AXB)*X^-T", {"A": (N, N), "X": (N, N), "B": (N, N)}, "X",
             lambda v: wb.linalg.det(v["A"] @ v["X"] @ v["B"]),
             lambda s: sympy.Determinant(s["A"] * s["X"] * s["B"]), positive=("A", "X", "B")),
    # --- inverses and solve (Cookbook 2.2) ---------------------------------------------------
    Identity("a.T X^-1 b", "-X^-T*a*b.T*X^-T", {"a": (N,), "X": (N, N), "b": (N,)}, "X",
             lambda v: v["a"] @ wb.linalg.inv(v["X"]) @ v["b"],
             lambda s: s["a"].T * s["X"].inv() * s["b"], positive=("X",)),
    Identity("a.T solve(X, b)", "-X^-T*a*b.T*X^-T", {"a": (N,), "X": (N, N), "b": (N,)}, "X",
             lambda v: v["a"] @ wb.linalg.solve(v["X"], v["b"]),
             lambda s: s["a"].T * s["X"].inv() * s["b"], positive=("X",)),
    Identity("a.T solve(X, b) wrt b", "X^-T*a", {"a": (N,), "X": (N, N), "b": (N,)}, "b",
             lambda v: v["a"] @ wb.linalg.solve(v["X"], v["b"]),
             lambda s: s["a"].T * s["X"].inv() * s["b"], positive=("X",)),
    # --- linear and quadratic forms (Cookbook 2.4) -------------------------------------------
    Identity("a.T x", "a", {"a": (N,), "x": (N,)}, "x", lambda v: v["a"] @ v["x"],
             lambda s: s["a"].T * s["x"]),
    Identity("a.T X b", "a*b.T", {"a": (N,), "X": (N, N), "b": (N,)}, "X",
             lambda v: v["a"] @ v["X"] @ v["b"], lambda s: s["a"].T * s["X"] * s["b"]),
    Identity("a.T X.T b", "b*a.T", {"a": (N,), "X": (N, N), "b": (N,)}, "X",
             lambda v: v["a"] @ v["X"].T @ v["b"], lambda s: s["a"].T * s["X"].T * s["b"]),
    Identity("x.T x", "2*x", {"x": (N,)}, "x", lambda v: v["x"] @ v["x"],
             lambda s: s["x"].T * s["x"]),
    Identity("x.T A x", "(A + A.T)*x", {"x": (N,), "A": (N, N)}, "x",
             lambda v: v["x"] @ v["A"] @ v["x"], lambda s: s["x"].T * s["A"] * s["x"]),
    Identity("b.T X.T X c", "X*(b*c.T + c*b.T)", {"b": (N,), "X": (M, N), "c": (N,)}, "X",
             lambda v: v["b"] @ v["X"].T @ v["X"] @ v["c"],
             lambda s: s["b"].T * s["X"].T * s["X"] * s["c"]),
    Identity("(Ax+b).T C (Dx+e)", "A.T*C*(D*x + e) + D.T*C.T*(A*x + b)",
             {"A": (M, N), "x": (N,), "b": (M,), "C": (M, M), "D": (M, N), "e": (M,)}, "x",
             lambda v: (v["A"] @ v["x"] + v["b"]) @ v["C"] @ (v["D"] @ v["x"] + v["e"]),
             lambda s: (s["A"] * s["x"] + s["b"]).T * s["C"] * (s["D"] * s["x"] + s["e"])),
    Identity("inner(a, x)", "a", {"a": (N,), "x": (N,)}, "x", lambda v: wb.inner(v["a"], v["x"]),
             lambda s: s["a"].T * s["x"]),
    Identity("a.T outer(x, x) b", "a*b.T*x + b*a.T*x", {"a": (N,), "x": (N,), "b": (N,)}, "x",
             lambda v: v["a"] @ wb.outer(v["x"], v["x"]) @ v["b"],
             lambda s: s["a"].T * s["x"] * s["x"].T * s["b"]),
    Identity("a.T diag(x) b", "a∘b", {"a": (N,), "x": (N,), "b": (N,)}, "x",
             lambda v: v["a"] @ wb.diag(v["x"]) @ v["b"]),
    Identity("einsum ij,ji (tr(AX))", "A.T", {"A": (N, N), "X": (N, N)}, "X",
             lambda v: wb.einsum("ij,ji->", v["A"], v["X"]),
             lambda s: sympy.Trace(s["A"] * s["X"])),
    Identity("sum(kron(A, X))", "sum(A)*1*1.T", {"A": (2, 2), "X": (2, 2)}, "X",
             lambda v: wb.sum(wb.kron(v["A"], v["X"]))),
    # --- norms (Cookbook 2.6) ----------------------------------------------------------------
    Identity("||x - a||", "(x - a)/||x - a||", {"x": (N,), "a": (N,)}, "x",
             lambda v: wb.linalg.norm(v["x"] - v["a"]),
             lambda s: sympy.sqrt(((s["x"] - s["a"]).T * (s["x"] - s["a"]))[0, 0])),
    Identity("||X||_F^2", "2*X", {"X": (N, N)}, "X", lambda v: wb.sum(v["X"] * v["X"]),
             lambda s: sympy.Trace(s["X"].T * s["X"])),
    Identity("||X||_F", "X/||X||_F", {"X": (N, N)}, "X",
             lambda v: wb.sqrt(wb.sum(v["X"] * v["X"])),
             lambda s: sympy.sqrt(sympy.Trace(s["X"].T * s["X"]))),
    # --- worked examples ---------------------------------------------------------------------
    Identity("least squares", "2*X.T*(X*beta - y)", {"X": (M, N), "beta": (N,), "y": (M,)},
             "beta", lambda v: wb.sum((v["X"] @ v["beta"] - v["y"]) ** 2),
             lambda s: ((s["X"] * s["beta"] - s["y"]).T * (s["X"] * s["beta"] - s["y"]))),
    Identity("ridge", "2*X.T*(X*beta - y) + 2*lambda*beta",
             {"X": (M, N), "beta": (N,), "y": (M,), "lambda": ()}, "beta",
             lambda v: wb.sum((v["X"] @ v["beta"] - v["y"]) ** 2)
             + v["lambda"] * (v["beta"] @ v["beta"]),
             lambda s: ((s["X"] * s["beta"] - s["y"]).T * (s["X"] * s["beta"] - s["y"]))
             + s["lambda"] * s["beta"].T * s["beta"]),
    Identity("weighted least squares", "X.T*(W + W.T)*(X*beta - y)",
             {"X": (M, N), "beta": (N,), "y": (M,), "W": (M, M)}, "beta",
             lambda v: (v["X"] @ v["beta"] - v["y"]) @ v["W"] @ (v["X"] @ v["beta"] - v["y"]),
             lambda s: (s["X"] * s["beta"] - s["y"]).T * s["W"] * (s["X"] * s["beta"] - s["y"])),
    Identity("logistic regression", "X.T*(sigma(X*w) - y)", {"X": (M, N), "w": (N,), "y": (M,)},
             "w", lambda v: wb.sum(wb.nn.softplus(v["X"] @ v["w"])) - v["y"] @ (v["X"] @ v["w"])),
    Identity("sum(sigma(A x))", "A.T*(sigma(A*x)∘(1 - sigma(A*x)))", {"A": (M, N), "x": (N,)},
             "x", lambda v: wb.sum(wb.nn.sigmoid(v["A"] @ v["x"]))),
    Identity("logsumexp(x)", "softmax(x)", {"x": (N,)}, "x", lambda v: wb.logsumexp(v["x"])),
    Identity("log(sum(exp(x)))", "softmax(x)", {"x": (N,)}, "x",
             lambda v: wb.log(wb.sum(wb.exp(v["x"])))),
    Identity("y.T log_softmax(z)", "y - softmax(z)*1.T*y", {"y": (N,), "z": (N,)}, "z",
             lambda v: v["y"] @ wb.nn.log_softmax(v["z"])),
    Identity("y.T softmax(z)", "softmax(z)∘y - softmax(z)*softmax(z).T*y", {"y": (N,), "z": (N,)},
             "z", lambda v: v["y"] @ wb.nn.softmax(v["z"])),
    Identity("softmax cross-entropy", "softmax(z)*1.T*y - y", {"y": (N,), "z": (N,)}, "z",
             lambda v: wb.nn.softmax_cross_entropy_with_logits(labels=v["y"], logits=v["z"])),
    Identity("MLP layer sum(tanh(Wx + b)) wrt W", "(1 - tanh(W*x + b).**2)*x.T",
             {"W": (M, N), "x": (N,), "b": (M,)}, "W",
             lambda v: wb.sum(wb.tanh(v["W"] @ v["x"] + v["b"]))),
    Identity("MLP layer v.T tanh(Wx + b) wrt b", "v∘(1 - tanh(W*x + b).**2)",
             {"v": (M,), "W": (M, N), "x": (N,), "b": (M,)}, "b",
             lambda v: v["v"] @ wb.tanh(v["W"] @ v["x"] + v["b"])),
    # --- Hessians ----------------------------------------------------------------------------
    Identity("Hessian x.T A x", "A + A.T", {"x": (N,), "A": (N, N)}, "x",
             lambda v: v["x"] @ v["A"] @ v["x"], lambda s: s["x"].T * s["A"] * s["x"], order=2),
    Identity("Hessian least squares", "2*X.T*X", {"X": (M, N), "beta": (N,), "y": (M,)}, "beta",
             lambda v: wb.sum((v["X"] @ v["beta"] - v["y"]) ** 2),
             lambda s: ((s["X"] * s["beta"] - s["y"]).T * (s["X"] * s["beta"] - s["y"])),
             order=2),
    Identity("Hessian sum(softplus(A x))", "A.T*diag(sigma(A*x)∘(1 - sigma(A*x)))*A",
             {"A": (M, N), "x": (N,)}, "x", lambda v: wb.sum(wb.nn.softplus(v["A"] @ v["x"])),
             order=2),
    Identity("Hessian ||x - a||", "(I - u*u.T)/||x - a||, u = (x - a)/||x - a||",
             {"x": (N,), "a": (N,)}, "x", lambda v: wb.linalg.norm(v["x"] - v["a"]),
             lambda s: sympy.sqrt(((s["x"] - s["a"]).T * (s["x"] - s["a"]))[0, 0]), order=2),
    # --- Hessians of matrix sources, for vec(X) (columns stacked) ----------------------------
    Identity("Hessian tr(X.T A X) (vec)", "I⊗(A + A.T)", {"X": (N, 2), "A": (N, N)}, "X",
             lambda v: _tr(v["X"].T @ v["A"] @ v["X"]),
             lambda s: sympy.Trace(s["X"].T * s["A"] * s["X"]), order=2),
    Identity("Hessian tr(X B X.T) (vec)", "(B + B.T)⊗I", {"X": (N, 2), "B": (2, 2)}, "X",
             lambda v: _tr(v["X"] @ v["B"] @ v["X"].T),
             lambda s: sympy.Trace(s["X"] * s["B"] * s["X"].T), order=2),
    Identity("Hessian tr(X X) (vec)", "2*K(3,3)", {"X": (N, N)}, "X",
             lambda v: _tr(v["X"] @ v["X"]), lambda s: sympy.Trace(s["X"] * s["X"]), order=2),
    Identity("Hessian tr(A X B X.T C) (vec)", "B.T⊗(C*A) + B⊗(A.T*C.T)",
             {"A": (N, N), "X": (N, N), "B": (N, N), "C": (N, N)}, "X",
             lambda v: _tr(v["A"] @ v["X"] @ v["B"] @ v["X"].T @ v["C"]),
             lambda s: sympy.Trace(s["A"] * s["X"] * s["B"] * s["X"].T * s["C"]), order=2),
    Identity("Hessian logdet(X) (vec)", "-K(3,3)*(X^-T⊗X^-1)", {"X": (N, N)}, "X",
             lambda v: wb.linalg.logdet(v["X"]),
             lambda s: sympy.log(sympy.Determinant(s["X"])), order=2, positive=("X",)),
    Identity("Hessian ||X||_F^2 (vec)", "2*I", {"X": (N, 2)}, "X",
             lambda v: wb.sum(v["X"] * v["X"]), lambda s: sympy.Trace(s["X"].T * s["X"]),
             order=2),
    Identity("Hessian ||AXb - c||^2 (vec)", "2*(b*b.T)⊗(A.T*A)",
             {"A": (M, N), "X": (N, 2), "b": (2,), "c": (M,)}, "X",
             lambda v: wb.sum((v["A"] @ v["X"] @ v["b"] - v["c"]) ** 2), order=2),
    # --- Kronecker products ------------------------------------------------------------------
    Identity("sum(tanh(kron(A, X))) wrt A", "(I⊗1.T)*((1 - tanh(A⊗X).**2)∘(1*1.T⊗X))*(I⊗1)",
             {"A": (2, 2), "X": (2, 3)}, "A", lambda v: wb.sum(wb.tanh(wb.kron(v["A"], v["X"])))),
    Identity("a.T kron(B, C) b", "(1.T⊗I)*((a*b.T)∘(B⊗1*1.T))*(1⊗I)",
             {"a": (4,), "B": (2, 2), "C": (2, 3), "b": (6,)}, "C",
             lambda v: v["a"] @ wb.kron(v["B"], v["C"]) @ v["b"]),
]


def values(ident: Identity, seed: int = 0) -> dict[str, np.ndarray]:
    """Random inputs of the identity's shapes (positive-definite where asked)."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, shape in ident.shapes.items():
        v = rng.uniform(-1.0, 1.0, shape) if shape else np.float64(rng.uniform(0.5, 1.5))
        if name in ident.positive and len(shape) == 2:
            v = v @ v.T + shape[0] * np.eye(shape[0])
        out[name] = v
    return out


def derive(ident: Identity, seed: int = 0):
    """``tape.derive`` of the identity at random inputs: (derivation, the inputs)."""
    vals = values(ident, seed)
    tensors = {k: wb.constant(v, name=k) for k, v in vals.items()}
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(list(tensors.values()))  # every input a variable, as in a model
        f = ident.f(tensors)
    return tape.derive(f, tensors[ident.source], order=ident.order), vals


def oracle(ident: Identity, vals: dict[str, np.ndarray]) -> np.ndarray:
    """The derivative by central differences of the forward pass (NumPy values only)."""
    def f(x: np.ndarray) -> np.ndarray:
        args = {k: wb.constant(x if k == ident.source else v) for k, v in vals.items()}
        return np.asarray(ident.f(args).numpy(), dtype=float)

    x0 = np.asarray(vals[ident.source], dtype=float)
    if ident.order == 1:
        return central_differences(lambda x: float(np.sum(f(x))), x0).reshape(x0.shape)

    def grad(x: np.ndarray) -> np.ndarray:
        t = wb.constant(x)
        with wb.GradientTape() as tape:
            tape.watch(t)
            y = ident.f({k: (t if k == ident.source else wb.constant(v))
                         for k, v in vals.items()})
        return np.asarray(tape.gradient(y, t).numpy(), dtype=float)

    return central_differences(grad, x0).reshape(x0.shape * 2)


def in_matrix_notation(d) -> bool:
    """True if the closed form is a matrix expression (no explicit elements)."""
    return d.view == "matrix" and not any("element" in n for n in d.notes)


def closed_value(d, vals: dict[str, np.ndarray]) -> np.ndarray:
    """The closed form evaluated at ``vals``."""
    fn = d.function()
    known = {k: v for k, v in vals.items() if k in d.symbols}
    return np.asarray(fn(**known), dtype=float).reshape(d.out_shape)


def _matrix_symbols(ident: Identity) -> dict[str, object]:
    out = {}
    for name, shape in ident.shapes.items():
        out[name] = sympy.Symbol(name, real=True) if shape == () else sympy.MatrixSymbol(
            name, shape[0], shape[1] if len(shape) == 2 else 1)
    return out


def sympy_row(ident: Identity) -> tuple[str, bool | None, float]:
    """Plain SymPy ``diff`` on MatrixSymbols: (result text, correct or None, seconds)."""
    if ident.sympy_f is None:
        return "(not expressible)", None, 0.0
    syms = _matrix_symbols(ident)
    start = time.perf_counter()
    try:
        e = ident.sympy_f(syms)
        for _ in range(ident.order):
            e = sympy.diff(e, syms[ident.source])
        e = e.doit()
    except Exception as exc:  # noqa: BLE001 - report SymPy's failure as the row
        return f"error: {type(exc).__name__}", False, time.perf_counter() - start
    seconds = time.perf_counter() - start
    vals = values(ident)
    try:
        subs = {syms[k]: (sympy.Matrix(v.reshape(syms[k].shape)) if np.ndim(v) else v)
                for k, v in vals.items()}
        got = np.array(sympy.N(e.subs(subs).doit()).tolist(), dtype=float) \
            if hasattr(e, "shape") else np.array(float(sympy.N(e.subs(subs))))
        want = oracle(ident, vals)
        ok = got.size == want.size and np.allclose(got.reshape(want.shape), want, atol=1e-5)
    except Exception:  # noqa: BLE001 - an unevaluable result (arrays, unknown shapes) is wrong
        ok = False
    return to_str(e), ok, seconds


def workbench_row(ident: Identity, repeats: int = 3) -> dict[str, object]:
    """workbench's closed form, correctness against differences, notation and timing."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        d, vals = derive(ident)
        times.append(time.perf_counter() - start)
    want = oracle(ident, vals)
    try:
        correct = bool(np.allclose(closed_value(d, vals), want, atol=1e-5, rtol=1e-5))
    except Exception:  # noqa: BLE001 - a closed form that cannot be evaluated is not correct
        correct = False
    text = to_str(d.expr)
    return {"d": d, "text": text, "correct": correct,
            "matrix": in_matrix_notation(d), "length": len(text) / len(ident.published),
            "seconds": statistics.median(times)}


def _line(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 3] + "..."


def main(argv: list[str]) -> None:
    repeats = 1 if "--quick" in argv else 3
    rows = []
    print(f"{'identity':<34} {'published':<34} {'ok':>3} {'mat':>3} {'len':>5} {'s':>6} | "
          f"{'sympy ok':>8} {'s':>6}  workbench / sympy")
    for ident in IDENTITIES:
        r = workbench_row(ident, repeats)
        s_text, s_ok, s_time = sympy_row(ident)
        rows.append((r, s_ok, s_time))
        print(f"{ident.name[:34]:<34} {ident.published[:34]:<34} "
              f"{'yes' if r['correct'] else 'NO':>3} {'yes' if r['matrix'] else 'no':>3} "
              f"{r['length']:>5.1f} {r['seconds']:>6.2f} | "
              f"{'-' if s_ok is None else 'yes' if s_ok else 'no':>8} {s_time:>6.2f}  "
              f"{_line(r['text'])}  /  {_line(s_text)}")
    times = [r["seconds"] for r, _, _ in rows]
    print(f"\nworkbench: {sum(r['correct'] for r, _, _ in rows)}/{len(rows)} correct, "
          f"{sum(r['matrix'] for r, _, _ in rows)}/{len(rows)} in matrix notation, "
          f"{sum(r['length'] <= 1.2 for r, _, _ in rows)}/{len(rows)} within 1.2x the published "
          f"length (worst {max(r['length'] for r, _, _ in rows):.1f}x), "
          f"median {statistics.median(times):.2f} s, worst {max(times):.2f} s; "
          f"SymPy diff: {sum(bool(s) for _, s, _ in rows)}/{len(rows)} correct")


if __name__ == "__main__":
    main(sys.argv[1:])

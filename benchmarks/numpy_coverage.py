"""NumPy coverage: which callables in ``dir(numpy)`` workbench provides with NumPy's semantics
and, where NumPy's function is differentiable, a gradient that matches central differences.

Each name is probed on its own: the value of ``wb.<name>`` against ``np.<name>`` on the same
inputs, then (for floating outputs) the gradient of a random projection against central
differences. A name whose output is boolean or integer, or whose derivative is zero almost
everywhere (floor, sign, ...), counts as covered when its value matches.

Run: python benchmarks/numpy_coverage.py        (add --missing to list the missing names)
"""

from __future__ import annotations

import sys

import numpy as np

import workbench as wb

R = np.random.default_rng(0)
X = R.uniform(0.2, 0.8, (2, 3))  # inside every elementwise domain but arccosh's
X1 = R.uniform(1.2, 1.8, (2, 3))
Y = R.uniform(0.3, 0.9, (2, 3))
V = R.uniform(0.2, 0.8, 4)
S = R.uniform(0.2, 0.8, (3, 3))
N = np.arange(1, 7).reshape(2, 3)  # integers, for the bitwise and number-theory functions
# arguments for names the generic probes (f(x), f(x, y)) cannot call
ARGS = {
    "arange": (0.5, 3.0, 0.5), "linspace": (0.0, 1.0, 5), "eye": (3,), "full": ((2, 2), 0.5),
    "zeros": ((2, 2),), "ones": ((2, 2),), "empty": ((2,),), "fill": ((2,), 0.5),
    "split": (X, 3, 1), "array_split": (V, 3), "hsplit": (X, 3), "vsplit": (X, 2),
    "dsplit": (X[..., None], 1), "einsum": ("ij,kj->ik", X, Y), "tensordot": (X, Y.T, 1),
    "pad": (X, 1), "tile": (X, 2), "repeat": (X, 2), "roll": (X, 1), "reshape": (X, (3, 2)),
    "broadcast_to": (V, (2, 4)), "moveaxis": (X, 0, 1), "swapaxes": (X, 0, 1),
    "take": (X, [0, 2]), "take_along_axis": (X, np.argsort(X, axis=1), 1),
    "partition": (V, 2), "quantile": (X, 0.3), "percentile": (X, 30.0),
    "nanquantile": (X, 0.3), "nanpercentile": (X, 30.0),  # differentiable in the data only
    "bartlett": (5,), "blackman": (5,), "hamming": (5,), "hanning": (5,), "kaiser": (5, 2.0),
    "fromfunction": (lambda i, j: i * 2 + j, (2, 3)), "indices": ((2, 3),), "tri": (3,),
    "ix_": ([0, 1], [2]),
    "select": ([X > 0.5], [X], 0.0), "where": (X > 0.5, X, Y), "choose": ([0, 1, 0], [X[0], Y[0]]),
    "clip": (X, 0.3, 0.6), "compress": ([True, False], X, 0), "delete": (V, 1),
    "insert": (V, 1, 0.5), "resize": (X, (4, 2)), "interp": (V, [0.0, 0.5, 1.0], [0.1, 0.9, 0.4]),
    "polyval": (V[:3], X), "vander": (V, 3), "extract": (X > 0.5, X), "trace": (S,),
    "convolve": (V, V[:2]), "correlate": (V, V[:2]), "cross": (X, Y), "kron": (X, Y),
    "expand_dims": (X, 0), "squeeze": (X[None],), "rot90": (X,), "rollaxis": (X, 1),
    "permute_dims": (X, (1, 0)), "unstack": (X,), "meshgrid": (V, V[:2]), "nonzero": (X > 0.5,),
    "concatenate": ([X, Y],), "concat": ([X, Y],), "stack": ([X, Y],), "vstack": ([X, Y],),
    "hstack": ([X, Y],), "dstack": ([X, Y],), "column_stack": ([V, V],), "row_stack": ([X, Y],),
    "block": ([[X, Y]],), "append": (X, Y), "heaviside": (X - 0.5, 0.5),
    "full_like": (X, 0.5), "atleast_1d": (0.5,), "linalg_placeholder": (),
    "matrix_transpose": (X,), "cumulative_sum": (V,), "cumulative_prod": (V,),
    "logsumexp": (X,), "broadcast_arrays": (X, V[:3]), "average": (X, 0, Y),
    "matmul": (X, Y.T), "identity": (3,), "empty_like": (X,), "ldexp": (X, np.array([1, -2, 0])),
    "logspace": (0.0, 2.0, 4), "geomspace": (1.0, 8.0, 4), "vecdot": (X, V[:3]),
    "matvec": (X, V[:3]), "vecmat": (V[:2], X), "cov": (X,), "corrcoef": (X,),
    "polyder": (V,), "polyint": (V,), "searchsorted": (np.sort(V), X), "digitize": (X, V[:2]),
    "bincount": ([0, 2, 2], V[:3]), "piecewise": (X, [X > 0.5], [lambda t: t * t, 0.0]),
    "apply_along_axis": (lambda t: t * t[0], 1, X), "isclose": (X, Y), "allclose": (X, X),
    "array_equal": (X, X), "array_equiv": (X, X[:1]), "astype": (X, np.float32),
    "result_type": (X, 1.0), "promote_types": (np.float32, np.int64), "size": (X,),
    "can_cast": (np.float32, np.float64), "issubdtype": (np.float32, np.floating),
    "isdtype": (np.dtype(np.float32), "real floating"), "min_scalar_type": (10,),
    "broadcast_shapes": ((2, 1), (3,)), "polymul": (V[:3], V[:2]), "argpartition": (V, 1),
}
# names whose NumPy function has no useful derivative: a value match is enough
STEPWISE = {"floor", "ceil", "trunc", "fix", "rint", "round", "around", "sign", "signbit",
            "floor_divide", "argmax", "argmin", "argsort", "nonzero", "count_nonzero", "empty",
            "empty_like", "zeros", "zeros_like", "ones", "ones_like", "eye", "arange", "imag",
            "angle", "full", "fill", "linspace", "vander", "identity", "searchsorted",
            "digitize", "bincount", "astype", "argpartition", "nanargmax", "nanargmin",
            "bartlett", "blackman", "hamming", "hanning", "kaiser", "fromfunction", "indices",
            "tri", "ix_"}
SHAPE_ONLY = {"empty", "empty_like"}  # NumPy leaves the contents undefined


def _to_np(v):
    if isinstance(v, wb.Tensor):
        return v.numpy()
    if isinstance(v, list | tuple):
        return type(v)(_to_np(x) for x in v)
    return v


def _flat(v):
    v = _to_np(v)
    if isinstance(v, list | tuple):
        return np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in v]) if v else []
    return np.ravel(np.asarray(v, dtype=float))


def _probe_args(name):
    if name in ARGS:
        return [ARGS[name]]
    return [(X,), (X, Y), (X1,), (X, 2.0), (N,), (N, N[::-1])]


def _grad_ok(fw, args):
    """The gradient wrt the floating array arguments against central differences."""
    idx = [i for i, a in enumerate(args) if isinstance(a, np.ndarray) and a.dtype.kind == "f"]
    if not idx:
        return True
    w = R.normal(size=_flat(fw(*args)).shape)
    us = {i: R.normal(size=args[i].shape) for i in idx}

    def loss(shift):
        a = [args[i] + shift * us[i] if i in us else args[i] for i in range(len(args))]
        return float(np.dot(w, _flat(fw(*a))))

    ts = [wb.constant(a) if i in us else a for i, a in enumerate(args)]
    with wb.GradientTape() as tape:
        tape.watch([ts[i] for i in idx])
        out = fw(*ts)
        parts = out if isinstance(out, list | tuple) else [out]
        pieces, start = [], 0
        for p in parts:
            n = int(np.size(_to_np(p)))
            pieces.append(wb.sum(wb.reshape(p, (-1,)) * w[start:start + n]))
            start += n
        total = sum(pieces[1:], pieces[0])
    grads = tape.gradient(total, [ts[i] for i in idx], unconnected_gradients="zero")
    lhs = sum(float(np.sum(g.numpy() * us[i])) for g, i in zip(grads, idx, strict=True))
    h = 1e-6
    rhs = (loss(h) - loss(-h)) / (2 * h)
    return abs(lhs - rhs) <= 1e-5 * max(1.0, abs(lhs) + abs(rhs))


def classify(name):
    """'differentiated', 'value' (covered, no derivative to check), 'mismatch' or 'missing'."""
    fw, fn = getattr(wb, name, None), getattr(np, name)
    if fw is None:
        return "missing", ""
    for args in _probe_args(name):
        if isinstance(fn, np.ufunc) and len(args) != fn.nin:
            continue  # an extra argument would be the ufunc's out=
        try:
            with np.errstate(all="ignore"):
                want = fn(*args)
        except Exception:  # noqa: BLE001, S112 (this probe does not fit NumPy's function)
            continue
        try:
            with np.errstate(all="ignore"):
                got = fw(*args)
        except Exception as e:  # noqa: BLE001
            return "mismatch", f"{type(e).__name__}: {str(e)[:60]}"
        if isinstance(want, np.dtype | bool | type):  # dtype and truth queries
            return ("value", "") if got == want else ("mismatch", "value differs from NumPy")
        g, n = _flat(got), _flat(want)
        if np.isnan(n).any() and args is not _probe_args(name)[-1]:
            continue  # outside the function's domain: try the next probe
        if name in SHAPE_ONLY:
            n = g if g.shape == n.shape else n
        if g.shape != n.shape or not np.allclose(g, n, rtol=1e-9, atol=1e-12, equal_nan=True):
            return "mismatch", "value differs from NumPy"
        kind = np.result_type(*[np.asarray(x) for x in (_to_np(want) if isinstance(
            want, list | tuple) else [want])]).kind if np.size(n) else "b"
        if name in STEPWISE or kind != "f":
            return "value", ""
        try:
            ok = _grad_ok(fw, args)
        except Exception as e:  # noqa: BLE001
            return "mismatch", f"gradient: {type(e).__name__}: {str(e)[:60]}"
        return ("differentiated", "") if ok else ("mismatch", "gradient differs")
    return "mismatch", "no probe fits"


def main() -> None:
    names = sorted(n for n in dir(np) if not n.startswith("_") and callable(getattr(np, n))
                   and not isinstance(getattr(np, n), type))
    results = {n: classify(n) for n in names}
    counts = {k: sum(1 for v in results.values() if v[0] == k)
              for k in ("differentiated", "value", "mismatch", "missing")}
    print(f"NumPy {np.__version__}: {len(names)} callables in dir(numpy)")
    print(f"{'status':<16}{'count':>6}")
    for k, c in counts.items():
        print(f"{k:<16}{c:>6}")
    print(f"{'covered':<16}{counts['differentiated'] + counts['value']:>6}")
    print("\nmismatches (exist in workbench, probe disagrees):")
    for n, (status, why) in results.items():
        if status == "mismatch":
            print(f"  {n:<22}{why}")
    if "--missing" in sys.argv:
        print("\nmissing:", " ".join(n for n, (s, _) in results.items() if s == "missing"))
    else:
        print("\ncovered:", " ".join(n for n, (s, _) in results.items()
                                      if s in ("differentiated", "value")))


if __name__ == "__main__":
    main()

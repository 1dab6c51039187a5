"""Gradient verification, public API: compare the tape, finite differences, SymPy (and any
registered engine) on a user's function, report the errors and raise when they disagree.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from workbench import tape_state
from workbench.check.compare import compare, summary
from workbench.check.engines import (
    ENGINES,
    RULE_FAMILY,
    EngineUnavailable,
    Estimate,
    GradientProblem,
    register_engine,
)
from workbench.check.report import (
    DtypeRow,
    EngineRow,
    GradientReport,
    Kink,
    find_crossings,
    find_kinks,
)
from workbench.dtypes import to_array
from workbench.ops.elementwise import add, mul
from workbench.ops.reduce import sum as reduce_sum
from workbench.structure import flatten
from workbench.tensor import Tensor, Variable, constant

__all__ = [
    "TOLERANCES",
    "GradientMismatch",
    "GradientReport",
    "Kink",
    "check_gradients",
    "register_engine",
]

#: Default ``(rtol, atol_factor)`` per (dtype, order). An element fails when
#: ``|value - reference| > atol + rtol * |reference|`` with ``atol = atol_factor * max(1, S)``,
#: ``S`` the largest magnitude in the reference (so the check does not depend on units).
#: The finite differences always run in float64; with Richardson extrapolation they are good to
#: about 1e-10 relative (order 1) and 1e-8 (order 2), leaving a margin of about 100x on smooth
#: test functions. The float32 rows allow for float32 rounding in the gradient being checked.
TOLERANCES: dict[tuple[str, int], tuple[float, float]] = {
    ("float64", 1): (1e-6, 1e-8),
    ("float64", 2): (1e-4, 1e-6),
    ("float32", 1): (1e-3, 1e-4),
    ("float32", 2): (1e-2, 1e-3),
    ("float16", 1): (2e-1, 1e-1),
    ("float16", 2): (5e-1, 5e-1),
}

#: Engines preferred as the reference, most exact first (the first one available is used).
REFERENCE_ORDER = ("sympy", "fd", "tape")


class GradientMismatch(AssertionError):
    """An engine disagrees with the reference beyond tolerance; ``.report`` has the whole table.

    The message names the engine, the reference, the worst element with both values, and the
    maximum absolute and relative errors.
    """

    def __init__(self, message: str, report: GradientReport, engine: str):
        super().__init__(message)
        self.report = report
        self.engine = engine


def check_gradients(f: Callable[..., Any], *args: Any, order: int = 1, eps: float | None = None,
                    rtol: float | None = None, atol: float | None = None,
                    engines: Sequence[str] = ("tape", "fd", "sympy", "compiled"),
                    compare_dtypes: bool = False, seed: int = 0, n_directions: int = 3,
                    reference: str | None = None) -> GradientReport:
    """Compute the gradient of ``f(*args)`` every available way, compare, and report.

    Arguments: ``args`` are Tensors, Variables, arrays, floats, or nested lists/tuples/dicts of
    them (pass vectors as arrays: a list is a structure). Every floating leaf is differentiated,
    other leaves (ints, strings, ...) are passed through unchanged. ``f`` returns a scalar; a
    non-scalar result ``y`` is reduced to ``sum(w * y)`` with a fixed random ``w`` (from
    ``seed``): a plain sum would hide errors that cancel, e.g. in softmax, whose outputs always
    sum to 1.

    Engines (``ENGINES``; add one with ``register_engine``):

    - ``"tape"``: reverse mode; for ``order=2`` nested tapes give Hessian-vector products ``H v``
      along ``n_directions`` random directions ``v``.
    - ``"fd"``: central differences of ``f`` (always evaluated in float64) along random
      directions ``u``, autograd's ``check_vjp`` idea: ``<u, grad>`` against the directional
      difference (order 2: ``<u, H v>`` from a mixed difference); small inputs are also
      differenced along every coordinate. Step ``eps`` (default ``eps64**(1/5)``, order 2
      ``eps64**(1/6)``) along directions scaled by ``max(1, |x|)``, then one Richardson step.
    - ``"sympy"``: the symbolic engine's closed form ``tape.derive(y, x).value``; ``unavailable``
      (with the reason) when the function cannot be derived symbolically.
    - ``"compiled"``: the same tape gradient traced by ``wb.function`` and run as a Numba
      kernel (order 2: the nested-tape ``H v``); ``unavailable`` when the function cannot be
      traced (e.g. a Python branch on a value) or lowered.

    The reference is ``reference`` or the first available of sympy, fd, tape. Engines that
    both give full gradients are compared element by element, otherwise along the random
    directions. Tolerances default per dtype and order (``TOLERANCES``). A disagreement raises
    ``GradientMismatch`` (an ``AssertionError``) naming the engine and the worst element, unless
    the recorded tape shows a kink at the input or within the finite-difference step
    (abs/relu/sign at 0, maximum/minimum with equal arguments, tied maxima, sqrt/log at 0, ...)
    and the engines agree again at a nearby point: then the row says ``kink-explained`` and the
    report lists the kinks. Float32 inputs warn (the checks are designed for float64).
    ``compare_dtypes=True`` also computes the tape gradient in float32 and float64 and scores
    both against the exact value (sympy, else float64 finite differences).

    >>> import workbench as wb
    >>> report = wb.check_gradients(lambda x: wb.sum(wb.sin(x) * x), wb.constant([0.5, 1.5]))
    >>> report.ok, report.row("tape").status
    (True, 'ok')
    >>> print(str(report).splitlines()[0])  # str(report) is a table; notebooks show Markdown
    check_gradients: gradient (order 1), float64, inputs arg0 float64[2]; 3 random directions; ...
    """
    if order not in (1, 2):
        raise ValueError(f"check_gradients supports order=1 or order=2, got {order!r}")
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        raise ValueError(f"unknown gradient engine(s) {unknown}; registered: {sorted(ENGINES)}")
    rng = np.random.default_rng(seed)
    problem = _make_problem(f, args, order, eps, rng, n_directions)
    dtype = np.result_type(*problem.inputs)
    _warn_low_precision(problem, dtype)
    rtol_d, atol_factor = TOLERANCES.get((dtype.name, order), TOLERANCES[("float64", order)])
    rtol = rtol_d if rtol is None else rtol

    estimates = _run_engines(problem, engines)
    available = [n for n in engines if isinstance(estimates[n], Estimate)]
    ref = reference or next((n for n in REFERENCE_ORDER if n in available),
                            available[0] if available else "")
    if ref and ref not in available:
        raise ValueError(f"reference engine {ref!r} is not available: {estimates.get(ref)}")
    tols = (rtol, atol, atol_factor)
    rows, kinks = _rows(problem, estimates, ref, tols)
    if any(r.status == "kink-explained" for r in rows):
        _recheck_nearby(problem, rows, ref, tols, np.random.default_rng(seed + 1))
    tol = f"{atol:.3g}" if atol is not None else f"{atol_factor:.0e}*max(1, |reference|)"
    report = GradientReport(order, dtype.name, problem.labels, len(problem.u), ref,
                            rtol, tol, rows, kinks)
    if len(available) < 2:
        report.notes.append("fewer than two engines available: nothing was compared")
    if compare_dtypes:
        _compare_dtypes(report, problem, estimates, atol_factor)
    bad = report.mismatches
    if bad:
        culprit = bad[0].engine
        independent = _one_per_family(bad)
        if len(independent) >= 2 and len(bad) == len(available) - 1:
            a, b = (estimates[r.engine] for r in independent[:2])
            if compare(a, b, problem, rtol, atol, atol_factor)["passed"]:
                culprit = ref  # independent others agree with each other: the reference is odd
        raise GradientMismatch(_mismatch_message(report, bad[0], culprit), report, culprit)
    return report


def _run_engines(problem: GradientProblem, engines: Sequence[str]) -> dict[str, Estimate | str]:
    estimates: dict[str, Estimate | str] = {}
    for name in engines:
        try:
            with np.errstate(all="ignore"):  # finite differences may step out of the domain
                estimates[name] = ENGINES[name](problem)
        except EngineUnavailable as why:
            estimates[name] = f"unavailable: {why}"
    return estimates


def _rows(problem: GradientProblem, estimates: dict[str, Estimate | str], ref: str,
          tols: tuple) -> tuple[list[EngineRow], list[Kink]]:
    """One row per engine, scored against ``ref``; mismatches at a kink are marked explained."""
    tape, _, _ = problem.trace()
    kinks = find_kinks(tape._records)
    rows = []
    for name, est in estimates.items():
        if isinstance(est, str):
            rows.append(EngineRow(name, est))
            continue
        row = EngineRow(name, "reference" if name == ref else "ok", summary(est, problem),
                        notes=list(est.notes))
        if name != ref:
            cmp = compare(est, estimates[ref], problem, *tols, (name, ref))
            row.max_abs, row.max_rel, row.worst = cmp["max_abs"], cmp["max_rel"], cmp["worst"]
            if not cmp["passed"]:
                kinks = kinks or _crossed_kinks(problem, tape._records)
                row.status = "kink-explained" if kinks else "mismatch"
        rows.append(row)
    return rows, kinks


def _recheck_nearby(problem: GradientProblem, rows: list[EngineRow], ref: str, tols: tuple,
                    rng: np.random.Generator) -> None:
    """A kink explains a disagreement only if it goes away at a nearby point with no kink.

    Each input moves by 1-4% of ``max(1, |x|)`` (well beyond the finite-difference step); where
    the engines still disagree there and no kink is in sight, the row becomes a mismatch.
    """
    moved_inputs = []
    for a in problem.inputs:
        scale = max(1.0, float(np.max(np.abs(a), initial=0.0)))
        size = 0.01 + 0.01 * np.abs(rng.standard_normal(a.shape))
        shift = rng.choice([-1.0, 1.0], a.shape) * size
        moved_inputs.append((a + scale * shift).astype(a.dtype))
    moved = GradientProblem(problem.scalar, moved_inputs, problem.names, problem.order, problem.u,
                            problem.v, problem.eps, problem.labels)
    explained = [r for r in rows if r.status == "kink-explained"]
    try:
        with np.errstate(all="ignore"):
            estimates = {n: ENGINES[n](moved) for n in {ref, *(r.engine for r in explained)}}
            tape, _, _ = moved.trace()
    except EngineUnavailable:
        return
    if find_kinks(tape._records) or _crossed_kinks(moved, tape._records):
        return
    for row in explained:
        cmp = compare(estimates[row.engine], estimates[ref], moved, *tols, (row.engine, ref))
        if not cmp["passed"] and np.isfinite(cmp["max_abs"]):
            row.status = "mismatch"
            row.max_abs, row.max_rel = cmp["max_abs"], cmp["max_rel"]
            row.worst = f"{cmp['worst']} (at the nearby point)"
            row.notes.append("the disagreement persists at a nearby point with no kink (inputs "
                             "moved by 1-4%), so the kinks do not explain it; errors shown are "
                             "from there")


# --- inputs -----------------------------------------------------------------------------
def _leaf_paths(tree: Any, prefix: str) -> list[str]:
    """Leaf names of ``tree`` in ``flatten`` order: ``arg0``, ``arg1['w']``, ``arg2[1]``."""
    if isinstance(tree, dict):
        return [p for k in tree for p in _leaf_paths(tree[k], f"{prefix}[{k!r}]")]
    if isinstance(tree, list | tuple):
        return [p for i, c in enumerate(tree) for p in _leaf_paths(c, f"{prefix}[{i}]")]
    return [prefix]


def _as_float_array(leaf: Any) -> np.ndarray | None:
    """The leaf's value if it is a floating array/number to differentiate, else None."""
    if isinstance(leaf, Variable):
        leaf = leaf.value()
    if isinstance(leaf, Tensor):
        value = np.asarray(leaf._value)
    elif isinstance(leaf, float | np.ndarray | np.generic):
        value = to_array(leaf)
    else:
        return None
    return value.copy() if value.dtype.kind == "f" else None


def _make_problem(f: Callable[..., Any], args: tuple, order: int, eps: float | None,
                  rng: np.random.Generator, n_directions: int) -> GradientProblem:
    leaves, rebuild = flatten(list(args))
    paths = [p for i, a in enumerate(args) for p in _leaf_paths(a, f"arg{i}")]
    values = [_as_float_array(leaf) for leaf in leaves]
    slots = [i for i, v in enumerate(values) if v is not None]
    if not slots:
        raise ValueError("check_gradients needs at least one floating-point argument to "
                         "differentiate; got " + ", ".join(type(a).__name__ for a in leaves))
    inputs = [values[i] for i in slots]
    for i in slots:
        _refuse_non_finite(values[i], paths[i])
    weights: dict[int, np.ndarray] = {}

    def scalar(xs: list[Tensor]) -> Tensor:
        new = list(leaves)
        for slot, x in zip(slots, xs, strict=True):
            new[slot] = x
        out = f(*rebuild(new))
        total: Any = None
        for j, y in enumerate(flatten(out)[0]):
            y = y if isinstance(y, Tensor) else constant(y)
            if y.dtype.kind != "f":
                raise TypeError(f"check_gradients: f returned a {y.dtype.name} value; it must "
                                "return floating-point Tensors")
            if y.ndim:
                if j not in weights:
                    weights[j] = rng.standard_normal(y.shape)
                y = reduce_sum(mul(y, constant(weights[j].astype(y.dtype))))
            total = y if total is None else add(total, y)
        return total

    def directions() -> list[list[np.ndarray]]:
        out = []
        for _ in range(n_directions):
            raw = [rng.standard_normal(a.shape) for a in inputs]
            peak = max(float(np.max(np.abs(r), initial=0.0)) for r in raw) or 1.0
            out.append([r / peak * max(1.0, float(np.max(np.abs(a), initial=0.0)))
                        for r, a in zip(raw, inputs, strict=True)])
        return out

    with tape_state.paused(), np.errstate(all="ignore"):  # fix the output projection first
        value = scalar([constant(a) for a in inputs])
    names = [paths[i] for i in slots]
    if isinstance(value, Tensor) and not np.all(np.isfinite(np.asarray(value._value))):
        raise ValueError(f"check_gradients: f returns {float(value._value)} at the given inputs "
                         f"({', '.join(names)}): the function is undefined there (outside its "
                         "domain?), so no gradient can be checked; pass inputs where f is finite")
    u = directions()
    v = directions() if order == 2 else []
    labels = [f"{n} {a.dtype.name}{list(a.shape)}" for n, a in zip(names, inputs, strict=True)]
    return GradientProblem(scalar, inputs, names, order, u, v, eps, labels)


def _refuse_non_finite(value: np.ndarray, name: str) -> None:
    """A NaN or infinite input makes every engine's number meaningless: say so up front."""
    bad = ~np.isfinite(value)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "NaN" if np.isnan(value[idx]) else "an infinite value"
        where = f" at index {idx}" if value.ndim else ""
        raise ValueError(f"check_gradients: input {name} contains {what}{where} "
                         f"({int(bad.sum())} non-finite element(s)); gradients can only be "
                         "checked at finite inputs: pass finite values")


def _crossed_kinks(p: GradientProblem, records: list) -> list[Kink]:
    """Kinks the finite-difference steps cross (traced again at ``x ± h d`` for each step)."""
    shifted = []
    for h, d in p.steps:
        for sign in (1.0, -1.0):
            arrays = [(a + sign * h * di).astype(a.dtype)
                      for a, di in zip(p.inputs, d, strict=True)]
            with np.errstate(all="ignore"):
                shifted.append(p.trace(arrays)[0]._records)
    return find_crossings(records, shifted)


def _warn_low_precision(problem: GradientProblem, dtype: np.dtype) -> None:
    low = [n for n, a in zip(problem.names, problem.inputs, strict=True) if a.dtype.itemsize < 8]
    if low:
        warnings.warn(
            f"check_gradients: input(s) {', '.join(low)} are {dtype.name}; gradient checks are "
            f"designed for float64, so {dtype.name} rounding in the gradient is tolerated "
            "(loose tolerances, which can hide small errors). Pass float64 inputs for a sharp "
            "check, or compare_dtypes=True to see the float32 error itself.",
            UserWarning, stacklevel=3)


def _compare_dtypes(report: GradientReport, p: GradientProblem,
                    estimates: dict[str, Estimate | str], atol_factor: float) -> None:
    p64 = _recast(p, np.float64)
    ref_name, ref = "", None
    if "sympy" in ENGINES:
        sym = estimates.get("sympy") if p.inputs[0].dtype == np.float64 else None
        try:
            ref = sym if isinstance(sym, Estimate) else ENGINES["sympy"](p64)
            ref_name = "sympy (exact closed form)"
        except EngineUnavailable:
            ref = None
    if ref is None:
        ref, ref_name = ENGINES["fd"](p64), "fd in float64 (Richardson-extrapolated)"
    report.dtype_reference = ref_name
    for dt in (np.float32, np.float64):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = ENGINES["tape"](_recast(p, dt))
        cmp = compare(est, ref, p64, 0.0, None, atol_factor, names=(np.dtype(dt).name, "exact"))
        report.dtype_rows.append(DtypeRow(np.dtype(dt).name, cmp["max_abs"], cmp["max_rel"],
                                          cmp["worst"]))


def _recast(p: GradientProblem, dtype: Any) -> GradientProblem:
    return GradientProblem(p.scalar, [a.astype(dtype) for a in p.inputs], p.names, p.order, p.u,
                           p.v, p.eps, p.labels)


def _one_per_family(rows: list[EngineRow]) -> list[EngineRow]:
    """The first row of each family of engines sharing derivative rules (``RULE_FAMILY``)."""
    seen: dict[str, EngineRow] = {}
    for row in rows:
        seen.setdefault(RULE_FAMILY.get(row.engine, row.engine), row)
    return list(seen.values())


def _mismatch_message(report: GradientReport, row: EngineRow, culprit: str) -> str:
    ratio = "" if math.isinf(row.max_rel or 0.0) else f", max rel err {row.max_rel:.3g}"
    if culprit == report.reference:
        others = [r.engine for r in report.mismatches]
        who = (f"the reference engine {culprit!r} disagrees with {' and '.join(map(repr, others))}"
               ", which agree with each other,")
    else:
        who = f"engine {row.engine!r} disagrees with the reference {report.reference!r}"
    return (f"gradient check failed: {who} beyond tolerance (rtol={report.rtol:.3g}, "
            f"atol={report.atol}).\nworst element {row.worst}; max abs err {row.max_abs:.3g}"
            f"{ratio}.\n\n{report}")

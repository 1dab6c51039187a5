"""Scoring one engine's estimate against another: element by element, or along directions."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.check.engines import Estimate, GradientProblem


def flat(full: list[list[np.ndarray]]) -> np.ndarray:
    """All blocks of a full estimate as one float64 vector (direction-major, then inputs)."""
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for e in full for a in e])


def probes(est: Estimate, p: GradientProblem) -> np.ndarray:
    """The estimate along each direction: ``<u_k, grad>`` (order 1) or ``<u_k, H v_k>``."""
    if est.probes is not None:
        return np.asarray(est.probes, dtype=np.float64)
    out = []
    for k, u in enumerate(p.u):
        vals = est.full[0] if p.order == 1 else est.full[k]
        out.append(sum(float(np.vdot(ui.ravel(), np.asarray(g, np.float64).ravel()))
                       for ui, g in zip(u, vals, strict=True)))
    return np.array(out)


def _element_name(flat_index: int, p: GradientProblem) -> str:
    sizes = [a.size for a in p.inputs]
    per_block = sum(sizes)
    k, rest = divmod(flat_index, per_block)
    for name, a, size in zip(p.names, p.inputs, sizes, strict=True):
        if rest < size:
            idx = np.unravel_index(rest, a.shape) if a.shape else ()
            where = f"{name}[{', '.join(str(int(i)) for i in idx)}]" if idx else name
            return where if p.order == 1 else f"(H v_{k}) at {where}"
        rest -= size
    return str(flat_index)


def compare(est: Estimate, ref: Estimate, p: GradientProblem, rtol: float,
            atol: float | None, atol_factor: float, names: tuple[str, str] | None = None
            ) -> dict[str, Any]:
    """Errors of ``est`` against ``ref``: element by element if both are full, else per probe.

    Returns ``max_abs``, ``max_rel`` (``|a - b| / max(|b|, atol)``), ``worst`` (the element
    that most exceeds ``atol + rtol * |b|``, with both values) and ``passed``.

    >>> from workbench.check.engines import Estimate, GradientProblem
    >>> p = GradientProblem(None, [np.zeros(2)], ["x"], 1, [[np.ones(2)]], [])
    >>> got, ref = Estimate(full=[[np.array([1.0, 2.0])]]), Estimate(full=[[np.array([1.0, 2.5])]])
    >>> compare(got, ref, p, rtol=1e-6, atol=None, atol_factor=1e-8)["worst"]
    'x[1]: value 2, reference 2.5'
    """
    if est.full is not None and ref.full is not None:
        a, b = flat(est.full), flat(ref.full)

        def label(i: int) -> str:
            return _element_name(i, p)
    else:
        a, b = probes(est, p), probes(ref, p)

        def label(i: int) -> str:
            return f"<u_{i}, grad>" if p.order == 1 else f"<u_{i}, H v_{i}>"
    scale = max(1.0, float(np.max(np.abs(b), initial=0.0)))
    tol_abs = atol if atol is not None else atol_factor * scale
    err = np.abs(a - b)
    err = np.where(np.isnan(a) | np.isnan(b), np.inf, err)
    allowed = tol_abs + rtol * np.abs(b)
    with np.errstate(divide="ignore", invalid="ignore"):  # atol=0 at an exact zero
        rel = np.where(np.isinf(err), np.inf, err / np.maximum(np.abs(np.nan_to_num(b)), tol_abs))
        ratio = np.where(err == 0, 0.0, err / allowed)
    worst = int(np.argmax(np.where(np.isnan(ratio), np.inf, ratio))) if err.size else 0
    x_name, r_name = names or ("value", "reference")
    where = (f"{label(worst)}: {x_name} {a[worst]:.10g}, {r_name} {b[worst]:.10g}"
             if err.size else "")
    return {"max_abs": float(np.max(err, initial=0.0)), "max_rel": float(np.max(rel, initial=0.0)),
            "worst": where, "passed": bool(np.all(err <= allowed))}


def summary(est: Estimate, p: GradientProblem) -> str:
    """The first few values of an estimate, for the report's "value" column."""
    if est.full is not None:
        vals = flat(est.full[:1])
        kind = "grad" if p.order == 1 else "H v_0"
    else:
        vals = probes(est, p)
        kind = "<u,grad>" if p.order == 1 else "<u,H v>"
    shown = ", ".join(f"{x:.6g}" for x in vals[:3]) + (", …" if vals.size > 3 else "")
    return f"{kind} [{shown}] (n={vals.size})"

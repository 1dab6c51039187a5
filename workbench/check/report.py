"""The result of ``check_gradients``: per-engine rows, kinks found on the tape, dtype comparison.

``GradientReport`` prints as a plain-text table and renders as Markdown in notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.tensor import Tensor

#: Primitives whose derivative jumps where their input is exactly 0.
_ZERO_KINKS = {"abs": "input is exactly 0", "relu": "input is exactly 0",
               "sign": "input is exactly 0 (sign jumps)"}
#: Primitives whose derivative is infinite (or undefined) where their input is exactly 0.
_ZERO_SINGULAR = {"sqrt": "input is exactly 0 (infinite derivative)",
                  "log": "input is exactly 0 (log is singular there)"}


@dataclass(frozen=True)
class Kink:
    """A recorded op evaluated where it is not differentiable (finite differences may disagree)."""

    op: str
    position: int  # index of the op on the recorded tape
    n_ops: int
    detail: str
    elements: tuple[tuple[int, ...], ...]  # first few element indices (of the op's output)
    count: int

    def __str__(self) -> str:
        where = ", ".join(_index(e) for e in self.elements)
        extra = self.count - len(self.elements)
        more = f" (+{extra} more)" if extra > 0 else ""
        return f"{self.op} (op {self.position + 1} of {self.n_ops}): {self.detail} at {where}{more}"


def _index(idx: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(i) for i in idx) + "]" if idx else "the scalar"


def _val(x: Any) -> np.ndarray:
    return np.asarray(x._value if isinstance(x, Tensor) else x)


def _kink_mask(name: str, inputs: tuple, out: Any, params: dict) -> tuple[np.ndarray, str] | None:
    if name in _ZERO_KINKS or name in _ZERO_SINGULAR:
        return _val(inputs[0]) == 0, _ZERO_KINKS.get(name) or _ZERO_SINGULAR[name]
    if name in ("maximum", "minimum"):
        a, b = _val(inputs[0]), _val(inputs[1])
        shape = np.broadcast_shapes(a.shape, b.shape)
        return np.broadcast_to(a == b, shape), "both arguments equal"
    if name == "max":
        x, ans = _val(inputs[0]), _val(out)
        axis = params.get("axis")
        kept = tuple(1 if axis is None or i in axis else d for i, d in enumerate(x.shape))
        ties = np.sum(x == ans.reshape(kept), axis=axis, keepdims=True) > 1
        return np.broadcast_to(ties, x.shape) & (x == ans.reshape(kept)), "tied maxima"
    if name in ("floor", "ceil"):
        x = _val(inputs[0])
        return x == np.round(x), "input is an integer (a jump)"
    if name == "round":
        x = _val(inputs[0])
        return np.abs(x - np.floor(x) - 0.5) == 0, "input is a half-integer (a jump)"
    return None


def find_kinks(records: list, limit: int = 4) -> list[Kink]:
    """Kinks and jumps among a tape's records: abs/relu/sign at 0, maximum/minimum with equal
    arguments, max with tied maxima, floor/ceil at integers, round at half-integers.

    >>> import workbench as wb
    >>> x = wb.constant([0.0, 2.0])
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = wb.sum(wb.abs(x))
    >>> [str(k) for k in find_kinks(tape._records)]
    ['abs (op 1 of 2): input is exactly 0 at [0]']
    """
    kinks = []
    for i, (prim, inputs, out, params) in enumerate(records):
        found = _kink_mask(prim.name, inputs, out, params)
        if found is None or not np.any(found[0]):
            continue
        kinks.append(_kink(prim.name, i, len(records), found[1], found[0], limit))
    return kinks


def _kink(op: str, i: int, n: int, detail: str, mask: np.ndarray, limit: int) -> Kink:
    idx = np.argwhere(mask)
    elements = tuple(tuple(int(j) for j in row) for row in idx[:limit])
    return Kink(op, i, n, detail, elements, len(idx))


def _branch(name: str, inputs: tuple, out: Any, params: dict) -> np.ndarray | None:
    """Which side of its kinks each element of a record is on (None: the op has no kinks)."""
    if name in _ZERO_KINKS:
        return np.sign(_val(inputs[0]))
    if name in ("maximum", "minimum"):
        a, b = _val(inputs[0]), _val(inputs[1])
        return np.broadcast_to(np.sign(a - b), np.broadcast_shapes(a.shape, b.shape))
    if name == "max":
        x, axis = _val(inputs[0]), params.get("axis")
        kept = tuple(1 if axis is None or i in axis else d for i, d in enumerate(x.shape))
        return x == _val(out).reshape(kept)
    if name in ("floor", "ceil", "round"):
        return _val(out)
    return None


def find_crossings(records: list, shifted: list[list], limit: int = 4) -> list[Kink]:
    """Kinks crossed between ``records`` and traces of the same function at shifted inputs.

    A record whose branch (sign of an abs/relu input, the larger of maximum's arguments, the
    position of a maximum, a floor's value) differs in a shifted trace lies within the step.
    """
    kinks = []
    for i, (prim, inputs, out, params) in enumerate(records):
        base = _branch(prim.name, inputs, out, params)
        if base is None:
            continue
        flips = np.zeros(base.shape, dtype=bool)
        for other in shifted:
            if len(other) != len(records) or other[i][0].name != prim.name:
                continue  # another code path: nothing to line up
            branch = _branch(prim.name, other[i][1], other[i][2], other[i][3])
            if branch is not None and branch.shape == base.shape:
                flips |= branch != base
        if np.any(flips):
            kinks.append(_kink(prim.name, i, len(records), "a kink lies within the "
                               "finite-difference step", flips, limit))
    return kinks


@dataclass
class EngineRow:
    """One engine's line in the report (errors are against the reference engine)."""

    engine: str
    status: str  # "reference", "ok", "mismatch", "kink-explained", "unavailable: ..."
    summary: str = ""
    max_abs: float | None = None
    max_rel: float | None = None
    worst: str = ""  # where the largest violation is, with both values
    notes: list[str] = field(default_factory=list)


@dataclass
class DtypeRow:
    """``compare_dtypes``: the tape gradient in one dtype, scored against the exact value."""

    dtype: str
    max_abs: float
    max_rel: float
    worst: str


@dataclass
class GradientReport:
    """What ``check_gradients`` found. ``str(report)`` is a table; ``report.ok`` says it passed."""

    order: int
    dtype: str
    inputs: list[str]
    n_directions: int
    reference: str
    rtol: float
    atol: str  # a number, or the scale-relative default written out
    rows: list[EngineRow]
    kinks: list[Kink] = field(default_factory=list)
    dtype_rows: list[DtypeRow] = field(default_factory=list)
    dtype_reference: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def mismatches(self) -> list[EngineRow]:
        """Rows that disagree with the reference and are not explained by a kink."""
        return [r for r in self.rows if r.status == "mismatch"]

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def row(self, engine: str) -> EngineRow:
        """The row of one engine (KeyError naming the engines present if absent)."""
        for r in self.rows:
            if r.engine == engine:
                return r
        have = [r.engine for r in self.rows]
        raise KeyError(f"no engine {engine!r} in this report (have {have})")

    # --- rendering ----------------------------------------------------------------------
    def _header(self) -> str:
        what = "gradient" if self.order == 1 else "Hessian-vector products"
        return (f"check_gradients: {what} (order {self.order}), {self.dtype}, inputs "
                f"{', '.join(self.inputs)}; {self.n_directions} random directions; "
                f"reference: {self.reference}; rtol={self.rtol:.3g}, atol={self.atol}")

    def _table(self) -> tuple[list[str], list[list[str]]]:
        head = ["engine", "status", "value", "max abs err", "max rel err", "worst element"]
        body = [[r.engine, r.status.split(":")[0], r.summary, _num(r.max_abs), _num(r.max_rel),
                 r.worst] for r in self.rows]
        return head, body

    def _dtype_table(self) -> tuple[list[str], list[list[str]]]:
        head = ["dtype", "max abs err", "max rel err", "worst element"]
        return head, [[d.dtype, _num(d.max_abs), _num(d.max_rel), d.worst]
                      for d in self.dtype_rows]

    def _extras(self) -> list[str]:
        lines = []
        if self.kinks:
            lines.append("kinks (points on the tape where the function is not differentiable; "
                         "finite differences may legitimately disagree there):")
            lines += [f"  - {k}" for k in self.kinks]
        for r in self.rows:
            if ":" in r.status:
                lines.append(f"{r.engine} {r.status}")
            lines += [f"note ({r.engine}): {n}" for n in r.notes]
        lines += [f"note: {n}" for n in self.notes]
        return lines

    def __str__(self) -> str:
        out = [self._header(), _text_table(*self._table())]
        if self.dtype_rows:
            out += [f"float32 vs float64, scored against {self.dtype_reference}:",
                    _text_table(*self._dtype_table())]
        out += self._extras()
        return "\n".join(out)

    def _repr_markdown_(self) -> str:
        out = [f"**{self._header()}**", "", _md_table(*self._table())]
        if self.dtype_rows:
            out += ["", f"float32 vs float64, scored against {self.dtype_reference}:", "",
                    _md_table(*self._dtype_table())]
        extras = self._extras()
        if extras:
            out += [""] + [e if e.startswith("  - ") else f"{e}  " for e in extras]
        return "\n".join(out)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2e}"


def _text_table(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in [head, *body]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _md_table(head: list[str], body: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    return "\n".join([line(head), line(["---"] * len(head))] + [line(r) for r in body])

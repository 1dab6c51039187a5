"""How a Derivation reads: plain text, LaTeX, and the notebook hooks (``_repr_latex_``,
``_repr_markdown_``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy

from workbench.symbolic.printing import to_latex, to_str
from workbench.symbolic.where import abbreviate, where_clauses

_ORDER = {1: "", 2: "²", 3: "³"}


class DerivationView:
    """Printing for :class:`~workbench.symbolic.derivation.Derivation` (fields set there)."""

    def _symbol(self) -> str:
        sup = _ORDER.get(self.order, f"^{self.order}")
        name = f"vec({self.source_name})" if getattr(self, "vec_form", False) else \
            self.source_name
        den = f"∂{name}{sup}" if self.order > 1 else f"∂{name}"
        return f"∂{sup}f/{den}"

    def where(self) -> tuple[Any, Any, Any, list[tuple[Any, Any]]]:
        """(forward, closed form, tape form, clauses): the formulas as printed, a subexpression
        that repeats named once (``h = tanh(W*x + b)``) where that reads shorter."""
        cache = self.__dict__.setdefault("_cache", {})
        if "where" not in cache:
            forms = [self.forward, self.expr]
            try:
                if self.view != "matrix":
                    raise ValueError("only matrix notation gets where-clauses")
                (f, e), clauses = where_clauses(forms, set(self.symbols) | {self.source_name})
                cache["where"] = (f, e, abbreviate(self.tape_expr, clauses), clauses)
            except Exception:  # noqa: BLE001 - printing never fails: the formulas as they are
                cache["where"] = (self.forward, self.expr, self.tape_expr, [])
        return cache["where"]

    def __str__(self) -> str:
        f, e, tape, clauses = self.where()
        lines = [f"f = {to_str(f)}", f"{self._symbol()} = {to_str(e)}"]
        lines += [f"  {'where' if k == 0 else '     '} {to_str(n)} = {to_str(d)}"
                  for k, (n, d) in enumerate(clauses)]
        lines += [f"tape's reverse pass: {to_str(tape)}", f"check: {self.proof}"]
        lines += [f"note: {n}" for n in self.notes]
        lines.append(self.table())
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Derivation {self._symbol()} = {to_str(self.expr)}>"

    def table(self) -> str:
        """Closed form vs tape vs central differences at the recorded values."""
        ref = np.asarray(self.value, dtype=float)
        rows = [("closed form", ref), ("tape", np.asarray(self.tape_value, dtype=float)),
                ("central differences", np.asarray(self.fd_value, dtype=float))]
        out = [f"{'engine':<20} {'max abs err':>12}  value"]
        for name, val in rows:
            err = float(np.max(np.abs(val - ref))) if val.size else 0.0
            shown = np.array2string(val, precision=6, threshold=8, max_line_width=60)
            out.append(f"{name:<20} {err:>12.2e}  {shown.replace(chr(10), ' ')}")
        return "\n".join(out)

    def latex(self) -> str:
        """The derivation as LaTeX (an ``aligned`` block)."""
        sup = "" if self.order == 1 else f"^{{{self.order}}}"
        name = to_latex(sympy.Symbol(self.source_name))  # Greek names as \beta
        if getattr(self, "vec_form", False):
            name = rf"\operatorname{{vec}}({name})"
        lhs = rf"\frac{{\partial{sup} f}}{{\partial {name}{sup}}}"
        f, e, _, clauses = self.where()
        lead = [r"\text{where } "] + [""] * len(clauses)
        where = "".join(rf" \\ {lead[k]}{to_latex(n)} &= {to_latex(d)}"
                        for k, (n, d) in enumerate(clauses))
        return (r"\begin{aligned}" + rf"f &= {to_latex(f)} \\ "
                + rf"{lhs} &= {to_latex(e)}" + where + r"\end{aligned}")

    def _repr_latex_(self) -> str:
        return f"$${self.latex()}$$"

    def _repr_markdown_(self) -> str:
        notes = "".join(f"\n\n*{n}*" for n in self.notes)
        return (f"$${self.latex()}$$\n\nTape's reverse pass: $${to_latex(self.where()[2])}$$\n\n"
                f"Check: {self.proof}{notes}\n\n```\n{self.table()}\n```")


def constant_definitions(values: dict, inputs: set[str]) -> list[str]:
    """A definition for every unnamed constant the formulas call ``c0, c1, ...``."""
    out = []
    for name, (value, _) in values.items():
        if name not in inputs and name[:1] == "c" and name[1:].isdigit():
            shown = np.array2string(np.asarray(value), precision=4, threshold=12)
            out.append(f"{name} = {' '.join(shown.split())} (an unnamed constant of the tape; "
                       "name it, wb.constant(..., name=...), to see it as a symbol)")
    return out

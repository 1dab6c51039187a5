"""Text for figures: SymPy expressions as matplotlib mathtext, with a plain-text fallback."""

from __future__ import annotations

from typing import Any

import sympy
from matplotlib.mathtext import MathTextParser

_PARSER = MathTextParser("path")
_MAX_CHARS = 160


def mathtext(expr: Any) -> str:
    """``$...$`` mathtext of ``expr`` (a SymPy expression or LaTeX text) when matplotlib can
    typeset it and it is short enough for a legend; otherwise the plain string.

    >>> import sympy
    >>> mathtext(sympy.sin(sympy.Symbol("x")) ** 2)
    '$\\\\sin^{2}{\\\\left(x \\\\right)}$'
    """
    latex = expr if isinstance(expr, str) else sympy.latex(expr)
    latex = latex.replace(r"\operatorname", r"\mathrm")
    text = f"${latex}$"
    if len(latex) <= _MAX_CHARS:
        try:
            _PARSER.parse(text)
            return text
        except ValueError:
            pass
    return shorten(str(expr))


def shorten(text: str, limit: int = 90) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis.

    >>> shorten("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= limit else text[:limit - 1] + "…"

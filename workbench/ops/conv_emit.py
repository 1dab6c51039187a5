"""Source-writing helpers shared by the convolution and pooling emitters: indented lines with
fresh loop names, and the kernel taps of a window (guarded only where a tap can leave the image).
"""

from __future__ import annotations

from typing import Any


class Writer:
    """Indented source lines with fresh loop names."""

    def __init__(self, ctx: Any):
        self.ctx, self.lines, self.depth = ctx, [], 0

    def line(self, text: str) -> None:
        self.lines.append("    " * self.depth + text)

    def loop(self, prefix: str, n: int | str, start: int | str = 0) -> str:
        i = self.ctx.fresh(prefix)
        self.line(f"for {i} in range({n}):" if start == 0 else f"for {i} in range({start}, {n}):")
        self.depth += 1
        return i

    def block(self, head: str) -> None:
        self.line(head)
        self.depth += 1

    def loops(self, *dims: tuple[str, int]) -> tuple[str, ...]:
        """Open one loop per ``(prefix, extent)``, outermost first; their index names."""
        return tuple(self.loop(prefix, n) for prefix, n in dims)

    def accumulator(self, dtype: Any) -> tuple[str, int]:
        """A zeroed accumulator here: (its name, the depth to return to before storing it)."""
        acc = self.ctx.fresh("acc")
        self.line(f"{acc} = {self.ctx.const(0, dtype)}")
        return acc, self.depth

    def store(self, out: Any, index: list[str], value: str) -> None:
        """``out[index] = value``."""
        self.line(f"{self.ctx.refs[id(out)].index(index)} = {value}")


def tap_inside(n_out: int, k: int, stride: int, dil: int, pad: int, size: int) -> bool:
    """Whether every tap of every window lies inside the image (no guard needed)."""
    return pad <= 0 and (n_out - 1) * stride + (k - 1) * dil - pad < size


def tap(w: Writer, out_i: str, n_out: int, k: int, stride: int, dil: int, pad: int, size: int,
        prefix: str) -> tuple[str, str]:
    """Open ``for k``; the input index ``out_i * stride + k * dil - pad``, guarded to lie in the
    image unless every tap of the ``n_out`` windows does."""
    kk = w.loop(f"k{prefix}", k)
    pos = w.ctx.fresh(f"p{prefix}")
    w.line(f"{pos} = {out_i} * {stride} + {kk} * {dil} - {pad}")
    if not tap_inside(n_out, k, stride, dil, pad, size):
        w.block(f"if {pos} >= 0 and {pos} < {size}:")
    return kk, pos


def source(w: Writer, in_i: str, k: str, stride: int, dil: int, pad: int, size: int,
           prefix: str) -> str:
    """The output index whose window puts tap ``k`` on input ``in_i`` (guarded to exist)."""
    t, o = w.ctx.fresh(f"t{prefix}"), w.ctx.fresh(f"o{prefix}")
    w.line(f"{t} = {in_i} + {pad} - {k} * {dil}")
    w.block(f"if {t} >= 0 and {t} % {stride} == 0 and {t} // {stride} < {size}:")
    w.line(f"{o} = {t} // {stride}")
    return o

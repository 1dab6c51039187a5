"""Fused loops: which equations share a loop, what they must store, and how the loop is written.

A ``_Group`` is one loop over a shape; ``FusedLoops`` (a base of ``codegen.Lowering``) decides
membership by dependency positions and renders the loop, plain, in NumPy's pairwise leaf blocks
(split into row chunks run on every core when long), or in blocks of 8 written-out lanes when it
holds sums.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from workbench.compile.refs import Ref, c_strides
from workbench.compile.target import dtype_expr
from workbench.ir import Literal, Var

#: Elementwise rules whose usual results are constants: ``(condition, value)`` cases tried in
#: order before the rule itself (``{0}`` is its input). In a small loop of a kernel whose steps
#: run one after another (``repeat``: ``Lowering(cases=True)``) the code that depends on such a
#: value is written once per case with the value a literal there, so Numba folds it (``1.0 * g``
#: is ``g``, ``-1.0 * x`` is ``-x``), as a loop written by hand branches on the sign; the rule's
#: own expression stays for what no case covers (0, NaN). Batched kernels keep one body: across
#: copies it vectorises, and the branches would be computed and blended (measured ~10% slower).
CASES = {"sign": (("{0} > 0", 1), ("{0} < 0", -1))}
#: The largest loop written per case: a long loop gains more from one body that vectorises.
MAX_CASE_LOOP = 16
#: How the loop over a fused loop's row chunks starts (a kernel holding one is compiled parallel).
CHUNK_LOOP = "for chunk in prange("


def runs_chunks(lines: list[str]) -> bool:
    """Whether generated ``lines`` hold a loop of row chunks (``prange``): they compile parallel."""
    return any(re.search(r"\bprange\(", line) for line in lines)


class _Group:
    """An open fused loop: elementwise equations sharing one output shape."""

    def __init__(self, shape: tuple[int, ...], position: int):
        self.shape = shape
        self.position = position  # its index among the body's blocks
        self.idx = [f"i{k}" for k in range(len(shape))]
        self.members: list[tuple[Var, list[str], int]] = []  # (out var, loop lines, eqn index)
        self.local: dict[int, str] = {}  # id(var) -> scalar name inside the loop
        self.pre: list[str] = []  # lines before the loop (accumulators set to zero)
        self.stored: set[int] = set()
        self.sums: dict[int, tuple] = {}  # id(out) -> (local, lanes, res, dest, zero): fuse_sum
        self.leaf_sums: dict[int, tuple] = {}  # id(out) -> (local, buf, stack, top, dest, zero)
        self.leaves: Any = None  # NumPy's pairwise leaf blocks over this loop (rows of 3)
        self.cases: dict[int, list[tuple[str, str]]] = {}  # id(var) -> (condition, literal): CASES
        self.post: list[str] = []  # lines after the loop (scalar accumulators stored)
        self.chunks: Any = None  # row chunks run on every core (fusion.chunk_schedule)
        self.private: list[str] = []  # lines at the start of each chunk (its accumulators)
        self.partial: list[str] = []  # lines at the end of each chunk (its partial sums stored)


class FusedLoops:
    """Loop fusion for ``Lowering`` (it provides names, refs, blocks, users and positions)."""

    def group_for(self, shape: tuple[int, ...], inputs: tuple) -> _Group:
        """The latest fused loop over ``shape`` if all ``inputs`` are ready before it, else new."""
        group = self.groups.get(shape)
        if group is None or any(self._after(a) > group.position and id(a) not in group.local
                                for a in inputs):
            group = self.new_group(shape)
        return group

    def new_group(self, shape: tuple[int, ...]) -> _Group:
        group = self.groups[shape] = _Group(shape, len(self.blocks))
        self.blocks.append(group)
        return group

    def eqn_member(self, group: _Group, out: Var, lines: list[str]) -> None:
        """Add loop ``lines`` that accumulate into ``out``'s buffer; it is readable after the loop."""
        group.members.append((out, lines, self.eqn_index))
        self.position[id(out)] = group.position + 0.5

    def add_member(self, group: _Group, out: Var, lines: list[str]) -> None:
        """Add loop ``lines`` computing ``out`` (``{local}`` names its scalar) to ``group``."""
        local = "v" + self.name(out).lstrip("t")
        if not local[1:].isdigit():
            local = f"v_{self.name(out)}"
        group.members.append((out, [line.replace("{local}", local) for line in lines],
                              self.eqn_index))
        group.local[id(out)] = local
        self.local_of[id(out)] = group
        self.position[id(out)] = group.position
        self.refs[id(out)] = Ref(self.name(out), tuple(out.shape), 0, c_strides(tuple(out.shape)))

    def add_cases(self, group: _Group, out: Var, prim: str, args: list[str]) -> None:
        """Note ``out``'s ``CASES`` (if its rule ``prim`` has them and the loop is small)."""
        cases = CASES.get(prim)
        small = math.prod(group.shape) <= MAX_CASE_LOOP
        if cases and self.cases and self.target.name == "cpu" and small:
            group.cases[id(out)] = [(cond.format(*args), self.const(value, out.dtype))
                                    for cond, value in cases]

    def _after(self, atom: Any) -> float:
        """The block index after which ``atom`` can be read as an array (-1: from the start)."""
        if isinstance(atom, Literal):
            return -1
        pos = self.position.get(id(atom), -1)
        return pos + 0.5 if id(atom) in self.local_of else pos

    def _read_in_group(self, atom: Any, group: _Group, dtype: Any) -> str:
        """Like ``read`` at the loop index, but values of this loop are its local scalars."""
        local = group.local.get(id(atom))
        if local is None:
            return self.read(atom, group.idx, dtype)
        if dtype is not None and np.dtype(dtype) != self.dtype(atom):
            return f"{dtype_expr(dtype)}({local})"
        return local

    def _stores(self, group: _Group) -> None:
        indices = {k for _, _, k in group.members}
        group.stored = set()
        for var, _, _ in group.members:
            if id(var) in group.local and self._needed_outside(var, indices):
                group.stored.add(id(var))
                self.out(var)

    def _needed_outside(self, var: Var, indices: set[int]) -> bool:
        """Is ``var`` read outside these equations (looking through views of it)?"""
        for user in self.users.get(id(var), set()) - indices:
            view = self.view_of.get(user)
            if view is None or self._needed_outside(view, indices):
                return True
        return False

    def _render(self, group: _Group) -> list[str]:
        idx = group.idx
        lines = list(group.pre)
        if group.chunks is not None:
            return lines + self._render_chunks(group) + group.post
        if group.sums:
            return lines + self._render_blocked(group) + group.post
        if group.leaf_sums:
            return lines + self._render_leaves(group) + group.post
        lines += [f"{'    ' * k}for {i} in range({d}):"
                  for k, (i, d) in enumerate(zip(idx, group.shape, strict=True))]
        return lines + self._member_lines(group, "    " * len(idx), None) + group.post

    def _member_lines(self, group: _Group, pad: str, lane: int | None,
                      members: list | None = None) -> list[str]:
        """The loop body: each member's lines, with the code after a member that has ``cases``
        and depends on it written once per case (what does not depend on it goes first)."""
        members = group.members if members is None else members
        lines = []
        for k, member in enumerate(members):
            cases = group.cases.get(id(member[0]))
            inside = self._dependents(member, members[k + 1:]) if cases else []
            if inside:
                ids = {id(m[0]) for m in inside}
                rest = [m for m in members[k + 1:] if id(m[0]) not in ids]
                return (lines + self._member_lines(group, pad, lane, rest)
                        + self._case_lines(group, member, inside, pad, lane))
            lines += self._member_line(group, member, pad, lane)
        return lines

    def _case_lines(self, group: _Group, member: tuple, inside: list, pad: str,
                    lane: int | None) -> list[str]:
        """``if``/``elif`` per case of ``member`` (its value a literal), ``else`` the rule."""
        local = group.local[id(member[0])]
        inner = pad + "    "
        after = [line for m in inside for line in self._member_line(group, m, inner, lane)]
        lines = []
        for k, (condition, value) in enumerate(group.cases[id(member[0])]):
            lines.append(f"{pad}{'elif' if k else 'if'} {condition}:")
            lines += self._member_line(group, member, inner, lane, [f"{local} = {value}"]) + after
        return lines + [f"{pad}else:"] + self._member_line(group, member, inner, lane) + after

    def _dependents(self, member: tuple, later: list) -> list:
        """The members of ``later`` that read ``member``'s value, directly or through others."""
        var, _, index = member
        seen = {id(var)}
        for eqn in self.graph.eqns[index + 1:]:
            if any(id(a) in seen for a in eqn.inputs):
                seen.update(id(o) for o in eqn.outputs)
        return [m for m in later if id(m[0]) in seen]

    def _member_line(self, group: _Group, member: tuple, pad: str, lane: int | None,
                     body: list[str] | None = None) -> list[str]:
        """One member's lines (``body`` in place of its own), with its store if it has one."""
        var, own, _ = member
        leaf_sum = group.leaf_sums.get(id(var))
        if leaf_sum is not None:
            local, buf = leaf_sum[:2]
            i = group.idx[0]
            if group.chunks is not None:  # each chunk's block is its own 128 elements
                offset = f"chunk * 128 + {i} - leaf_start"
            elif group.leaves is not None and len(group.leaves) > 1:
                offset = f"{i} - leaf_start"
            else:
                offset = i
            return [f"{pad}{buf}[{offset}] = {local}"]
        fused_sum = group.sums.get(id(var))
        if fused_sum is not None:
            local, lanes, res = fused_sum[:3]
            target = lanes[lane] if lane is not None else res
            return [f"{pad}{target} += {local}"]
        lines = [pad + line for line in (own if body is None else body)]
        local = group.local.get(id(var))
        if local is not None and id(var) in group.stored:
            lines.append(f"{pad}{self.refs[id(var)].index(group.idx)} = {local}")
        return lines

    def _render_leaves(self, group: _Group) -> list[str]:
        """A 1-D loop over NumPy's pairwise leaf blocks; each block summed as NumPy sums it."""
        (i,), leaves = group.idx, group.leaves
        sums = list(group.leaf_sums.values())
        if len(leaves) == 1:
            n = leaves[0][1]
            lines = [f"for {i} in range({n}):"] + self._member_lines(group, "    ", None)
            return lines + [f"{dest} = {zero} + block_sum({buf}, 0, {n}, 1, {zero})"
                            for _, buf, _, _, dest, zero in sums]
        table = self.hidden_array(np.array(leaves, dtype=np.int64).reshape(-1))
        lines = [f"{top} = 0" for _, _, _, top, _, _ in sums]
        lines += self._leaf_loop(group, table, str(len(leaves)), "0", "")
        return lines + [f"{dest} = {zero} + {stack}[0]" for _, _, stack, _, dest, zero in sums]

    def _leaf_loop(self, group: _Group, table: str, leaves: str, block: str, pad: str
                   ) -> list[str]:
        """The loop over leaf blocks ``range(leaves)`` of ``table`` (start, size, merges per
        leaf): each block's rows, its sums (buffered from ``block``) pushed on their stacks,
        then as many pairwise merges of the stacks' tops as NumPy's recursion makes there."""
        (i,) = group.idx
        lines = [f"{pad}for leaf in range({leaves}):",
                 f"{pad}    leaf_start = {table}[3 * leaf]",
                 f"{pad}    leaf_size = {table}[3 * leaf + 1]",
                 f"{pad}    for {i} in range(leaf_start, leaf_start + leaf_size):"]
        lines += self._member_lines(group, pad + "        ", None)
        for _, buf, stack, top, _, zero in group.leaf_sums.values():
            lines += [f"{pad}    {stack}[{top}] = block_sum({buf}, {block}, leaf_size, 1, {zero})",
                      f"{pad}    {top} += 1",
                      f"{pad}    for _ in range({table}[3 * leaf + 2]):",
                      f"{pad}        {stack}[{top} - 2] = {stack}[{top} - 2] + {stack}[{top} - 1]",
                      f"{pad}        {top} -= 1"]
        return lines

    def _render_chunks(self, group: _Group) -> list[str]:
        """The leaf loop of ``_render_leaves`` once per chunk (``fusion.chunk_schedule``), the
        chunks spread over the cores (``prange``): each chunk sums its own blocks on its own
        stack and stores its partial sums; they then add pairwise as NumPy's recursion does."""
        chunks, leaves, _ = group.chunks
        table, ranges = self.hidden_array(leaves.reshape(-1)), self.hidden_array(chunks.reshape(-1))
        sums = list(group.leaf_sums.values())
        lines = [f"{CHUNK_LOOP}{len(chunks)}):"]
        lines += ["    " + line for line in group.private]
        lines += [f"    {top} = chunk * 64" for _, _, _, top, _, _ in sums]
        first, count = f"{ranges}[2 * chunk]", f"{ranges}[2 * chunk + 1]"
        lines += self._leaf_loop(group, table, f"{first}, {first} + {count}", "chunk * 128", "    ")
        lines += ["    " + line for line in group.partial]
        for _, _, stack, _, dest, zero in sums:  # chunk sums, at the stacks' starts, pairwise
            lines += self.tree_sum(stack, len(chunks), 1, 64) + [f"{dest} = {zero} + {stack}[0]"]
        return lines

    def tree_sum(self, parts: str, count: int, width: int, stride: int | None = None
                 ) -> list[str]:
        """Lines adding ``count`` (a power of two) rows of ``width`` elements, ``stride`` apart
        in buffer ``parts``, pairwise level by level (row ``k`` of a level is row ``2k`` plus
        row ``2k + 1`` of the level below), into its first row."""
        level, k, j = self.fresh("level"), self.fresh("k"), self.fresh("j")
        step = width if stride is None else stride
        return [f"for {level} in range({count.bit_length() - 1}):",
                f"    for {k} in range({count} >> ({level} + 1)):",
                f"        for {j} in range({width}):",
                f"            {parts}[{k} * {step} + {j}] = ({parts}[2 * {k} * {step} + {j}] "
                + f"+ {parts}[(2 * {k} + 1) * {step} + {j}])"]

    def _render_blocked(self, group: _Group) -> list[str]:
        """A 1-D loop in blocks of 8 lanes (written out), then the rest: NumPy's sum order."""
        (i,), (n,) = group.idx, group.shape
        whole = n - n % 8
        lines = []
        if whole:
            lines.append(f"for blk in range(0, {whole}, 8):")
            for lane in range(8):
                lines.append(f"    {i} = blk + {lane}" if lane else f"    {i} = blk")
                lines += self._member_lines(group, "    ", lane)
            for _, lanes, res, _, _ in group.sums.values():
                r = lanes
                lines.append(f"{res} = ((({r[0]} + {r[1]}) + ({r[2]} + {r[3]})) + "
                             f"(({r[4]} + {r[5]}) + ({r[6]} + {r[7]})))")
        if n > whole:
            lines.append(f"for {i} in range({whole}, {n}):")
            lines += self._member_lines(group, "    ", None)
        for _, _, res, dest, zero in group.sums.values():
            lines.append(f"{dest} = {zero} + {res}")
        return lines

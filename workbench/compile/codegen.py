"""Graph -> Python source lines: one interpreter over the IR that appends lines instead of values.

Elementwise equations over the same shape are fused into one loop (values used only inside it
stay scalars); other primitives call their ``numba`` emitter with a ``Lowering`` as ``ctx``.
"""

from __future__ import annotations

import keyword
import math
from typing import Any

import numpy as np

from workbench.compile.fusion import fuse_matmul, fuse_sum
from workbench.compile.refs import Ref, affine_view, c_strides
from workbench.compile.target import CPU, Target, dtype_expr, is_weak
from workbench.ir import Graph, Literal, Var
from workbench.primitive import MissingRule, NotSupported

RESERVED = {"np", "math", "cuda", "numba", "pairwise_sum", "range", "abs", "min", "max", "int",
            "float", "bool", "len", "step", "n_steps", "record_every", "n_rows", "countdown",
            "block_sum"}
#: Positions that an elementwise rule reads in their own dtype (not cast to the loop dtype).
OWN_DTYPE = {"where": (0,), "cast": (0,)}


class CompileError(RuntimeError):
    """The graph cannot be lowered for this target; the message names the primitive and why."""


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
        self.leaves: list | None = None  # NumPy's pairwise leaf blocks over this loop
        self.post: list[str] = []  # lines after the loop (scalar accumulators stored)


class Lowering:
    """Walks a graph and produces the source of its body; the ``ctx`` that emitters get."""

    def __init__(self, graph: Graph, target: Target = CPU, fuse_sums: bool = False):
        self.graph, self.target, self.fuse_sums = graph, target, fuse_sums
        self.names: dict[int, str] = {}
        self.refs: dict[int, Ref] = {}
        self.used: set[str] = set(RESERVED)
        self.consts: dict[tuple, str] = {}
        self.const_lines: list[str] = []
        self.hidden: list[tuple[str, np.ndarray]] = []  # array literals passed as arguments
        self.allocs: list[str] = []
        self.blocks: list[Any] = []  # lists of lines and fused loops (_Group), in order
        self.prologue: list[str] = []  # scalar lines that depend on inputs only
        self.buffers: dict[str, int] = {}
        self.groups: dict[tuple[int, ...], _Group] = {}  # latest fused loop of each shape
        self.position: dict[int, float] = {}  # id(var) -> block index where it becomes readable
        self.local_of: dict[int, _Group] = {}
        self.users: dict[int, set[int]] = {}
        self.view_of: dict[int, Var] = {}  # eqn index -> output, for equations that are views
        self.eqn_index = -1
        self.fresh_count = 0
        self.count = 0

    # --- names ----------------------------------------------------------------------------
    def name(self, var: Var, prefix: str = "t") -> str:
        if id(var) not in self.names:
            base = var.name if var.name and var.name.isidentifier() else None
            if base is None or keyword.iskeyword(base) or base in self.used:
                base = base + "_" if base and base + "_" not in self.used else None
            if base is None:
                self.count += 1
                base = f"{prefix}{self.count}"
                while base in self.used:
                    self.count += 1
                    base = f"{prefix}{self.count}"
            self.used.add(base)
            self.names[id(var)] = base
        return self.names[id(var)]

    def fresh(self, prefix: str) -> str:
        """A new local name (loop indices, accumulators)."""
        self.fresh_count += 1
        name = f"{prefix}{self.fresh_count}"
        self.used.add(name)
        return name

    def const(self, value: Any, dtype: Any) -> str:
        """``value`` as a constant of ``dtype`` (float32 stays float32: no silent promotion)."""
        dt = np.dtype(dtype)
        if dt.kind == "b":
            return "True" if value else "False"
        typed = dt.type(value)
        if dt == np.float64 and math.isfinite(typed):
            text = repr(float(typed))
            return f"({text})" if text.startswith("-") else text
        if dt == np.int64:
            return f"({int(typed)})" if typed < 0 else str(int(typed))
        key = (dt.name, repr(typed.item()))
        if key not in self.consts:
            item = typed.item()
            arg = repr(item) if math.isfinite(item) else f"np.{'nan' if math.isnan(item) else 'inf'}"
            if isinstance(item, float) and item == -math.inf:
                arg = "-np.inf"
            name = f"{dt.name[0]}{dt.itemsize * 8}_{len(self.consts)}"
            self.consts[key] = name
            self.const_lines.append(f"{name} = {dtype_expr(dt)}({arg})")
        return self.consts[key]

    # --- values as the emitters see them ---------------------------------------------------
    def shape(self, atom: Any) -> tuple[int, ...]:
        return tuple(np.shape(atom.value)) if isinstance(atom, Literal) else tuple(atom.shape)

    def dtype(self, atom: Any) -> np.dtype:
        if isinstance(atom, Literal):
            return np.asarray(atom.value).dtype
        return np.dtype(atom.dtype)

    def ref(self, atom: Any) -> Ref:
        """How to read ``atom``; a value still local to the open fused loop is stored first."""
        if isinstance(atom, Literal):
            return self._literal_ref(atom)
        return self.refs[id(atom)]

    def read(self, atom: Any, idx: list[str], dtype: Any = None) -> str:
        """Expression for the element of ``atom`` at ``idx`` (broadcasting), cast to ``dtype``."""
        if isinstance(atom, Literal) and is_weak(atom.value):
            return self.const(atom.value, dtype if dtype is not None else self.dtype(atom))
        expr = self.ref(atom).index(idx)
        if dtype is not None and np.dtype(dtype) != self.dtype(atom):
            expr = f"{dtype_expr(dtype)}({expr})"
        return expr

    def out(self, var: Var) -> str:
        """Allocate ``var`` (a scalar name for 0-d, else a flat buffer) and return its name."""
        name = self.name(var)
        shape = tuple(var.shape)
        if shape == ():
            self.refs[id(var)] = Ref(name, ())
        else:
            size = math.prod(shape)
            self.allocs.append(self.target.alloc(name, size, var.dtype))
            self.buffers[name] = size
            self.refs[id(var)] = Ref(name, shape, 0, c_strides(shape))
        return name

    def view(self, var: Var, ref: Ref) -> list[str]:
        """Make ``var`` a view (no code): the emitters of reshape/transpose/broadcast use this."""
        self.refs[id(var)] = ref
        return []

    def dense(self, atom: Any) -> Ref:
        """A C-ordered view of ``atom`` (copying it into a new buffer if it is not one)."""
        ref = self.ref(atom)
        if ref.dense:
            return ref
        tmp = Var(self.shape(atom), self.dtype(atom))
        self.names[id(tmp)] = self.fresh("d")
        self.emit(self.copy_lines(tmp, atom))
        return self.refs[id(tmp)]

    def copy_lines(self, out: Var, atom: Any) -> list[str]:
        name = self.out(out)
        shape = tuple(out.shape)
        if shape == ():
            return [f"{name} = {self.read(atom, [])}"]
        idx, head, pad = self.loops(shape)
        return head + [f"{pad}{self.refs[id(out)].index(idx)} = {self.read(atom, idx)}"]

    def loops(self, shape: tuple[int, ...]) -> tuple[list[str], list[str], str]:
        """Index names, ``for`` headers and the body indentation for a loop nest over shape."""
        idx = [self.fresh("i") for _ in shape]
        head = [f"{'    ' * k}for {i} in range({d}):" for k, (i, d) in enumerate(zip(idx, shape))]
        return idx, head, "    " * len(shape)

    def fill(self, name: str, size: int, value: str) -> list[str]:
        """Lines setting every element of buffer ``name`` to ``value`` (a loop: CUDA has no
        slice assignment; on the CPU it becomes a memset)."""
        k = self.fresh("k")
        return [f"for {k} in range({size}):", f"    {name}[{k}] = {value}"]

    def emit(self, lines: list[str]) -> None:
        if lines:
            self.blocks.append(list(lines))

    @property
    def body(self) -> list[str]:
        """The body as lines (fused loops rendered)."""
        lines: list[str] = list(self.prologue)
        for block in self.blocks:
            lines.extend(self._render(block) if isinstance(block, _Group) else block)
        return lines

    def view_of_table(self, var: Var, atom: Any, table: np.ndarray) -> list[str]:
        """``var[k] = atom.flat[table[k]]`` (NumPy indexing): a view when affine, else a gather."""
        src = self.ref(atom)
        if src.is_scalar:
            return self.view(var, Ref(src.name, table.shape))
        phys = src.physical().reshape(-1)[table] if table.size else table
        ref = affine_view(src.name, phys)
        if ref is not None:
            return self.view(var, ref)
        positions = self.hidden_array(np.ascontiguousarray(phys, dtype=np.int64).reshape(-1))
        name = self.out(var)
        if tuple(var.shape) == ():
            return [f"{name} = {src.name}[{positions}[0]]"]
        k = self.fresh("k")
        return [f"for {k} in range({phys.size}):", f"    {name}[{k}] = {src.name}[{positions}[{k}]]"]

    def hidden_array(self, value: np.ndarray) -> str:
        name = f"c{len(self.hidden)}"
        self.used.add(name)
        self.hidden.append((name, np.ascontiguousarray(value).reshape(-1)))
        return name

    # --- the walk -------------------------------------------------------------------------
    def _literal_ref(self, lit: Literal) -> Ref:
        if id(lit) in self.refs:
            return self.refs[id(lit)]
        value = np.asarray(lit.value)
        if value.ndim == 0:
            ref = Ref(self.const(value.item(), value.dtype), ())
        else:
            ref = Ref(self.hidden_array(value), value.shape, 0, c_strides(value.shape))
        self.refs[id(lit)] = ref
        return ref

    def rule(self, prim: Any) -> Any:
        rule = self.target.overrides.get(prim.name, prim.numba)
        if rule is None:
            raise MissingRule(
                f"primitive '{prim.name}' has no 'numba' rule, so wb.function cannot compile it "
                f"(target {self.target.name})"
            )
        if isinstance(rule, NotSupported):
            raise CompileError(
                f"primitive '{prim.name}' is not supported on target {self.target.name}: {rule.reason}"
            )
        return rule

    def lower(self) -> None:
        graph = self.graph
        for var in graph.inputs:
            self.name(var)
        for i, eqn in enumerate(graph.eqns):
            for a in eqn.inputs:
                self.users.setdefault(id(a), set()).add(i)
        for a in graph.outputs:
            self.users.setdefault(id(a), set()).add(len(graph.eqns))
        for i, eqn in enumerate(graph.eqns):
            self.eqn_index = i
            rule = self.rule(eqn.prim)
            out = eqn.outputs[0]
            self.name(out)
            if isinstance(rule, str):
                self._elementwise(eqn, rule, out)
            elif fuse_matmul(self, eqn, out) or fuse_sum(self, eqn, out):
                pass
            else:
                before = len(self.blocks)
                lines = rule(self, out, eqn.inputs, **eqn.params)
                self.emit([f"# {self.describe(eqn)}"] + lines if lines else [])
                if len(self.blocks) > before:  # code was emitted: readable after that block
                    self.position[id(out)] = len(self.blocks) - 1
                else:  # a view: readable as soon as what it views is
                    self.view_of[i] = out
                    self.position[id(out)] = max([-1] + [self._after(a) for a in eqn.inputs])
        # buffers that fused loops must store are allocated now
        for block in self.blocks:
            if isinstance(block, _Group):
                self._stores(block)

    def _elementwise(self, eqn: Any, rule: str, out: Var) -> None:
        shape = tuple(out.shape)
        own = OWN_DTYPE.get(eqn.prim.name, ())
        loop_dtype = _loop_dtype([a for k, a in enumerate(eqn.inputs) if k not in own], out.dtype)
        if shape == ():
            args = [self.read(a, [], None if k in own else loop_dtype)
                    for k, a in enumerate(eqn.inputs)]
            self.refs[id(out)] = Ref(self.name(out), ())
            expr = rule.format(*args, T=dtype_expr(out.dtype))
            line = f"{self.name(out)} = {expr}  # {self.describe(eqn)}"
            if max([-1.0] + [self._after(a) for a in eqn.inputs]) < 0:
                self.prologue.append(line)  # needs only inputs: ready before every loop
                self.position[id(out)] = -1
            else:
                self.emit([line])
                self.position[id(out)] = len(self.blocks) - 1
            return
        group = self.group_for(shape, eqn.inputs)
        args = [self._read_in_group(a, group, None if k in own else loop_dtype)
                for k, a in enumerate(eqn.inputs)]
        expr = rule.format(*args, T=dtype_expr(out.dtype))
        self.add_member(group, out, [f"{{local}} = {expr}  # {self.describe(eqn)}"])

    def describe(self, eqn: Any) -> str:
        """The equation as the graph printer shows it, in this source's names (for comments)."""
        def show(a: Any) -> str:
            if isinstance(a, Literal):
                return repr(a.value) if is_weak(a.value) else f"const{list(np.shape(a.value))}"
            return self.name(a)

        params = "".join(f" {k}={v!r}" for k, v in eqn.params.items()
                         if not isinstance(v, np.ndarray | np.dtype | type))
        ins = " ".join(show(a) for a in eqn.inputs)
        return f"{self.name(eqn.outputs[0])} = {eqn.prim.name}{params} {ins}"

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
        if group.sums:
            return lines + self._render_blocked(group) + group.post
        if group.leaf_sums:
            return lines + self._render_leaves(group) + group.post
        lines += [f"{'    ' * k}for {i} in range({d}):"
                  for k, (i, d) in enumerate(zip(idx, group.shape, strict=True))]
        return lines + self._member_lines(group, "    " * len(idx), None) + group.post

    def _member_lines(self, group: _Group, pad: str, lane: int | None) -> list[str]:
        lines = []
        for var, body, _ in group.members:
            leaf_sum = group.leaf_sums.get(id(var))
            if leaf_sum is not None:
                local, buf = leaf_sum[:2]
                start = "leaf_start" if group.leaves and len(group.leaves) > 1 else "0"
                offset = group.idx[0] if start == "0" else f"{group.idx[0]} - {start}"
                lines.append(f"{pad}{buf}[{offset}] = {local}")
                continue
            fused_sum = group.sums.get(id(var))
            if fused_sum is not None:
                local, lanes, res = fused_sum[:3]
                target = lanes[lane] if lane is not None else res
                lines.append(f"{pad}{target} += {local}")
                continue
            lines += [pad + line for line in body]
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
        lines += [f"for leaf in range({len(leaves)}):",
                  f"    leaf_start = {table}[3 * leaf]",
                  f"    leaf_size = {table}[3 * leaf + 1]",
                  f"    for {i} in range(leaf_start, leaf_start + leaf_size):"]
        lines += self._member_lines(group, "        ", None)
        for _, buf, stack, top, _, zero in sums:
            lines += [f"    {stack}[{top}] = block_sum({buf}, 0, leaf_size, 1, {zero})",
                      f"    {top} += 1",
                      f"    for _ in range({table}[3 * leaf + 2]):",
                      f"        {stack}[{top} - 2] = {stack}[{top} - 2] + {stack}[{top} - 1]",
                      f"        {top} -= 1"]
        return lines + [f"{dest} = {zero} + {stack}[0]" for _, _, stack, _, dest, zero in sums]

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

    def outputs(self) -> list[str]:
        """Expressions for the graph outputs (arrays come back in their own shape)."""
        exprs = []
        for atom in self.graph.outputs:
            shape = self.shape(atom)
            if shape == ():
                exprs.append(self.read(atom, []))
                continue
            ref = self.ref(atom)
            if not (ref.dense and ref.offset == 0 and self.buffers.get(ref.name) == ref.size):
                tmp = Var(shape, self.dtype(atom))
                self.names[id(tmp)] = self.fresh("r")
                self.emit(self.copy_lines(tmp, atom))
                ref = self.refs[id(tmp)]
            exprs.append(ref.name if len(shape) == 1 else f"{ref.name}.reshape({shape})")
        return exprs


def _loop_dtype(atoms: list[Any], fallback: Any) -> np.dtype:
    """The dtype NumPy computes in: result_type of the inputs, Python numbers weak (NEP 50)."""
    parts = [a.value if isinstance(a, Literal) and is_weak(a.value)
             else (np.asarray(a.value).dtype if isinstance(a, Literal) else np.dtype(a.dtype))
             for a in atoms]
    if not parts:
        return np.dtype(fallback)
    return np.result_type(*parts)

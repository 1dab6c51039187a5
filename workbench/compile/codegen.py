"""Graph -> Python source lines: one interpreter over the IR that appends lines instead of values.

Elementwise equations over the same shape are fused into one loop (values used only inside it
stay scalars); other primitives call their ``numba`` emitter with a ``Lowering`` as ``ctx``.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

import numpy as np

from workbench.compile.fusion import fuse_matmul, fuse_sum
from workbench.compile.loops import FusedLoops, _Group
from workbench.compile.refs import Ref, affine_view, c_strides
from workbench.compile.target import CPU, Target, dtype_expr, is_weak, native
from workbench.ir import Graph, Literal, Var
from workbench.primitive import MissingRule, NotSupported

#: Every name derived from a user's name starts with this prefix and never contains ``__``;
#: every name the generator makes up does not start with it, and names derived from a name
#: (``x__all``, ``hist__x``) add a ``__`` part: the two namespaces cannot collide.
USER_PREFIX = "u_"
RESERVED = {"np", "math", "cuda", "numba", "pairwise_sum", "range", "abs", "min", "max", "int",
            "float", "bool", "len", "step", "n_steps", "record_every", "n_rows", "countdown",
            "block_sum", "blocks", "call_block", "carray", "pointer", "argv", "store_addresses",
            "store_rows", "stack_buffer"}
#: Positions that an elementwise rule reads in their own dtype (not cast to the loop dtype).
OWN_DTYPE = {"where": (0,), "cast": (0,)}


class CompileError(RuntimeError):
    """The graph cannot be lowered for this target; the message names the primitive and why."""


class Lowering(FusedLoops):
    """Walks a graph and produces the source of its body; the ``ctx`` that emitters get."""

    def __init__(self, graph: Graph, target: Target = CPU, fuse_sums: bool = False,
                 cases: bool = False, chunk_rows: bool = False):
        self.graph, self.target, self.fuse_sums, self.cases = graph, target, fuse_sums, cases
        self.chunk_rows = chunk_rows
        self.names: dict[int, str] = {}
        self.original: dict[str, str] = {}  # mangled user-derived name -> the name as given
        self.refs: dict[int, Ref] = {}
        self.used: set[str] = set(RESERVED)
        self.consts: dict[tuple, str] = {}
        self.const_lines: list[str] = []
        self.hidden: list[tuple[str, np.ndarray]] = []  # array literals passed as arguments
        self.allocs: list[str] = []
        self.blocks: list[Any] = []  # lists of lines and fused loops (_Group), in order
        self._units: list[list[str]] | None = None
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
        """The identifier of ``var`` in generated code (see ``user_identifier``)."""
        if id(var) not in self.names:
            if var.name is not None and str(var.name) != "":
                base = user_identifier(var.name)
                self.original[base] = str(var.name)
            else:
                self.count += 1
                base = f"{prefix}{self.count}"
            candidate, k = base, 0
            while candidate in self.used:
                k += 1
                candidate = f"{base}_{k}"
            self.used.add(candidate)
            self.names[id(var)] = candidate
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
    def units(self) -> list[list[str]]:
        """The lines of each block (fused loops rendered once: rendering may add constants)."""
        done = self._units or []
        if len(done) != len(self.blocks):
            self._units = done + [self._render(b) if isinstance(b, _Group) else list(b)
                                  for b in self.blocks[len(done):]]
        return self._units or []

    @property
    def body(self) -> list[str]:
        """The body as lines (fused loops rendered)."""
        return list(self.prologue) + [line for unit in self.units for line in unit]

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
        """An array passed to the kernel as an argument: always a copy, so a NumPy array the
        function closes over is frozen at trace time whatever its layout (as ``tf.function``)."""
        name = f"c{len(self.hidden)}"
        self.used.add(name)
        self.hidden.append((name, np.array(value, order="C", copy=True).reshape(-1)))
        return name

    # --- the walk -------------------------------------------------------------------------
    def _literal_ref(self, lit: Literal) -> Ref:
        if id(lit) in self.refs:
            return self.refs[id(lit)]
        value = native(np.asarray(lit.value), "a captured constant")
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
            native(np.empty(0, out.dtype), f"the result of '{eqn.prim.name}'")
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
        self.add_cases(group, out, eqn.prim.name, args)

    def describe(self, eqn: Any) -> str:
        """The equation as the graph printer shows it (for comments, escaped): user-named values
        by their own names, the others by their names in this source."""
        def show(a: Any) -> str:
            if isinstance(a, Literal):
                return repr(a.value) if is_weak(a.value) else f"const{list(np.shape(a.value))}"
            name = self.name(a)
            return self.original.get(name, name)

        params = "".join(f" {k}={' '.join(repr(v).split())}" for k, v in eqn.params.items()
                         if not isinstance(v, np.ndarray | np.dtype | type))  # one line: a comment
        ins = " ".join(show(a) for a in eqn.inputs)
        return comment(f"{self.name(eqn.outputs[0])} = {eqn.prim.name}{params} {ins}")

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


def user_identifier(name: object) -> str:
    """A safe identifier for a user's name: NFKC-normalised, ASCII letters, digits and single
    underscores, behind ``USER_PREFIX`` (so it is never a keyword or a generated name).

    >>> [user_identifier(n) for n in ("w", "𝐧𝐩", "lambda", "a b", "ñ")]
    ['u_w', 'u_np', 'u_lambda', 'u_a_b', 'u_xf1']
    """
    text = unicodedata.normalize("NFKC", str(name))
    text = re.sub(r"[^0-9A-Za-z]+", "_", text.encode("ascii", "backslashreplace").decode())
    return USER_PREFIX + (text.strip("_") or "v")


def comment(text: object) -> str:
    """``text`` made safe for a ``#`` comment: newlines, NUL and other unprintables escaped.

    >>> print(comment("a\\nb"))
    a\\nb
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def _loop_dtype(atoms: list[Any], fallback: Any) -> np.dtype:
    """The dtype NumPy computes in: result_type of the inputs, Python numbers weak (NEP 50)."""
    parts = [a.value if isinstance(a, Literal) and is_weak(a.value)
             else (np.asarray(a.value).dtype if isinstance(a, Literal) else np.dtype(a.dtype))
             for a in atoms]
    if not parts:
        return np.dtype(fallback)
    return np.result_type(*parts)

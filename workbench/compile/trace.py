"""Tracing: run a Python function once under a recording tape and keep what it did as a Graph.

Python control flow is traced *as it ran*: loops unroll and an ``if`` on a Python value takes the
branch it took while tracing. A branch on a traced value (``if loss > 1:``) raises ``TraceError``
naming the user's line. Anything that must persist between calls has to live in a ``wb.Variable``:
every Variable read becomes a state input and every ``assign``/``assign_add``/``assign_sub`` a
state update. That is the extension point for optimizers: slots and step counters kept in
Variables (created before or during the first call) are captured like any other state.
"""

from __future__ import annotations

import contextlib
import gc
import inspect
import sys
import types
from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench import tape_state
from workbench.compile import abstract
from workbench.compile.shape_rules import dtype_of, shape_of
from workbench.compile.target import native
from workbench.ir import Eqn, Graph, Literal, Var
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.primitive import NON_DIFFERENTIABLE, Primitive, defprimitive
from workbench.structure import flatten
from workbench.tensor import Tensor, Variable

EW = "elementwise"


class TraceError(RuntimeError):
    """The traced function did something a compiled graph cannot express."""


def _compare_prim(name: str, ufunc: Any, op: str) -> Primitive:
    return defprimitive(name, ufunc, vjp=NON_DIFFERENTIABLE, kind=EW,
                        numba="({0} " + op + " {1})", register=False)


#: Comparisons are not registered primitives (gradient tapes never record them); tracing keeps
#: them as equations of these primitives so masks such as ``where(x > 0, ...)`` stay live.
COMPARISONS: dict[Any, Primitive] = {
    np.less: _compare_prim("less", np.less, "<"),
    np.less_equal: _compare_prim("less_equal", np.less_equal, "<="),
    np.greater: _compare_prim("greater", np.greater, ">"),
    np.greater_equal: _compare_prim("greater_equal", np.greater_equal, ">="),
    np.equal: _compare_prim("equal", np.equal, "=="),
    np.not_equal: _compare_prim("not_equal", np.not_equal, "!="),
}


class _Slot:
    """What tracing learned about one Variable: its input Var (if read) and its latest value."""

    __slots__ = ("assigned", "current", "initial", "input", "var")

    def __init__(self, var: Variable):
        self.var = var
        self.initial = var._value  # restored after tracing: the trace run has no side effects
        self.input: Var | None = None
        self.current: Any = None
        self.assigned = False


class TracingTape:
    """A tape that records every op on a traced value, comparisons, reads and assignments."""

    compiles = True  # ops that differ when compiled (``wb.random``) look for this

    def __init__(self) -> None:
        self.atoms: dict[int, Any] = {}
        self.keep: list[Any] = []  # keeps traced tensors alive so their ids stay unique
        self.eqns: list[Eqn] = []
        self.slots: dict[int, _Slot] = {}
        self.inputs: list[Var] = []

    # --- hooks (the same names GradientTape has) ------------------------------------------
    def _record(self, prim: Any, inputs: tuple[Any, ...], out: Tensor, params: dict) -> None:
        # Every op is kept, even on constants: folding them would bake large arrays (a
        # broadcast of a gradient seed, say) into the graph; dead ones are dropped later.
        self._add_eqn(prim, tuple(self.atom(a) for a in inputs), out, dict(params))

    def _on_read(self, var: Variable, snapshot: Tensor) -> None:
        self.atoms[id(snapshot)] = self._read_slot(var)
        self.keep.append(snapshot)

    def _on_compare(self, ufunc: Any, x: Tensor, other: Any, out: Tensor) -> None:
        if isinstance(x, Variable):
            x = x._read()
        if isinstance(other, Variable):
            other = other._read()
        self._record(COMPARISONS[ufunc], (x, other), out, {})

    def _on_escape(self, tensor: Tensor) -> None:
        if id(tensor) in self.atoms:
            raise TraceError(
                f"{tape_state.caller_location()}: a traced value was turned into a Python or "
                "NumPy value (bool(), float(), int(), .numpy() or np.asarray). wb.function traces Python control flow as it ran, "
                "so a value computed from the arguments or Variables cannot choose a branch or leave "
                "the graph: use wb.where(cond, a, b) for a data-dependent choice, or move this code "
                "outside the compiled function"
            )

    def _on_assign(self, var: Variable, source: Any, op: str = "assign") -> None:
        slot = self._slot(var)
        src = self.atom(source)
        if op == "assign":
            new, value = src, _raw(source)
        else:
            prim = ew.add if op == "add" else ew.sub
            old = self._read_slot(var)
            value = abstract.result(prim, (var._value, _raw(source)), {})
            new = self._emit(prim, (old, src), value, {})
        if dtype_of(value) != var.dtype:
            value = abstract.result(ew.cast_p, (value,), {"dtype": var.dtype})
            new = self._emit(ew.cast_p, (new,), value, {"dtype": var.dtype})
        if shape_of(value) != var.shape:
            value = abstract.result(sh.broadcast_to_p, (value,), {"shape": var.shape})
            new = self._emit(sh.broadcast_to_p, (new,), value, {"shape": var.shape})
        slot.current = new
        slot.assigned = True

    # --- helpers ------------------------------------------------------------------------
    def atom(self, value: Any) -> Any:
        """The IR atom standing for ``value`` (a traced Var, or a Literal for anything else)."""
        if isinstance(value, Variable):
            return self._read_slot(value)
        if isinstance(value, Tensor):
            found = self.atoms.get(id(value))
            return found if found is not None else Literal(value._value, value.name)
        return Literal(value)

    def add_input(self, tensor: Tensor, name: str) -> Var:
        var = Var(np.shape(tensor._value), tensor.dtype, name)
        self.atoms[id(tensor)] = var
        self.keep.append(tensor)
        self.inputs.append(var)
        return var

    def _slot(self, var: Variable) -> _Slot:
        slot = self.slots.get(id(var))
        if slot is None:
            slot = self.slots[id(var)] = _Slot(var)
        return slot

    def _read_slot(self, var: Variable) -> Any:
        slot = self._slot(var)
        if slot.current is None:
            name = var_name(var, len(self.slots) - 1)
            native(np.asarray(var._value), f"Variable {name!r}")  # a dtype kernels compute in
            if not var.dtype.isnative:
                raise TypeError(f"wb.function cannot compile Variable {name!r}: its dtype "
                                f"{var.dtype} is not in native byte order; create it from "
                                "x.astype(x.dtype.newbyteorder('='))")
            slot.input = slot.current = Var(var.shape, var.dtype, name)
        return slot.current

    def _add_eqn(self, prim: Any, ins: tuple, out: Tensor, params: dict) -> Var:
        var = Var(np.shape(out._value), out.dtype)
        self.eqns.append(Eqn(prim, ins, (var,), params))
        self.atoms[id(out)] = var
        self.keep.append(out)
        return var

    def _emit(self, prim: Any, ins: tuple, value: Any, params: dict) -> Var:
        var = Var(shape_of(value), dtype_of(value))
        self.eqns.append(Eqn(prim, ins, (var,), params))
        return var

    def restore(self) -> None:
        """Put every Variable back to its value from before the trace ran."""
        for slot in self.slots.values():
            slot.var._value = slot.initial
            slot.var._snapshot = Tensor(slot.initial, slot.var.name)


@dataclass(frozen=True, slots=True)
class Traced:
    """A traced function: its graph and how the graph's inputs/outputs map to Python values.

    The graph's inputs are the array arguments then the state (Variables read); its outputs are
    the function's returned leaves then the new value of each assigned Variable.
    """

    graph: Graph
    n_args: int
    state_in: tuple[Variable, ...]
    state_out: tuple[Variable, ...]
    rebuild: Any  # new output leaves -> the structure the function returned
    n_outputs: int
    shapes_only: bool = False  # traced on stand-ins (no data), not on the arguments' values


def trace(fn: Any, args: tuple[Any, ...], array_args: tuple[int, ...],
          shapes_only: bool = True) -> Traced:
    """Run ``fn(*args)`` once, recording it; ``array_args`` are the positions traced as inputs.

    Other arguments (Python numbers, Variables) are used as they are: numbers become constants,
    Variables become state. Variables are restored afterwards, so tracing has no side effects.
    With ``shapes_only`` the array arguments are stand-ins with no data (tracing costs the same
    at every size); a function that needs a value while traced (see ``abstract``) is traced
    again on the real arrays, so the graph is the same either way.

    >>> import workbench as wb
    >>> t = trace(lambda x: wb.sin(x) * 2.0, (wb.constant(1.0),), (0,))
    >>> print(t.graph)
    graph(x: float64[]) {
      t1 = sin x
      t2 = mul t1 2.0
      return t2
    }
    >>> t.shapes_only
    True
    """
    if shapes_only and all(np.size(_raw(args[i])) for i in array_args):
        engine = abstract.ShapeEngine()
        try:
            traced = _trace(fn, args, array_args, engine)
        except Exception:  # noqa: BLE001 - the concrete trace raises the real error, if any
            traced = None
        if traced is not None and engine.needed is None and not _holds_stand_in(traced.graph):
            return traced
    return _trace(fn, args, array_args, None)


def _trace(fn: Any, args: tuple[Any, ...], array_args: tuple[int, ...],
           engine: abstract.ShapeEngine | None) -> Traced:
    tape = TracingTape()
    if engine is not None:
        engine.tape = tape
    names = _param_names(fn, len(args))
    call_args = list(args)
    for i in array_args:
        value = np.asarray(_raw(args[i]))
        fresh = (Tensor(value) if engine is None
                 else engine.stand_in(value.shape, value.dtype))
        tape.add_input(fresh, names[i])
        call_args[i] = fresh
    token = tape_state.ACTIVE.set(tape_state.ACTIVE.get() + (tape,))
    try:
        with engine if engine is not None else contextlib.nullcontext():
            result = fn(*call_args)
    finally:
        tape_state.ACTIVE.reset(token)
        tape.restore()
    _refuse_created_variables(fn, tape, result)
    leaves, rebuild = flatten(result) if result is not None else ([], _none)
    outs = []
    for leaf in leaves:
        if leaf is None:
            raise TraceError(f"{_fn_name(fn)} returned None inside its result: return Tensors only")
        outs.append(tape.atom(leaf))
    slots = list(tape.slots.values())
    state_in = [s for s in slots if s.input is not None]
    state_out = [s for s in slots if s.assigned]
    outputs = tuple(outs) + tuple(s.current for s in state_out)
    inputs = tuple(tape.inputs) + tuple(s.input for s in state_in)
    graph = Graph(inputs, _live(tape.eqns, outputs), outputs)
    return Traced(graph, len(tape.inputs), tuple(s.var for s in state_in),
                  tuple(s.var for s in state_out), rebuild, len(outs), engine is not None)


def _holds_stand_in(graph: Graph) -> bool:
    """Whether a stand-in leaked into the graph as a constant or a parameter (an op built a
    Tensor of another's raw value): only the concrete trace knows that constant."""
    literals = [a.value for e in graph.eqns for a in e.inputs if isinstance(a, Literal)]
    literals += [a.value for a in graph.outputs if isinstance(a, Literal)]
    return abstract.holds_stand_in(literals) or any(
        abstract.holds_stand_in(e.params) for e in graph.eqns)


def _none(leaves: list) -> None:
    """The result structure of a function that returns nothing (like ``tf.function``: None)."""
    return


def _refuse_created_variables(fn: Any, tape: TracingTape, result: Any) -> None:
    """Raise if the trace used a Variable that only the trace (and the result) refers to.

    Such a Variable was created by the function on this call: eagerly every call would make a
    fresh one, while the compiled program would keep updating the one the trace made. This is
    ``tf.function``'s rule ("only supports singleton Variables created on the first call"):
    create it once outside the function, or guard its creation (``if self.v is None: ...``).
    """
    ours = {id(tape.slots), id(tape.keep), id(result)}
    ours.update(id(s) for s in tape.slots.values())
    internal: dict[int, int] = {}  # references the trace itself holds, per Variable
    pending = [result]
    while pending:  # the containers of the returned structure refer to it too
        node = pending.pop()
        internal[id(node)] = internal.get(id(node), 0) + 1
        if isinstance(node, dict):
            ours.add(id(node))
            pending.extend(node.values())
        elif isinstance(node, list | tuple):
            ours.add(id(node))
            pending.extend(node)
    node = None  # the walk's last node must not count as a reference
    internal[id(result)] += 1  # the result itself: trace's local and this function's argument
    for kept in tape.keep:  # tensors computed from a Variable refer to it (``_origin``)
        origin = getattr(kept, "_origin", None)
        if origin is not None:
            internal[id(origin)] = internal.get(id(origin), 0) + 1
            ours.add(id(kept))
    kept = origin = None
    for slot in tape.slots.values():
        # cheap first: more references than the trace's own (the slot, the getrefcount
        # argument, result and _origin) mean the Variable is kept elsewhere
        if sys.getrefcount(slot.var) > 2 + internal.get(id(slot.var), 0):
            continue
        others = [r for r in gc.get_referrers(slot.var)
                  if id(r) not in ours and not isinstance(r, types.FrameType)]
        if not others:
            raise TraceError(
                f"{_fn_name(fn)} created the wb.Variable {var_name(slot.var, 0)!r} while it was "
                "traced and keeps no reference to it: eagerly each call would make a new one, "
                "compiled the same one would be updated on every call. Create Variables once, "
                "outside the compiled function (or store it, e.g. `if self.v is None: self.v = "
                "wb.Variable(...)`), as tf.function requires"
            )


def var_name(var: Variable, k: int) -> str:
    """A Variable's name as text (any object given as ``name=``), or ``var<k>`` if it has none."""
    return f"var{k}" if var.name is None or str(var.name) == "" else str(var.name)


def state_names(variables: tuple[Variable, ...]) -> list[str]:
    """One distinct name per Variable: its own, with ``_1``, ``_2``... added to later ones that
    share it (so two Variables named ``w`` are ``w`` and ``w_1`` in a history).

    >>> import workbench as wb
    >>> state_names((wb.Variable(1.0, name="w"), wb.Variable(2.0, name="w"), wb.Variable(3.0)))
    ['w', 'w_1', 'var2']
    """
    names: list[str] = []
    for k, var in enumerate(variables):
        base = var_name(var, k)
        name, j = base, 0
        while name in names:
            j += 1
            name = f"{base}_{j}"
        names.append(name)
    return names


def _live(eqns: list[Eqn], outputs: tuple) -> tuple[Eqn, ...]:
    """The equations the outputs depend on (dead code dropped), in their original order."""
    needed = {id(a) for a in outputs}
    kept = []
    for eqn in reversed(eqns):
        if id(eqn.outputs[0]) in needed:
            kept.append(eqn)
            needed.update(id(a) for a in eqn.inputs)
    return tuple(kept[::-1])


def _param_names(fn: Any, n: int) -> list[str]:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return [names[i] if i < len(names) else f"arg{i}" for i in range(n)]


def _fn_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", repr(fn))


def _raw(value: Any) -> Any:
    return value._value if isinstance(value, Tensor) else value

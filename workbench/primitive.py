"""Primitives as data: a name plus one rule per engine, the registry, and ``bind``.

``bind`` is the one place where an operation runs eagerly and is offered to the active tapes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench import tape_state

#: A VJP rule for one input: ``rule(g, ans, *inputs, **params) -> cotangent Tensor``.
VJPRule = Callable[..., Any]


@dataclass(frozen=True, slots=True)
class NotSupported:
    """Declares on purpose that a primitive has no rule for one engine, and why."""

    reason: str


class _NonDifferentiable:
    """Marker for primitives whose gradient is None by definition (round, argmax, sign, ...)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NON_DIFFERENTIABLE"


NON_DIFFERENTIABLE = _NonDifferentiable()

#: Engines whose rule every built-in primitive must declare (a rule or ``NotSupported``).
#: An engine adds its name here when it lands; ``validate_registry`` then enforces it.
REQUIRED_RULES: list[str] = ["forward", "vjp"]


class MissingRule(LookupError):
    """A primitive lacks the rule an engine needs; the message names both."""


@dataclass(frozen=True, slots=True, eq=False)
class Primitive:
    """An operation workbench knows how to evaluate, differentiate, print and compile.

    ``vjp`` is a tuple with one rule per input (``None`` where that input gets no gradient), a
    callable ``vjp(argnum)`` returning the rule for variadic primitives, ``NON_DIFFERENTIABLE``, or
    ``None`` (no rule: differentiating raises ``LookupError``). Rules are written in workbench ops,
    so a reverse pass is itself recorded and differentiable, and they accept cotangents ``g`` with
    extra *leading* batch axes (``g.shape == batch + ans.shape``) so jacobians need one pass.

    ``vjp_numpy`` (optional, with a tuple ``vjp``) holds the same rules on NumPy values, NumPy
    call for NumPy call, so they give the same bits: the reverse pass runs them instead when no
    tape records it (nothing then needs the backward computation as workbench ops).
    """

    name: str
    forward: Callable[..., Any]
    vjp: Any = None
    sympy: Any = None
    numba: Any = None
    kind: str = "custom"
    batchable: bool = True
    vjp_numpy: tuple | None = None

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    @property
    def differentiable(self) -> bool:
        return self.vjp is not NON_DIFFERENTIABLE

    def vjp_rule(self, argnum: int) -> VJPRule | None:
        """The VJP rule for input ``argnum``; raises ``LookupError`` naming the primitive if none."""
        if self.vjp is None:
            raise MissingRule(
                f"primitive '{self.name}' has no VJP rule, so it cannot be differentiated; "
                f"give defprimitive('{self.name}', ..., vjp=(rule_for_arg0, ...)) one"
            )
        if isinstance(self.vjp, Sequence):
            return self.vjp[argnum] if argnum < len(self.vjp) else None
        return self.vjp(argnum)


class Registry(Mapping[str, Primitive]):
    """The registered primitives by name. Op families load on first use, so listing the registry
    (iterating, ``len``, a name not yet seen) first imports every family that registers some.
    A built-in primitive (any ``kind`` but ``"custom"``) registered after an engine has loaded
    must already have that engine's rule (``REQUIRED_RULES``), as ``validate_registry`` checks
    for those registered before.

    >>> import workbench as wb
    >>> wb.REGISTRY["sin"]
    <primitive sin>
    """

    def __init__(self, families: tuple[str, ...]) -> None:
        self._prims: dict[str, Primitive] = {}
        self._families = families
        self._complete = False

    def add(self, prim: Primitive) -> None:
        """Register ``prim`` (``defprimitive`` does); its name must be new."""
        if prim.name in self._prims:
            raise ValueError(f"a primitive named '{prim.name}' is already registered")
        if prim.kind != "custom":
            _check_rules(prim)
        self._prims[prim.name] = prim

    def loaded(self) -> list[Primitive]:
        """The primitives registered so far (no family is imported)."""
        return list(self._prims.values())

    def complete(self) -> None:
        """Import every built-in op family, so that every built-in primitive is registered."""
        if not self._complete:
            for family in self._families:
                importlib.import_module(family)
            self._complete = True

    def __getitem__(self, name: str) -> Primitive:
        prim = self._prims.get(name)
        if prim is None:
            self.complete()
            return self._prims[name]
        return prim

    def __iter__(self) -> Iterator[str]:
        self.complete()
        return iter(self._prims)

    def __len__(self) -> int:
        self.complete()
        return len(self._prims)

    def __repr__(self) -> str:
        return f"Registry({sorted(self)})"


#: The op families (modules) whose import registers built-in primitives.
BUILTIN_FAMILIES = tuple(f"workbench.ops.{family}" for family in (
    "elementwise", "elementwise_more", "reduce", "shape", "linalg", "nn", "sorting", "einsum",
    "cumulative", "conv", "decompositions",
    "special", "expm"))
REGISTRY = Registry(BUILTIN_FAMILIES)


def defprimitive(
    name: str,
    forward: Callable[..., Any],
    vjp: Any = None,
    *,
    sympy: Any = None,
    numba: Any = None,
    kind: str = "custom",
    batchable: bool | None = None,
    register: bool = True,
    vjp_numpy: Sequence | None = None,
) -> Primitive:
    """Define a primitive: its NumPy forward and its VJP rules (one per input).

    Built-in primitives live in ``workbench/ops``; users define their own the same way.

    >>> import numpy as np, workbench as wb
    >>> cube = wb.defprimitive("cube", np.cube if hasattr(np, "cube") else lambda x: x**3,
    ...                        vjp=(lambda g, ans, x: g * 3 * x**2,), register=False)
    >>> x = wb.constant(2.0)
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = cube(x)
    >>> float(tape.gradient(y, x))
    12.0

    User primitives are not assumed to handle batched cotangents (``batchable=False``), so
    ``jacobian`` falls back to one reverse pass per output row for graphs that contain them.
    ``vjp_numpy`` (optional) repeats the ``vjp`` rules on NumPy values, the same NumPy calls in
    the same order, for reverse passes no tape records (see ``Primitive``).
    """
    if not (isinstance(name, str) and name.isascii() and name.isidentifier()):
        raise ValueError(f"primitive name {name!r} must be an ASCII identifier (letters, digits, "
                         "underscores; not starting with a digit): engines write it into "
                         "generated code and printed graphs, e.g. defprimitive('my_op', ...)")
    if isinstance(vjp, Sequence) and not isinstance(vjp, tuple):
        vjp = tuple(vjp)
    if vjp_numpy is not None:
        vjp_numpy = tuple(vjp_numpy)
        if not isinstance(vjp, tuple) or [r is None for r in vjp] != [r is None for r in vjp_numpy]:
            raise ValueError(f"primitive '{name}': vjp_numpy needs a tuple vjp, with a rule "
                             "exactly where vjp has one (None where it has None)")
    prim = Primitive(
        name=name,
        forward=forward,
        vjp=vjp,
        sympy=sympy,
        numba=numba,
        kind=kind,
        batchable=(kind != "custom") if batchable is None else batchable,
        vjp_numpy=vjp_numpy,
    )
    if register:
        REGISTRY.add(prim)
    return prim


def validate_registry(registry: Mapping[str, Primitive] | None = None) -> None:
    """Raise ``MissingRule`` if a registered primitive lacks a rule an engine requires.

    Without an argument: the primitives registered so far; built-in ones registered later are
    checked as they register (``Registry.add``), so an engine's import loads no op family.
    """
    for prim in REGISTRY.loaded() if registry is None else registry.values():
        _check_rules(prim)


def _check_rules(prim: Primitive) -> None:
    for rule in REQUIRED_RULES:
        if getattr(prim, rule) is None:
            raise MissingRule(
                f"primitive '{prim.name}' has no '{rule}' rule: give it one, or declare "
                f"{rule}=NotSupported('reason')"
            )


def bind(prim: Primitive, *args: Any, **params: Any) -> Tensor:
    """Run ``prim`` eagerly on ``args`` and offer the application to every active tape.

    This is the hot path of eager mode: Tensor arguments (and, with two arguments, a Python
    float or int beside a Tensor) take the short branch, with one and two arguments (nearly
    every op) unpacked without building a list.
    """
    n = len(args)
    if n == 2:
        x, y = args
        tx, ty = type(x), type(y)
        if tx is Tensor:
            x = x._value
        elif tx is not float and tx is not int or ty is not Tensor:
            return _bind_converted(prim, args, params)
        if ty is Tensor:
            y = y._value
        elif ty is not float and ty is not int:
            return _bind_converted(prim, args, params)
        out = Tensor(prim.forward(x, y, **params) if params else prim.forward(x, y))
    elif n == 1:
        x = args[0]
        if type(x) is not Tensor:
            return _bind_converted(prim, args, params)
        out = Tensor(prim.forward(x._value, **params) if params else prim.forward(x._value))
    else:
        for a in args:
            if type(a) is not Tensor:
                return _bind_converted(prim, args, params)
        out = Tensor(prim.forward(*[a._value for a in args], **params))
    tapes = _active_tapes()
    if tapes:
        for tape in tapes:
            tape._record(prim, args, out, params)
    return out


def _bind_converted(prim: Primitive, args: tuple[Any, ...], params: dict[str, Any]) -> Tensor:
    """``bind`` for arguments that are Variables (read them), numbers (kept) or arrays (wrapped)."""
    if STAGING:  # a shape-only trace runs: a staged argument has no data to compute on
        engine = staged_engine(*args)
        if engine is not None:
            return engine.bind(prim, args, params)
    inputs, values, origin = [], [], None
    for a in args:
        kind = type(a)
        if kind is Tensor:
            values.append(a._value)
        elif kind is float or kind is int:
            values.append(a)
        else:
            if kind is Variable and origin is None:
                origin = a
            a = as_input(a)
            values.append(a._value if type(a) is Tensor else a)
        inputs.append(a)
    out = Tensor(prim.forward(*values, **params))
    if origin is not None:
        out._origin = origin
    tapes = _active_tapes()
    if tapes:
        inputs = tuple(inputs)
        for tape in tapes:
            tape._record(prim, inputs, out, params)
    return out


# Imported last so that any import order works: tensor.py's operators need ops, ops need
# defprimitive (defined above), and bind needs Tensor only when it runs.
from workbench.tensor import STAGING, Tensor, Variable, as_input, staged_engine

_active_tapes = tape_state.ACTIVE.get
# Calling a primitive binds it; set here, once bind exists, so a call costs no extra frame.
Primitive.__call__ = bind

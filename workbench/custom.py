"""``custom_gradient``: a function whose gradient the user supplies (TensorFlow's decorator)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from workbench import tape_state
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.primitive import Primitive
from workbench.structure import flatten
from workbench.tape import GradientTape
from workbench.tensor import Tensor, Variable, as_input, constant


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Tensor]:
    """Decorate ``f(*x) -> (y, grad_fn)`` so that tapes use ``grad_fn(upstream)`` as its VJP.

    ``grad_fn`` returns one gradient per positional input (a tuple if more than one). As in
    TensorFlow, if ``f`` reads Variables that are not among its arguments, ``grad_fn`` must
    accept ``variables=`` (it gets those Variables) and return ``(input_grads, var_grads)``;
    a Variable passed as an argument is an input like any other. An ``f`` with several
    outputs (a tuple, list or dict ``y``) returns them in that structure, and ``grad_fn`` gets
    one upstream gradient per output, positionally (``grad_fn(dy1, dy2)``; zeros for an output
    that is not used).

    >>> import workbench as wb
    >>> @wb.custom_gradient
    ... def log1pexp(x):
    ...     e = wb.exp(x)
    ...     return wb.log(1 + e), lambda upstream: upstream * (1 - 1 / (1 + e))
    >>> x = wb.constant(100.0)
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = log1pexp(x)
    >>> float(tape.gradient(y, x))
    1.0
    """

    @functools.wraps(f)
    def wrapper(*args: Any) -> Tensor:
        inputs = tuple(as_input(a) for a in args)
        # f runs on the active tapes, as in TensorFlow: the values grad_fn closes over stay
        # recorded, so a grad_fn written in workbench ops can be differentiated again.
        probe = GradientTape()
        with probe:  # also learns which Variables f reads
            y, grad_fn = f(*args)
        passed = {id(a) for a in args if isinstance(a, Variable)}
        variables = tuple(v for v in probe.watched_variables() if id(v) not in passed)
        if variables and not _takes_variables(grad_fn):
            names = ", ".join(repr(v.name or "Variable") for v in variables)
            raise TypeError(
                f"custom_gradient function {f.__name__!r} reads Variable(s) {names} that are "
                "not among its arguments, so its grad_fn must accept a keyword argument "
                "'variables' and return (input_grads, variable_grads) (as in TensorFlow); or "
                "pass the Variable(s) as arguments"
            )
        # A fresh output (TensorFlow's identity): tapes reach it only through grad_fn.
        # Several outputs are packed into one flat output, which the tapes record, and
        # handed out as recorded slices of it, so each gets its own cotangent.
        multi = isinstance(y, list | tuple | dict)
        outs, rebuild = flatten(y) if multi else ([y], None)
        outs = [o if isinstance(o, Tensor) else constant(o) for o in outs]
        packed = Tensor(_pack(outs)) if multi else Tensor(outs[0]._value)
        snapshots = tuple(v._read() for v in variables)
        prim = Primitive(
            name=f.__name__,
            forward=f,
            vjp=_custom_vjp(grad_fn, len(inputs), variables, outs if multi else None),
            kind="custom",
            batchable=False,
        )
        for tape in tape_state.ACTIVE.get():
            tape._record(prim, inputs + snapshots, packed, {})
        return rebuild(_unpack(packed, outs)) if multi else packed

    return wrapper


def _pack(outs: list[Tensor]) -> np.ndarray:
    """The outputs' values raveled end to end, in their common dtype."""
    dtype = np.result_type(*(o.dtype for o in outs))
    return np.concatenate([np.ravel(o._value).astype(dtype) for o in outs])


def _unpack(flat: Tensor, like: list[Tensor]) -> list[Tensor]:
    """Recorded slices of ``flat``, in the shapes and dtypes of ``like`` (``_pack``'s inverse)."""
    pieces, start = [], 0
    for o in like:
        piece = sh.reshape(flat[start:start + o.size], o.shape)
        pieces.append(piece if piece.dtype == o.dtype else ew.cast(piece, o.dtype))
        start += o.size
    return pieces


def _custom_vjp(grad_fn: Callable[..., Any], n_inputs: int, variables: tuple[Variable, ...],
                outs: list[Tensor] | None):
    """Per-input rules that share one ``grad_fn`` call per upstream cotangent; with several
    outputs (``outs``), the packed cotangent is split into one argument per output."""
    cache: dict[str, Any] = {"g": None, "grads": ()}

    def all_grads(g: Tensor) -> tuple[Any, ...]:
        if cache["g"] is not g:
            upstream = [g] if outs is None else _unpack(g, outs)
            if variables:
                input_grads, var_grads = grad_fn(*upstream, variables=list(variables))
                grads = _as_tuple(input_grads) + _as_tuple(var_grads)
            else:
                grads = _as_tuple(grad_fn(*upstream))
            expected = n_inputs + len(variables)
            if len(grads) != expected:
                raise ValueError(
                    f"custom_gradient function {grad_fn.__name__!r} expected to return "
                    f"{expected} gradients, but returned {len(grads)} instead"
                )
            cache["g"], cache["grads"] = g, grads
        return cache["grads"]

    def rule_for(argnum: int):
        def rule(g, ans, *inputs):
            grad = all_grads(g)[argnum]
            return grad if grad is None or isinstance(grad, Tensor) else constant(grad)

        return rule

    return rule_for


def _takes_variables(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: let the call decide
        return True
    return any(p.name == "variables" or p.kind is p.VAR_KEYWORD for p in params)


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)

"""``custom_gradient``: a function whose gradient the user supplies (TensorFlow's decorator)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from workbench import tape_state
from workbench.primitive import Primitive
from workbench.tape import GradientTape
from workbench.tensor import Tensor, Variable, as_input, constant


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Tensor]:
    """Decorate ``f(*x) -> (y, grad_fn)`` so that tapes use ``grad_fn(upstream)`` as its VJP.

    ``grad_fn`` returns one gradient per positional input (a tuple if more than one). As in
    TensorFlow, if ``f`` reads Variables that are not among its arguments, ``grad_fn`` must
    accept ``variables=`` (it gets those Variables) and return ``(input_grads, var_grads)``;
    a Variable passed as an argument is an input like any other.

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
        y = Tensor((y if isinstance(y, Tensor) else constant(y))._value)
        snapshots = tuple(v._read() for v in variables)
        prim = Primitive(
            name=f.__name__,
            forward=f,
            vjp=_custom_vjp(grad_fn, len(inputs), variables),
            kind="custom",
            batchable=False,
        )
        for tape in tape_state.ACTIVE.get():
            tape._record(prim, inputs + snapshots, y, {})
        return y

    return wrapper


def _custom_vjp(grad_fn: Callable[..., Any], n_inputs: int, variables: tuple[Variable, ...]):
    """Per-input rules that share one ``grad_fn`` call per upstream cotangent."""
    cache: dict[str, Any] = {"g": None, "grads": ()}

    def all_grads(g: Tensor) -> tuple[Any, ...]:
        if cache["g"] is not g:
            if variables:
                input_grads, var_grads = grad_fn(g, variables=list(variables))
                grads = _as_tuple(input_grads) + _as_tuple(var_grads)
            else:
                grads = _as_tuple(grad_fn(g))
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

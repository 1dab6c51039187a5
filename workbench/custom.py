"""``custom_gradient``: a function whose gradient the user supplies (TensorFlow's decorator)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from workbench import tape_state
from workbench.primitive import Primitive
from workbench.tape import GradientTape
from workbench.tensor import Tensor, Variable, as_input, constant


def custom_gradient(f: Callable[..., Any]) -> Callable[..., Tensor]:
    """Decorate ``f(*x) -> (y, grad_fn)`` so that tapes use ``grad_fn(upstream)`` as its VJP.

    ``grad_fn`` returns one gradient per positional input (a tuple if more than one). If ``f``
    reads Variables, ``grad_fn(upstream, variables=...)`` must return ``(input_grads, var_grads)``.

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
        variables = probe.watched_variables()
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


def _as_tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, list | tuple) else (value,)

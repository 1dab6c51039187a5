"""TensorFlow's gradient helpers outside the tape's methods: ``hessians`` (one Hessian per
source) and ``recompute_grad`` (a function whose backward pass runs it again)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from workbench import tape_state
from workbench.convert import constant
from workbench.custom import custom_gradient
from workbench.random import compiling
from workbench.structure import flatten
from workbench.tape import GradientTape
from workbench.tensor import Tensor


def _sources(xs: Any) -> list[Tensor]:
    xs = list(xs) if isinstance(xs, list | tuple) else [xs]
    for x in xs:
        if not isinstance(x, Tensor):
            raise TypeError(f"hessians: xs must be Tensors or Variables (the values the "
                            f"Hessians are taken with respect to), got {type(x).__name__}")
    return xs


def _recording_tape(ys: Any) -> GradientTape:
    """The innermost active persistent tape that recorded ``ys``."""
    targets = [t for t in flatten(ys)[0] if isinstance(t, Tensor)]
    for tape in reversed(tape_state.ACTIVE.get()):
        if isinstance(tape, GradientTape) and any(id(t) in tape._tracked for t in targets):
            if not tape._persistent:
                raise ValueError("hessians: the tape that recorded ys is not persistent; "
                                 "create it with wb.GradientTape(persistent=True)")
            return tape
    raise ValueError(
        "hessians: no active tape recorded ys. As TensorFlow's graph-mode tf.hessians needs a "
        "graph, workbench needs a record: pass ys as a function of no arguments "
        "(wb.hessians(lambda: loss(x), [x])), or call hessians inside the "
        "`with wb.GradientTape(persistent=True) as tape:` block that computed ys from "
        "watched xs")


def hessians(ys: Any, xs: Any, gate_gradients: bool = False, aggregation_method: Any = None,
             name: str = "hessians") -> list[Tensor]:
    """The Hessian of ``sum(ys)`` with respect to each of ``xs`` (``tf.hessians``): a list,
    one ``x.shape + x.shape`` tensor per ``x``. ``ys`` is a function of no arguments (run
    under fresh nested tapes), or tensors computed inside an active persistent tape that
    watched ``xs``. Sources ``ys`` does not depend on get zeros.

    >>> import workbench as wb
    >>> x = wb.constant([1.0, 2.0])
    >>> [h] = wb.hessians(lambda: wb.sum(x ** 3), [x])
    >>> h.numpy()
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    xs = _sources(xs)
    if callable(ys):
        with GradientTape(persistent=True) as tape:
            tape.watch(xs)
            with GradientTape() as inner:
                inner.watch(xs)
                value = ys()
            grads = inner.gradient(value, xs, unconnected_gradients="zero")
    else:
        tape = _recording_tape(ys)
        grads = tape.gradient(ys, xs, unconnected_gradients="zero")
    return [tape.jacobian(g, x, unconnected_gradients="zero")
            for g, x in zip(grads, xs, strict=True)]


def recompute_grad(f: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``f`` so that its backward pass runs ``f`` again under a fresh tape
    (``tf.recompute_grad``): the gradients are those of ``f``, to any order. Variables ``f``
    reads get their gradients too. Inside ``wb.function`` it is ``f`` itself.

    >>> import workbench as wb
    >>> block = wb.recompute_grad(lambda x: wb.tanh(x) * x)
    >>> x = wb.constant(0.5)
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = block(x)
    >>> round(float(tape.gradient(y, x)), 6)
    0.855341
    """

    @functools.wraps(f)
    def wrapper(*args: Any) -> Any:
        if compiling():  # a compiled graph keeps its intermediates: plain f, same gradients
            return f(*args)

        @custom_gradient
        def rerun(*xs: Any) -> tuple[Any, Callable[..., Any]]:
            def grad_fn(*upstream: Any, variables: Any = None) -> Any:
                sources = [constant(x) for x in xs] + list(variables or ())
                with GradientTape(watch_accessed_variables=False) as tape:
                    tape.watch(sources)
                    again = flatten(f(*sources[:len(xs)]))[0]
                grads = tape.gradient(again, sources,
                                      output_gradients=list(upstream),
                                      unconnected_gradients="zero")
                input_grads = grads[:len(xs)]
                return (input_grads, grads[len(xs):]) if variables else input_grads

            return f(*xs), grad_fn

        return rerun(*args)

    return wrapper

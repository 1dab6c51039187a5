"""GradientTape: records the ops applied to watched tensors and differentiates them on demand."""

from __future__ import annotations

import enum
import warnings
from contextlib import contextmanager
from typing import Any

import numpy as np

from workbench import autodiff, tape_state
from workbench.dtypes import is_floating
from workbench.structure import flatten
from workbench.tape_checks import refuse_complex, refuse_complex_path
from workbench.tensor import Tensor, Variable, constant

NON_PERSISTENT_MESSAGE = "GradientTape.gradient can only be called once on non-persistent tapes."


class UnconnectedGradients(enum.Enum):
    """What ``gradient`` returns for a source the target does not depend on."""

    NONE = "none"
    ZERO = "zero"


class GradientTape:
    """Records operations on watched tensors so that gradients can be computed.

    >>> import workbench as wb
    >>> x = wb.constant(3.0)
    >>> with wb.GradientTape() as tape:
    ...     tape.watch(x)
    ...     y = x * x
    >>> float(tape.gradient(y, x))
    6.0
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self._persistent = persistent
        self._watch_accessed = watch_accessed_variables
        self._recording = False
        self._used = False
        self._clear()

    def _clear(self) -> None:
        self._records: list[autodiff.Record] = []
        self._tracked: set[int] = set()  # ids of tensors that depend on something watched
        self._watched: list[Tensor] = []  # Tensors and Variables, first-watched first
        self._watched_ids: set[int] = set()
        self._reads: dict[int, list[Tensor]] = {}  # Variable id -> snapshots the tape saw
        self._escapes: list[tuple[Tensor, str]] = []  # tracked tensors turned into NumPy values
        self._assigns: list[tuple[Variable, Any, str]] = []

    # --- context ------------------------------------------------------------------------
    def __enter__(self) -> GradientTape:  # noqa: PYI034 - typing.Self needs Python 3.11
        if self._recording:
            raise ValueError(
                "Tape is still recording, This can happen if you try to re-enter an "
                "already-active tape."
            )
        tape_state.ACTIVE.set(tape_state.ACTIVE.get() + (self,))
        self._recording = True
        return self

    def __exit__(self, exc_type: object = None, *exc: object) -> None:
        # This tape leaves the stack whatever the order, so no other tape is stopped or
        # restarted by it; exiting before tapes entered inside it is an error.
        stack = tape_state.ACTIVE.get()
        self._recording = False
        if not any(t is self for t in stack):
            return
        at = next(i for i, t in enumerate(stack) if t is self)
        tape_state.ACTIVE.set(stack[:at] + stack[at + 1:])
        inner = len(stack) - at - 1
        if inner and exc_type is None:
            raise RuntimeError(
                f"GradientTape exited before the {inner} tape(s) entered inside it: exit nested "
                "tapes innermost first (nest them in `with` blocks). This tape has stopped "
                "recording; the inner tape(s) still record until they exit."
            )

    @contextmanager
    def stop_recording(self):
        """Temporarily stop recording on this tape (``gradient`` may be called inside).

        >>> import workbench as wb
        >>> x = wb.constant(2.0)
        >>> with wb.GradientTape() as tape:
        ...     tape.watch(x)
        ...     with tape.stop_recording():
        ...         y = x * x
        >>> print(tape.gradient(y, x))
        None
        """
        if not self._recording:  # RuntimeError, as TensorFlow raises
            raise RuntimeError(
                "Tape.stop_recording() can only be called while the tape is recording")
        with tape_state.paused((self,)):
            yield

    def reset(self) -> None:
        """Forget everything recorded and watched; recording goes on if inside the block."""
        self._clear()
        self._used = False

    # --- watching -------------------------------------------------------------------------
    def watch(self, tensor: Any) -> None:
        """Watch a Tensor or Variable (or a nested list/tuple/dict of them)."""
        for t in flatten(tensor)[0]:
            if not isinstance(t, Tensor):
                raise ValueError(  # noqa: TRY004 - TensorFlow raises ValueError here
                    f"Passed in object of type {type(t).__name__}, not a wb.Tensor or wb.Variable: "
                    "wrap it with wb.constant(...) first"
                )
            refuse_complex(t, "watch")
            if not is_floating(t.dtype):
                warnings.warn(
                    f"The dtype of the watched tensor must be floating (e.g. float32), got "
                    f"{t.dtype.name}: it gets no gradient",
                    stacklevel=2,
                )
                continue
            if isinstance(t, Variable):
                self._watch_variable(t)
            elif id(t) not in self._watched_ids:
                self._watched.append(t)
                self._watched_ids.add(id(t))
                self._tracked.add(id(t))

    def _watch_variable(self, var: Variable) -> None:
        if id(var) not in self._watched_ids:
            self._watched.append(var)
            self._watched_ids.add(id(var))

    def watched_variables(self) -> tuple[Variable, ...]:
        """The Variables this tape watches, in the order they were created (as TensorFlow's).

        >>> import workbench as wb
        >>> a, b = wb.Variable(1.0, name="a"), wb.Variable(2.0, name="b")
        >>> with wb.GradientTape() as tape:
        ...     y = b * a
        >>> [v.name for v in tape.watched_variables()]
        ['a', 'b']
        """
        variables = [t for t in self._watched if isinstance(t, Variable)]
        return tuple(sorted(variables, key=lambda v: v._order))

    # --- hooks called by bind and Variable ----------------------------------------------
    def _record(self, prim: Any, inputs: tuple[Any, ...], out: Tensor, params: dict) -> None:
        tracked = self._tracked
        for a in inputs:
            if id(a) in tracked:
                self._records.append((prim, inputs, out, params))
                tracked.add(id(out))
                return

    def _on_read(self, var: Variable, snapshot: Tensor) -> None:
        if id(var) not in self._watched_ids:
            if not (self._watch_accessed and var.trainable and var.dtype.kind == "f"):
                return  # complex Variables are not watched automatically (see watch)
            self._watch_variable(var)
        if id(snapshot) not in self._tracked:
            self._tracked.add(id(snapshot))
            self._reads.setdefault(id(var), []).append(snapshot)

    def _on_escape(self, tensor: Tensor) -> None:
        # Only tracked values can explain a None gradient; the user's line is looked up then.
        if id(tensor) in self._tracked:
            self._escapes.append((tensor, tape_state.caller_location()))

    def _on_assign(self, var: Variable, value: Any, op: str = "assign") -> None:
        # op is "assign", "add" or "sub" (which Variable method was called). Only a tracked
        # value assigned away can explain a None gradient, so only those are kept.
        if isinstance(value, Tensor) and id(value) in self._tracked:
            self._assigns.append((var, value, tape_state.caller_location()))

    def _on_compare(self, ufunc: Any, x: Tensor, other: Any, out: Tensor) -> None:
        """Comparisons have no gradient: a gradient tape ignores them (a tracing tape keeps them)."""

    # --- differentiation ----------------------------------------------------------------
    def _source_ids(self, source: Any) -> list[int]:
        if isinstance(source, Tensor):
            refuse_complex(source, "differentiate with respect to")
        if isinstance(source, Variable):
            return [id(s) for s in self._reads.get(id(source), ())]
        if isinstance(source, Tensor):
            return [id(source)] if id(source) in self._tracked else []
        raise ValueError(
            f"a gradient source must be a wb.Tensor or wb.Variable, got {type(source).__name__}"
        )

    def _target_tensor(self, target: Any) -> Tensor:
        if isinstance(target, Variable):
            if not self._reads.get(id(target)):
                # The Variable itself is the target (``result = v``, never read): as in
                # TensorFlow, d v / d v = 1 when the tape watches v, so count this as a read.
                self._on_read(target, target._snapshot)
            reads = self._reads.get(id(target))
            return reads[-1] if reads else target
        if isinstance(target, Tensor):
            return target
        raise ValueError(
            f"a gradient target must be a wb.Tensor, got {type(target).__name__}"
        )

    def _begin_gradient(self) -> None:
        if self._used and not self._persistent:
            raise RuntimeError(NON_PERSISTENT_MESSAGE)
        self._used = True

    def gradient(self, target: Any, sources: Any, output_gradients: Any = None,
                 unconnected_gradients: Any = UnconnectedGradients.NONE) -> Any:
        """Gradient of ``target`` (summed if several or non-scalar) w.r.t. each source.

        The result has the structure of ``sources``; unconnected sources give None (or zeros
        with ``unconnected_gradients="zero"``).

        >>> import workbench as wb
        >>> x = wb.Variable([1.0, 3.0])
        >>> with wb.GradientTape() as tape:
        ...     y = x ** 3
        >>> tape.gradient(y, x).numpy()
        array([ 3., 27.])
        """
        unconnected = _parse_unconnected(unconnected_gradients)
        self._begin_gradient()
        targets = [self._target_tensor(t) for t in flatten(target)[0]]
        if output_gradients is None:
            out_grads = [None] * len(targets)
        else:
            out_grads = flatten(output_gradients)[0]
            if len(targets) == 1 and len(out_grads) != 1:  # one target, its cotangent as a list
                out_grads = [output_gradients]
            if len(out_grads) != len(targets):
                raise ValueError(
                    f"output_gradients has {len(out_grads)} entries for {len(targets)} targets"
                )
        seeds = [(t, _seed(t, og)) for t, og in zip(targets, out_grads, strict=True)]
        flat_sources, rebuild = flatten(sources)
        groups = [self._source_ids(s) for s in flat_sources]
        refuse_complex_path(self._records, targets, groups)
        grads = autodiff.reverse_pass(self._records[:], seeds, groups)
        return rebuild([_fill(g, s, unconnected, ()) for g, s in zip(grads, flat_sources, strict=True)])

    def jacobian(self, target: Any, sources: Any,
                 unconnected_gradients: Any = UnconnectedGradients.NONE, **_ignored: Any) -> Any:
        """Full Jacobian: for each source, shape ``target.shape + source.shape``.

        Computed with one reverse pass over a batch of one-hot cotangents (no loop per row),
        in chunks that bound memory; a tall Jacobian (more outputs than source elements) is
        built by columns, so its memory is proportional to its size. A zero-size target gives
        a zero-size result of shape ``target.shape + source.shape``.

        >>> import workbench as wb
        >>> x = wb.constant([1.0, 2.0])
        >>> with wb.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x * x
        >>> tape.jacobian(y, x).numpy()
        array([[2., 0.],
               [0., 4.]])
        """
        unconnected = _parse_unconnected(unconnected_gradients)
        self._begin_gradient()
        y = self._target_tensor(target)
        flat_sources, rebuild = flatten(sources)
        groups = [self._source_ids(s) for s in flat_sources]
        refuse_complex_path(self._records, [y], groups)
        from workbench import jacobians  # loaded on first use, as explain and graph below

        grads = jacobians.jacobian_rows(self._records[:], y, groups,
                                        [tuple(s.shape) for s in flat_sources], GradientTape)
        out = []
        for g, s in zip(grads, flat_sources, strict=True):
            if g is not None:
                g = g.reshape(y.shape + s.shape)
            out.append(_fill(g, s, unconnected, y.shape))
        return rebuild(out)

    def batch_jacobian(self, target: Any, source: Any,
                       unconnected_gradients: Any = UnconnectedGradients.NONE,
                       **_ignored: Any) -> Any:
        """Per-example Jacobians: shape ``(batch,) + target.shape[1:] + source.shape[1:]``.

        Assumes example ``i`` of the target depends only on example ``i`` of the source.
        ``source`` may be a nested list/tuple/dict of tensors (the result has its structure).
        A source the target does not depend on gets zeros whatever ``unconnected_gradients``
        says, as TensorFlow's ``batch_jacobian`` does (its ``jacobian`` gives None).

        >>> import workbench as wb
        >>> x = wb.constant([[1.0, 2.0], [3.0, 4.0]])
        >>> with wb.GradientTape() as tape:
        ...     tape.watch(x)
        ...     y = x ** 2
        >>> tape.batch_jacobian(y, x).numpy()[1]
        array([[6., 0.],
               [0., 8.]])
        """
        _parse_unconnected(unconnected_gradients)  # checked, then ignored (as TensorFlow)
        self._begin_gradient()
        y = self._target_tensor(target)
        flat_sources, rebuild = flatten(source)
        return rebuild([self._batch_jacobian(y, s) for s in flat_sources])

    def _batch_jacobian(self, y: Tensor, source: Any) -> Any:
        group = self._source_ids(source)
        if y.ndim == 0 or source.ndim == 0 or y.shape[0] != source.shape[0]:
            raise ValueError(
                f"batch_jacobian needs target and source with the same first (batch) dimension, "
                f"got shapes {y.shape} and {source.shape}"
            )
        refuse_complex_path(self._records, [y], [group])
        batch, inner = y.shape[0], y.shape[1:]
        shape = (batch,) + inner + source.shape[1:]
        if y.size == 0 or source.size == 0:
            return constant(np.zeros(shape, dtype=source.dtype))
        from workbench import jacobians

        g = jacobians.batch_jacobian_rows(self._records[:], y, group)
        if g is not None:
            g = g.reshape(shape)
        return _fill(g, source, UnconnectedGradients.ZERO, (batch,) + inner, drop_first=True)

    def explain(self, target: Any, source: Any) -> str:
        """Say in plain words why the gradient of ``target`` w.r.t. ``source`` is (or isn't) None.

        >>> import workbench as wb
        >>> x = wb.constant(2.0)
        >>> with wb.GradientTape() as tape:
        ...     y = x * x
        >>> print(tape.explain(y, x))  # doctest: +ELLIPSIS
        No gradient: Tensor (shape (), float64) is not watched...
        """
        from workbench import explain

        return explain.explain(self, target, source)

    def expression(self, target: Any, view: str | None = None, budget: Any = None) -> Any:
        """The SymPy expression of a recorded value (see ``workbench.symbolic.expression``)."""
        from workbench.symbolic import expression

        return expression(self, target, view=view, budget=budget)

    def derive(self, target: Any, source: Any, order: int = 1, view: str | None = None,
               budget: Any = None) -> Any:
        """A checked closed-form derivative, a ``Derivation`` (see ``workbench.symbolic``)."""
        from workbench.symbolic import derive

        return derive(self, target, source, order=order, view=view, budget=budget)

    def solve_stationary(self, target: Any, source: Any, view: str | None = None,
                         budget: Any = None) -> Any:
        """Solve d(target)/d(source) = 0 symbolically (see ``workbench.symbolic``)."""
        from workbench.symbolic import solve_stationary

        return solve_stationary(self, target, source, view=view, budget=budget)

    def graph(self, outputs: Any = None) -> Any:
        """The recorded computation of ``outputs`` (default: everything) as an IR ``Graph``."""
        from workbench import tape_graph

        return tape_graph.tape_graph(self, outputs)


def _seed(target: Tensor, output_gradient: Any) -> Tensor:
    if output_gradient is None:
        return constant(np.ones(target.shape, dtype=target.dtype))
    seed = output_gradient if isinstance(output_gradient, Tensor) else constant(output_gradient)
    if seed.shape != target.shape:
        raise ValueError(
            f"output_gradients entry of shape {seed.shape} does not match target shape {target.shape}"
        )
    return seed


def _parse_unconnected(value: Any) -> UnconnectedGradients:
    if isinstance(value, UnconnectedGradients):
        return value
    try:
        return UnconnectedGradients(str(value).lower())
    except ValueError:
        raise ValueError(
            f"Unknown value for unconnected_gradients: {value!r} (use 'none' or 'zero')"
        ) from None


def _fill(grad: Tensor | None, source: Any, mode: UnconnectedGradients, lead: tuple,
          drop_first: bool = False) -> Tensor | None:
    """The gradient in the source's dtype, or what ``mode`` says an unconnected source gets."""
    if grad is not None:
        # A gradient has its source's dtype (float32 stays float32 even when a float64 array
        # took part in the computation); the cast is recorded, so it stays differentiable.
        return grad if grad.dtype == source.dtype else _ew.cast_p(grad, dtype=source.dtype)
    if mode is UnconnectedGradients.NONE:
        return grad
    tail = source.shape[1:] if drop_first else source.shape
    return constant(np.zeros(lead + tail, dtype=source.dtype))


from workbench.ops import elementwise as _ew

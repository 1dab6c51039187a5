"""Optimizers that update Variables from gradients: SGD (momentum, Nesterov), Adam, RMSprop.

Each built-in update is a small pure function of (value, grad, slots, step, hyperparameters)
written with workbench ops. All optimizer state (slots, the iteration count) lives in
non-trainable Variables updated with ``assign``, so ``wb.function`` traces an optimizer step like
any other code and a compiled ``repeat`` loop carries the state from step to step.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from workbench import tape_state
from workbench.ops import elementwise as ew
from workbench.optim_numpy import adam_numpy
from workbench.tape import GradientTape
from workbench.tensor import Tensor, Variable, constant

Slots = tuple[Any, ...]


# --- the update rules: pure functions, formulas as in TensorFlow / Keras ----------------------
def sgd_rule(value: Any, grad: Any, slots: Slots, step: Any, *,
             learning_rate: Any, momentum: float = 0.0,
             nesterov: bool = False) -> tuple[Any, Slots]:
    """One SGD step (``tf.keras.optimizers.SGD``); ``slots`` is ``(m,)`` or ``()``.

    ``momentum == 0``: ``value - lr * g``. Otherwise ``m = momentum * m - lr * g`` and
    ``value + m`` (classic) or ``value + momentum * m - lr * g`` (Nesterov).

    >>> import numpy as np
    >>> float(sgd_rule(np.array(1.0), np.array(2.0), (), 1, learning_rate=0.1)[0])
    0.8
    """
    if momentum == 0.0:
        return value - learning_rate * grad, slots
    (m,) = slots
    m = momentum * m - learning_rate * grad
    if nesterov:
        return value + momentum * m - learning_rate * grad, (m,)
    return value + m, (m,)


def adam_rule(value: Any, grad: Any, slots: Slots, step: Any, *,
              learning_rate: Any, beta_1: float = 0.9, beta_2: float = 0.999,
              epsilon: float = 1e-7) -> tuple[Any, Slots]:
    """One Adam step (``tf.keras.optimizers.Adam``); ``slots = (m, v)``, ``step`` counts from 1.

    ``alpha`` is computed in float64 and rounded to the variable's dtype, as a Python float
    would be in a float32 computation.

    ``m += (1 - beta_1) (g - m)``, ``v += (1 - beta_2) (g² - v)``,
    ``alpha = lr sqrt(1 - beta_2^step) / (1 - beta_1^step)``,
    ``value - alpha m / (sqrt(v) + epsilon)`` (epsilon outside the root, "epsilon hat").

    >>> import numpy as np
    >>> new, _ = adam_rule(np.array(1.0), np.array(5.0), (np.array(0.0), np.array(0.0)), 1,
    ...                    learning_rate=0.1)
    >>> round(float(new), 6)  # the first Adam step moves by about lr
    0.9
    """
    m, v = slots
    m = m + (grad - m) * (1.0 - beta_1)
    v = v + (grad * grad - v) * (1.0 - beta_2)
    step = ew.cast(step, np.float64)
    alpha = learning_rate * ew.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
    alpha = ew.cast(alpha, ew.dtype_of(value))
    return value - alpha * m / (ew.sqrt(v) + epsilon), (m, v)


def rmsprop_rule(value: Any, grad: Any, slots: Slots, step: Any, *,
                 learning_rate: Any, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7) -> tuple[Any, Slots]:
    """One RMSprop step (``tf.keras.optimizers.RMSprop``); ``slots = (ms,)`` or ``(ms, mom)``.

    ``ms = rho ms + (1 - rho) g²``, ``increment = lr g / sqrt(ms + epsilon)`` (epsilon inside
    the root); ``value - increment``, or with momentum ``mom = momentum mom + increment`` and
    ``value - mom``.

    >>> import numpy as np
    >>> new, (ms,) = rmsprop_rule(np.array(1.0), np.array(1.0), (np.array(0.0),), 1,
    ...                           learning_rate=0.01, epsilon=0.0)
    >>> round(float(new), 6), round(float(ms), 6)
    (0.968377, 0.1)
    """
    ms = rho * slots[0] + (1.0 - rho) * (grad * grad)
    increment = learning_rate * grad / ew.sqrt(ms + epsilon)
    if momentum == 0.0:
        return value - increment, (ms,)
    mom = momentum * slots[1] + increment
    return value - mom, (ms, mom)


# --- the optimizer classes ------------------------------------------------------------------
class Optimizer:
    """Base class: per-variable slots, ``apply_gradients`` and ``minimize``.

    A subclass either overrides ``build(var)`` (create slots with ``add_slot``) and
    ``update_step(grad, var)`` (grad is a Tensor shaped like ``var``), or sets ``slot_names``,
    ``rule`` (a pure update function like ``sgd_rule``) and ``hyperparameters()``. Slots are
    non-trainable Variables with the variable's shape and dtype: update them with ``assign``,
    and the same optimizer runs eagerly and inside ``wb.function``. The classic exercise:

    >>> import workbench as wb
    >>> class MySGD(wb.optim.Optimizer):
    ...     def __init__(self, learning_rate=0.1, momentum=0.9):
    ...         super().__init__(learning_rate)
    ...         self.momentum = momentum
    ...     def build(self, var):
    ...         self.add_slot(var, "velocity")
    ...     def update_step(self, grad, var):
    ...         v = self.get_slot(var, "velocity")
    ...         v.assign(self.momentum * v - self.learning_rate * grad)
    ...         var.assign_add(v)
    >>> w = wb.Variable(5.0, name="w")
    >>> opt = MySGD()
    >>> for _ in range(200):
    ...     loss = opt.minimize(lambda: (w - 2.0) ** 2, [w])
    >>> round(float(w), 4)
    2.0
    """

    #: Names of the slots ``rule`` reads and returns, in order (built-in optimizers).
    slot_names: tuple[str, ...] = ()
    #: A pure update ``rule(value, grad, slots, step, **hyperparameters) -> (value, slots)``.
    rule: Callable[..., tuple[Any, Slots]] | None = None
    #: ``rule`` on NumPy arrays with the same bits, used eagerly when no tape records; it
    #: returns fresh arrays in the variable's dtype (the Variables adopt them without a copy).
    numpy_rule: Callable[..., tuple[Any, Slots]] | None = None

    def __init__(self, learning_rate: float | Callable[[int], float] = 0.01,
                 name: str | None = None):
        self._learning_rate = learning_rate
        self.name = name or type(self).__name__
        self._iterations = Variable(0, trainable=False, name=f"{self.name}/iterations",
                                    dtype=np.int64)
        self._slots: dict[int, tuple[Variable, dict[str, Variable]]] = {}

    @property
    def iterations(self) -> Variable:
        """Completed ``apply_gradients`` calls (a non-trainable int64 Variable)."""
        return self._iterations

    @property
    def learning_rate(self) -> Any:
        """The learning rate now (a schedule ``lr(iterations)`` is evaluated)."""
        lr = self._learning_rate
        return lr(self._iterations) if callable(lr) else lr

    @learning_rate.setter
    def learning_rate(self, value: float | Callable[[Any], Any]) -> None:
        self._learning_rate = value

    def hyperparameters(self) -> dict[str, Any]:
        """Keyword arguments ``rule`` takes (the learning rate and the optimizer's constants)."""
        return {"learning_rate": self.learning_rate}

    # --- slots ---------------------------------------------------------------------------
    def build(self, var: Variable) -> None:
        """Create ``var``'s slots (called once, before its first update)."""
        for name in self.slot_names:
            self.add_slot(var, name)

    def add_slot(self, var: Variable, name: str, initial_value: Any = 0.0) -> Variable:
        """A new slot for ``var``: a non-trainable Variable of ``var``'s shape and dtype."""
        _, slots = self._slots.setdefault(id(var), (var, {}))
        if name in slots:
            raise ValueError(f"{self.name} already has a slot '{name}' for {_describe(var)}")
        value = np.full(var.shape, initial_value, dtype=var.dtype)
        slots[name] = Variable(value, trainable=False, name=f"{var.name or 'var'}/{name}")
        return slots[name]

    def get_slot(self, var: Variable, name: str) -> Variable:
        """The slot ``name`` of ``var`` (update it with ``assign`` or ``set_slot``)."""
        try:
            return self._slots[id(var)][1][name]
        except KeyError:
            raise KeyError(f"{self.name} has no slot '{name}' for {_describe(var)}") from None

    def set_slot(self, var: Variable, name: str, value: Any) -> None:
        """Assign ``value`` to the slot ``name`` of ``var`` (kept in ``var``'s dtype)."""
        self.get_slot(var, name).assign(value)

    def slot_names_of(self, var: Variable) -> tuple[str, ...]:
        """The names of ``var``'s slots (empty before its first update)."""
        entry = self._slots.get(id(var))
        return tuple(entry[1]) if entry else ()

    # --- updates -------------------------------------------------------------------------
    def update_step(self, grad: Tensor, var: Variable) -> None:
        """Update ``var`` from ``grad``; the default applies ``rule`` to the slots."""
        if self.rule is None:
            raise NotImplementedError(
                f"{type(self).__name__} must define update_step(grad, var) or a pure `rule`"
            )
        slots = tuple(self.get_slot(var, n) for n in self.slot_names)
        hyper = self.hyperparameters()
        if self.numpy_rule is not None and _plain_eager(var, grad, hyper):
            value, new_slots = type(self).numpy_rule(
                var._value, grad._value, tuple(s._value for s in slots),
                self._iterations._value + 1, **hyper)
            for slot, new in zip(slots, new_slots, strict=True):
                slot._adopt(new)  # fresh arrays of the slot's shape and dtype: no copy
            var._adopt(value)
            return
        value, new_slots = type(self).rule(var, grad, slots, self._iterations + 1, **hyper)
        for slot, new in zip(slots, new_slots, strict=True):
            slot.assign(new)
        var.assign(value)

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> Variable:
        """Apply one update per ``(gradient, variable)`` pair; None gradients are skipped.

        Returns ``iterations``, the number of completed calls.

        >>> import workbench as wb
        >>> w = wb.Variable([1.0, 2.0])
        >>> int(wb.optim.SGD(0.5).apply_gradients([(wb.constant([2.0, 2.0]), w)]))
        1
        >>> w.numpy()
        array([0., 1.])
        """
        pairs = list(grads_and_vars)
        missing = [var for grad, var in pairs if grad is None]
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {[_var_name(v) for v in missing]} when "
                "minimizing the loss; they were not updated. Check that the loss depends on them "
                "through workbench ops (tape.explain(loss, var) says why not).",
                stacklevel=2,
            )
        checked: list[tuple[Tensor, Variable]] = []
        for grad, var in pairs:
            if grad is None:
                continue
            if not isinstance(var, Variable):
                raise TypeError(
                    f"{self.name} can only update wb.Variable objects, got {type(var).__name__}"
                )
            g = grad if isinstance(grad, Tensor) else constant(np.asarray(grad))
            if g.shape != var.shape:
                raise ValueError(
                    f"gradient of shape {g.shape} does not match the shape {var.shape} of "
                    f"{_describe(var)}"
                )
            checked.append((g if g.dtype == var.dtype else ew.cast(g, var.dtype), var))
        new = [var for _, var in checked if id(var) not in self._slots]
        for var in new:
            self._slots[id(var)] = (var, {})
        if new:
            self._build_variables(new)
        for g, var in checked:
            self._apply_update(g, var)
        self._iterations.assign_add(1)
        return self._iterations

    def _build_variables(self, new_vars: list[Variable]) -> None:
        """Create the slots of variables seen for the first time (once each, in order)."""
        for var in new_vars:
            self.build(var)

    def _apply_update(self, grad: Tensor, var: Variable) -> None:
        """Update one variable (the hook that API adapters such as ``wb.keras`` redirect)."""
        self.update_step(grad, var)

    def minimize(self, loss_fn: Callable[[], Any] | Tensor, var_list: Any,
                 tape: GradientTape | None = None) -> Tensor:
        """Compute ``loss_fn()`` under a tape, then apply its gradients to ``var_list``.

        ``var_list`` may be a callable returning the list. As in Keras, the loss may instead
        be a Tensor already recorded by ``tape``. Returns the loss.
        """
        if tape is None:
            if not callable(loss_fn):
                raise TypeError("minimize: the loss must be a zero-argument callable, or a "
                                "Tensor together with tape=, the GradientTape that recorded it")
            tape = GradientTape()
        if callable(loss_fn):
            with tape:
                loss = loss_fn()
        else:
            loss = loss_fn
        variables = list(var_list() if callable(var_list) else var_list)
        grads = tape.gradient(loss, variables)
        self.apply_gradients(zip(grads, variables, strict=True))
        return loss


class SGD(Optimizer):
    """Gradient descent, with optional (Nesterov) momentum; see ``sgd_rule`` for the formula.

    >>> import workbench as wb
    >>> w = wb.Variable(1.0)
    >>> opt = wb.optim.SGD(learning_rate=0.1, momentum=0.9)
    >>> _ = opt.apply_gradients([(wb.constant(1.0), w)])
    >>> round(float(w), 6), float(opt.get_slot(w, "momentum"))
    (0.9, -0.1)
    """

    rule = staticmethod(sgd_rule)

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0,
                 nesterov: bool = False, name: str | None = None):
        super().__init__(learning_rate, name)
        self.momentum = _in_unit_interval("SGD", "momentum", momentum)
        self.nesterov = bool(nesterov)
        self.slot_names = ("momentum",) if self.momentum else ()

    def hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "momentum": self.momentum,
                "nesterov": self.nesterov}


class Adam(Optimizer):
    """Adam with TensorFlow's defaults and bias correction; see ``adam_rule`` for the formula.

    >>> import workbench as wb
    >>> w = wb.Variable([1.0, -1.0])
    >>> _ = wb.optim.Adam(learning_rate=0.1).apply_gradients([(wb.constant([3.0, -0.5]), w)])
    >>> w.numpy().round(4)  # the first step is about lr * sign(g)
    array([ 0.9, -0.9])
    """

    rule = staticmethod(adam_rule)
    numpy_rule = staticmethod(adam_numpy)
    slot_names = ("m", "v")

    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, name: str | None = None):
        super().__init__(learning_rate, name)
        self.beta_1 = _in_unit_interval("Adam", "beta_1", beta_1)
        self.beta_2 = _in_unit_interval("Adam", "beta_2", beta_2)
        self.epsilon = float(epsilon)

    def hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "beta_1": self.beta_1,
                "beta_2": self.beta_2, "epsilon": self.epsilon}


class RMSprop(Optimizer):
    """RMSprop (optionally with momentum); see ``rmsprop_rule`` for the formula.

    >>> import workbench as wb
    >>> w = wb.Variable(1.0)
    >>> opt = wb.optim.RMSprop(learning_rate=0.01)
    >>> _ = opt.apply_gradients([(wb.constant(2.0), w)])
    >>> round(float(opt.get_slot(w, "ms")), 6)
    0.4
    """

    rule = staticmethod(rmsprop_rule)

    def __init__(self, learning_rate: float = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, name: str | None = None):
        super().__init__(learning_rate, name)
        self.rho = _in_unit_interval("RMSprop", "rho", rho)
        self.momentum = _in_unit_interval("RMSprop", "momentum", momentum)
        self.epsilon = float(epsilon)
        self.slot_names = ("ms", "momentum") if self.momentum else ("ms",)

    def hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate, "rho": self.rho,
                "momentum": self.momentum, "epsilon": self.epsilon}


def _plain_eager(var: Variable, grad: Any, hyper: dict[str, Any]) -> bool:
    """Whether an update may skip the ops: eager (no tape records, none traces), a float
    Variable, a Tensor gradient, and hyperparameters that are plain Python numbers."""
    value = var._value
    return (not tape_state.ACTIVE.get() and type(grad) is Tensor and value.dtype.kind == "f"
            and value.ndim > 0 and all(type(h) in (float, int, bool) for h in hyper.values()))


def _in_unit_interval(optimizer: str, name: str, value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{optimizer} {name} must be in [0, 1], got {value}")
    return float(value)


def _var_name(var: Any) -> str:
    name = getattr(var, "name", None)
    return name if name else f"<unnamed {type(var).__name__} of shape {getattr(var, 'shape', '?')}>"


def _describe(var: Any) -> str:
    name = getattr(var, "name", None)
    kind = type(var).__name__
    return f"{kind} '{name}'" if name else f"unnamed {kind}"


__all__ = ["SGD", "Adam", "Optimizer", "RMSprop", "adam_numpy", "adam_rule", "rmsprop_rule",
           "sgd_rule"]

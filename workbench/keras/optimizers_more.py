"""Keras 3's adaptive optimizers: Adam (with ``amsgrad``), AdamW, Adagrad, Adamax, Nadam,
Adadelta (update rules in ``optimizer_rules``; clipping and weight decay in ``optimizer_base``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench import optim
from workbench.keras import optimizer_rules as rules
from workbench.keras.optimizer_base import KerasAPI
from workbench.ops import elementwise as ew
from workbench.tensor import Tensor, Variable


class Adam(KerasAPI, optim.Adam):
    """``wb.optim.Adam`` with Keras's argument names (``lr`` warns, as it is deprecated);
    ``amsgrad=True`` divides by the running maximum of ``v`` (a third slot, ``v_hat``).

    >>> import warnings, workbench as wb
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     opt = wb.keras.optimizers.Adam(lr=0.01)
    >>> opt.learning_rate, caught[0].category.__name__
    (0.01, 'DeprecationWarning')
    """

    def __init__(self, *args: Any, amsgrad: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.amsgrad = bool(amsgrad)
        if self.amsgrad:
            self.slot_names = ("m", "v", "v_hat")

    def update_step(self, grad: Tensor, var: Variable) -> None:
        if self.amsgrad:
            rules.apply_rule(self, rules.adam_amsgrad_rule, grad, var)
        else:
            super().update_step(grad, var)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


def _learning_rate(learning_rate: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    """``kwargs`` with Keras 3's default learning rate 0.001 (unless the old ``lr`` is given)."""
    if learning_rate is not None or "lr" not in kwargs:
        kwargs["learning_rate"] = 0.001 if learning_rate is None else learning_rate
    return kwargs


class _RuleOptimizer(KerasAPI, optim.Optimizer):
    """A Keras optimizer whose update is a pure rule; ``DEFAULTS`` are its float constants
    (keyword arguments), ``rule_params`` those the rule takes."""

    DEFAULTS: tuple[tuple[str, float], ...] = ()
    rule_params: tuple[str, ...] = ()

    def __init__(self, learning_rate: Any = None, **kwargs: Any):
        own = {k: float(kwargs.pop(k)) for k, _ in self.DEFAULTS if k in kwargs}
        super().__init__(**_learning_rate(learning_rate, kwargs))
        for key, default in self.DEFAULTS:
            value = own.get(key, default)
            if key in ("beta_1", "beta_2", "rho") and not 0.0 <= value < 1.0:
                raise ValueError(f"{type(self).__name__}: {key} must be in [0, 1), got {value}")
            setattr(self, key, value)

    def hyperparameters(self) -> dict[str, Any]:
        return {"learning_rate": self.learning_rate,
                **{k: getattr(self, k) for k in self.rule_params}}

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **{k: getattr(self, k) for k, _ in self.DEFAULTS}}


class Adagrad(_RuleOptimizer):
    """Adagrad: ``acc += g²``, ``var -= lr g / sqrt(acc + epsilon)``; ``acc`` starts at
    ``initial_accumulator_value`` (0.1).

    >>> import workbench as wb
    >>> w = wb.Variable([1.0])
    >>> _ = Adagrad(learning_rate=0.1, epsilon=0.0).apply_gradients([(wb.constant([0.3]), w)])
    >>> w.numpy().round(6)  # 1 - 0.1 * 0.3 / sqrt(0.1 + 0.09)
    array([0.931175])
    """

    rule = staticmethod(rules.adagrad_rule)
    slot_names = ("accumulator",)
    DEFAULTS = (("initial_accumulator_value", 0.1), ("epsilon", 1e-7))
    rule_params = ("epsilon",)

    def build(self, var: Variable) -> None:
        self.add_slot(var, "accumulator", self.initial_accumulator_value)


class Adamax(_RuleOptimizer):
    """Adamax, Adam with the infinity norm: see ``optimizer_rules.adamax_rule``.

    >>> import workbench as wb
    >>> w = wb.Variable([1.0])
    >>> _ = Adamax(learning_rate=0.1, epsilon=0.0).apply_gradients([(wb.constant([5.0]), w)])
    >>> w.numpy().round(6)
    array([0.9])
    """

    rule = staticmethod(rules.adamax_rule)
    slot_names = ("m", "u")
    DEFAULTS = (("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-7))
    rule_params = ("beta_1", "beta_2", "epsilon")


class Nadam(_RuleOptimizer):
    """Adam with Nesterov momentum and Keras's momentum schedule: see
    ``optimizer_rules.nadam_rule``. The product of the schedule is one scalar Variable,
    ``u_product``, updated at the start of each ``apply_gradients``.

    >>> import workbench as wb
    >>> w = wb.Variable([1.0])
    >>> _ = Nadam(learning_rate=0.1, epsilon=0.0).apply_gradients([(wb.constant([5.0]), w)])
    >>> w.numpy().round(6)
    array([0.893721])
    """

    rule = staticmethod(rules.nadam_rule)
    slot_names = ("m", "v")
    DEFAULTS = (("beta_1", 0.9), ("beta_2", 0.999), ("epsilon", 1e-7))
    rule_params = ("beta_1", "beta_2", "epsilon")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.u_product = Variable(1.0, trainable=False, name=f"{self.name}/u_product",
                                  dtype=np.float64)
        self._variables.append(self.u_product)  # listed in `variables`, as in Keras

    def apply_gradients(self, grads_and_vars: Any, **kwargs: Any) -> Variable:
        t = ew.cast(self.iterations + 1, np.float64)
        self.u_product.assign(ew.mul(self.u_product,
                                     ew.mul(self.beta_1, ew.sub(1.0, ew.mul(0.5, 0.96**t)))))
        return super().apply_gradients(grads_and_vars, **kwargs)

    def hyperparameters(self) -> dict[str, Any]:
        return {**super().hyperparameters(), "u_product": self.u_product}


class Adadelta(_RuleOptimizer):
    """Adadelta (``rho`` 0.95): see ``optimizer_rules.adadelta_rule``; Keras's default
    learning rate is 0.001.

    >>> import workbench as wb
    >>> w = wb.Variable([1.0])
    >>> _ = Adadelta(learning_rate=1.0, rho=0.0, epsilon=1.0).apply_gradients(
    ...     [(wb.constant([1.0]), w)])
    >>> w.numpy().round(6)
    array([0.292893])
    """

    rule = staticmethod(rules.adadelta_rule)
    slot_names = ("accumulated_grad", "accumulated_delta_var")
    DEFAULTS = (("rho", 0.95), ("epsilon", 1e-7))
    rule_params = ("rho", "epsilon")


class AdamW(Adam):
    """Adam with decoupled weight decay: before each update ``var -= var * weight_decay * lr``
    (Keras's default ``weight_decay`` 0.004).

    >>> import workbench as wb
    >>> w = wb.Variable([1.0])
    >>> _ = AdamW(learning_rate=0.1, weight_decay=0.5).apply_gradients([(wb.constant([0.0]), w)])
    >>> w.numpy().round(6)  # decayed by 0.5 * 0.1; a zero gradient does not move Adam
    array([0.95])
    """

    def __init__(self, learning_rate: Any = None, weight_decay: float = 0.004, **kwargs: Any):
        if weight_decay is None:
            raise ValueError("AdamW: weight_decay must be a float, got None")
        super().__init__(weight_decay=weight_decay, **_learning_rate(learning_rate, kwargs))


__all__ = ["Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam"]

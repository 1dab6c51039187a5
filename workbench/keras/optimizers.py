"""Keras optimizers: ``wb.optim``'s SGD and RMSprop with Keras's names, the others of
Keras 3 (``optimizers_more``), the ``Optimizer`` base for subclasses, and ``get``."""

from __future__ import annotations

from typing import Any

from workbench import optim
from workbench.keras import schedules  # noqa: F401 (keras.optimizers.schedules)
from workbench.keras.optimizer_base import KerasAPI
from workbench.keras.optimizers_more import Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam


class Optimizer(KerasAPI, optim.Optimizer):
    """Base class for Keras-style optimizer subclasses (either API).

    >>> import workbench as wb
    >>> class Plain(wb.keras.optimizers.Optimizer):
    ...     def __init__(self, learning_rate=0.1, name="Plain", **kwargs):
    ...         super().__init__(name, **kwargs)
    ...         self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
    ...     def _create_slots(self, var_list):
    ...         for var in var_list:
    ...             self.add_slot(var, "previous")
    ...     def _resource_apply_dense(self, grad, var):
    ...         self.get_slot(var, "previous").assign(var)
    ...         var.assign_sub(grad * self._decayed_lr(var.dtype))
    >>> w = wb.Variable(1.0)
    >>> _ = Plain().apply_gradients([(wb.constant(2.0), w)])
    >>> round(float(w), 6)
    0.8
    """


class SGD(KerasAPI, optim.SGD):
    """``wb.optim.SGD`` with Keras's argument names (``lr`` warns, as it is deprecated)."""


class RMSprop(KerasAPI, optim.RMSprop):
    """``wb.optim.RMSprop`` with Keras's argument names."""


_NAMES = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop, "adamw": AdamW, "adagrad": Adagrad,
          "adamax": Adamax, "nadam": Nadam, "adadelta": Adadelta}


def get(identifier: Any) -> optim.Optimizer:
    """An optimizer from a name (``"adam"``), a class, or an instance."""
    if isinstance(identifier, str):
        try:
            return _NAMES[identifier.lower()]()
        except KeyError:
            raise ValueError(f"unknown optimizer {identifier!r}; known: {sorted(_NAMES)}") from None
    if isinstance(identifier, type):
        return identifier()
    if isinstance(identifier, optim.Optimizer):
        return identifier
    raise TypeError(f"cannot use {identifier!r} as an optimizer")


__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "Nadam", "Optimizer",
           "RMSprop", "get"]

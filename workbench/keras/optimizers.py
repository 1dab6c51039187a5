"""Keras optimizers: ``wb.optim``'s SGD, Adam and RMSprop plus the subclassing hooks of both
Keras APIs (Keras 3: ``build``/``update_step``/``add_variable_from_reference``; TF 2:
``_create_slots``/``add_slot``/``_resource_apply_dense``/``_set_hyper``/``_decayed_lr``)."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from workbench import optim
from workbench.keras import initializers, schedules  # noqa: F401 (keras.optimizers.schedules)
from workbench.keras.layer import _parameters  # cached: every update asks
from workbench.ops import elementwise as ew
from workbench.tensor import Tensor, Variable, constant

_TF2_UNSUPPORTED = ("clipnorm", "clipvalue", "global_clipnorm")


class _KerasAPI:
    """The Keras-facing half of an optimizer; mixed in before a ``wb.optim`` class."""

    def __init__(self, *args: Any, **kwargs: Any):
        cls = type(self).__name__
        if "lr" in kwargs:
            if "learning_rate" in kwargs:
                raise TypeError(f"{cls}: give `learning_rate` or the old `lr`, not both")
            warnings.warn(f"{cls}: `lr` is deprecated, use `learning_rate`",
                          DeprecationWarning, stacklevel=2)
            kwargs["learning_rate"] = kwargs.pop("lr")
        self._decay = float(kwargs.pop("decay", 0.0))
        for key in _TF2_UNSUPPORTED:
            if kwargs.pop(key, None) is not None:
                raise NotImplementedError(f"{cls}: `{key}` is not supported; clip the gradients "
                                          "before apply_gradients")
        if args and isinstance(args[0], str):  # TF 2's OptimizerV2.__init__(name, **kwargs)
            if "name" in kwargs:
                raise TypeError(f"{cls}: the name was given twice ({args[0]!r} and "
                                f"{kwargs['name']!r})")
            kwargs["name"], args = args[0], args[1:]
        self._hyper: dict[str, Any] = {}
        self._variables: list[Variable] = []
        self._index: dict[int, int] = {}
        self.built = False
        try:
            super().__init__(*args, **kwargs)
        except TypeError as err:
            raise TypeError(f"{cls}.__init__: {err}. Keras-style calls are "
                            "super().__init__(learning_rate=..., name=...) or, as in TF 2, "
                            "super().__init__(name, **kwargs)") from None
        _check_learning_rate(cls, self._learning_rate)

    # --- hyperparameters (TF 2) -----------------------------------------------------------
    def _set_hyper(self, name: str, value: Any) -> None:
        if name == "learning_rate":
            _check_learning_rate(type(self).__name__, value)
            self._learning_rate = value
        self._hyper[name] = value

    def _get_hyper(self, name: str, dtype: Any = None) -> Any:
        if name == "learning_rate":
            value = self.learning_rate
        elif name in self._hyper:
            value = self._hyper[name]
            value = value(self.iterations) if callable(value) else value
        else:
            raise KeyError(f"{type(self).__name__} has no hyperparameter {name!r}; "
                           f"set it with self._set_hyper({name!r}, value)")
        return value if dtype is None else _as(value, dtype)

    def _serialize_hyperparameter(self, name: str) -> Any:
        value = self._learning_rate if name == "learning_rate" else self._hyper[name]
        return float(value) if isinstance(value, numbers.Real) else value

    def _decayed_lr(self, var_dtype: Any) -> Tensor:
        """The learning rate as a Tensor of ``var_dtype``, with TF 2's inverse-time ``decay``."""
        lr = _as(self._get_hyper("learning_rate"), np.float64)
        if self._decay:
            lr = lr / (1.0 + self._decay * ew.cast(self.iterations, np.float64))
        return ew.cast(lr, np.dtype(var_dtype))

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name, "learning_rate": self._serialize_hyperparameter(
            "learning_rate"), "decay": self._decay}
        config.update({k: self._serialize_hyperparameter(k) for k in self._hyper})
        return config

    # --- variables and slots ----------------------------------------------------------------
    def add_slot(self, var: Variable, slot_name: str, initializer: Any = "zeros") -> Variable:
        """``var``'s slot ``slot_name``, created on the first call (a second call returns it)."""
        _, slots = self._slots.setdefault(id(var), (var, {}))
        if slot_name not in slots:
            value = _initial(initializer, var.shape, var.dtype)
            slots[slot_name] = Variable(value, trainable=False,
                                        name=f"{var.name or 'var'}/{slot_name}")
        return slots[slot_name]

    def add_variable(self, shape: Any, initializer: Any = "zeros", dtype: Any = None,
                     name: str | None = None) -> Variable:
        """A new non-trainable optimizer Variable (Keras 3)."""
        value = _initial(initializer, tuple(shape), np.dtype(dtype or np.float32))
        var = Variable(value, trainable=False, name=name)
        self._variables.append(var)
        return var

    def add_variable_from_reference(self, reference_variable: Variable, name: str | None = None,
                                    initializer: Any = "zeros") -> Variable:
        """A Variable shaped and typed like ``reference_variable`` (Keras 3's slots)."""
        base = (reference_variable.name or "var").replace(":", "_")
        return self.add_variable(reference_variable.shape, initializer, reference_variable.dtype,
                                 f"{base}/{name or 'slot'}")

    def _get_variable_index(self, variable: Variable) -> int:
        try:
            return self._index[id(variable)]
        except KeyError:
            raise KeyError(f"{type(self).__name__} was not built for {variable!r}") from None

    @property
    def variables(self) -> list[Variable]:
        slots = [v for _, named in self._slots.values() for v in named.values()]
        return [self.iterations] + slots + self._variables

    def build(self, var_list: Any) -> None:
        """Keras 3: called once with the list of variables (TF 2 subclasses: ``_create_slots``)."""
        if isinstance(var_list, list | tuple):
            for var in var_list:
                self._index.setdefault(id(var), len(self._index))
                super().build(var)
            self.built = True
        else:
            super().build(var_list)

    def _build_variables(self, new_vars: list[Variable]) -> None:
        for var in new_vars:
            self._index.setdefault(id(var), len(self._index))
        if getattr(type(self), "_create_slots", None) is not None:
            self._create_slots(new_vars)
        elif _first_parameter(type(self).build) == "var_list":
            self.build(list(new_vars))
        else:
            super()._build_variables(new_vars)

    def _apply_update(self, grad: Tensor, var: Variable) -> None:
        apply_dense = getattr(type(self), "_resource_apply_dense", None)
        if apply_dense is not None:
            # wb.function does not bind methods yet: a decorated one runs as plain Python (it is
            # traced with the rest when the whole training step is compiled)
            getattr(apply_dense, "__wrapped__", apply_dense)(self, grad, var)
        elif len(_parameters(type(self).update_step)) >= 4:  # (self, gradient, variable, lr)
            self.update_step(grad, var, self.learning_rate)
        else:
            self.update_step(grad, var)


class Optimizer(_KerasAPI, optim.Optimizer):
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


class SGD(_KerasAPI, optim.SGD):
    """``wb.optim.SGD`` with Keras's argument names (``lr`` warns, as it is deprecated)."""


class Adam(_KerasAPI, optim.Adam):
    """``wb.optim.Adam`` with Keras's argument names (``lr`` warns, as it is deprecated).

    >>> import warnings, workbench as wb
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     opt = wb.keras.optimizers.Adam(lr=0.01)
    >>> opt.learning_rate, caught[0].category.__name__
    (0.01, 'DeprecationWarning')
    """


class RMSprop(_KerasAPI, optim.RMSprop):
    """``wb.optim.RMSprop`` with Keras's argument names."""


_NAMES = {"sgd": SGD, "adam": Adam, "rmsprop": RMSprop}


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


def _check_learning_rate(cls: str, value: Any) -> None:
    if isinstance(value, numbers.Real | Tensor) or callable(value):
        return
    raise TypeError(f"{cls}: learning_rate must be a number or a schedule, got {value!r}. "
                    "TF 2-style subclasses call super().__init__(name, **kwargs); Keras 3-style "
                    "ones call super().__init__(learning_rate=..., name=...)")


def _as(value: Any, dtype: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value if value.dtype == np.dtype(dtype) else ew.cast(value, dtype)
    return constant(np.asarray(value, dtype=dtype))


def _initial(initializer: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    if isinstance(initializer, numbers.Real):
        return np.full(shape, initializer, dtype=dtype)
    return initializers.get(initializer)(shape, dtype=dtype)


def _first_parameter(fn: Any) -> str | None:
    params = _parameters(fn)
    return params[1] if len(params) > 1 else None


__all__ = ["SGD", "Adam", "Optimizer", "RMSprop", "get"]

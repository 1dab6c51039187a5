"""The Keras-facing half of every ``wb.keras`` optimizer: argument names, gradient clipping
and weight decay, and the subclassing hooks of both Keras APIs (Keras 3: ``build``/
``update_step``/``add_variable_from_reference``; TF 2: ``_create_slots``/``add_slot``/...)."""

from __future__ import annotations

import numbers
import re
import warnings
from typing import Any

import numpy as np

from workbench.keras import initializers
from workbench.keras import optimizer_rules as rules
from workbench.keras.layer import _parameters  # cached: every update asks
from workbench.ops import elementwise as ew
from workbench.tensor import Tensor, Variable, constant

_CLIPPING = ("clipnorm", "clipvalue", "global_clipnorm")


class KerasAPI:
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
        self._set_clipping(cls, {key: kwargs.pop(key, None) for key in _CLIPPING})
        self.weight_decay = kwargs.pop("weight_decay", None)
        if self.weight_decay is not None:
            self.weight_decay = float(self.weight_decay)
        self._no_decay: tuple[set[int], list[str]] = (set(), [])
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

    def _set_clipping(self, cls: str, clipping: dict[str, Any]) -> None:
        given = {k: v for k, v in clipping.items() if v is not None}
        if len(given) > 1:
            raise ValueError(f"{cls}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` "
                             f"can be set, got {given}")
        for key, value in clipping.items():
            if value is not None and not float(value) > 0:
                raise ValueError(f"{cls}: `{key}` must be a positive number, got {value!r}")
            setattr(self, key, None if value is None else float(value))

    # --- clipping and weight decay (Keras 3: before the update, in this order) ------------
    def apply_gradients(self, grads_and_vars: Any, **kwargs: Any) -> Variable:
        """Clip the gradients (``clipnorm``/``global_clipnorm``/``clipvalue``), decay the
        weights (``weight_decay``: ``var -= var * weight_decay * lr``), then update."""
        pairs = list(grads_and_vars)
        grads = rules.as_tensors([g for g, _ in pairs])
        grads = rules.clip_gradients(grads, self.clipnorm, self.clipvalue, self.global_clipnorm)
        if self.weight_decay:
            lr = self.learning_rate
            for grad, (_, var) in zip(grads, pairs, strict=True):
                if grad is not None and isinstance(var, Variable) and self._decays(var):
                    var.assign(ew.sub(var, ew.mul(var, _as(self.weight_decay * lr, var.dtype))))
        return super().apply_gradients(zip(grads, [v for _, v in pairs], strict=True), **kwargs)

    def exclude_from_weight_decay(self, var_list: Any = None, var_names: Any = None) -> None:
        """Exempt Variables (``var_list``) or those whose names contain one of ``var_names``
        (regular expressions) from ``weight_decay``; call it before the first step."""
        ids = {id(v) for v in var_list or ()}
        self._no_decay = (self._no_decay[0] | ids, self._no_decay[1] + list(var_names or ()))

    def _decays(self, var: Variable) -> bool:
        ids, names = self._no_decay
        return id(var) not in ids and not any(re.search(p, var.name or "") for p in names)

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
            "learning_rate"), "decay": self._decay, "weight_decay": self.weight_decay}
        config.update({key: getattr(self, key) for key in _CLIPPING})
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

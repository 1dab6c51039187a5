"""The Keras ``Layer`` base: lazy build on first call, weights as Variables, collected sublayers."""

from __future__ import annotations

import inspect
import itertools
import re
from typing import Any

import numpy as np

from workbench.dtypes import default_dtype
from workbench.keras import initializers, regularizers
from workbench.ops import elementwise as ew
from workbench.tensor import Tensor, Variable, constant

_COUNTS: dict[str, itertools.count] = {}


def _unique_name(cls_name: str) -> str:
    base = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", cls_name))
    base = base.lower()
    n = next(_COUNTS.setdefault(base, itertools.count()))
    return base if n == 0 else f"{base}_{n}"


class Layer:
    """A callable that owns weights: ``build(input_shape)`` once, then ``call(x)``.

    Weights made with ``add_weight`` and the weights of layers held in attributes (or in lists
    and dicts of them) are collected by ``trainable_variables``.

    >>> import workbench as wb
    >>> class Scale(wb.keras.layers.Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight("w", (input_shape[-1],), "ones")
    ...     def call(self, x):
    ...         return x * self.w
    >>> layer = Scale()
    >>> layer(wb.ones((2, 3))).shape, len(layer.trainable_variables)
    ((2, 3), 1)
    """

    def __init__(self, name: str | None = None, trainable: bool = True, dtype: Any = None,
                 input_shape: Any = None, input_dim: int | None = None,
                 activity_regularizer: Any = None, **kwargs: Any):
        if input_dim is not None:
            input_shape = (int(input_dim),)
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected keyword arguments "
                            f"{sorted(kwargs)}")
        self.name = name or _unique_name(type(self).__name__)
        self.trainable = trainable
        self.built = False
        self._dtype = np.dtype(dtype) if dtype is not None else None
        self._weights: list[Variable] = []
        self._batch_input_shape = (None,) + tuple(input_shape) if input_shape else None
        self.output_shape: tuple | None = None
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self._losses: list[Any] = []  # add_loss values of the latest call
        self._regularized: list[tuple[Variable, Any]] = []  # (weight, regularizer)

    @property
    def dtype(self) -> np.dtype:
        return self._dtype if self._dtype is not None else default_dtype()

    # --- to override ------------------------------------------------------------------------
    def build(self, input_shape: tuple) -> None:
        """Create the weights for inputs of ``input_shape`` (batch axis first)."""

    def call(self, inputs: Any, training: bool = False) -> Any:
        return inputs

    # --- calling ----------------------------------------------------------------------------
    def __call__(self, inputs: Any, training: bool | None = None, **kwargs: Any) -> Any:
        if _symbolic(inputs):
            return self._call_symbolic(inputs)
        x = self._cast(inputs)
        self._losses = []  # as in Keras, each call's add_loss values replace the last call's
        if not self.built:
            self.build(_shape_of(x))
            self.built = True
        if "training" in _parameters(type(self).call):
            out = self.call(x, training=bool(training), **kwargs)
        else:
            out = self.call(x, **kwargs)
        if isinstance(out, Tensor):
            self.output_shape = (None,) + tuple(out.shape[1:])
            if self.activity_regularizer is not None:
                self.add_loss(ew.div(self.activity_regularizer(out), out.shape[0] or 1))
        return out

    # --- losses -----------------------------------------------------------------------------
    def add_loss(self, losses: Any) -> None:
        """Add a scalar (or a zero-argument callable giving one) to ``losses`` (Keras's
        ``add_loss``: a custom training loop adds ``sum(model.losses)`` to its loss)."""
        self._losses.extend(losses if isinstance(losses, list | tuple) else [losses])

    @property
    def losses(self) -> list[Any]:
        """The ``add_loss`` values of the latest call and the weight regularization penalties
        (computed now, so a tape that reads them records them), this layer's then its
        sublayers'."""
        out = [loss() if callable(loss) else loss for loss in getattr(self, "_losses", ())]
        out += [reg(var) for var, reg in getattr(self, "_regularized", ())]
        for layer in self._sublayers():
            out += layer.losses
        return out

    def _call_symbolic(self, inputs: Any) -> KerasTensor:
        """Functional API: build for the shape of ``inputs`` (a KerasTensor, or a list of them
        for a merging layer) and return this layer's symbolic output."""
        many = not isinstance(inputs, KerasTensor)
        samples = [np.zeros((1,) + tuple(k.shape[1:]), dtype=self.dtype)
                   for k in (inputs if many else [inputs])]
        out = self(samples if many else samples[0])
        return KerasTensor((None,) + tuple(out.shape[1:]), self,
                           tuple(inputs) if many else inputs)

    def _cast(self, x: Any) -> Any:
        if type(x) is Tensor and x.dtype == self.dtype:  # the common case, first
            return x
        if isinstance(x, list | tuple | dict):
            return x
        if not isinstance(x, Tensor):
            arr = np.asarray(x)
            # as wb.constant: an array already in the layer's dtype is not copied
            return constant(arr.astype(self.dtype, copy=False) if arr.dtype.kind in "fiub"
                            else arr)
        if x.dtype.kind in "iub" or (x.dtype.kind == "f" and x.dtype != self.dtype):
            return ew.cast(x, self.dtype)
        return x

    # --- weights ----------------------------------------------------------------------------
    def add_weight(self, name: str | None = None, shape: Any = (), initializer: Any = "zeros",
                   trainable: bool = True, dtype: Any = None, regularizer: Any = None,
                   **kwargs: Any) -> Variable:
        """A new Variable of ``shape``, initialized by ``initializer`` (a name or a callable);
        ``regularizer`` (a name or a callable) adds its penalty to ``losses``."""
        value = initializers.get(initializer)(tuple(shape), dtype=dtype or self.dtype)
        var = Variable(value, trainable=trainable, name=f"{self.name}/{name or 'weight'}")
        self._weights.append(var)
        if regularizer is not None:
            self._regularized.append((var, regularizers.get(regularizer)))
        return var

    def _sublayers(self) -> list[Layer]:
        found: list[Layer] = []
        for key, value in vars(self).items():
            if not isinstance(value, _HOLDERS) or key in _OWN_STATE:
                continue
            for item in _flatten(value):
                if isinstance(item, Layer) and item is not self and item not in found:
                    found.append(item)
        return found

    @property
    def weights(self) -> list[Variable]:
        """All weights: this layer's, then its sublayers' (each once)."""
        return _unique(list(self._weights), (layer.weights for layer in self._sublayers()))

    @property
    def trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return []
        return _unique([w for w in self._weights if w.trainable],
                       (layer.trainable_weights for layer in self._sublayers()))

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable = self.trainable_weights
        return [w for w in self.weights if not any(w is t for t in trainable)]

    trainable_variables = trainable_weights
    variables = weights
    non_trainable_variables = non_trainable_weights

    def count_params(self) -> int:
        """The number of scalars in this layer's weights."""
        return int(sum(np.prod(w.shape, dtype=int) for w in self.weights))

    def get_weights(self) -> list[np.ndarray]:
        return [w.numpy() for w in self.weights]  # numpy() copies

    def set_weights(self, values: list[Any]) -> None:
        for var, value in zip(self.weights, values, strict=True):
            var.assign(np.asarray(value, dtype=var.dtype))

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """A new layer from ``get_config()``'s dictionary (fresh weights)."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


class KerasTensor:
    """A symbolic batch in the functional API: its shape (batch axis None), the layer that made
    it and that layer's input (a KerasTensor, or a tuple of them for a merging layer).
    ``Model(inputs, outputs)`` replays the graph on real data."""

    __slots__ = ("layer", "parent", "shape")

    def __init__(self, shape: tuple, layer: Layer,
                 parent: KerasTensor | tuple[KerasTensor, ...] | None = None):
        self.shape, self.layer, self.parent = tuple(shape), layer, parent

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape} from {self.layer.name}>"


def _symbolic(inputs: Any) -> bool:
    """Whether a call is symbolic: a KerasTensor, or a non-empty list of them."""
    if isinstance(inputs, KerasTensor):
        return True
    return (isinstance(inputs, list | tuple) and bool(inputs)
            and all(isinstance(k, KerasTensor) for k in inputs))


def _shape_of(x: Any) -> Any:
    """The shape ``build`` gets: a tuple, or a list of tuples for a list of inputs."""
    if isinstance(x, Tensor):
        return tuple(x.shape)
    if isinstance(x, list | tuple):
        return [tuple(v.shape) if hasattr(v, "shape") else np.shape(v) for v in x]
    return x


def _unique(out: list[Variable], more: Any) -> list[Variable]:
    """``out`` extended by the weights in the lists ``more`` not already in it (by identity)."""
    seen = {id(w) for w in out}
    for weights in more:
        for w in weights:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
    return out


def _flatten(value: Any):
    if isinstance(value, list | tuple):
        for v in value:
            yield from _flatten(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _flatten(v)
    else:
        yield value


def _parameters(fn: Any) -> tuple[str, ...]:
    cached = _PARAMS.get(fn)
    if cached is None:
        cached = _PARAMS[fn] = tuple(inspect.signature(fn).parameters)
    return cached


_PARAMS: dict[Any, tuple[str, ...]] = {}
_HOLDERS = (Layer, list, tuple, dict)  # attribute values that may hold sublayers
_OWN_STATE = frozenset(("_weights", "_batch_input_shape", "output_shape", "name", "_dtype",
                        "_losses", "_regularized", "activity_regularizer"))

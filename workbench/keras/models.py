"""Keras models: ``Model`` (subclass it, or train it with compile/fit/evaluate/predict) and
``Sequential`` (a stack of layers, built on first call or from ``input_shape``)."""

from __future__ import annotations

import sys
import time
from typing import Any

import numpy as np

from workbench.data import Dataset
from workbench.keras import losses as losses_mod
from workbench.keras import metrics as metrics_mod
from workbench.keras import optimizers
from workbench.keras.layer import KerasTensor, Layer
from workbench.keras.layers import InputLayer
from workbench.ops import creation, reduce
from workbench.tape import GradientTape
from workbench.tensor import Tensor


class History:
    """What ``fit`` returns: ``history[name]`` lists one value per epoch."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []


class Model(Layer):
    """Subclass and define ``call(self, x, training=False)``; layers held in attributes are
    collected by ``trainable_variables``. ``compile`` then ``fit`` / ``evaluate`` / ``predict``.

    >>> import workbench as wb
    >>> class Net(wb.keras.Model):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = wb.keras.layers.Dense(4, activation="relu")
    ...         self.out = wb.keras.layers.Dense(1)
    ...     def call(self, x, training=False):
    ...         return self.out(self.hidden(x))
    >>> net = Net()
    >>> net(wb.ones((2, 3))).shape, len(net.trainable_variables)
    ((2, 1), 4)
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.optimizer: Any = None
        self.loss: Any = None
        self.compiled_metrics: list[metrics_mod.Metric] = []
        self._functional: tuple[KerasTensor, KerasTensor] | None = None
        if inputs is not None or outputs is not None:
            self._init_functional(inputs, outputs)

    # --- the functional API ---------------------------------------------------------------
    def _init_functional(self, inputs: Any, outputs: Any) -> None:
        ins = list(inputs) if isinstance(inputs, list | tuple) else [inputs]
        if not (ins and all(isinstance(k, KerasTensor) for k in ins)
                and isinstance(outputs, KerasTensor)):
            raise TypeError("Model(inputs, outputs) takes one keras.Input (or a list of them) "
                            "and the KerasTensor the layers made from them (several outputs "
                            f"are not supported), got {type(inputs).__name__}, "
                            f"{type(outputs).__name__}")
        order: list[KerasTensor] = []  # the graph's nodes, each after its parents
        seen = {id(k) for k in ins}

        def visit(node: KerasTensor) -> None:
            if id(node) in seen:
                return
            if node.parent is None:
                raise ValueError("Model(inputs, outputs): the outputs were not computed from "
                                 f"inputs alone: they need {node.layer.name}, which is not "
                                 "among the inputs; pass every keras.Input used")
            seen.add(id(node))
            for parent in node.parent if isinstance(node.parent, tuple) else (node.parent,):
                visit(parent)
            order.append(node)

        visit(outputs)
        self._functional = (ins if isinstance(inputs, list | tuple) else ins[0], outputs)
        self._nodes = order
        layers = [k.layer for k in ins]
        for node in order:
            if node.layer not in layers:
                layers.append(node.layer)
        self.layers = layers
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        if self._functional is None:
            raise NotImplementedError(f"{type(self).__name__} must define call(self, x, "
                                      "training=False), or be made with Model(inputs, outputs)")
        ins, outputs = self._functional
        if isinstance(ins, list):
            if not isinstance(inputs, list | tuple) or len(inputs) != len(ins):
                raise ValueError(f"{self.name} takes a list of {len(ins)} inputs, got "
                                 f"{type(inputs).__name__}")
            values = {id(k): x for k, x in zip(ins, inputs, strict=True)}
        else:
            values = {id(ins): inputs}
        for node in self._nodes:
            parent = node.parent
            args = [values[id(p)] for p in parent] if isinstance(parent, tuple) \
                else values[id(parent)]
            values[id(node)] = node.layer(args, training=training)
        return values[id(outputs)]

    # --- training -----------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                **kwargs: Any) -> None:
        """Choose the optimizer, the loss and the metrics (names or objects, as Keras)."""
        self.optimizer = optimizers.get(optimizer)
        self.loss = losses_mod.get(loss) if loss is not None else None
        self.compiled_metrics = [metrics_mod.get(m, loss) for m in (metrics or [])]

    def _loss_value(self, y: Any, pred: Tensor) -> Tensor:
        if self.loss is None:
            raise RuntimeError("call model.compile(optimizer, loss=...) before fit or evaluate")
        value = self.loss(y, pred)
        value = value if value.ndim == 0 else reduce.mean(value)
        for extra in self.losses:  # add_loss values and weight regularization, as Keras's fit
            value = value + extra
        return value

    def train_step(self, x: Any, y: Any) -> tuple[Tensor, Tensor]:
        """One optimizer step on a batch; returns (loss, predictions)."""
        with GradientTape() as tape:
            pred = self(x, training=True)
            loss = self._loss_value(y, pred)
        variables = self.trainable_variables
        grads = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(grads, variables, strict=True))
        return loss, pred

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", validation_data: Any = None, shuffle: bool = True,
            initial_epoch: int = 0, validation_split: float = 0.0, **kwargs: Any) -> History:
        """Train for ``epochs`` passes over (x, y) in batches; prints a progress bar per epoch.

        ``x`` may be a ``wb.data.Dataset`` of (x, y) batches (then ``y`` is not given);
        ``validation_split`` holds out the last fraction of array data, as Keras does."""
        if kwargs:
            raise TypeError(f"fit got unsupported arguments {sorted(kwargs)}")
        if self.optimizer is None:
            raise RuntimeError("call model.compile(optimizer, loss=...) before fit")
        if not isinstance(x, Dataset):
            x, y = np.asarray(x), np.asarray(y)
            if validation_split:
                if validation_data is not None:
                    raise ValueError("fit: give validation_data or validation_split, not both")
                cut = int(len(x) * (1.0 - float(validation_split)))
                validation_data, x, y = (x[cut:], y[cut:]), x[:cut], y[:cut]
        elif validation_split:
            raise ValueError("fit: validation_split needs array data, not a Dataset; give "
                             "validation_data=")
        n, bs = (len(x) if not isinstance(x, Dataset) else 0), batch_size or 32
        steps = _steps(x, bs)
        verbose = 1 if verbose == "auto" else int(verbose)
        history, loss_mean = History(), metrics_mod.Mean(name="loss")
        for epoch in range(initial_epoch, epochs):
            order = creation._RNG[0].permutation(n) if shuffle else np.arange(n)
            loss_mean.reset_state()
            for m in self.compiled_metrics:
                m.reset_state()
            bar = _Progress(steps, f"Epoch {epoch + 1}/{epochs}", verbose)
            for step, (xb, yb) in enumerate(_batches(x, y, bs, order)):
                loss, pred = self.train_step(xb, yb)
                loss_mean.update_state(float(loss), sample_weight=len(xb))
                for m in self.compiled_metrics:
                    m.update_state(yb, pred)
                bar.update(step + 1, self._logs(loss_mean))
            logs = self._logs(loss_mean)
            if validation_data is not None:
                val_args = (validation_data,) if isinstance(validation_data, Dataset) \
                    else validation_data[:2]
                val = self.evaluate(*val_args, batch_size=bs, verbose=0, return_dict=True)
                logs.update({f"val_{k}": v for k, v in val.items()})
            bar.finish(logs)
            history.epoch.append(epoch)
            for k, v in logs.items():
                history.history.setdefault(k, []).append(v)
        return history

    def _logs(self, loss_mean: metrics_mod.Metric) -> dict[str, float]:
        logs = {"loss": float(loss_mean.result())}
        logs.update({m.name: float(m.result()) for m in self.compiled_metrics})
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", return_dict: bool = False, **kwargs: Any) -> Any:
        """The loss (and metrics) over (x, y) (or a Dataset of (x, y) batches): a float, or
        [loss, metric, ...] with metrics."""
        if not isinstance(x, Dataset):
            x, y = np.asarray(x), np.asarray(y)
        bs = batch_size or 32
        loss_mean = metrics_mod.Mean(name="loss")
        for m in self.compiled_metrics:
            m.reset_state()
        steps = _steps(x, bs)
        bar = _Progress(steps, "", 1 if verbose == "auto" else int(verbose))
        for step, (xb, yb) in enumerate(_batches(x, y, bs)):
            pred = self(xb, training=False)
            loss_mean.update_state(float(self._loss_value(yb, pred)), sample_weight=len(xb))
            for m in self.compiled_metrics:
                m.update_state(yb, pred)
            bar.update(step + 1, self._logs(loss_mean))
        logs = self._logs(loss_mean)
        bar.finish(logs)
        if return_dict:
            return logs
        values = list(logs.values())
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = 0) -> np.ndarray:
        """The model's outputs on ``x`` (in batches, ``training=False``) as one ndarray."""
        x, bs = np.asarray(x), batch_size or 32
        outs = [self(x[i:i + bs], training=False).numpy() for i in range(0, len(x), bs)]
        return np.concatenate(outs, axis=0)

    # --- description --------------------------------------------------------------------------
    def _layer_rows(self) -> list[Layer]:
        return self.layers if self._functional is not None else self._sublayers()

    def summary(self, print_fn: Any = None) -> None:
        """Print each layer's type, output shape and parameter count, then the totals."""
        if not self.built:
            raise ValueError(f"the model {self.name} is not built yet: call it on a batch, or "
                             "give the first layer input_shape=(...)")
        emit = print_fn or print
        line = "_" * 65
        emit(f'Model: "{self.name}"')
        emit(line)
        emit(f"{'Layer (type)':<28} {'Output Shape':<25}{'Param #':>11}")
        emit("=" * 65)
        for i, layer in enumerate(self._layer_rows()):
            if i:
                emit(line)
            label = f"{layer.name} ({type(layer).__name__})"
            emit(f"{label:<28} {layer.output_shape!s:<25}{layer.count_params():>11,}")
        emit("=" * 65)
        trainable = sum(int(np.prod(w.shape, dtype=int)) for w in self.trainable_weights)
        total = self.count_params()
        emit(f"Total params: {total:,}")
        emit(f"Trainable params: {trainable:,}")
        emit(f"Non-trainable params: {total - trainable:,}")
        emit(line)


class Sequential(Model):
    """A stack of layers applied in order.

    >>> import numpy as np, workbench as wb
    >>> model = wb.keras.Sequential([wb.keras.layers.Dense(3, input_shape=(2,)),
    ...                              wb.keras.layers.Dense(1)])
    >>> model.count_params(), model.predict(np.ones((5, 2))).shape
    (13, (5, 1))
    """

    def __init__(self, layers: list[Layer] | None = None, name: str | None = None):
        super().__init__(name=name)
        self.layers: list[Layer] = []
        for layer in layers or []:
            self.add(layer)

    def add(self, layer: Layer) -> None:
        """Append ``layer``; the model is built at once when the input shape is known."""
        if isinstance(layer, KerasTensor):  # keras.Input(shape) as the first entry
            layer = layer.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            self._batch_input_shape = layer._batch_input_shape
            return
        if not self.layers and layer._batch_input_shape and self._batch_input_shape is None:
            self._batch_input_shape = layer._batch_input_shape
        self.layers.append(layer)
        self.built = False
        if self._batch_input_shape is not None:
            self.build(self._batch_input_shape)

    def build(self, input_shape: Any = None) -> None:
        """Create every layer's weights by running one zero sample through the stack."""
        shape = tuple(input_shape or self._batch_input_shape or ())
        if not shape:
            raise ValueError("Sequential.build needs an input shape")
        sample = np.zeros((1,) + tuple(shape[1:]), dtype=self.dtype)
        self._batch_input_shape = (None,) + tuple(shape[1:])
        self.call(sample)
        self.built = True

    def call(self, inputs: Any, training: bool = False) -> Any:
        x = inputs
        for layer in self.layers:
            x = layer(x, training=training)
        return x

    def _layer_rows(self) -> list[Layer]:
        return self.layers

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        return self.layers.pop()


def _steps(x: Any, batch_size: int) -> int:
    if isinstance(x, Dataset):
        try:
            return len(x)
        except TypeError:  # unknown length: the bar counts steps as they come
            return 0
    return -(-len(x) // batch_size)


def _batches(x: Any, y: Any, batch_size: int, order: Any = None) -> Any:
    """(x, y) batches: a Dataset's own (x, y) elements, or slices of arrays taken in ``order``."""
    if isinstance(x, Dataset):
        if y is not None:
            raise ValueError("y must not be given when x is a Dataset (its elements are the "
                             "(x, y) batches)")
        for element in x:
            if not isinstance(element, tuple) or len(element) < 2:
                raise ValueError("a Dataset given to fit/evaluate must yield (x, y) batches, "
                                 f"got {type(element).__name__}")
            yield element[0], element[1]
        return
    order = np.arange(len(x)) if order is None else order
    for start in range(0, len(x), batch_size):
        idx = order[start:start + batch_size]
        yield x[idx], y[idx]


class _Progress:
    """A Keras-style progress bar on one line (verbose 1), or one line per epoch (verbose 2)."""

    def __init__(self, steps: int, title: str, verbose: int):
        self.steps, self.verbose, self.start = steps, verbose, time.perf_counter()
        if verbose and title:
            print(title, file=sys.stdout)

    @staticmethod
    def _fmt(logs: dict[str, float]) -> str:
        return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())

    def update(self, step: int, logs: dict[str, float]) -> None:
        if self.verbose == 1:
            filled = int(30 * step / max(self.steps, 1))
            arrow = ">" if filled < 30 else ""
            bar = "=" * max(filled - (1 if arrow else 0), 0) + arrow
            print(f"\r{step}/{self.steps} [{bar:<30}] - {self._fmt(logs)}", end="",
                  file=sys.stdout, flush=True)

    def finish(self, logs: dict[str, float]) -> None:
        took = time.perf_counter() - self.start
        if self.verbose == 1:
            print(f"\r{self.steps}/{self.steps} [{'=' * 30}] - {took:.0f}s - {self._fmt(logs)}",
                  file=sys.stdout)
        elif self.verbose == 2:
            print(f"{self.steps}/{self.steps} - {took:.0f}s - {self._fmt(logs)}", file=sys.stdout)

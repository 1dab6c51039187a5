"""``wb.keras``: Keras's names on the tape (layers, models, losses, metrics, optimizers, data).

Layers call workbench ops, so the tape, the symbolic and the compiled engines see them unchanged.
"""

from workbench.keras import (
    activations,
    backend,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    utils,
)
from workbench.keras.layers import Input
from workbench.keras.models import Model, Sequential

__all__ = ["Input", "Model", "Sequential", "activations", "backend", "datasets", "initializers", "layers",
           "losses", "metrics", "models", "optimizers", "regularizers", "utils"]

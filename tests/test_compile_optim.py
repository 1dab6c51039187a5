"""Optimizers inside wb.function: a compiled repeat loop equals the same steps run eagerly."""

import numpy as np
import pytest

import workbench as wb

X = np.linspace(0.0, 1.0, 11)
Y = 6 * X**2 + 8 * X + 2
STEPS = 200

OPTIMIZERS = {
    "sgd_momentum": lambda: wb.optim.SGD(0.05, momentum=0.9),
    "sgd_nesterov": lambda: wb.optim.SGD(0.05, momentum=0.9, nesterov=True),
    "adam": lambda: wb.optim.Adam(0.05),
    "rmsprop_momentum": lambda: wb.optim.RMSprop(0.05, momentum=0.5),
}


def train(make_optimizer, compiled: bool):
    a, b = wb.Variable(0.0, name="a"), wb.Variable(0.0, name="b")
    opt = make_optimizer()

    def step(x, y):
        with wb.GradientTape() as tape:
            loss = wb.reduce_mean((y - (a * x + b)) ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, [a, b]), [a, b]))
        return loss

    if compiled:
        wb.function(step).repeat(STEPS, X, Y, record_every=STEPS)
    else:
        for _ in range(STEPS):
            step(wb.constant(X), wb.constant(Y))
    return np.array([float(a), float(b)]), int(opt.iterations)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_compiled_optimizer_steps_equal_eager_steps(name):
    eager, eager_steps = train(OPTIMIZERS[name], compiled=False)
    compiled, compiled_steps = train(OPTIMIZERS[name], compiled=True)
    assert eager_steps == compiled_steps == STEPS
    np.testing.assert_allclose(compiled, eager, rtol=1e-12)
    # and the run actually trained: the loss fell to under a tenth of its starting value
    def mse(a, b):
        return np.mean((Y - (a * X + b)) ** 2)

    assert mse(*eager) < 0.1 * mse(0.0, 0.0)

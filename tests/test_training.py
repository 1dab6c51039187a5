"""The seeds' training exercises, run eagerly with the tape and the optimizers.

Each result is checked against an independent oracle: the known generating parameters, the
closed-form trajectory of gradient descent, the normal equations, or the same loop written in
plain NumPy with hand-derived gradients.
"""

from __future__ import annotations

import numpy as np

import workbench as wb


def test_linear_regression_with_absolute_error_and_sgd_converges_to_10_5():
    """y = 10x + 5 on x = 0..10, loss mean|y - (wx + b)|, SGD lr 0.001 from (0, 0).

    The subgradient of the mean absolute error has |dL/dw| <= mean(x) = 5 and |dL/db| <= 1, so
    near the optimum each step moves w by at most 0.005 and b by at most 0.001: ending within
    0.02 of (10, 5) is "converged" for this loss and learning rate. 9000 steps reach it (about
    4000 to bring w to ~10 at up to 0.005 per step, then b climbs at 0.001 per step).
    """
    x = wb.constant(np.arange(11.0))
    y = 10.0 * x + 5.0
    w, b = wb.Variable(0.0, name="w"), wb.Variable(0.0, name="b")
    opt = wb.optim.SGD(learning_rate=0.001)
    for _ in range(9000):
        with wb.GradientTape() as tape:
            loss = wb.reduce_mean(wb.abs(y - (w * x + b)))
        grads = tape.gradient(loss, [w, b])
        opt.apply_gradients(zip(grads, [w, b]))
    assert abs(float(w) - 10.0) < 0.02 and abs(float(b) - 5.0) < 0.02
    assert float(loss) < 0.01

    # The same loop in NumPy with the hand-derived subgradient (sign(0) = 0, as abs' VJP uses).
    xs, ys, wn, bn = np.arange(11.0), 10.0 * np.arange(11.0) + 5.0, 0.0, 0.0
    for _ in range(9000):
        s = np.sign(wn * xs + bn - ys)
        wn, bn = wn - 0.001 * np.mean(s * xs), bn - 0.001 * np.mean(s)
    np.testing.assert_allclose([float(w), float(b)], [wn, bn], rtol=1e-9)


def fit_quadratic(opt, steps):
    """Fit a x² + b x + c to 6x² + 8x + 2 on 21 points in [-2, 2] (mean squared error)."""
    x = wb.linspace(-2.0, 2.0, 21)
    y = 6.0 * x**2 + 8.0 * x + 2.0
    a, b, c = wb.Variable(0.0), wb.Variable(0.0), wb.Variable(0.0)

    def loss():
        return wb.reduce_mean((a * x**2 + b * x + c - y) ** 2)

    for _ in range(steps):
        value = opt.minimize(loss, [a, b, c])
    return [float(a), float(b), float(c)], float(value)


def test_polynomial_fit_recovers_6x2_8x_2():
    for opt, steps in [(wb.optim.SGD(0.02, momentum=0.9), 400), (wb.optim.Adam(0.1), 900)]:
        coeffs, loss = fit_quadratic(opt, steps)
        np.testing.assert_allclose(coeffs, [6.0, 8.0, 2.0], atol=1e-4)
        assert loss < 1e-8


def test_gradient_descent_on_half_beta_minus_one_squared_approaches_2():
    """f(β) = (β/2 - 1)², f'(β) = β/2 - 1: from β0 = -10 with rate η,
    β_k = 2 + (β0 - 2)(1 - η/2)^k exactly."""
    beta, lr = wb.Variable(-10.0), 0.1
    history = []
    for _ in range(300):
        with wb.GradientTape() as tape:
            f = (beta / 2.0 - 1.0) ** 2
        beta.assign_sub(lr * tape.gradient(f, beta))
        history.append(float(beta))
    k = np.arange(1, 301)
    np.testing.assert_allclose(history, 2.0 + (-12.0) * (1 - lr / 2) ** k, rtol=1e-12)
    assert abs(history[-1] - 2.0) < 1e-5


X_DATA = np.array([20.1, 22.2, 22.7, 23.3, 24.4, 25.1, 26.2, 27.3, 28.4, 30.4])
# y = 3 + 0.5 x plus fixed noise (chosen once, so the OLS line is not the generating line).
NOISE = np.array([0.3, -0.2, 0.1, -0.4, 0.25, 0.05, -0.15, 0.35, -0.1, -0.2])
Y_DATA = 3.0 + 0.5 * X_DATA + NOISE


def _sse(beta, X, y):
    r = y - wb.matmul(X, beta)
    return wb.reduce_sum(r * r)


def test_least_squares_gradient_vanishes_at_the_ols_optimum():
    X = np.column_stack([np.ones_like(X_DATA), X_DATA])
    Xt, yt = wb.constant(X), wb.constant(Y_DATA)
    # β = (XᵀX)⁻¹ Xᵀ y, computed with workbench ops, compared with NumPy's least squares.
    beta_ols = wb.matmul(wb.linalg.inv(wb.matmul(Xt.T, Xt)), wb.matmul(Xt.T, yt))
    np.testing.assert_allclose(beta_ols.numpy(), np.linalg.lstsq(X, Y_DATA, rcond=None)[0],
                               rtol=1e-9)
    beta = wb.Variable(beta_ols, name="beta")
    with wb.GradientTape() as tape:
        loss = _sse(beta, Xt, yt)
    g = tape.gradient(loss, beta).numpy()
    assert np.max(np.abs(g)) < 1e-8, g
    # Away from the optimum the tape's gradient is the closed form -2 Xᵀ (y - X β).
    off = np.array([1.0, 0.4])
    with wb.GradientTape() as tape:
        tape.watch(b := wb.constant(off))
        loss = _sse(b, Xt, yt)
    np.testing.assert_allclose(tape.gradient(loss, b).numpy(), -2 * X.T @ (Y_DATA - X @ off),
                               rtol=1e-12)


def test_least_squares_solve_path_and_second_order_hessian():
    X = np.column_stack([np.ones_like(X_DATA), X_DATA])
    Xt, yt = wb.constant(X), wb.constant(Y_DATA)
    beta = wb.Variable(wb.linalg.solve(wb.matmul(Xt.T, Xt), wb.matmul(Xt.T, yt)))
    with wb.GradientTape() as outer:
        with wb.GradientTape() as inner:
            loss = _sse(beta, Xt, yt)
        g = inner.gradient(loss, beta)
    assert np.max(np.abs(g.numpy())) < 1e-8
    np.testing.assert_allclose(outer.jacobian(g, beta).numpy(), 2 * X.T @ X, rtol=1e-12)


class MomentumSGD(wb.optim.Optimizer):
    """The classic exercise: SGD with momentum, written against the documented base class."""

    def __init__(self, learning_rate=0.01, momentum=0.9):
        super().__init__(learning_rate)
        self.momentum = momentum

    def build(self, var):
        self.add_slot(var, "velocity")

    def update_step(self, grad, var):
        v = self.get_slot(var, "velocity")
        v.assign(self.momentum * v - self.learning_rate * grad)
        var.assign_add(v)


def test_custom_optimizer_subclass_trains_and_matches_builtin_momentum():
    custom, _ = fit_quadratic(MomentumSGD(0.02, 0.9), 300)
    builtin, _ = fit_quadratic(wb.optim.SGD(0.02, momentum=0.9), 300)
    np.testing.assert_allclose(custom, builtin, rtol=1e-12)
    np.testing.assert_allclose(custom, [6.0, 8.0, 2.0], atol=1e-3)


def test_float32_training_stays_float32():
    wb.set_default_dtype("float32")
    try:
        x = wb.constant(np.arange(5.0, dtype=np.float32))
        y = 3.0 * x - 1.0
        w, b = wb.Variable(0.0), wb.Variable(0.0)
        opt = wb.optim.Adam(0.1)
        for _ in range(400):
            loss = opt.minimize(lambda: wb.reduce_mean((w * x + b - y) ** 2), [w, b])
        assert w.dtype == np.float32 and b.dtype == np.float32 and loss.dtype == np.float32
        assert opt.get_slot(w, "m").dtype == np.float32
        np.testing.assert_allclose([float(w), float(b)], [3.0, -1.0], atol=2e-2)
    finally:
        wb.set_default_dtype("float64")

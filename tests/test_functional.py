"""autograd-style transformations (grad, jacobian, hessian, ...) against closed forms and central
differences, nested to third order."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb

R = np.random.default_rng(3)
A = R.normal(size=(3, 3))


def _fd_grad(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    out = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        out[i] = (float(f(x + e)) - float(f(x - e))) / (2 * h)
    return out


def test_grad_matches_central_differences_for_numpy_style_code():
    def f(x):
        return wb.sum(wb.tanh(wb.dot(A, x)) ** 2) + wb.prod(wb.sin(x))

    x = R.normal(size=3)
    np.testing.assert_allclose(wb.grad(f)(x).numpy(), _fd_grad(lambda v: f(v).numpy(), x),
                               rtol=1e-6, atol=1e-8)


def test_grad_nests_to_third_order():
    f = lambda x: x ** 4 + wb.sin(x)
    x = 0.7
    assert np.isclose(float(wb.grad(wb.grad(wb.grad(f)))(x)), 24 * x - np.cos(x), rtol=1e-12)


def test_argnum_tuple_and_keyword_arguments():
    def f(x, y, scale=1.0):
        return scale * wb.sum(x * y ** 2)

    x, y = R.normal(size=2), R.normal(size=2)
    gx, gy = wb.grad(f, argnum=(0, 1))(x, y, scale=3.0)
    np.testing.assert_allclose(gx.numpy(), 3 * y ** 2, rtol=1e-12)
    np.testing.assert_allclose(gy.numpy(), 6 * x * y, rtol=1e-12)
    np.testing.assert_allclose(wb.grad(f, 1)(x, y).numpy(), 2 * x * y, rtol=1e-12)


def test_value_and_grad_and_unconnected_arguments():
    value, g = wb.value_and_grad(lambda x, y: wb.sum(x ** 2), argnum=1)(np.ones(2), np.ones(3))
    assert np.isclose(float(value), 2.0)
    np.testing.assert_array_equal(g.numpy(), np.zeros(3))


def test_grad_of_an_array_output_is_a_clear_error():
    with pytest.raises(TypeError, match="scalar"):
        wb.grad(lambda x: x ** 2)(np.ones(3))


def test_elementwise_grad_vjp_and_jacobian():
    x = R.normal(size=4)
    np.testing.assert_allclose(wb.elementwise_grad(wb.tanh)(x).numpy(), 1 - np.tanh(x) ** 2,
                               rtol=1e-12)
    f = lambda v: wb.tanh(wb.dot(A, v[:3])) * v[3]
    jac = wb.jacobian(f)(x).numpy()
    assert jac.shape == (3, 4)
    for i in range(3):
        np.testing.assert_allclose(jac[i], _fd_grad(lambda v, i=i: f(v).numpy()[i], x),
                                   rtol=1e-6, atol=1e-8)
    v = R.normal(size=3)
    np.testing.assert_allclose(wb.vector_jacobian_product(f)(x, v).numpy(), v @ jac, rtol=1e-10)
    vjp, ans = wb.make_vjp(f)(x)
    np.testing.assert_allclose(vjp(v).numpy(), v @ jac, rtol=1e-10)
    np.testing.assert_allclose(ans.numpy(), f(x).numpy(), rtol=1e-12)


def test_hessian_and_hessian_vector_product():
    def f(x):
        return wb.sum(wb.exp(x) * wb.dot(A, x))

    x = R.normal(size=3)
    ex = np.exp(x)
    # d/dx_i of sum_k e^{x_k} (A x)_k = e^{x_i} (A x)_i + sum_k e^{x_k} A_ki
    want = np.diag(ex * (A @ x)) + A * ex[:, None] + (A * ex[:, None]).T
    np.testing.assert_allclose(wb.hessian(f)(x).numpy(), want, rtol=1e-10)
    v = R.normal(size=3)
    np.testing.assert_allclose(wb.hessian_tensor_product(f)(x, v).numpy(), want @ v, rtol=1e-10)


def test_jvp_hvp_aux_and_named_gradients():
    def f(v):
        return wb.tanh(wb.dot(A, v)) * wb.sum(v ** 2)

    x, v = R.normal(size=3), R.normal(size=3)
    jac = wb.jacobian(f)(x).numpy()
    ans, jv = wb.make_jvp(f)(x)(v)
    np.testing.assert_allclose(jv.numpy(), jac @ v, rtol=1e-10)
    np.testing.assert_allclose(ans.numpy(), f(x).numpy(), rtol=1e-12)

    def scalar(v):
        return wb.sum(f(v))

    hvp, g = wb.make_hvp(scalar)(x)
    np.testing.assert_allclose(hvp(v).numpy(), wb.hessian(scalar)(x).numpy() @ v, rtol=1e-10)
    np.testing.assert_allclose(g.numpy(), wb.grad(scalar)(x).numpy(), rtol=1e-12)
    g2, aux = wb.grad_and_aux(lambda v: (scalar(v), v.shape))(x)
    assert aux == (3,)
    np.testing.assert_allclose(g2.numpy(), g.numpy(), rtol=1e-12)

    def h(a, b=2.0):
        return wb.sum(a * b ** 2)

    grads = wb.multigrad_dict(h)(x, b=1.5)
    np.testing.assert_allclose(grads["a"].numpy(), np.full(3, 2.25), rtol=1e-12)
    assert np.isclose(float(grads["b"]), 3.0 * np.sum(x), rtol=1e-12)
    assert np.isclose(float(wb.grad_named(h, "b")(x)), 4.0 * np.sum(x), rtol=1e-12)
    np.testing.assert_allclose(wb.deriv(wb.sin)(x).numpy(), np.cos(x), rtol=1e-12)
    assert wb.checkpoint(h) is h

"""Compiled matmuls past the BLAS threshold (one np.dot) against the eager tape."""

import numpy as np

import workbench as wb

RNG = np.random.default_rng(11)


def test_compiled_large_matmul_gradients_match_eager():
    """Matmuls past the BLAS threshold, with transposed operands in the reverse sweep."""
    a, b = RNG.normal(size=(40, 50)), RNG.normal(size=(50, 30))

    def value_and_grads(a, b):
        with wb.GradientTape() as tape:
            tape.watch([a, b])
            loss = wb.reduce_sum(wb.tanh(a @ b) @ wb.transpose(b))
        return (loss, *tape.gradient(loss, [a, b]))

    got = wb.function(value_and_grads)(a, b)
    want = value_and_grads(wb.constant(a), wb.constant(b))
    for g, e in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-10, atol=1e-12)


def test_matrix_vector_products_past_the_blas_threshold_match_numpy():
    """(n, 1) and (1, n) products (least squares' VJP reshapes the residual so) are element
    loops fused with their neighbours; the result equals NumPy's within rounding."""
    x, y, beta = RNG.normal(size=(20_000, 6)), RNG.normal(size=20_000), RNG.normal(size=6)

    def value_and_grad(x, y, beta):
        with wb.GradientTape() as tape:
            tape.watch(beta)
            r = x @ beta - y
            loss = wb.reduce_sum(r**2) + wb.reduce_sum(wb.reshape(r, (1, -1)) @ x)
        return loss, tape.gradient(loss, beta)

    loss, grad = wb.function(value_and_grad)(x, y, beta)
    r = x @ beta - y
    np.testing.assert_allclose(loss.numpy(), r @ r + (r @ x).sum(), rtol=1e-10)
    np.testing.assert_allclose(grad.numpy(), 2 * x.T @ r + x.T @ x.sum(axis=1), rtol=1e-10)

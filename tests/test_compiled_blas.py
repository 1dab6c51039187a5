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

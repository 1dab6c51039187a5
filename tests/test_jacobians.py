"""jacobian and batch_jacobian: shapes, values against central differences, and the loop fallback.

The fallback (one reverse pass per output row) is taken for graphs with primitives that cannot
take batched cotangents (custom_gradient, user primitives); it must agree with the vectorized pass.
"""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench import jacobians as jacobians_module

EPS = 1e-6


def fd_jacobian(f, x: np.ndarray) -> np.ndarray:
    """Central-difference Jacobian of ``f`` (workbench ops, no tape) at ``x``."""
    y0 = np.asarray(f(wb.constant(x)).numpy())
    jac = np.zeros(y0.shape + x.shape)
    for idx in np.ndindex(*x.shape):
        e = np.zeros_like(x)
        e[idx] = EPS
        plus = f(wb.constant(x + e)).numpy()
        minus = f(wb.constant(x - e)).numpy()
        jac[(Ellipsis,) + idx] = (plus - minus) / (2 * EPS)
    return jac


RNG = np.random.default_rng(20)
W = RNG.normal(size=(3, 4))
M = RNG.normal(size=(4, 4)) + 3 * np.eye(4)

FUNCTIONS = {
    "sin": (lambda x: wb.sin(x), (5,)),
    "matmul": (lambda x: wb.tanh(wb.matmul(W, x)), (4,)),
    "matmul_matrix": (lambda x: wb.matmul(x, x.T) * 0.5, (2, 3)),
    "reduction": (lambda x: wb.sum(x * x, axis=1) + wb.max(x, axis=0)[0], (3, 2)),
    "mean_keepdims": (lambda x: x - wb.mean(x, axis=0, keepdims=True), (3, 2)),
    "indexing": (lambda x: x[1:, ::2] * x[0, 1] + x[[0, 0], 1][None] + x[[2, 0], 3], (3, 4)),
    "concat": (lambda x: wb.concat([x * 2.0, wb.exp(x[:2]), wb.stack([x[0], x[-1]])], axis=0),
               (4,)),
    "softmax": (lambda x: wb.nn.softmax(x, axis=-1), (2, 3)),
    "solve": (lambda x: wb.linalg.solve(M, x), (4,)),
    "scalar_out": (lambda x: wb.sum(wb.log1p(x * x)), (3,)),
    "scalar_in": (lambda x: wb.stack([x, x * x, wb.sin(x)]), ()),
}


def sample(shape, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, shape)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_jacobian_shape_and_values_match_finite_differences(name):
    f, shape = FUNCTIONS[name]
    x0 = sample(shape) + (0.1 * np.arange(np.prod(shape)).reshape(shape) if shape else 0.0)
    x = wb.constant(x0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    jac = tape.jacobian(y, x)
    assert jac.shape == y.shape + x.shape
    np.testing.assert_allclose(jac.numpy(), fd_jacobian(f, x0), rtol=1e-6, atol=1e-8)


def test_jacobian_of_scalar_target_is_the_gradient():
    x = wb.constant([0.3, -0.7])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = wb.sum(wb.sin(x) * x)
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), tape.gradient(y, x).numpy())


def test_jacobian_of_several_sources_keeps_structure_and_unconnected():
    a, b, c = wb.Variable([1.0, 2.0]), wb.Variable(3.0), wb.Variable([[0.0]])
    with wb.GradientTape(persistent=True) as tape:
        y = a * b
    ja, jb, jc = tape.jacobian(y, [a, b, c])
    np.testing.assert_allclose(ja.numpy(), 3.0 * np.eye(2))
    np.testing.assert_allclose(jb.numpy(), [1.0, 2.0])
    assert jc is None
    jz = tape.jacobian(y, {"c": c}, unconnected_gradients="zero")["c"]
    assert jz.shape == (2, 1, 1)
    np.testing.assert_array_equal(jz.numpy(), 0.0)


def test_jacobian_of_variable_source_and_float32():
    w = wb.Variable(np.array([1.0, 2.0, 3.0], dtype=np.float32))
    with wb.GradientTape() as tape:
        y = w * w
    jac = tape.jacobian(y, w)
    assert jac.dtype == np.float32
    np.testing.assert_allclose(jac.numpy(), np.diag([2.0, 4.0, 6.0]))


def test_jacobian_counts_as_the_one_call_of_a_non_persistent_tape():
    x = wb.constant([1.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.jacobian(y, x)
    with pytest.raises(RuntimeError, match="non-persistent"):
        tape.jacobian(y, x)


def test_jacobian_in_small_chunks_equals_one_chunk(monkeypatch):
    f, shape = FUNCTIONS["matmul_matrix"]
    x = wb.constant(sample(shape, 3))
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = f(x)
    whole = tape.jacobian(y, x).numpy()
    monkeypatch.setattr(jacobians_module, "CHUNK_ELEMENTS", 7)
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), whole, rtol=1e-14)


def test_jacobian_of_a_jacobian_is_the_hessian():
    x0 = np.array([0.4, -0.3, 0.8])
    x = wb.constant(x0)
    with wb.GradientTape() as outer:
        outer.watch(x)
        with wb.GradientTape() as inner:
            inner.watch(x)
            y = wb.sum(wb.sin(x) * x[0]) + wb.sum(x * x * x)
        g = inner.gradient(y, x)
    hess = outer.jacobian(g, x).numpy()

    def grad_np(v):
        gg = np.cos(v) * v[0] + 3 * v * v
        gg[0] += np.sum(np.sin(v))
        return gg

    expected = np.stack([(grad_np(x0 + EPS * e) - grad_np(x0 - EPS * e)) / (2 * EPS)
                         for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(hess, expected, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(hess, hess.T, rtol=1e-12)


# --- batch_jacobian -------------------------------------------------------------------------
def per_example(x):
    return wb.tanh(wb.matmul(x, W.T)) * wb.sum(x * x, axis=1, keepdims=True)


def test_batch_jacobian_shape_and_values():
    x0 = sample((5, 4), 7)
    x = wb.constant(x0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = per_example(x)
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (5, 3, 4)
    for i in range(5):
        expected = fd_jacobian(lambda r: per_example(wb.reshape(r, (1, 4)))[0], x0[i])
        np.testing.assert_allclose(bj.numpy()[i], expected, rtol=1e-6, atol=1e-8)
    full = tape.jacobian(y, x).numpy()  # (5, 3, 5, 4): blocks off the diagonal are zero
    np.testing.assert_allclose(bj.numpy(), np.stack([full[i, :, i] for i in range(5)]))


def test_batch_jacobian_with_more_target_and_source_dims():
    x0 = sample((2, 3, 2), 4)
    x = wb.constant(x0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.exp(x)[:, :, :, None] * wb.constant([1.0, 2.0])  # (2, 3, 2, 2)
    bj = tape.batch_jacobian(y, x)
    assert bj.shape == (2, 3, 2, 2, 3, 2)
    expected = np.zeros((2, 3, 2, 2, 3, 2))
    for b, i, j, k in np.ndindex(2, 3, 2, 2):
        expected[b, i, j, k, i, j] = np.exp(x0[b, i, j]) * (k + 1.0)
    np.testing.assert_allclose(bj.numpy(), expected, rtol=1e-12)


def test_batch_jacobian_needs_matching_batch_dimension():
    x = wb.constant(np.ones((3, 2)))
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.sum(x, axis=0)
    with pytest.raises(ValueError, match=r"\(2,\) and \(3, 2\)"):
        tape.batch_jacobian(y, x)


def test_batch_jacobian_unconnected_zero_shape():
    x, z = wb.constant(np.ones((3, 2))), wb.constant(np.ones((3, 4)))
    with wb.GradientTape(persistent=True) as tape:
        tape.watch([x, z])
        y = x * 2.0
    # TensorFlow's batch_jacobian gives zeros for an unconnected source whatever
    # unconnected_gradients says (its jacobian gives None).
    for mode in ("none", "zero"):
        zero = tape.batch_jacobian(y, z, unconnected_gradients=mode)
        assert zero.shape == (3, 2, 4)
        np.testing.assert_array_equal(zero.numpy(), np.zeros((3, 2, 4)))
    assert tape.jacobian(y, z) is None


# --- the fallback path agrees with the vectorized one ----------------------------------------------
@wb.custom_gradient
def custom_tanh(x):
    y = wb.tanh(x)
    return y, lambda g: g * (1.0 - y * y)


user_sin = wb.defprimitive("user_sin", np.sin, vjp=(lambda g, ans, x: g * wb.cos(x),),
                           register=False)


def _jac_and_batch(fn, x0):
    x = wb.constant(x0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = fn(x)
    return tape.jacobian(y, x).numpy(), tape.batch_jacobian(y, x).numpy()


@pytest.mark.parametrize("unbatchable, plain", [
    (lambda x: wb.matmul(custom_tanh(x), W.T), lambda x: wb.matmul(wb.tanh(x), W.T)),
    (lambda x: user_sin(x) * x, lambda x: wb.sin(x) * x),
], ids=["custom_gradient", "user_primitive"])
def test_loop_fallback_equals_vectorized_path(unbatchable, plain):
    assert not user_sin.batchable
    x0 = sample((3, 4), 11)
    jac_loop, bj_loop = _jac_and_batch(unbatchable, x0)
    jac_vec, bj_vec = _jac_and_batch(plain, x0)
    np.testing.assert_allclose(jac_loop, jac_vec, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(bj_loop, bj_vec, rtol=1e-12, atol=1e-14)


def test_fallback_for_separated_integer_array_index():
    x0 = sample((2, 3, 4), 5)

    def f(x):
        return wb.sin(x)[np.array([0, 1]), :, np.array([3, 1])]

    x = wb.constant(x0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = f(x)
    np.testing.assert_allclose(tape.jacobian(y, x).numpy(), fd_jacobian(f, x0),
                               rtol=1e-6, atol=1e-8)

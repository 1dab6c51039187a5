"""Behaviours where a TensorFlow GradientTape program, ported by changing the import, must get
TensorFlow's answer: each test states TensorFlow's value (measured with TensorFlow 2.21, or
documented) next to an independent closed form."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as tf


def close(actual, expected, rtol=1e-7):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=1e-12)


# --- custom_gradient with several outputs ----------------------------------------------------
def test_custom_gradient_with_a_tuple_output_passes_one_upstream_per_output():
    # TensorFlow calls grad_fn(*upstreams): one cotangent per (flattened) output.
    seen = []

    @tf.custom_gradient
    def f(x):
        def grad(dy1, dy2):
            seen.append((dy1.shape, dy2.shape))
            return dy1 * 2.0 + tf.reduce_sum(dy2 * tf.constant([3.0, 1.0]))
        return (x * 2.0, tf.stack([x * 3.0, x])), grad

    x = tf.constant(1.5)
    with tf.GradientTape() as tape:
        tape.watch(x)
        a, b = f(x)
        y = a * 10.0 + b[0] * 4.0 + b[1]
    close(a, 3.0), close(b, [4.5, 1.5])
    # d/dx = 10*2 + 4*3 + 1*1 = 33 (grad_fn is the true VJP here)
    close(tape.gradient(y, x), 33.0)
    assert seen == [((), (2,))]


def test_custom_gradient_unused_output_gets_zeros_and_structure_is_kept():
    @tf.custom_gradient
    def f(x):
        def grad(dy_a, dy_b):
            return dy_a * 2.0 + tf.reduce_sum(dy_b) * 100.0
        return {"a": x * 2.0, "b": [x * x]}, grad

    x = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = f(x)
        y = tf.reduce_sum(out["a"])
    assert set(out) == {"a", "b"} and isinstance(out["b"], list)
    close(out["b"][0], [1.0, 4.0])
    close(tape.gradient(y, x), [2.0, 2.0])  # dy_b is zeros: nothing of the 100 factor


def test_custom_gradient_outputs_of_different_dtypes_keep_them():
    @tf.custom_gradient
    def f(x):
        return (x * 2.0, tf.cast(x, tf.float64) * 3.0), lambda d1, d2: d1 * 2.0 + tf.cast(
            d2, tf.float32) * 3.0

    x = tf.constant(np.float32(1.0))
    with tf.GradientTape() as tape:
        tape.watch(x)
        a, b = f(x)
        y = tf.cast(a, tf.float64) + b
    assert a.dtype == np.float32 and b.dtype == np.float64
    g = tape.gradient(y, x)
    assert g.dtype == np.float32
    close(g, 5.0)


def test_custom_gradient_with_several_outputs_is_differentiable_again():
    @tf.custom_gradient
    def sin_cos(x):
        return (tf.sin(x), tf.cos(x)), lambda ds, dc: ds * tf.cos(x) - dc * tf.sin(x)

    x = tf.constant(0.7)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            s, c = sin_cos(x)
            y = s * 2.0 + c
        g = inner.gradient(y, x)
    close(g, 2 * np.cos(0.7) - np.sin(0.7))
    close(outer.gradient(g, x), -2 * np.sin(0.7) - np.cos(0.7))


# --- activations at their kinks: TensorFlow's gradients -----------------------------------------
def test_elu_and_selu_gradients_at_zero_take_the_linear_branch():
    # TensorFlow 2.21: elu'(0) = 1, selu'(0) = scale = 1.0507009873554805
    scale, alpha = 1.0507009873554805, 1.6732632423543772
    x = tf.constant([-1.0, 0.0, 1.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        e, s = tf.nn.elu(x), tf.nn.selu(x)
    close(tape.gradient(e, x), [np.exp(-1.0), 1.0, 1.0])
    close(tape.gradient(s, x), [scale * alpha * np.exp(-1.0), scale, scale])
    close(e, [np.expm1(-1.0), 0.0, 1.0]), close(s, [scale * alpha * np.expm1(-1.0), 0.0, scale])


# --- floor division is not differentiable ------------------------------------------------------
def test_floor_division_has_no_gradient_as_in_tensorflow():
    # TensorFlow registers FloorDiv as not differentiable: the gradient is None (also where
    # the divisor is 0 and the quotient is x / 0).
    x, y = tf.constant([5.5, -3.5, 1.0]), tf.constant([2.0, 2.0, 0.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        with np.errstate(divide="ignore", invalid="ignore"):
            q1, q2 = tf.math.floordiv(x, y), x // y
        z = x[:2] % y[:2] + x[:2] // y[:2]
    close(q1, [2.0, -2.0, np.inf]), close(q2, [2.0, -2.0, np.inf])
    assert tape.gradient(q1, [x, y]) == [None, None]
    assert tape.gradient(q2, [x, y]) == [None, None]
    # what is left is the gradient of x mod y: (1, -floor(x / y))
    gx, gy = tape.gradient(z, [x, y])
    close(gx, [1.0, 1.0, 0.0]), close(gy, [-2.0, 2.0, 0.0])


# --- Tensor.ref() ------------------------------------------------------------------------------
def test_ref_keys_dicts_by_identity():
    v, w = tf.Variable([1.0, 2.0]), tf.Variable([1.0, 2.0])
    t = tf.constant(3.0)
    slots = {v.ref(): "v", w.ref(): "w", t.ref(): "t"}
    assert len(slots) == 3
    assert slots[v.ref()] == "v" and slots[t.ref()] == "t"
    assert v.ref().deref() is v and v.ref() != w.ref()
    with pytest.raises(TypeError):
        hash(v)  # Tensors stay unhashable (== is elementwise), as in TensorFlow


# --- gather's default axis with batch_dims ------------------------------------------------------
def test_gather_with_batch_dims_defaults_axis_to_batch_dims():
    # TensorFlow: axis defaults to the first non-batch dimension.
    p0 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    p = tf.constant(p0)
    w = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(p)
        y = tf.gather(p, [[2, 0], [1, 1]], batch_dims=1)
        loss = tf.reduce_sum(y * w)
    close(y, [[3.0, 1.0], [5.0, 5.0]])  # TensorFlow's value: row b gathers p[b, idx[b]]
    close(tape.gradient(loss, p), [[2.0, 0.0, 1.0], [0.0, 7.0, 0.0]])
    close(tf.gather(p, [[2, 0], [1, 1]], axis=1, batch_dims=1), y)


# --- in-place operators on Variables ----------------------------------------------------------
@pytest.mark.parametrize("op", ["+=", "-=", "*=", "/=", "**="])
def test_in_place_operators_on_a_variable_raise_as_in_tensorflow(op):
    # TensorFlow raises RuntimeError: `v += 1` would silently make v a Tensor (gradient None).
    v = tf.Variable(2.0)
    namespace = {"v": v}
    with pytest.raises(RuntimeError, match="assign"):
        exec(f"v {op} 1.0", namespace)  # noqa: S102 - the statement under test
    assert namespace["v"] is v and float(v) == 2.0
    t = tf.constant(2.0)
    t += 1.0  # a Tensor just rebinds, as in TensorFlow
    close(t, 3.0)


def test_stop_recording_outside_the_block_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="recording"), tf.GradientTape().stop_recording():
        pass


# --- autograd-style transforms: integer arguments and constant outputs --------------------------
@pytest.mark.parametrize("arg", [3, np.array([1, 2]), True], ids=["int", "int-array", "bool"])
def test_transforms_refuse_integer_arguments_instead_of_a_zero_gradient(arg):
    # d(x^2)/dx at 3 is 6, not 0: JAX raises TypeError for integer inputs; so does workbench.
    for transform in (tf.grad, tf.elementwise_grad, tf.jacobian, tf.value_and_grad):
        with pytest.raises(TypeError, match="floating input"):
            transform(lambda x: tf.sum(x ** 2))(arg)
    close(tf.grad(lambda x: x ** 2)(3.0), 6.0)
    # only the differentiated argument must be floating
    close(tf.grad(lambda x, n: x ** n)(2.0, 3), 12.0)


def test_transforms_of_a_constant_function_give_zero():
    # JAX and autograd: the gradient of a function that ignores its input is 0.
    close(tf.grad(lambda x: 3.0)(2.0), 0.0)
    close(tf.grad(lambda x, y: y * 3.0)(2.0, 1.0), 0.0)
    close(tf.elementwise_grad(lambda x: np.ones(2))(np.array([1.0, 2.0])), [0.0, 0.0])
    value, g = tf.value_and_grad(lambda x: 5.0)(np.array([1.0, 2.0]))
    assert value == 5.0
    close(g, [0.0, 0.0])


def test_cholesky_gradient_is_the_lower_triangle_that_tensorflow_symmetrizes():
    # TensorFlow 2.21 gives the symmetric matrix below for sum(cholesky(A)); workbench's is
    # w.r.t. the lower triangle NumPy reads (documented); they agree once symmetrized.
    m = np.array([[1.0, 2.0, 0.5], [0.3, -0.7, 1.1]])
    a = tf.constant(m @ m.T + np.eye(2))
    tf_value = np.array([[0.21993848, 0.22657361], [0.22657361, 0.30197289]])
    with tf.GradientTape() as tape:
        tape.watch(a)
        y = tf.reduce_sum(tf.linalg.cholesky(a))
    g = tape.gradient(y, a).numpy()
    close((g + g.T) / 2, tf_value, rtol=1e-7)
    close(np.triu(g, 1), np.zeros((2, 2)))
    # central differences on the lower triangle the factorization reads
    h = 1e-6
    def f(a0):
        return np.sum(np.linalg.cholesky(a0))
    fd = (f(a.numpy() + h * np.array([[0, 0], [1.0, 0]])) -
          f(a.numpy() - h * np.array([[0, 0], [1.0, 0]]))) / (2 * h)
    close(g[1, 0], fd, rtol=1e-6)


# --- BatchNormalization (the batch Jacobian example of the Advanced autodiff guide) ----------
def _bn_reference(x, gamma, beta, eps):
    mean, var = x.mean(axis=0), x.var(axis=0)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_batch_normalization_trains_on_batch_moments_and_infers_on_moving_averages():
    rng = np.random.default_rng(3)
    x0 = rng.normal(size=(7, 5))
    bn = tf.keras.layers.BatchNormalization()
    y = bn(tf.constant(x0), training=True)
    close(y, _bn_reference(x0, 1.0, 0.0, 1e-3), rtol=1e-12)
    close(bn.moving_mean, 0.01 * x0.mean(axis=0), rtol=1e-12)
    close(bn.moving_variance, 0.99 + 0.01 * x0.var(axis=0), rtol=1e-12)
    assert [v.name.split("/")[-1] for v in bn.trainable_variables] == ["gamma", "beta"]
    assert len(bn.variables) == 4
    inferred = bn(tf.constant(x0))  # training=False: the moving averages
    close(inferred, (x0 - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3),
          rtol=1e-12)


def test_batch_normalization_gradients_against_central_differences():
    rng = np.random.default_rng(4)
    x0, w = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    bn = tf.keras.layers.BatchNormalization(epsilon=0.01)
    x = tf.constant(x0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(tf.sin(bn(x, training=True)) * w)
    gx, ggamma, gbeta = tape.gradient(loss, [x] + bn.trainable_variables)

    def f(x1, gamma=1.0, beta=0.0):
        return np.sum(np.sin(_bn_reference(x1, gamma, beta, 0.01)) * w)

    h, fd = 1e-6, np.zeros_like(x0)
    for idx in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[idx] = h
        fd[idx] = (f(x0 + e) - f(x0 - e)) / (2 * h)
    close(gx, fd, rtol=1e-6)
    fd_gamma = [(f(x0, 1.0 + h * np.eye(3)[j]) - f(x0, 1.0 - h * np.eye(3)[j])) / (2 * h)
                for j in range(3)]
    close(ggamma, fd_gamma, rtol=1e-6)
    close(gbeta, np.sum(np.cos(_bn_reference(x0, 1.0, 0.0, 0.01)) * w, axis=0), rtol=1e-10)


def test_batch_normalization_couples_examples_so_batch_jacobian_differs():
    # The guide: with batch normalization, example b's output depends on every example, so the
    # full Jacobian's diagonal blocks differ from its sum over the batch (they agree without);
    # batch_jacobian, like TensorFlow's, differentiates the sum over the target's batch (exact
    # only for independent examples): row b' is sum_b d y[b] / d x[b'].
    x = tf.constant(np.random.default_rng(5).normal(size=(7, 5)))
    dense = tf.keras.layers.Dense(6, activation=tf.nn.elu)
    bn = tf.keras.layers.BatchNormalization()
    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = dense(bn(x, training=True))
    j = tape.jacobian(y, x)
    assert j.shape == (7, 6, 7, 5)
    j_sum = tf.reduce_sum(j, axis=2).numpy()
    j_select = tf.einsum("bxby->bxy", j).numpy()
    assert np.max(np.abs(j_sum - j_select)) > 1e-3
    close(tape.batch_jacobian(y, x), np.transpose(np.sum(j.numpy(), axis=0), (1, 0, 2)),
          rtol=1e-10)


# --- no aliasing between a Tensor and the arrays handed out or taken in ------------------------
def test_numpy_returns_a_copy_and_variables_own_their_storage():
    # TensorFlow 2.21: mutating t.numpy() or the array a Variable was made from changes nothing.
    t = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(t)
        y = t * t
    a = t.numpy()
    a[0] = 5.0
    close(t, [1.0, 2.0])
    close(tape.gradient(y, t), [2.0, 4.0])  # the recorded values are untouched
    init = np.array([1.0, 2.0])
    v, w = tf.Variable(init), tf.Variable(tf.constant(init))
    init[0] = 9.0
    b = v.numpy()
    b[1] = 7.0
    close(v, [1.0, 2.0]), close(w, [1.0, 2.0])
    assert isinstance(tf.constant(2.0).numpy(), np.floating)


def test_assign_takes_tensorflows_keywords():
    v = tf.Variable([1.0, 2.0])
    assert v.assign([3.0, 4.0], read_value=False) is None
    assert v.assign_add([1.0, 1.0], use_locking=True) is v
    assert v.assign_sub([0.5, 0.5], name="step", read_value=False) is None
    close(v, [3.5, 4.5])


@pytest.mark.parametrize("f", [tf.abs, tf.nn.relu, tf.nn.relu6, tf.nn.leaky_relu],
                         ids=["abs", "relu", "relu6", "leaky_relu"])
def test_second_derivative_of_piecewise_linear_functions(f):
    # TensorFlow 2.21 gives zeros; workbench gives None (documented), and zeros when asked.
    x = tf.constant([-1.5, 0.5, 2.0, 7.0])
    with tf.GradientTape(persistent=True) as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = tf.reduce_sum(f(x))
        g = inner.gradient(y, x)
    h = 1e-6
    fd = (np.asarray(f(tf.constant(x.numpy() + h))) - np.asarray(f(tf.constant(x.numpy() - h))))
    close(g, fd / (2 * h), rtol=1e-6)
    assert outer.gradient(g, x) is None
    close(outer.gradient(g, x, unconnected_gradients="zero"), np.zeros(4))
    close(outer.jacobian(g, x, unconnected_gradients="zero"), np.zeros((4, 4)))


# --- top_k ------------------------------------------------------------------------------------
def test_top_k_values_indices_and_gradient():
    # TensorFlow 2.21: values [[3, 3, 2], [4, 0.5, 0]], indices [[1, 3, 2], [2, 0, 3]] (ties:
    # lower index first); the gradient scatters the weights back to the chosen entries.
    x0 = np.array([[1.0, 3.0, 2.0, 3.0], [0.5, -1.0, 4.0, 0.0]])
    x = tf.constant(x0)
    w = np.array([1.0, 10.0, 100.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        values, indices = tf.math.top_k(x, k=3)
        y = values * w
    order = np.argsort(-x0, axis=-1, kind="stable")[:, :3]
    np.testing.assert_array_equal(indices.numpy(), order)
    close(values, np.take_along_axis(x0, order, axis=-1))
    expected = np.zeros_like(x0)
    np.put_along_axis(expected, order, np.broadcast_to(w, (2, 3)), axis=-1)
    close(tape.gradient(y, x), expected)
    close(tf.nn.top_k(x).values, [[3.0], [4.0]])
    assert tf.math.top_k(x, k=0).values.shape == (2, 0)
    with pytest.raises(ValueError, match="k must be in"):
        tf.math.top_k(x, k=5)

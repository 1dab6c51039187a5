"""TensorFlow programs port by changing the import: each test is one ``tf.GradientTape`` or
``tf.*`` behaviour, written as TensorFlow code with ``wb`` for ``tf``, checked against the value
TensorFlow documents (the autodiff guides, ``backprop_test.py``) or a closed form.
"""

from __future__ import annotations

import pickle
import sys
import warnings

import numpy as np
import pytest

import workbench as wb

tf = wb  # the programs below are TensorFlow programs with the import changed


def close(t, expected, rtol=1e-10, atol=1e-12):
    assert t is not None, "gradient is None"
    np.testing.assert_allclose(np.asarray(t), expected, rtol=rtol, atol=atol)


# --- targets and sources: structures ------------------------------------------------------
def test_sources_as_list_tuple_dict_and_nested_keep_their_structure():
    w, b = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = w * w + b
    as_list = tape.gradient(y, [w, b])
    as_tuple = tape.gradient(y, (w, b))
    as_dict = tape.gradient(y, {"w": w, "b": b})
    nested = tape.gradient(y, {"a": [w, (b,)], "c": {"d": w}})
    assert isinstance(as_list, list) and isinstance(as_tuple, tuple)
    close(as_list[0], 4.0), close(as_tuple[1], 1.0)
    assert set(as_dict) == {"w", "b"}
    close(as_dict["w"], 4.0)
    assert isinstance(nested["a"][1], tuple)
    close(nested["a"][1][0], 1.0), close(nested["c"]["d"], 4.0)


def test_dict_of_targets_is_summed_guide_value_3_75():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y0 = x**2
        y1 = 1 / x
    close(tape.gradient({"y0": y0, "y1": y1}, x), 3.75)


def test_nested_targets_are_summed():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        ys = [x, (x * x, {"k": x**3})]
    close(tape.gradient(ys, x), 1 + 4 + 12)


def test_non_scalar_target_gives_gradient_of_the_sum_guide_value_7():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = x * [3.0, 4.0]
    close(tape.gradient(y, x), 7.0)


def test_empty_source_list_gives_empty_list():
    x = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, []) == []


def test_output_gradients_weight_each_target():
    x = tf.constant(3.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = x * x * x
    close(tape.gradient(y, x, output_gradients=tf.constant(2.0)), 12.0)
    close(tape.gradient([y, z], x, output_gradients=[tf.constant(1.0), tf.constant(0.5)]),
          6.0 + 13.5)
    v = tf.constant([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(v)
        w = v * v
    close(tape.gradient(w, v, output_gradients=tf.constant([10.0, 100.0])), [20.0, 400.0])


def test_unconnected_gradients_none_and_zero():
    x = tf.Variable([2.0, 2.0])
    y = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        z = y**2
    assert tape.gradient(z, x) is None
    close(tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.ZERO), [0.0, 0.0])
    close(tape.gradient(z, x, unconnected_gradients="zero"), [0.0, 0.0])
    assert tape.gradient(z, x, unconnected_gradients=tf.UnconnectedGradients.NONE) is None


# --- persistence, watching ----------------------------------------------------------------
def test_persistent_tape_many_calls_and_non_persistent_second_call_raises():
    x = tf.constant([1.0, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    close(tape.gradient(z, x), [4.0, 108.0])
    close(tape.gradient(y, x), [2.0, 6.0])
    del tape
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="only be called once on non-persistent tapes"):
        tape.gradient(y, x)


def test_watch_a_list_and_a_nested_structure():
    a, b, c = tf.constant(1.0), tf.constant(2.0), tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch([a, {"k": (b, [c])}])
        y = a * b * c
    close(tape.gradient(y, [a, b, c]), [6.0, 3.0, 2.0])


def test_watching_twice_does_not_double_the_gradient():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        tape.watch(x)
        y = x * x
    close(tape.gradient(y, x), 6.0)


def test_watch_accessed_variables_false_watches_only_what_is_watched():
    a, b = tf.Variable(2.0), tf.Variable(5.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * a + b * b
    grads = tape.gradient(y, [a, b])
    close(grads[0], 4.0)
    assert grads[1] is None
    assert tape.watched_variables() == (a,) or list(tape.watched_variables()) == [a]


def test_watched_variables_lists_trainable_reads_not_constants_nor_non_trainable():
    a, b = tf.Variable(1.0, name="a"), tf.Variable(2.0, trainable=False)
    c = tf.constant(3.0)
    with tf.GradientTape() as tape:
        _ = a * b * c
    watched = tape.watched_variables()
    assert len(watched) == 1 and watched[0] is a


def test_stop_recording_guide_values():
    x, y = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as t:
        x_sq = x * x
        with t.stop_recording():
            y_sq = y * y
        z = x_sq + y_sq
    grad = t.gradient(z, {"x": x, "y": y})
    close(grad["x"], 4.0)
    assert grad["y"] is None


def test_reset_guide_values():
    x, y = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as t:
        y_sq = y * y
        t.reset()
        z = x * x + y_sq
    grad = t.gradient(z, {"x": x, "y": y})
    close(grad["x"], 4.0)
    assert grad["y"] is None


def test_reset_clears_watched_variables():
    v = tf.Variable(1.0)
    with tf.GradientTape() as t:
        _ = v * 2
        t.reset()
    assert len(t.watched_variables()) == 0


def test_entering_an_active_tape_raises_value_error():
    tape = tf.GradientTape()
    with tape, pytest.raises(ValueError), tape:
        pass


def test_watching_a_python_number_raises_value_error():
    with tf.GradientTape() as tape, pytest.raises(ValueError):
        tape.watch(3.0)


# --- jacobians ------------------------------------------------------------------------------
def test_jacobian_of_sigmoid_wrt_scalar_delta_guide_shape_201():
    x = tf.linspace(-10.0, 10.0, 200 + 1)
    delta = tf.Variable(0.0)
    with tf.GradientTape() as tape:
        y = tf.nn.sigmoid(x + delta)
    dy_dx = tape.jacobian(y, delta)
    assert dy_dx.shape == (201,)
    s = 1 / (1 + np.exp(-np.linspace(-10.0, 10.0, 201)))
    close(dy_dx, s * (1 - s))


@pytest.mark.parametrize("kwargs", [{}, {"experimental_use_pfor": False},
                                    {"experimental_use_pfor": True, "parallel_iterations": 4}])
def test_jacobian_accepts_and_ignores_pfor_and_parallel_iterations(kwargs):
    x = tf.constant([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    close(tape.jacobian(y, x, **kwargs), np.diag([2.0, 4.0, 6.0]))


def test_jacobian_of_dense_layer_kernel_guide_shapes():
    tf.random.set_seed(0)
    x = tf.random.normal([7, 5])
    layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
    with tf.GradientTape(persistent=True) as tape:
        y = layer(x)
    j = tape.jacobian(y, layer.kernel)
    assert j.shape == (7, 10, 5, 10)
    g = tape.gradient(y, layer.kernel)
    close(tf.reduce_sum(j, axis=[0, 1]), g.numpy(), rtol=1e-5, atol=1e-6)


def test_batch_jacobian_guide_shapes_and_values():
    tf.random.set_seed(1)
    x = tf.random.normal([2, 3])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = tf.tanh(tf.stack([x[:, 0] * x[:, 1], x[:, 2], x[:, 0]], axis=1))
    j = tape.jacobian(y, x)
    jb = tape.batch_jacobian(y, x, experimental_use_pfor=False)
    assert j.shape == (2, 3, 2, 3) and jb.shape == (2, 3, 3)
    close(jb, np.stack([j.numpy()[i, :, i, :] for i in range(2)]), rtol=1e-12)


def test_batch_jacobian_refuses_mismatched_batch():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(x)
    with pytest.raises(ValueError):
        tape.batch_jacobian(y, x)


def test_hessian_by_nested_jacobians_for_newton_step():
    x = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = x[0] ** 2 * x[1] + x[1] ** 3
        g = t1.gradient(y, x)
    h = t2.jacobian(g, x)
    close(g, [4.0, 1.0 + 12.0])
    close(h, [[4.0, 2.0], [2.0, 12.0]])


# --- higher order, control flow, None paths -------------------------------------------------
def test_second_and_third_derivative_guide_values():
    x = tf.Variable(1.0)
    with tf.GradientTape() as t3:
        with tf.GradientTape() as t2:
            with tf.GradientTape() as t1:
                y = x * x * x
            dy_dx = t1.gradient(y, x)
        d2y_dx2 = t2.gradient(dy_dx, x)
    d3y_dx3 = t3.gradient(d2y_dx2, x)
    close(dy_dx, 3.0), close(d2y_dx2, 6.0), close(d3y_dx3, 6.0)


def test_python_if_guide_values():
    x = tf.constant(1.0)
    v0, v1 = tf.Variable(2.0), tf.Variable(2.0)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        result = v0 if x > 0.0 else v1**2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    close(dv0, 1.0)
    assert dv1 is None
    assert tape.gradient(result, x) is None


def test_cond_like_branches_and_loops():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x
        for _ in range(3):
            y = y * x if y < 100.0 else y
    close(tape.gradient(y, x), 4 * 27.0)


def test_where_with_nan_in_the_unselected_branch_gives_nan_as_tensorflow():
    # tf.where's documented pitfall: the unselected branch's gradient is 0 * inf = NaN
    # (TensorFlow 2.21 gives NaN for 1/x and log here too).
    x = tf.constant([0.0, 4.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = tf.where(x < 1.0, 0.0, 1.0 / x)
            z = tf.where(x > 0.0, tf.math.log(x), 0.0)
            gy, gz = tape.gradient(y, x).numpy(), tape.gradient(z, x).numpy()
    assert np.isnan(gy[0]) and np.isnan(gz[0])
    close(gy[1], -1 / 16), close(gz[1], 0.25)


def test_where_over_sqrt_gives_nan_where_tensorflow_gives_zero():
    # A documented difference: TensorFlow's sqrt gradient is 0 where the incoming gradient is
    # 0, so TensorFlow 2.21 gives [0, 0, 0.25]; workbench gives 0 * inf = NaN, as JAX does.
    x = tf.constant([-1.0, 0.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        with np.errstate(invalid="ignore", divide="ignore"):
            y = tf.where(x > 0.0, tf.sqrt(x), tf.zeros_like(x))
            g = tape.gradient(y, x)
    g = g.numpy()
    assert np.isnan(g[0]) and np.isnan(g[1])
    close(g[2], 0.25)


def test_where_safe_pattern_has_finite_gradient():
    x = tf.constant([-1.0, 0.0, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(x)
        safe = tf.where(x > 0.0, x, tf.ones_like(x))
        y = tf.where(x > 0.0, tf.sqrt(safe), tf.zeros_like(x))
    close(tape.gradient(y, x), [0.0, 0.0, 0.25])


def test_integer_watch_warns_and_gives_none_guide():
    x = tf.constant(10)
    with tf.GradientTape() as g:
        with pytest.warns(UserWarning, match="floating"):
            g.watch(x)
        y = x * x
    assert g.gradient(y, x) is None


def test_cast_to_int_and_back_cuts_the_gradient():
    x = tf.Variable(2.5)
    with tf.GradientTape() as tape:
        y = tf.cast(tf.cast(x, tf.int32), tf.float32) * x
    close(tape.gradient(y, x), 2.0)


def test_boolean_path_has_no_gradient():
    x = tf.Variable(2.0)
    with tf.GradientTape() as tape:
        y = tf.cast(x > 1.0, tf.float32)
    assert tape.gradient(y, x) is None


def test_gradient_through_numpy_array_conversion_is_none_as_in_the_guide():
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        x2 = x**2
        y = np.asarray(x2).mean(axis=0)
        y = tf.reduce_mean(y, axis=0)
    assert tape.gradient(y, x) is None


def test_numpy_functions_that_call_tensor_methods_stay_on_the_tape():
    # Differs from TensorFlow (None there): np.mean(t) calls t.mean(), a workbench op.
    x = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        y = tf.reduce_mean(np.mean(x**2, axis=0), axis=0)
    close(tape.gradient(y, x), [[0.5, 1.0], [1.5, 2.0]])


def test_assign_add_inside_tape_is_not_differentiated_guide():
    x0, x1 = tf.Variable(3.0), tf.Variable(0.0)
    with tf.GradientTape() as tape:
        x1.assign_add(x0)
        y = x1**2
    g0, g1 = tape.gradient(y, [x0, x1])
    assert g0 is None
    close(g1, 6.0)


def test_variable_replaced_by_tensor_has_no_gradient_guide():
    x = tf.Variable(2.0)
    results = []
    for _ in range(2):
        with tf.GradientTape() as tape:
            y = x + 1
        results.append(tape.gradient(y, x))
        x = x + 1
    close(results[0], 1.0)
    assert results[1] is None


def test_gradient_of_the_variable_itself_is_one():
    v = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        tape.watch(v)
        y = v
    close(tape.gradient(y, v), [1.0, 1.0])


def test_variable_slice_gradient():
    v = tf.Variable([1.0, 2.0, 3.0])
    with tf.GradientTape() as tape:
        y = v[0] * 2.0 + v[1:] ** 2
    close(tape.gradient(y, v), [2.0 * 2, 4.0, 6.0])


# --- custom_gradient, stop_gradient -----------------------------------------------------------
def test_custom_gradient_log1pexp_at_100_is_1():
    @tf.custom_gradient
    def log1pexp(x):
        e = tf.exp(x)

        def grad(upstream):
            return upstream * (1 - 1 / (1 + e))

        return tf.math.log(1 + e), grad

    x = tf.constant(100.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    close(tape.gradient(y, x), 1.0)


def test_custom_gradient_clip_gradients_guide_value_2():
    @tf.custom_gradient
    def clip_gradients(y):
        def backward(dy):
            return tf.clip_by_norm(dy, 0.5)

        return y, backward

    v = tf.Variable(2.0)
    with tf.GradientTape() as t:
        output = clip_gradients(v * v)
    close(t.gradient(output, v), 2.0)


def test_custom_gradient_upstream_has_the_output_shape_and_two_inputs():
    seen = []

    @tf.custom_gradient
    def mul(a, b):
        def grad(upstream):
            seen.append(upstream.shape)
            return upstream * b, upstream * a

        return a * b, grad

    a, b = tf.Variable([1.0, 2.0, 3.0]), tf.Variable([4.0, 5.0, 6.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(mul(a, b))
    ga, gb = tape.gradient(y, [a, b])
    assert seen == [(3,)]
    close(ga, [4.0, 5.0, 6.0]), close(gb, [1.0, 2.0, 3.0])


def test_custom_gradient_with_captured_variable_gets_variables_keyword():
    w = tf.Variable(3.0)

    @tf.custom_gradient
    def scale(x):
        def grad(dy, variables):
            return dy * w, [dy * x for _ in variables]

        return x * w, grad

    x = tf.constant(2.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = scale(x)
    gx, gw = tape.gradient(y, [x, w])
    close(gx, 3.0), close(gw, 2.0)


def test_custom_gradient_variable_as_argument_is_an_input():
    v = tf.Variable(2.0)

    @tf.custom_gradient
    def sq(x):
        return x * x, lambda dy: dy * 2 * x

    with tf.GradientTape() as tape:
        y = sq(v)
    close(tape.gradient(y, v), 4.0)


def test_nested_custom_gradients_and_second_order():
    @tf.custom_gradient
    def cube(x):
        return x**3, lambda dy: dy * 3 * x**2

    @tf.custom_gradient
    def outer(x):
        y = cube(x)
        return y, lambda dy: dy * 10.0

    x = tf.Variable(2.0)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            y = cube(x)
        g = t1.gradient(y, x)
    close(g, 12.0)
    close(t2.gradient(g, x), 12.0)
    with tf.GradientTape() as t:
        z = outer(x)
    close(z, 8.0), close(t.gradient(z, x), 10.0)


def test_stop_gradient_guide_values():
    x, y = tf.Variable(2.0), tf.Variable(3.0)
    with tf.GradientTape() as t:
        z = x * x + tf.stop_gradient(y) * tf.stop_gradient(y)
    grad = t.gradient(z, {"x": x, "y": y})
    close(grad["x"], 4.0)
    assert grad["y"] is None


def test_identity_passes_the_gradient():
    x = tf.Variable(2.0)
    with tf.GradientTape() as t:
        y = tf.identity(x) * 3
    close(t.gradient(y, x), 3.0)


# --- ops from the guides: values and gradients ------------------------------------------------
X = np.array([-2.0, -0.5, 0.3, 1.7])
ACTIVATIONS = {  # name: (function, derivative) as closed forms
    "softplus": (lambda x: np.log1p(np.exp(x)), lambda x: 1 / (1 + np.exp(-x))),
    "sigmoid": (lambda x: 1 / (1 + np.exp(-x)),
                lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
    "relu": (lambda x: np.maximum(x, 0), lambda x: (x > 0).astype(float)),
    "tanh": (np.tanh, lambda x: 1 - np.tanh(x) ** 2),
    "log_sigmoid": (lambda x: -np.log1p(np.exp(-x)), lambda x: 1 / (1 + np.exp(x))),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), lambda x: np.where(x > 0, 1, np.exp(x))),
}


NOT_IN_TF_MATH = {"relu", "elu"}  # TensorFlow has these in tf.nn only


@pytest.mark.parametrize("namespace,name", [("nn", n) for n in sorted(ACTIVATIONS)] + [
    ("math", n) for n in sorted(ACTIVATIONS) if n not in NOT_IN_TF_MATH])
def test_activation_values_and_gradients(name, namespace):
    fn = getattr(getattr(tf, namespace), name)
    f, df = ACTIVATIONS[name]
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    close(y, f(X)), close(tape.gradient(y, x), df(X))


def test_tf_math_names_from_the_guides():
    x = tf.constant([0.5, 2.0])
    for name, ref in [("log", np.log), ("exp", np.exp), ("sin", np.sin), ("cos", np.cos),
                      ("sqrt", np.sqrt), ("square", np.square), ("abs", np.abs),
                      ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
                      ("softplus", lambda v: np.log1p(np.exp(v))), ("tanh", np.tanh),
                      ("reciprocal", np.reciprocal), ("log1p", np.log1p)]:
        close(getattr(tf.math, name)(x), ref(x.numpy()))
    close(tf.math.reduce_sum(x), 2.5), close(tf.math.reduce_mean(x), 1.25)
    close(tf.math.maximum(x, 1.0), [1.0, 2.0]), close(tf.math.pow(x, 2.0), [0.25, 4.0])


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ([0, 1], False),
                                           (-1, True)])
@pytest.mark.parametrize("name", ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min",
                                  "reduce_prod", "reduce_logsumexp"])
def test_reductions_with_axis_and_keepdims(name, axis, keepdims):
    a = np.array([[1.0, 4.0, 2.0], [3.0, 0.5, 6.0]])
    ref = {"reduce_sum": np.sum, "reduce_mean": np.mean, "reduce_max": np.max,
           "reduce_min": np.min, "reduce_prod": np.prod,
           "reduce_logsumexp": lambda v, axis, keepdims: np.log(
               np.sum(np.exp(v), axis=axis, keepdims=keepdims))}[name]
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    x = tf.constant(a)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = getattr(tf, name)(x, axis=axis, keepdims=keepdims)
    close(y, ref(a, axis=np_axis, keepdims=keepdims))
    g = tape.gradient(y, x)
    assert g.shape == a.shape
    eps, num = 1e-6, np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = eps
        num[i] = (ref(a + d, axis=np_axis, keepdims=keepdims).sum()
                  - ref(a - d, axis=np_axis, keepdims=keepdims).sum()) / (2 * eps)
    close(g, num, rtol=1e-6, atol=1e-8)


def test_matmul_transpose_and_adjoint_keywords():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(12.0).reshape(4, 3)
    A, B = tf.constant(a), tf.constant(b)
    close(tf.matmul(A, B, transpose_b=True), a @ b.T)
    close(tf.linalg.matmul(A, B, transpose_b=True), a @ b.T)
    close(tf.matmul(A, B, adjoint_b=True), a @ b.T)
    c = np.arange(8.0).reshape(2, 4)
    close(tf.linalg.matmul(B, tf.constant(c), transpose_a=True, transpose_b=True), b.T @ c.T)
    close(tf.matmul(A, A, adjoint_a=True), a.T @ a)
    with tf.GradientTape() as tape:
        tape.watch(B)
        y = tf.reduce_sum(tf.matmul(A, B, transpose_b=True))
    close(tape.gradient(y, B), np.ones((2, 4)).T @ a)


def test_shape_functions_and_their_gradients():
    a = np.arange(6.0).reshape(2, 3)
    x = tf.constant(a)
    close(tf.transpose(x, perm=[1, 0]), a.T)
    close(tf.reshape(x, [3, -1]), a.reshape(3, 2))
    close(tf.concat([x, x], axis=1), np.concatenate([a, a], 1))
    close(tf.stack([x, x], axis=0), np.stack([a, a]))
    close(tf.gather(x, [1, 0, 1]), a[[1, 0, 1]])
    close(tf.gather(x, [2], axis=1), a[:, [2]])
    close(tf.tile(x, [2, 1]), np.tile(a, (2, 1)))
    close(tf.expand_dims(x, 0), a[None]), close(tf.expand_dims(x, -1), a[..., None])
    close(tf.squeeze(tf.constant(a[None, :, None])), a)
    close(tf.squeeze(tf.constant(a[None]), axis=0), a)
    close(x[tf.newaxis, :, 1], a[None, :, 1])
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.reduce_sum(tf.gather(tf.tile(tf.transpose(x, perm=[1, 0]), [1, 2]), [0, 0]) * 2.0)
    close(tape.gradient(y, x), [[8.0, 0.0, 0.0], [8.0, 0.0, 0.0]])


def test_clip_by_value_square_abs_maximum_gradients():
    x = tf.constant([-2.0, 0.5, 3.0])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        c = tf.clip_by_value(x, -1.0, 1.0)
        s = tf.square(x)
        a = tf.abs(x)
        m = tf.maximum(x, 0.0)
    close(c, [-1.0, 0.5, 1.0]), close(tape.gradient(c, x), [0.0, 1.0, 0.0])
    close(tape.gradient(s, x), [-4.0, 1.0, 6.0])
    close(tape.gradient(a, x), [-1.0, 1.0, 1.0])
    close(tape.gradient(m, x), [0.0, 1.0, 1.0])


def test_one_hot_cast_zeros_ones_like_range_fill():
    close(tf.one_hot([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    assert tf.one_hot([1], 2).dtype == np.float32
    assert tf.cast(tf.constant([1.7, -1.7]), tf.int32).numpy().tolist() == [1, -1]
    x = tf.constant([[1.0, 2.0]], dtype=tf.float32)
    assert tf.zeros_like(x).dtype == np.float32 and tf.ones_like(x).shape == (1, 2)
    close(tf.range(5), [0, 1, 2, 3, 4])
    close(tf.range(1, 10, 3), [1, 4, 7])
    close(tf.range(0.0, 1.0, 0.25), [0.0, 0.25, 0.5, 0.75])
    close(tf.range(start=2, limit=5, delta=1), [2, 3, 4])
    close(tf.fill([2, 2], 7.0), np.full((2, 2), 7.0))
    t = tf.convert_to_tensor([1.0, 2.0])
    assert isinstance(t, tf.Tensor) and tf.convert_to_tensor(t) is t


def test_constant_with_dtype_and_shape():
    c = tf.constant(0.0, shape=[2, 3])
    assert c.shape == (2, 3)
    close(c, np.zeros((2, 3)))
    d = tf.constant([1, 2, 3, 4], tf.float32, [2, 2])
    assert d.dtype == np.float32 and d.shape == (2, 2)
    close(d, [[1, 2], [3, 4]])
    e = tf.constant(5, dtype=tf.float64, name="five")
    assert e.dtype == np.float64 and e.name == "five"


def test_creation_with_shape_and_dtype():
    z = tf.zeros([2, 3], tf.float32)
    assert z.shape == (2, 3) and z.dtype == tf.float32
    assert tf.ones((2,), dtype=tf.int32).dtype == np.int32
    lin = tf.linspace(-10.0, 10.0, 201)
    assert lin.shape == (201,)
    close(lin[100], 0.0)


def test_random_seed_normal_uniform():
    tf.random.set_seed(42)
    a = tf.random.normal([1000], 1.0, 2.0, tf.float32)
    tf.random.set_seed(42)
    b = tf.random.normal([1000], mean=1.0, stddev=2.0, dtype=tf.float32)
    assert a.dtype == np.float32 and a.shape == (1000,)
    close(a, b.numpy())
    assert abs(float(tf.reduce_mean(a)) - 1.0) < 0.3
    assert abs(float(tf.math.reduce_std(a)) - 2.0) < 0.3
    u = tf.random.uniform([500], minval=-3.0, maxval=-1.0)
    assert float(tf.reduce_min(u)) >= -3.0 and float(tf.reduce_max(u)) < -1.0
    u2 = tf.random.uniform((2, 2), 0, 10, dtype=tf.float32)
    assert u2.dtype == np.float32


def test_size_shape_rank():
    x = tf.constant(np.zeros((2, 3, 4)))
    assert int(tf.size(x)) == 24 and int(tf.rank(x)) == 3
    assert list(np.asarray(tf.shape(x))) == [2, 3, 4]
    assert x.shape.as_list() == [2, 3, 4] and x.shape == (2, 3, 4)
    assert x.shape[0] == 2 and len(x.shape) == 3 and x.shape.rank == 3
    assert x.get_shape().as_list() == [2, 3, 4] and x.shape.num_elements() == 24


def test_print_prints_values(capsys):
    tf.print("loss:", tf.constant(2.5), tf.constant([1.0, 2.0]))
    err = capsys.readouterr().err  # TensorFlow prints to stderr
    assert err.startswith("loss: 2.5") and "[1 2]" in err
    tf.print(tf.range(10), summarize=2, output_stream=sys.stdout)
    assert capsys.readouterr().out == "[0 1 ... 8 9]\n"


# --- Variables and dtypes ---------------------------------------------------------------------
def test_variable_constructor_forms():
    v = tf.Variable(initial_value=[1.0, 2.0], trainable=False, dtype=tf.float32, name="v")
    assert v.dtype == tf.float32 and v.trainable is False and v.name.startswith("v")
    w = tf.Variable(tf.zeros([3]), name="w")
    assert w.shape == (3,) and w.trainable
    s = tf.Variable(3.0)
    assert isinstance(s.numpy(), np.generic) and float(s.numpy()) == 3.0
    assert isinstance(tf.constant(2.0).numpy(), np.floating)
    lst = [tf.Variable(float(i)).numpy() for i in range(2)]
    assert all(np.ndim(b) == 0 and not isinstance(b, np.ndarray) for b in lst)


def test_dtype_has_tensorflow_attributes_and_stays_a_numpy_dtype():
    v = tf.Variable(1.0, dtype=tf.float32)
    dt = v.dtype
    assert dt.base_dtype == np.float32 and dt.is_floating and not dt.is_integer
    assert dt.as_numpy_dtype is np.float32 and dt.name == "float32" and dt.kind == "f"
    assert dt == np.float32 and np.float32 == dt and dt == "float32" and dt == np.dtype("f4")
    assert dt != np.float64 and not (dt == np.int32)  # noqa: SIM201 - __eq__ itself
    assert np.zeros(3, dtype=dt).dtype == np.float32 and np.dtype(dt) == np.float32
    assert {np.dtype(np.float32): "ok"}[dt] == "ok" and dt in (np.float64, np.float32)
    assert repr(dt) == repr(np.dtype(np.float32)) and str(dt) == "float32"
    assert dt.itemsize == 4 and np.issubdtype(dt, np.floating)
    assert pickle.loads(pickle.dumps(dt)) == np.float32
    assert tf.constant(1).dtype.is_integer and tf.constant(True).dtype.is_bool
    assert tf.float32.is_floating and tf.float32 == np.float32
    assert tf.constant(1.0, tf.float32).dtype.base_dtype == tf.float32


def test_variable_assign_forms_and_numpy_properties():
    v = tf.Variable([1.0, 2.0])
    v.assign([3.0, 4.0])
    v.assign_add([1.0, 1.0])
    v.assign_sub(tf.constant([0.5, 0.5]))
    close(v, [3.5, 4.5])
    assert v.shape == (2,) and v.numpy().shape == (2,)


# --- optimizers and tf.function ---------------------------------------------------------------
def test_sgd_apply_gradients_zip_and_minimize():
    w = tf.Variable(5.0)
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    for _ in range(3):
        with tf.GradientTape() as tape:
            loss = w * w
        grads = tape.gradient(loss, [w])
        opt.apply_gradients(zip(grads, [w]))
    close(w, 5.0 * 0.8**3)
    v = tf.Variable(5.0)
    opt2 = tf.keras.optimizers.SGD(learning_rate=0.1)
    for _ in range(3):
        opt2.minimize(lambda: v * v, var_list=[v])
    close(v, 5.0 * 0.8**3)


def test_adam_first_step_moves_by_the_learning_rate():
    w = tf.Variable([1.0, -2.0])
    opt = tf.keras.optimizers.Adam(learning_rate=0.01)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(w**2)
    opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    close(w, [0.99, -1.99], rtol=1e-6)


def test_tf_function_step_with_tape_inside_returning_nothing():
    w = tf.Variable(2.0)
    opt = tf.keras.optimizers.SGD(learning_rate=0.25)

    @tf.function
    def train_step(x):
        with tf.GradientTape() as tape:
            loss = (w * x - 3.0) ** 2
        grads = tape.gradient(loss, [w])
        opt.apply_gradients(zip(grads, [w]))

    for _ in range(2):
        assert train_step(tf.constant(1.0)) is None
    # w: 2 -> 2 - 0.25*2*(2-3) = 2.5 -> 2.5 - 0.25*2*(-0.5) = 2.75
    close(w, 2.75)


def test_tf_function_returning_a_value():
    @tf.function
    def f(x):
        return x * x + 1.0

    close(f(tf.constant(3.0)), 10.0)
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = f(x)
    close(tape.gradient(y, x), 6.0)


def test_no_warnings_on_common_ports():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = tf.Variable(1.0)
        with tf.GradientTape() as tape:
            y = tf.nn.softplus(x)
        tape.gradient(y, x)


# --- TensorFlow's control flow and list ops -----------------------------------------------------
def test_cond_and_while_loop_gradients():
    x = tf.Variable(3.0)
    with tf.GradientTape(persistent=True) as tape:
        y = tf.cond(x > 0.0, lambda: x * x, lambda: -x)
        _, z = tf.while_loop(lambda i, v: i < 4, lambda i, v: (i + 1, v * x), (0, 1.0),
                             parallel_iterations=1)
        w = tf.while_loop(lambda v: v < 100.0, lambda v: v * x, x)
    close(tape.gradient(y, x), 6.0)
    close(z, 81.0), close(tape.gradient(z, x), 4 * 27.0)
    close(w, 243.0), close(tape.gradient(w, x), 5 * 81.0)
    i, _ = tf.while_loop(lambda i, v: True, lambda i, v: (i + 1, v), [0, x], maximum_iterations=3)
    assert i == 3


def test_add_n_unstack_boolean_mask_gradients():
    x = tf.constant([[1.0, 2.0], [3.0, 4.0]])
    with tf.GradientTape() as tape:
        tape.watch(x)
        rows = tf.unstack(x)
        cols = tf.unstack(x, axis=1)
        y = tf.reduce_sum(tf.add_n(rows) * tf.add_n(cols))
        m = tf.reduce_sum(tf.boolean_mask(x, x > 2.5))
    assert len(rows) == 2 and rows[0].shape == (2,)
    close(tf.boolean_mask(x, [True, False]), [[1.0, 2.0]])
    close(m, 7.0)
    # y = sum_j (x0j + x1j)(xj0 + xj1): d/dx_ab = (x_{a'}.. ) by finite differences
    a = x.numpy()

    def f(v):
        return np.sum(v.sum(axis=0) * v.sum(axis=1))

    num = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        d = np.zeros_like(a)
        d[i] = 1e-6
        num[i] = (f(a + d) - f(a - d)) / 2e-6
    close(tape.gradient(y, x), num, rtol=1e-6)
    with pytest.raises(ValueError):
        tf.add_n([tf.zeros([2]), tf.zeros([3])])


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_clip_by_global_norm_of_a_non_finite_norm_is_nan_everywhere(bad):
    """TensorFlow signals an infinite or NaN global norm by NaN entries (not a silent 0)."""
    with np.errstate(invalid="ignore"):
        clipped, norm = tf.clip_by_global_norm([tf.constant([3.0]), tf.constant([bad])], 1.0)
    assert not np.isfinite(float(norm))
    assert all(np.isnan(c.numpy()).all() for c in clipped)


def test_clip_by_global_norm_keeps_each_tensors_dtype():
    clipped, _ = tf.clip_by_global_norm([tf.constant([3.0], tf.float32), tf.constant([4.0])], 1.0)
    assert [c.dtype for c in clipped] == [tf.float32, tf.float64]
    close(clipped[0], [0.6], rtol=1e-6), close(clipped[1], [0.8])


def test_clip_by_global_norm_and_moments_bias_add_embedding_lookup():
    clipped, norm = tf.clip_by_global_norm([tf.constant([3.0]), None, tf.constant([4.0])], 2.5)
    close(norm, 5.0), close(clipped[0], [1.5]), close(clipped[2], [2.0])
    assert clipped[1] is None
    mean, var = tf.nn.moments(tf.constant([[1.0, 2.0], [3.0, 6.0]]), axes=[0])
    close(mean, [2.0, 4.0]), close(var, [1.0, 4.0])
    close(tf.nn.bias_add(tf.zeros([2, 3]), tf.constant([1.0, 2.0, 3.0])), [[1, 2, 3]] * 2)
    params = tf.Variable([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    with tf.GradientTape() as tape:
        e = tf.nn.embedding_lookup(params, [2, 0, 2])
        loss = tf.reduce_sum(e)
    close(e, [[5, 6], [1, 2], [5, 6]])
    close(tape.gradient(loss, params), [[1, 1], [0, 0], [2, 2]])


def test_linalg_matvec_band_part_and_namespaces():
    a = np.arange(9.0).reshape(3, 3)
    close(tf.linalg.matvec(tf.constant(a), tf.constant([1.0, 0.0, 2.0])), a @ [1, 0, 2])
    close(tf.linalg.matvec(tf.constant(a), tf.constant([1.0, 0.0, 2.0]), transpose_a=True),
          a.T @ [1, 0, 2])
    close(tf.linalg.band_part(tf.constant(a), 0, -1), np.triu(a))
    close(tf.linalg.band_part(tf.constant(a), 1, 0), np.tril(np.triu(a, -1)))
    close(tf.linalg.einsum("ij,j->i", tf.constant(a), tf.ones([3])), a.sum(1))
    close(tf.linalg.tensordot(tf.constant(a), tf.constant(a), 1), a @ a)
    close(tf.sigmoid(tf.constant(0.0)), 0.5), close(tf.pow(2.0, 3.0), 8.0)
    close(tf.math.add_n([1.0, 2.0]), 3.0), close(tf.constant(7.0) // 2, 3.0)
    assert tf.is_tensor(tf.constant(1.0)) and tf.is_tensor(tf.Variable(1.0))
    assert not tf.is_tensor(np.ones(2)) and tf.executing_eagerly()


def test_nest_orders_dicts_by_key_as_tensorflow():
    structure = {"b": [1, 2], "a": (3, {"d": 4, "c": 5})}
    assert tf.nest.flatten(structure) == [3, 5, 4, 1, 2]
    assert tf.nest.pack_sequence_as(structure, range(5)) == {"b": [3, 4], "a": (0, {"d": 2,
                                                                                    "c": 1})}
    assert tf.nest.map_structure(lambda v: v * 10, [1, (2,)]) == [10, (20,)]
    with pytest.raises(ValueError):
        tf.nest.assert_same_structure([1, 2], [1])


def test_random_extras_data_extras_and_keras_backend():
    tf.random.set_seed(0)
    t = tf.random.truncated_normal([2000], mean=1.0, stddev=0.5, seed=3)
    assert float(tf.reduce_max(abs(t - 1.0))) <= 1.0 and t.dtype == tf.float64
    u = tf.random.uniform([3], seed=1, name="u")
    assert u.shape == (3,)
    x = tf.Variable([1.0, 2.0, 3.0, 4.0])
    with tf.GradientTape() as tape:
        s = tf.random.shuffle(x)
        y = tf.reduce_sum(s * s)
    assert sorted(s.numpy().tolist()) == [1.0, 2.0, 3.0, 4.0]
    close(tape.gradient(y, x), [2.0, 4.0, 6.0, 8.0])
    ds = tf.data.Dataset.range(6).filter(lambda v: v % 2 == 0).map(
        lambda v: v * 10, num_parallel_calls=tf.data.AUTOTUNE)
    assert [int(v) for v in ds.prefetch(tf.data.experimental.AUTOTUNE)] == [0, 20, 40]
    assert tf.keras.backend.floatx() == "float64"
    tf.keras.backend.set_floatx("float32")
    try:
        assert tf.constant(1.0).dtype == tf.float32
    finally:
        tf.set_default_dtype("float64")


def test_tf_function_keywords_are_accepted():
    @tf.function(input_signature=[tf.TensorSpec(shape=[None], dtype=tf.float64)],
                 reduce_retracing=True, autograph=False)
    def square_sum(x):
        return tf.reduce_sum(x * x)

    close(square_sum(tf.constant([1.0, 2.0])), 5.0)
    assert tf.TensorSpec([None, 3]).shape == (None, 3)


def test_minimize_with_a_recorded_loss_and_tape_and_learning_rate_schedules():
    v = tf.Variable(5.0)
    opt = tf.keras.optimizers.SGD(learning_rate=0.1)
    with tf.GradientTape() as tape:
        loss = v * v
    opt.minimize(loss, [v], tape=tape)
    close(v, 4.0)
    with pytest.raises(TypeError, match="tape="):
        opt.minimize(v * v, [v])
    schedule = tf.keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    w = tf.Variable(1.0)
    sgd = tf.keras.optimizers.SGD(learning_rate=schedule)
    for _ in range(3):
        sgd.apply_gradients([(tf.constant(1.0), w)])
    close(w, 1.0 - 0.1 - 0.05 - 0.025)
    stair = tf.keras.optimizers.schedules.ExponentialDecay(1.0, 2, 0.5, staircase=True)
    close([float(stair(s)) for s in range(5)], [1.0, 1.0, 0.5, 0.5, 0.25])
    inv = tf.keras.optimizers.schedules.InverseTimeDecay(1.0, 1, 1.0)
    close(float(inv(3)), 0.25)
    cos = tf.keras.optimizers.schedules.CosineDecay(2.0, 10)
    close([float(cos(0)), float(cos(5)), float(cos(20))], [2.0, 1.0, 0.0], atol=1e-12)

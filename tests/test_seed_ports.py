"""TensorFlow tutorial programs with only the import changed (``tf`` is ``workbench``): linear and
polynomial regression, least squares, a gradient-descent animation's values, the autodiff guides
end to end, ``tf.function`` basics and a Keras custom training loop with a TF 2 optimizer
subclass. Each reaches the numbers its tutorial documents (or a closed form).
"""

from __future__ import annotations

import numpy as np
import pytest

import workbench as tf


def close(t, expected, rtol=1e-6, atol=1e-8):
    assert t is not None, "gradient is None"
    np.testing.assert_allclose(np.asarray(t), expected, rtol=rtol, atol=atol)


# --- regression by hand -------------------------------------------------------------------
def test_linear_regression_absolute_error_sgd_by_hand_finds_10_and_5():
    tf.random.set_seed(0)
    x = tf.random.uniform([200], 0.0, 1.0)
    y = 10 * x + 5
    a = tf.Variable(tf.random.normal([]))
    b = tf.Variable(tf.random.normal([]))
    learning_rate = 0.05
    losses = []
    for _ in range(1500):
        with tf.GradientTape() as tape:
            y_pred = a * x + b
            loss = tf.reduce_mean(tf.abs(y_pred - y))
        grad_a, grad_b = tape.gradient(loss, [a, b])
        a.assign_sub(learning_rate * grad_a)
        b.assign_sub(learning_rate * grad_b)
        losses.append(loss.numpy())
    assert abs(a.numpy() - 10.0) < 0.1 and abs(b.numpy() - 5.0) < 0.1
    assert losses[-1] < 0.05 < losses[0]


def test_polynomial_fit_6x2_8x_2_with_keras_adam():
    x = np.linspace(-1.0, 1.0, 50).astype(np.float32)
    y = 6 * x**2 + 8 * x + 2
    a, b, c = tf.Variable(0.0), tf.Variable(0.0), tf.Variable(0.0)
    opt = tf.keras.optimizers.Adam(learning_rate=0.1)
    for _ in range(600):
        with tf.GradientTape() as tape:
            y_pred = a * x**2 + b * x + c
            loss = tf.reduce_mean(tf.square(y - y_pred))
        grads = tape.gradient(loss, [a, b, c])
        opt.apply_gradients(zip(grads, [a, b, c]))
    close([a.numpy(), b.numpy(), c.numpy()], [6.0, 8.0, 2.0], atol=2e-2)


def test_least_squares_normal_equations_match_gradient_descent():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 40)
    y = 3.0 * x - 1.0 + 0.1 * rng.standard_normal(40)
    X = tf.constant(np.stack([np.ones_like(x), x], axis=1))
    Y = tf.reshape(tf.constant(y), [-1, 1])
    beta_normal = tf.linalg.inv(tf.transpose(X) @ X) @ tf.transpose(X) @ Y
    beta_solve = tf.linalg.solve(tf.matmul(X, X, transpose_a=True),
                                 tf.matmul(X, Y, transpose_a=True))
    close(beta_normal, np.linalg.lstsq(X.numpy(), y[:, None], rcond=None)[0], rtol=1e-10)
    close(beta_solve, beta_normal.numpy(), rtol=1e-10)
    beta = tf.Variable(tf.zeros([2, 1]))
    for _ in range(2000):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((X @ beta - Y) ** 2)
        beta.assign_sub(0.5 * tape.gradient(loss, beta))
    close(beta, beta_normal.numpy(), rtol=1e-5, atol=1e-6)


def test_lecture_descent_on_beta_half_minus_one_squared_from_minus_10():
    b = tf.Variable(-10.0)
    lr = 0.5
    values = [b.numpy()]
    for _ in range(30):
        with tf.GradientTape() as tape:
            loss = (b / 2 - 1) ** 2
        b.assign_sub(lr * tape.gradient(loss, b))
        values.append(b.numpy())
    # b - 2 shrinks by (1 - lr/2) per step: b_k = 2 - 12 (3/4)^k
    close(values, 2 - 12 * 0.75 ** np.arange(31), rtol=1e-12)
    assert all(isinstance(v, np.floating) for v in values)  # scalars, as TensorFlow's numpy()
    assert np.array(values).shape == (31,)
    assert f"{values[1]:.2f}" == "-7.00"


# --- the autodiff guide, end to end ----------------------------------------------------------
def test_autodiff_guide_gradient_tapes_and_models():
    x = tf.Variable(3.0)
    with tf.GradientTape() as tape:
        y = x**2
    dy_dx = tape.gradient(y, x)
    assert dy_dx.numpy() == pytest.approx(6.0)

    w = tf.Variable(tf.random.normal((3, 2)), name="w")
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
    x = [[1.0, 2.0, 3.0]]
    with tf.GradientTape(persistent=True) as tape:
        y = x @ w + b
        loss = tf.reduce_mean(y**2)
    [dl_dw, dl_db] = tape.gradient(loss, [w, b])
    assert dl_dw.shape == w.shape and dl_dw.dtype == w.dtype
    my_vars = {"w": w, "b": b}
    grad = tape.gradient(loss, my_vars)
    close(grad["b"], dl_db.numpy())
    yv = (np.array(x) @ w.numpy() + b.numpy())[0]
    close(dl_db, yv, rtol=1e-5)  # d mean(y²)/db = 2y/2

    layer = tf.keras.layers.Dense(2, activation="relu")
    x = tf.constant([[1.0, 2.0, 3.0]])
    with tf.GradientTape() as tape:
        y = layer(x)
        loss = tf.reduce_mean(y**2)
    grad = tape.gradient(loss, layer.trainable_variables)
    shapes = [g.shape for g in grad]
    assert shapes == [(3, 2), (2,)]
    lines = [f"{var.name}, shape: {g.shape}" for var, g in zip(layer.trainable_variables, grad)]
    assert lines[0].endswith("kernel, shape: (3, 2)") and lines[1].endswith("bias, shape: (2,)")


def test_autodiff_guide_controlling_what_is_watched():
    x0 = tf.Variable(3.0, name="x0")
    x1 = tf.Variable(3.0, name="x1", trainable=False)
    x2 = tf.Variable(2.0, name="x2") + 1.0
    x3 = tf.constant(3.0, name="x3")
    with tf.GradientTape() as tape:
        y = (x0**2) + (x1**2) + (x2**2)
    grad = tape.gradient(y, [x0, x1, x2, x3])
    close(grad[0], 6.0)
    assert grad[1:] == [None, None, None]
    assert [var.name.split(":")[0] for var in tape.watched_variables()] == ["x0"]

    x0, x1 = tf.Variable(0.0), tf.Variable(10.0)
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x1)
        y0 = tf.math.sin(x0)
        y1 = tf.nn.softplus(x1)
        y = y0 + y1
        ys = tf.reduce_sum(y)
    grad = tape.gradient(ys, {"x0": x0, "x1": x1})
    assert grad["x0"] is None
    close(grad["x1"], 0.9999546, rtol=1e-6)


def test_autodiff_guide_intermediate_and_sigmoid_plot_values():
    x = tf.constant(3.0)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    close(tape.gradient(z, y), 18.0)

    x = tf.linspace(-10.0, 10.0, 200 + 1)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = tf.nn.sigmoid(x)
    dy_dx = tape.gradient(y, x)
    close(dy_dx[100], 0.25), close(tf.reduce_max(dy_dx), 0.25)
    assert np.asarray(dy_dx).shape == (201,) and np.asarray(y).shape == (201,)


@pytest.fixture
def float32_default():
    tf.set_default_dtype("float32")
    yield
    tf.set_default_dtype("float64")


def test_tensorflow_dtypes_with_float32_default(float32_default):
    w = tf.Variable(tf.random.normal((3, 2)), name="w")
    b = tf.Variable(tf.zeros(2, dtype=tf.float32), name="b")
    layer = tf.keras.layers.Dense(2)
    with tf.GradientTape() as tape:
        y = layer([[1.0, 2.0, 3.0]] @ w + b)
        loss = tf.reduce_mean(y**2)
    grads = tape.gradient(loss, [w, b, layer.kernel])
    assert [g.dtype for g in grads] == [tf.float32] * 3
    assert loss.dtype == tf.float32 and tf.linspace(-1.0, 1.0, 3).dtype == tf.float32
    assert tf.range(0.0, 1.0, 0.5).dtype == tf.float32 and tf.constant(1.0).dtype.is_floating


# --- the advanced autodiff guide ----------------------------------------------------------------
def test_advanced_guide_multiple_tapes():
    x0, x1 = tf.constant(0.0), tf.constant(0.0)
    with tf.GradientTape() as tape0, tf.GradientTape() as tape1:
        tape0.watch(x0)
        tape1.watch(x1)
        y0 = tf.math.sin(x0)
        y1 = tf.nn.sigmoid(x1)
        y = y0 + y1
        ys = tf.reduce_sum(y)
    close(tape0.gradient(ys, x0), 1.0)
    close(tape1.gradient(ys, x1), 0.25)


def test_advanced_guide_input_gradient_regularization():
    tf.random.set_seed(3)
    x = tf.random.normal([7, 5])
    layer = tf.keras.layers.Dense(10, activation=tf.nn.relu)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = layer(x)
            out = tf.reduce_sum(layer(x) ** 2)
        g1 = t1.gradient(out, x)
        g1_mag = tf.norm(g1)
    dg1_mag = t2.gradient(g1_mag, layer.trainable_variables)
    assert [var.shape for var in dg1_mag] == [(5, 10), (10,)]
    assert y.shape == (7, 10)
    assert all(np.isfinite(np.asarray(g)).all() for g in dg1_mag)


def test_advanced_guide_hessian_newton_step():
    tf.random.set_seed(4)
    x = tf.random.normal([7, 5])
    layer1 = tf.keras.layers.Dense(8, activation=tf.nn.relu)
    layer2 = tf.keras.layers.Dense(6, activation=tf.nn.relu)
    with tf.GradientTape() as t2:
        with tf.GradientTape() as t1:
            x = layer1(x)
            x = layer2(x)
            loss = tf.reduce_mean(x**2)
        g = t1.gradient(loss, layer1.kernel)
    h = t2.jacobian(g, layer1.kernel)
    assert layer1.kernel.shape == (5, 8) and h.shape == (5, 8, 5, 8)
    n_params = tf.reduce_prod(layer1.kernel.shape)
    g_vec = tf.reshape(g, [n_params, 1])
    h_mat = tf.reshape(h, [n_params, n_params])
    close(h_mat, np.asarray(h_mat).T, rtol=1e-4, atol=1e-6)  # a Hessian is symmetric
    eps = 1e-3
    eye_eps = tf.eye(h_mat.shape[0]) * eps
    update = tf.linalg.solve(h_mat + eye_eps, g_vec)
    before = layer1.kernel.numpy().copy()
    _ = layer1.kernel.assign_sub(tf.reshape(update, layer1.kernel.shape))
    close(layer1.kernel, before - np.asarray(update).reshape(5, 8), rtol=1e-6)


def test_advanced_guide_jacobians_and_batch_jacobian():
    tf.random.set_seed(5)
    x = tf.random.normal([7, 5])
    layer1 = tf.keras.layers.Dense(8, activation=tf.nn.elu)
    layer2 = tf.keras.layers.Dense(6, activation=tf.nn.elu)
    with tf.GradientTape(persistent=True, watch_accessed_variables=False) as tape:
        tape.watch(x)
        y = layer1(x)
        y = layer2(y)
    assert y.shape == (7, 6)
    j = tape.jacobian(y, x)
    assert j.shape == (7, 6, 7, 5)
    j_sum = tf.reduce_sum(j, axis=2)
    j_select = tf.einsum("bxby->bxy", j)
    jb = tape.batch_jacobian(y, x)
    assert j_sum.shape == j_select.shape == jb.shape == (7, 6, 5)
    assert float(tf.reduce_max(abs(jb - j_sum))) < 1e-3
    assert float(tf.reduce_max(abs(jb - j_select))) < 1e-6


# --- tf.function basics ------------------------------------------------------------------------
def test_tf_function_basics():
    @tf.function
    def add(a, b):
        return a + b

    close(add(tf.ones([2, 2]), tf.ones([2, 2])), [[2.0, 2.0], [2.0, 2.0]])
    v = tf.Variable(1.0)
    with tf.GradientTape() as tape:
        result = add(v, 1.0)
    close(tape.gradient(result, v), 1.0)

    @tf.function
    def dense_layer(x, w, b):
        return add(tf.matmul(x, w), b)

    close(dense_layer(tf.ones([3, 2]), tf.ones([2, 2]), tf.ones([2])), np.full((3, 2), 3.0))


# --- a Keras custom training loop with a TF 2 optimizer subclass -------------------------------
class SGOptimizer(tf.keras.optimizers.Optimizer):
    """Sign-guarded SGD written against TF 2's OptimizerV2 hooks."""

    def __init__(self, learning_rate=0.01, name="SGOptimizer", **kwargs):
        super().__init__(name, **kwargs)
        self._set_hyper("learning_rate", kwargs.get("lr", learning_rate))
        self._is_first = True

    def _create_slots(self, var_list):
        for var in var_list:
            self.add_slot(var, "pv")
        for var in var_list:
            self.add_slot(var, "pg")

    @tf.function
    def _resource_apply_dense(self, grad, var):
        var_dtype = var.dtype.base_dtype
        lr_t = self._decayed_lr(var_dtype)
        new_var_m = var - grad * lr_t
        pv_var = self.get_slot(var, "pv")
        pg_var = self.get_slot(var, "pg")
        if self._is_first:
            self._is_first = False
            new_var = new_var_m
        else:
            cond = grad * pg_var >= 0
            avg_weights = (pv_var + var) / 2.0
            new_var = tf.where(cond, new_var_m, avg_weights)
        pv_var.assign(var)
        pg_var.assign(grad)
        var.assign(new_var)

    def _resource_apply_sparse(self, grad_values, var, grad_indices):
        raise NotImplementedError

    def get_config(self):
        base_config = super().get_config()
        return {**base_config, "learning_rate": self._serialize_hyperparameter("learning_rate")}


def _blobs(n: int, seed: int):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]], dtype=np.float32)
    labels = rng.integers(0, 3, n)
    points = centers[labels] + 0.5 * rng.standard_normal((n, 2)).astype(np.float32)
    return points.astype(np.float32), labels.astype(np.int64)


@pytest.mark.parametrize("make_optimizer", [lambda: SGOptimizer(learning_rate=0.1),
                                            lambda: tf.keras.optimizers.Adam(1e-2)])
def test_keras_custom_training_loop(make_optimizer):
    tf.random.set_seed(7)
    x_train, y_train = _blobs(384, 0)
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)
    model = tf.keras.Sequential([tf.keras.layers.Dense(16, activation="relu", input_shape=(2,)),
                                 tf.keras.layers.Dense(3)])
    optimizer = make_optimizer()
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = tf.keras.metrics.SparseCategoricalAccuracy()

    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss_value = loss_fn(y, logits)
        grads = tape.gradient(loss_value, model.trainable_weights)
        optimizer.apply_gradients(zip(grads, model.trainable_weights))
        train_acc_metric.update_state(y, logits)
        return loss_value

    accuracies, losses = [], []
    for _epoch in range(8):
        for _step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            loss_value = train_step(x_batch_train, y_batch_train)
        accuracies.append(float(train_acc_metric.result()))
        losses.append(float(loss_value))
        train_acc_metric.reset_states()
    assert accuracies[-1] > 0.9 and losses[-1] < losses[0]
    x_test, y_test = _blobs(200, 1)
    predictions = tf.argmax(model(x_test, training=False), axis=1)
    assert float(tf.reduce_mean(tf.cast(predictions == y_test, tf.float32))) > 0.9
    if isinstance(optimizer, SGOptimizer):
        assert optimizer.get_config()["learning_rate"] == pytest.approx(0.1)


class ActivityRegularizationLayer(tf.keras.layers.Layer):
    def call(self, inputs):
        self.add_loss(1e-2 * tf.reduce_sum(inputs))
        return inputs


def test_keras_guide_losses_tracked_by_the_model_and_regularizers():
    inputs = tf.keras.Input(shape=(4,), name="digits")
    x = tf.keras.layers.Dense(8, activation="relu",
                              kernel_regularizer=tf.keras.regularizers.l2(1e-3))(inputs)
    x = ActivityRegularizationLayer()(x)
    outputs = tf.keras.layers.Dense(3, name="predictions")(x)
    model = tf.keras.Model(inputs=inputs, outputs=outputs)
    x_batch = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    with tf.GradientTape() as tape:
        logits = model(x_batch, training=True)
        loss_value = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)([0, 1], logits)
        loss_value += sum(model.losses)
    assert len(model.losses) == 2  # the activity loss of this call, the kernel's L2 penalty
    hidden = model.layers[1]
    h = np.maximum(x_batch @ hidden.kernel.numpy() + hidden.bias.numpy(), 0)
    expected = sorted([1e-2 * h.sum(), 1e-3 * np.sum(hidden.kernel.numpy() ** 2)])
    close(sorted(float(v) for v in model.losses), expected, rtol=1e-5)
    grads = tape.gradient(loss_value, model.trainable_weights)
    assert all(g is not None for g in grads)
    # the L2 penalty's gradient 2 * 1e-3 * kernel is part of the kernel's gradient
    with tf.GradientTape() as tape:
        penalty = tf.add_n(hidden.losses)
    close(tape.gradient(penalty, hidden.kernel), 2e-3 * hidden.kernel.numpy(), rtol=1e-5)
    assert tf.keras.regularizers.get("l2").l2 == pytest.approx(0.01)


def _images(n: int, seed: int):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    images = rng.normal(0.0, 0.3, (n, 8, 8)).astype("float32")
    images[labels == 1, 2:6, 2:6] += 1.0
    return images, labels


def test_mnist_style_cnn_with_fit_on_arrays_and_datasets():
    tf.random.set_seed(11)
    x_train, y_train = _images(320, 0)
    x_test, y_test = _images(100, 1)
    x_train, x_test = x_train[..., tf.newaxis].astype("float32"), x_test[..., tf.newaxis]
    model = tf.keras.models.Sequential([
        tf.keras.layers.Conv2D(4, 3, activation="relu", input_shape=(8, 8, 1)),
        tf.keras.layers.MaxPooling2D(),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(16, activation="relu"),
        tf.keras.layers.Dropout(0.2),
        tf.keras.layers.Dense(2),
    ])
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="adam", loss=loss_fn, metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=3, validation_split=0.25, verbose=0)
    assert set(history.history) >= {"loss", "accuracy", "val_loss", "val_accuracy"}
    ds_train = tf.data.Dataset.from_tensor_slices((x_train, y_train)).shuffle(1000).batch(32)
    ds_test = tf.data.Dataset.from_tensor_slices((x_test, y_test)).batch(50)
    history = model.fit(ds_train, epochs=3, validation_data=ds_test, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)  # noqa: RUF059 - the seed's line
    assert accuracy > 0.9
    _, accuracy_ds = model.evaluate(ds_test, verbose=0)
    assert accuracy_ds == pytest.approx(accuracy, rel=1e-6)
    probability_model = tf.keras.Sequential([model, tf.keras.layers.Softmax()])
    predictions = model.predict(x_test[:5])
    assert predictions.shape == (5, 2)
    probabilities = probability_model(x_test[:5]).numpy()
    e = np.exp(predictions - predictions.max(axis=1, keepdims=True))
    close(probabilities, e / e.sum(axis=1, keepdims=True), rtol=1e-5)

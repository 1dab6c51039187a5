"""Keras training: losses and metrics against formulas, compile/fit/evaluate/predict, the seeds'
two programs ported by changing imports only (on the 8x8 digits), optimizer subclassing."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_seed_ports import SGOptimizer as CustomSGDOptimizer  # the seed's optimizer

import workbench as wb
from workbench import keras

RNG = np.random.default_rng(9)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# --- losses -----------------------------------------------------------------------------------
def test_losses_match_their_formulas():
    logits = RNG.normal(size=(5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    onehot = np.eye(4)[labels]
    p = _softmax(logits)
    ce = -np.log(p[np.arange(5), labels])
    L = keras.losses
    np.testing.assert_allclose(L.categorical_crossentropy(onehot, p).numpy(), ce, rtol=1e-6)
    np.testing.assert_allclose(L.categorical_crossentropy(onehot, logits, from_logits=True)
                               .numpy(), ce, rtol=1e-12)
    np.testing.assert_allclose(float(L.SparseCategoricalCrossentropy(from_logits=True)(
        labels, logits)), ce.mean(), rtol=1e-12)
    np.testing.assert_allclose(float(L.SparseCategoricalCrossentropy()(labels[:, None], p)),
                               ce.mean(), rtol=1e-6)
    np.testing.assert_allclose(float(L.CategoricalCrossentropy()(onehot, p)), ce.mean(), rtol=1e-6)
    y, q = (RNG.uniform(size=(5, 3)) > 0.5) * 1.0, RNG.uniform(0.1, 0.9, size=(5, 3))
    bce = -(y * np.log(q) + (1 - y) * np.log(1 - q)).mean(-1)
    np.testing.assert_allclose(L.binary_crossentropy(y, q).numpy(), bce, rtol=1e-6)
    z = np.log(q / (1 - q))
    np.testing.assert_allclose(float(L.BinaryCrossentropy(from_logits=True)(y, z)), bce.mean(),
                               rtol=1e-10)
    np.testing.assert_allclose(float(L.MeanSquaredError()(y, q)), ((y - q) ** 2).mean(),
                               rtol=1e-12)
    np.testing.assert_allclose(float(L.MeanAbsoluteError()(y, q)), np.abs(y - q).mean(),
                               rtol=1e-12)
    # probabilities are clipped, as Keras does: a zero probability gives a finite loss
    assert np.isfinite(L.categorical_crossentropy([[1.0, 0.0]], [[0.0, 1.0]]).numpy()).all()
    with pytest.raises(ValueError, match=r"labels must be in \[0, 4\)"):
        L.sparse_categorical_crossentropy([4], logits[:1], from_logits=True)


def test_cross_entropy_from_logits_is_stable_and_its_gradient_is_softmax_minus_onehot():
    z = wb.constant(np.array([[1000.0, 0.0, -1000.0]]))
    with wb.GradientTape() as tape:
        tape.watch(z)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)([1], z)
    assert np.isfinite(float(loss)) and abs(float(loss) - 1000.0) < 1e-9
    np.testing.assert_allclose(tape.gradient(loss, z).numpy(), [[1.0, -1.0, 0.0]], atol=1e-12)


# --- metrics ----------------------------------------------------------------------------------
def test_metric_state_update_result_reset():
    m = keras.metrics.SparseCategoricalAccuracy()
    assert float(m.result()) == 0.0
    m.update_state([1, 0], [[0.1, 0.9], [0.2, 0.8]])
    m.update_state(np.array([[1]]), np.array([[0.3, 0.7]]))
    assert abs(float(m.result()) - 2 / 3) < 1e-6
    m.reset_states()
    assert float(m.result()) == 0.0
    m.update_state([0], [[0.9, 0.1]])
    m.reset_state()
    assert float(m.count) == 0.0
    c = keras.metrics.CategoricalAccuracy()
    assert abs(float(c([[0, 1], [1, 0]], [[0.4, 0.6], [0.4, 0.6]])) - 0.5) < 1e-6
    a = keras.metrics.Accuracy()
    a.update_state([1, 2, 3, 4], [1, 2, 0, 4])
    assert abs(float(a.result()) - 0.75) < 1e-6
    mean = keras.metrics.Mean()
    mean.update_state([1.0, 2.0], sample_weight=[3.0, 1.0])
    assert abs(float(mean.result()) - 1.25) < 1e-6


def test_accuracy_string_follows_the_loss():
    get = keras.metrics.get
    assert type(get("accuracy", "categorical_crossentropy")).__name__ == "CategoricalAccuracy"
    assert type(get("acc", keras.losses.SparseCategoricalCrossentropy())).__name__ == \
        "SparseCategoricalAccuracy"
    assert type(get("accuracy", "binary_crossentropy")).__name__ == "BinaryAccuracy"
    assert get("acc", "mse").name == "acc"


# --- compile / fit / evaluate / predict --------------------------------------------------------
def _blobs(n=240, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    centers = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    return centers[labels] + rng.normal(scale=0.5, size=(n, 2)), labels


def test_fit_evaluate_predict_on_separable_data(capsys):
    wb.random.set_seed(1)
    x, y = _blobs()
    model = keras.Sequential([keras.layers.Dense(16, activation="relu", input_shape=(2,)),
                              keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.Adam(0.05),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, batch_size=32, epochs=4, validation_data=(x[:60], y[:60]),
                        verbose=2)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 4 and "val_accuracy" in out
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 4
    loss, acc = model.evaluate(x, y, verbose=0)
    assert loss < before[0] and acc > 0.95
    logits = model.predict(x, batch_size=50)
    assert logits.shape == (240, 3)
    np.testing.assert_allclose((logits.argmax(1) == y).mean(), acc, atol=1e-6)
    only_loss = keras.Sequential([keras.layers.Dense(1, input_shape=(2,))])
    only_loss.compile("sgd", "mse")
    assert isinstance(only_loss.evaluate(x, y * 1.0, verbose=0), float)


def test_fit_prints_a_progress_bar(capsys):
    x, y = _blobs(64)
    model = keras.Sequential([keras.layers.Dense(3, input_shape=(2,))])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["acc"])
    with pytest.raises(RuntimeError, match="compile"):
        keras.Sequential([keras.layers.Dense(1)]).fit(x, y)
    model.compile("rmsprop", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=16, epochs=1)
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "4/4 [==============================]" in out


# --- the seed programs, ported by changing the imports ----------------------------------------
def _digits(n_train=600, flat=False):
    (x_train, y_train), (x_test, y_test) = keras.datasets.digits.load_data()
    shape = (-1, 64) if flat else (-1, 8, 8, 1)
    x_train = x_train[:n_train].reshape(shape).astype("float32") / 16.0
    x_test = x_test.reshape(shape).astype("float32") / 16.0
    return (x_train, y_train[:n_train]), (x_test, y_test)


def test_seed_cnn_with_adam_and_categorical_crossentropy():
    pytest.importorskip("sklearn")
    import workbench as tf  # the seed's `import tensorflow as tf`
    from workbench.keras.layers import Conv2D, Dense, Dropout, Flatten, MaxPooling2D
    from workbench.keras.models import Sequential

    tf.random.set_seed(0)
    (x_train, y_train), (x_test, y_test) = _digits(n_train=320)
    y_train = tf.keras.utils.to_categorical(y_train, 10)
    y_test = tf.keras.utils.to_categorical(y_test, 10)
    model = Sequential()
    model.add(Conv2D(8, kernel_size=(3, 3), activation="relu", input_shape=(8, 8, 1)))
    model.add(Conv2D(16, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Dropout(0.25))
    model.add(Flatten())
    model.add(Dense(32, activation="relu"))
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        optimizer = tf.keras.optimizers.Adam(lr=0.01)
    loss_fn = tf.keras.losses.categorical_crossentropy
    for _epoch in range(4):
        for i in range(0, len(x_train), 32):
            x_batch, y_batch = x_train[i:i + 32], y_train[i:i + 32]
            with tf.GradientTape() as tape:
                predictions = model(x_batch, training=True)
                loss = tf.reduce_mean(loss_fn(y_batch, predictions))
            gradients = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["accuracy"])
    score = model.evaluate(x_test, y_test, verbose=0)
    assert len(score) == 2 and score[1] > 0.6 and score[0] < 1.5, score  # chance: 0.1, 2.3


def test_custom_sgd_optimizer_follows_its_rule():
    w = wb.Variable(np.ones(3), name="w")
    opt = CustomSGDOptimizer(learning_rate=0.1)
    for _ in range(3):
        with wb.GradientTape() as tape:
            loss = wb.sum((w - 3.0) ** 2)
        opt.apply_gradients(zip(tape.gradient(loss, [w]), [w]))
    # by hand: 1 -> 1.4 (plain step), then grads keep their sign: 1.72, 1.976
    np.testing.assert_allclose(w.numpy(), 1.976, rtol=1e-12)
    np.testing.assert_allclose(opt.get_slot(w, "pv").numpy(), 1.72, rtol=1e-12)
    assert opt.add_slot(w, "pv") is opt.get_slot(w, "pv")  # a second add returns the slot
    assert opt.get_config()["learning_rate"] == 0.1 and opt.get_config()["name"] == opt.name


def test_seed_custom_training_loop():
    pytest.importorskip("sklearn")
    import workbench as tf

    tf.random.set_seed(0)
    (x_train, y_train), (x_val, y_val) = _digits(n_train=800, flat=True)
    inputs = tf.keras.Input(shape=(64,), name="digits")
    x1 = tf.keras.layers.Dense(64, activation="relu")(inputs)
    x2 = tf.keras.layers.Dense(64, activation="relu")(x1)
    outputs = tf.keras.layers.Dense(10, name="predictions")(x2)
    model = tf.keras.Model(inputs=inputs, outputs=outputs)
    optimizer = CustomSGDOptimizer(learning_rate=0.1)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    train_acc_metric = tf.keras.metrics.SparseCategoricalAccuracy()
    val_acc_metric = tf.keras.metrics.SparseCategoricalAccuracy()
    batch_size = 64
    train_dataset = tf.data.Dataset.from_tensor_slices((x_train, y_train))
    train_dataset = train_dataset.shuffle(buffer_size=1024, seed=0).batch(batch_size)
    val_dataset = tf.data.Dataset.from_tensor_slices((x_val, y_val)).batch(batch_size)
    val_accs = []
    for _epoch in range(10):
        for _step, (x_batch_train, y_batch_train) in enumerate(train_dataset):
            with tf.GradientTape() as tape:
                logits = model(x_batch_train, training=True)
                loss_value = loss_fn(y_batch_train, logits)
            grads = tape.gradient(loss_value, model.trainable_weights)
            optimizer.apply_gradients(zip(grads, model.trainable_weights))
            train_acc_metric.update_state(y_batch_train, logits)
        train_acc = train_acc_metric.result()
        train_acc_metric.reset_states()
        for x_batch_val, y_batch_val in val_dataset:
            val_logits = model(x_batch_val, training=False)
            val_acc_metric.update_state(y_batch_val, val_logits)
        val_accs.append(float(val_acc_metric.result()))
        val_acc_metric.reset_states()
    assert float(train_acc) > 0.85 and val_accs[-1] > 0.85 and val_accs[-1] > val_accs[0]


# --- optimizer subclassing, both APIs -------------------------------------------------------
class KerasMomentum(keras.optimizers.Optimizer):
    """The current Keras API: build(var_list), update_step(gradient, variable, learning_rate)."""

    def __init__(self, learning_rate=0.1, momentum=0.5, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self.velocities = [self.add_variable_from_reference(v, "velocity") for v in var_list]

    def update_step(self, gradient, variable, learning_rate):
        v = self.velocities[self._get_variable_index(variable)]
        v.assign(self.momentum * v - learning_rate * gradient)
        variable.assign_add(v)


def test_keras3_style_subclass_matches_sgd_with_momentum():
    a, b = wb.Variable([1.0, -2.0], name="a"), wb.Variable([3.0], name="b")
    ref_a, ref_b = wb.Variable([1.0, -2.0]), wb.Variable([3.0])
    mine, ref = KerasMomentum(0.1, 0.5), keras.optimizers.SGD(0.1, momentum=0.5)
    for _ in range(4):
        for opt, (x, y) in ((mine, (a, b)), (ref, (ref_a, ref_b))):
            with wb.GradientTape() as tape:
                loss = wb.sum(x ** 2) + wb.sum(y ** 3)
            opt.apply_gradients(zip(tape.gradient(loss, [x, y]), [x, y]))
    np.testing.assert_allclose(a.numpy(), ref_a.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), ref_b.numpy(), rtol=1e-12)
    assert len(mine.velocities) == 2 and mine.velocities[1].shape == (1,)


def test_wrong_constructor_calls_fail_at_once():
    class Broken(keras.optimizers.Optimizer):
        def __init__(self, learning_rate=0.01, **kwargs):
            super().__init__([learning_rate], **kwargs)

    with pytest.raises(TypeError, match="learning_rate must be a number"):
        Broken()
    with pytest.raises(TypeError, match=r"SGOptimizer.__init__.*unexpected keyword"):
        CustomSGDOptimizer(momentum=0.9)
    with pytest.raises(TypeError, match="not both"):
        keras.optimizers.SGD(learning_rate=0.1, lr=0.2)
    with pytest.warns(DeprecationWarning, match="`lr` is deprecated"):
        opt = keras.optimizers.RMSprop(lr=0.02)
    assert opt.learning_rate == 0.02


def test_decayed_lr_and_hypers():
    opt = CustomSGDOptimizer(learning_rate=0.5, decay=1.0)
    opt._set_hyper("beta", 0.25)
    assert opt._get_hyper("beta") == 0.25
    assert opt._get_hyper("learning_rate", np.float32).dtype == np.float32
    w = wb.Variable(0.0)
    for _ in range(2):
        opt.apply_gradients([(wb.constant(1.0), w)])
    # lr / (1 + decay * iterations): 0.5 at step 0 then 0.25 at step 1 (same grad sign)
    np.testing.assert_allclose(float(w), -0.75, rtol=1e-12)
    with pytest.raises(KeyError, match="no hyperparameter 'gamma'"):
        opt._get_hyper("gamma")


# --- compiled training ------------------------------------------------------------------------
def _dense_model_and_step(compiled: bool):
    wb.random.set_seed(3)
    model = keras.Sequential([keras.layers.Dense(8, activation="relu", input_shape=(4,)),
                              keras.layers.Dense(3)])
    optimizer = keras.optimizers.Adam(0.01)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def step(real_x, real_y):
        with wb.GradientTape() as tape:
            pred = model(real_x, training=True)
            loss = loss_fn(real_y, pred)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    return model, (wb.function(step) if compiled else step)


def test_compiled_dense_training_step_equals_eager():
    x = RNG.normal(size=(16, 4))
    y = np.arange(16) % 3
    eager_model, eager = _dense_model_and_step(False)
    compiled_model, compiled = _dense_model_and_step(True)
    for _ in range(3):
        np.testing.assert_allclose(float(compiled(x, y)), float(eager(x, y)), rtol=1e-12)
    for a, b in zip(eager_model.weights, compiled_model.weights, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-10, atol=1e-14)


def test_metrics_update_inside_a_compiled_step():
    acc = keras.metrics.SparseCategoricalAccuracy()
    mean = keras.metrics.Mean()
    labels = np.array([0, 1, 2, 1])

    @wb.function
    def step(logits, labels):
        acc.update_state(labels, logits)
        mean.update_state(wb.sum(logits, axis=1))
        return acc.result()

    logits = RNG.normal(size=(4, 3))
    want = (logits.argmax(1) == labels).mean()
    np.testing.assert_allclose(float(step(logits, labels)), want, rtol=1e-6)
    np.testing.assert_allclose(float(step(-logits, labels)), (want + ((-logits).argmax(1) ==
                               labels).mean()) / 2, rtol=1e-6)
    assert float(acc.count) == 8.0
    np.testing.assert_allclose(float(mean.result()), 0.0, atol=1e-6)  # logits and -logits


def test_compiled_dropout_draws_a_fresh_mask_every_call_and_its_gradient_uses_it():
    rate = 0.25

    @wb.function
    def step(v):
        with wb.GradientTape() as tape:
            tape.watch(v)
            y = wb.nn.dropout(v, rate)
            loss = wb.reduce_sum(y * v)
        return y, tape.gradient(loss, v)

    v = np.linspace(1.0, 2.0, 4000)
    (y1, g1), (y2, g2) = step(v), step(v)
    y1, y2, g1, g2 = (t.numpy() for t in (y1, y2, g1, g2))
    scale = 1.0 / (1.0 - rate)
    for y, g in ((y1, g1), (y2, g2)):
        mask = y / v                       # 0 where dropped, 1/(1-rate) where kept
        assert np.all(np.isclose(mask, 0.0) | np.isclose(mask, scale))
        assert abs(np.mean(np.isclose(mask, 0.0)) - rate) < 0.03   # 4000 draws: sd ~0.007
        np.testing.assert_allclose(g, 2.0 * mask * v, rtol=1e-12)  # d(mask*v*v)/dv
    assert np.mean(np.isclose(y1, 0.0) != np.isclose(y2, 0.0)) > 0.2  # a new mask each call

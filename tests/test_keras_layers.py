"""Keras layers and models: outputs against NumPy references, parameter counts, summary, weights."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench import keras
from workbench.keras import layers

RNG = np.random.default_rng(4)


def _seed_cnn():
    """The seed's MNIST CNN, as written in the tutorial."""
    model = keras.Sequential()
    model.add(layers.Conv2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(layers.Conv2D(64, (3, 3), activation="relu"))
    model.add(layers.MaxPooling2D(pool_size=(2, 2)))
    model.add(layers.Dropout(0.25))
    model.add(layers.Flatten())
    model.add(layers.Dense(128, activation="relu"))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(10, activation="softmax"))
    return model


def test_seed_cnn_parameter_counts_and_summary(capsys):
    model = _seed_cnn()
    assert model.count_params() == 1_199_882
    assert [layer.count_params() for layer in model.layers] == [320, 18496, 0, 0, 0, 1179776,
                                                                0, 1290]
    assert len(model.trainable_variables) == 8
    model.summary()
    text = capsys.readouterr().out
    assert "Total params: 1,199,882" in text and "Non-trainable params: 0" in text
    assert "(None, 12, 12, 64)" in text and "(None, 9216)" in text
    assert "conv2d_" in text or "conv2d " in text


def test_dense_matches_numpy():
    layer = layers.Dense(3, activation="tanh")
    x = RNG.normal(size=(4, 5))
    y = layer(x)
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    np.testing.assert_allclose(y.numpy(), np.tanh(x @ k + b), rtol=1e-12)
    assert k.shape == (5, 3) and np.all(b == 0)


def test_conv2d_layer_is_nn_conv2d_plus_bias():
    layer = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu",
                          bias_initializer=keras.initializers.Constant(0.1))
    x = RNG.normal(size=(2, 7, 7, 3))
    y = layer(x)
    want = np.maximum(wb.nn.conv2d(x, layer.kernel.numpy(), 2, "SAME").numpy() + 0.1, 0)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    assert y.shape == (2, 4, 4, 4) and layer.kernel.shape == (3, 3, 3, 4)


def test_pooling_flatten_activation_layers():
    x = RNG.normal(size=(2, 6, 6, 3))
    np.testing.assert_allclose(layers.MaxPooling2D()(x).numpy(),
                               wb.nn.max_pool2d(x, 2, 2, "VALID").numpy(), rtol=0)
    np.testing.assert_allclose(layers.AveragePooling2D(3, strides=1, padding="same")(x).numpy(),
                               wb.nn.avg_pool2d(x, 3, 1, "SAME").numpy(), rtol=0)
    assert layers.Flatten()(x).shape == (2, 108)
    np.testing.assert_allclose(layers.Activation("softmax")(x).numpy().sum(-1), 1.0, rtol=1e-12)


def test_dropout_layer_only_while_training():
    layer = layers.Dropout(0.5)
    x = np.ones((2, 1000))
    np.testing.assert_allclose(layer(x).numpy(), x, rtol=0)
    y = layer(x, training=True).numpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        layers.Dropout(1.5)


def test_sequential_builds_on_first_call_and_input_layer():
    model = keras.Sequential([layers.Dense(4), layers.Dense(2)])
    assert not model.built
    with pytest.raises(ValueError, match="not built yet"):
        model.summary()
    assert model(np.ones((3, 5))).shape == (3, 2)
    assert model.built and model.count_params() == 5 * 4 + 4 + 4 * 2 + 2
    built = keras.Sequential([keras.Input(shape=(5,)), layers.Dense(4)])
    assert built.built and built.count_params() == 24
    assert keras.Sequential([layers.Dense(2, input_dim=3)]).count_params() == 8


class _Net(keras.Model):
    def __init__(self):
        super().__init__()
        self.blocks = [layers.Dense(8, activation="relu"), layers.Dense(8, activation="relu")]
        self.head = layers.Dense(3)
        self.drop = layers.Dropout(0.5)

    def call(self, x, training=False):
        for block in self.blocks:
            x = block(x)
        return self.head(self.drop(x, training=training))


def test_model_subclass_collects_variables_from_attributes_and_lists():
    net = _Net()
    x = RNG.normal(size=(4, 6))
    y = net(x)
    assert y.shape == (4, 3)
    assert len(net.trainable_variables) == 6 and len(net.trainable_weights) == 6
    assert net.count_params() == 6 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3
    np.testing.assert_allclose(net(x).numpy(), y.numpy(), rtol=0)  # inference: no dropout
    net.head.trainable = False
    assert len(net.trainable_variables) == 4 and len(net.non_trainable_weights) == 2
    with pytest.raises(TypeError, match=r"one keras.Input"):
        keras.Model(1, 2)


def test_functional_model_replays_its_chain_of_layers():
    inputs = keras.Input(shape=(6,), name="digits")
    x = layers.Dense(8, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(3, name="predictions")(layers.Dropout(0.5)(x))
    assert outputs.shape == (None, 3)
    model = keras.Model(inputs=inputs, outputs=outputs)
    assert [type(layer).__name__ for layer in model.layers] == ["InputLayer", "Dense", "Dropout",
                                                                 "Dense"]
    assert model.count_params() == 6 * 8 + 8 + 8 * 3 + 3 and len(model.trainable_weights) == 4
    data = RNG.normal(size=(5, 6))
    k1, b1, k2, b2 = (w.numpy() for w in model.trainable_weights)
    want = np.maximum(data @ k1 + b1, 0) @ k2 + b2
    np.testing.assert_allclose(model(data).numpy(), want, rtol=1e-12)
    assert not np.allclose(model(data, training=True).numpy(), want)  # dropout while training
    with pytest.raises(ValueError, match="not computed from inputs"):
        keras.Model(inputs=keras.Input((6,)), outputs=outputs)


def test_gradients_flow_to_every_trainable_variable():
    model = _seed_cnn()
    x = RNG.normal(size=(2, 28, 28, 1))
    with wb.GradientTape() as tape:
        loss = wb.reduce_mean(keras.losses.categorical_crossentropy(
            keras.utils.to_categorical([3, 7], 10), model(x, training=True)))
    grads = tape.gradient(loss, model.trainable_variables)
    assert all(g is not None and g.shape == v.shape
               for g, v in zip(grads, model.trainable_variables))


def test_unknown_layer_argument_is_rejected_at_once():
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        layers.Dense(3, activaton="relu")


def test_initializers_statistics():
    wb.random.set_seed(0)
    w = keras.initializers.GlorotUniform()((200, 300))
    limit = np.sqrt(6 / 500)
    assert np.abs(w).max() <= limit and abs(w.std() - limit / np.sqrt(3)) < 0.01 * limit
    h = keras.initializers.HeNormal(seed=1)((3, 3, 64, 32))
    assert abs(h.std() - np.sqrt(2 / (9 * 64))) < 0.02 * np.sqrt(2 / (9 * 64))
    assert np.abs(h).max() <= 2 * np.sqrt(2 / (9 * 64)) / 0.8796 + 1e-12
    r = keras.initializers.RandomNormal(mean=1.0, stddev=0.5, seed=2)((10000,))
    assert abs(r.mean() - 1.0) < 0.03 and abs(r.std() - 0.5) < 0.02
    assert np.all(keras.initializers.Zeros()((3,)) == 0)
    assert keras.initializers.Constant(2.0)((2,), dtype=np.float32).dtype == np.float32


def test_to_categorical():
    np.testing.assert_array_equal(keras.utils.to_categorical(np.array([[1], [0]]), 3),
                                  [[0, 1, 0], [1, 0, 0]])
    assert keras.utils.to_categorical([2, 0]).shape == (2, 3)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        keras.utils.to_categorical([2], 2)

"""Keras's softmax and sigmoid activations keep their logits, and the cross-entropy losses use
them (as Keras does): exact where clipped probabilities would not be."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import workbench as wb
from workbench import keras

LOGITS = arrays(np.float64, (3, 4), elements=st.floats(-60, 60))


def log_softmax_reference(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@settings(max_examples=40, deadline=None)
@given(LOGITS, st.integers(0, 3))
def test_categorical_crossentropy_of_a_softmax_activation_uses_the_logits(z, label):
    y = np.eye(4)[[label, (label + 1) % 4, label]]
    p = keras.activations.get("softmax")(wb.constant(z))
    got = keras.losses.categorical_crossentropy(y, p).numpy()
    np.testing.assert_allclose(got, -(y * log_softmax_reference(z)).sum(-1), rtol=1e-12,
                               atol=1e-12)
    sparse = keras.losses.sparse_categorical_crossentropy([label, (label + 1) % 4, label], p)
    np.testing.assert_allclose(sparse.numpy(), got, rtol=1e-12, atol=1e-12)


def test_plain_probabilities_are_still_clipped_as_keras_clips_them():
    z = np.array([[50.0, 0.0]])
    y = np.array([[0.0, 1.0]])
    via_activation = keras.losses.categorical_crossentropy(y, keras.activations.softmax(
        wb.constant(z))).numpy()
    via_tf_nn = keras.losses.categorical_crossentropy(y, wb.nn.softmax(wb.constant(z))).numpy()
    np.testing.assert_allclose(via_activation, [50.0], rtol=1e-12)  # exact: -log_softmax
    np.testing.assert_allclose(via_tf_nn, [-np.log(1e-7)], rtol=1e-6)  # clipped at Keras's eps


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, (5, 1), elements=st.floats(-40, 40)),
       arrays(np.float64, (5, 1), elements=st.sampled_from([0.0, 1.0])))
def test_binary_crossentropy_of_a_sigmoid_activation_uses_the_logits(z, y):
    p = keras.activations.get("sigmoid")(wb.constant(z))
    got = keras.losses.binary_crossentropy(y, p).numpy()
    reference = np.logaddexp(0.0, z) - z * y  # -y log σ(z) - (1-y) log(1-σ(z)), exactly
    np.testing.assert_allclose(got, reference.mean(-1), rtol=1e-12, atol=1e-12)


def test_gradient_through_a_dense_softmax_layer_matches_central_differences():
    rng = np.random.default_rng(3)
    layer = keras.layers.Dense(3, activation="softmax")
    x = rng.normal(size=(4, 5))
    y = np.eye(3)[[0, 2, 1, 1]]
    loss_fn = keras.losses.CategoricalCrossentropy()
    with wb.GradientTape() as tape:
        loss = loss_fn(y, layer(x))
    kernel = layer.trainable_variables[0]
    grad = tape.gradient(loss, kernel).numpy()

    def loss_at(w: np.ndarray) -> float:
        z = x @ w + layer.trainable_variables[1].numpy()
        return float(-(y * log_softmax_reference(z)).sum(-1).mean())

    w0, h = kernel.numpy(), 1e-6
    fd = np.zeros_like(w0)
    for idx in np.ndindex(w0.shape):
        step = np.zeros_like(w0)
        step[idx] = h
        fd[idx] = (loss_at(w0 + step) - loss_at(w0 - step)) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("axis", [0])
def test_softmax_over_another_axis_keeps_no_logits(axis):
    p = keras.activations.softmax(wb.constant(np.zeros((2, 2))), axis=axis)
    assert getattr(p, "_keras_logits", None) is None

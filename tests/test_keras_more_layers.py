"""More Keras layers and activations: outputs against NumPy formulas, gradients against central
differences, parameter counts, get_config round trips, merging in the functional API, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import workbench as wb
from workbench import keras
from workbench.keras import activations, layers

RNG = np.random.default_rng(8)


def _numeric_grad(f, x, h=1e-6):
    out = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[idx] += h
        down[idx] -= h
        out[idx] = (f(up) - f(down)) / (2 * h)
    return out


def _grad_of_weight(layer, x, weight, cot):
    """d sum(cot * layer(x)) / d weight, by the tape and by central differences."""
    with wb.GradientTape() as tape:
        total = wb.reduce_sum(layer(x) * cot)
    got = tape.gradient(total, weight).numpy()
    saved = weight.numpy()

    def f(value):
        weight.assign(value)
        return float(np.sum(layer(x).numpy() * cot))

    want = _numeric_grad(f, saved)
    weight.assign(saved)
    return got, want


# --- normalization and embedding ---------------------------------------------------------------
def test_layer_normalization_matches_numpy_and_counts():
    x = RNG.normal(size=(3, 4, 5))
    ln = layers.LayerNormalization()
    y = ln(x).numpy()
    mu, var = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(y, (x - mu) / np.sqrt(var + 1e-3), rtol=1e-12)
    assert ln.count_params() == 10 and [w.name for w in ln.weights] == [
        f"{ln.name}/gamma", f"{ln.name}/beta"]
    ln2 = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5, center=False)
    y2 = ln2(x).numpy()
    mu, var = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(y2, (x - mu) / np.sqrt(var + 1e-5), rtol=1e-12)
    assert ln2.gamma.shape == (4, 5) and ln2.count_params() == 20


def test_layer_normalization_gradients():
    x = RNG.normal(size=(2, 6))
    ln = layers.LayerNormalization()
    ln(x)
    ln.gamma.assign(RNG.normal(size=6))
    cot = RNG.normal(size=(2, 6))
    got, want = _grad_of_weight(ln, x, ln.gamma, cot)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    xv = wb.Variable(x)
    with wb.GradientTape() as tape:
        total = wb.reduce_sum(ln(xv) * cot)
    grad_x = tape.gradient(total, xv).numpy()
    want_x = _numeric_grad(lambda v: float(np.sum(ln(v).numpy() * cot)), x)
    np.testing.assert_allclose(grad_x, want_x, rtol=1e-5, atol=1e-7)


def test_layer_normalization_rejects_the_batch_axis():
    with pytest.raises(ValueError, match="batch"):
        layers.LayerNormalization(axis=0)(np.ones((2, 3)))


def test_embedding_lookup_gradient_and_errors():
    emb = layers.Embedding(7, 3)
    ids = np.array([[1, 4, 4], [0, 6, 1]])
    out = emb(ids)
    table = emb.embeddings.numpy()
    np.testing.assert_allclose(out.numpy(), table[ids], rtol=0)
    assert emb.count_params() == 21 and np.abs(table).max() <= 0.05  # Keras's "uniform"
    cot = RNG.normal(size=(2, 3, 3))
    with wb.GradientTape() as tape:
        total = wb.reduce_sum(emb(ids) * cot)
    grad = tape.gradient(total, emb.embeddings).numpy()
    want = np.zeros((7, 3))
    np.add.at(want, ids, cot)  # each row gets the cotangents of every lookup of it
    np.testing.assert_allclose(grad, want, rtol=1e-12)
    with pytest.raises(ValueError, match=r"\[0, 7\)"):
        emb(np.array([[7]]))
    with pytest.raises(TypeError, match="integer"):
        emb(np.array([[0.5]]))
    with pytest.raises(NotImplementedError, match="mask_zero"):
        layers.Embedding(3, 2, mask_zero=True)


def test_embedding_trains_in_a_sequential_model():
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 10, size=(64, 4))
    y = (ids.sum(-1, keepdims=True) > 18).astype(float)
    model = keras.Sequential([layers.Embedding(10, 4), layers.GlobalAveragePooling1D(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy")
    history = model.fit(ids, y, epochs=10, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.count_params() == 40 + 5


# --- convolution and pooling ---------------------------------------------------------------------
def _np_conv1d(x, k, b, stride, dilation, padding):
    steps = x.shape[1]
    ks = k.shape[0]
    span = dilation * (ks - 1) + 1
    if padding == "causal":
        x = np.pad(x, ((0, 0), (span - 1, 0), (0, 0)))
    elif padding == "same":
        out = -(-steps // stride)
        total = max((out - 1) * stride + span - steps, 0)
        x = np.pad(x, ((0, 0), (total // 2, total - total // 2), (0, 0)))
    outs = []
    for start in range(0, x.shape[1] - span + 1, stride):
        window = x[:, start:start + span:dilation, :]  # (n, ks, in)
        outs.append(np.einsum("nki,kio->no", window, k) + b)
    return np.stack(outs, axis=1)


@pytest.mark.parametrize("padding, stride, dilation", [
    ("valid", 1, 1), ("valid", 2, 1), ("same", 1, 2), ("same", 2, 1), ("causal", 1, 1),
    ("causal", 1, 3)])
def test_conv1d_matches_a_direct_loop(padding, stride, dilation):
    x = RNG.normal(size=(2, 9, 3))
    layer = layers.Conv1D(4, 3, strides=stride, dilation_rate=dilation, padding=padding,
                          bias_initializer=keras.initializers.Constant(0.2))
    y = layer(x).numpy()
    want = _np_conv1d(x, layer.kernel.numpy(), layer.bias.numpy(), stride, dilation, padding)
    np.testing.assert_allclose(y, want, rtol=1e-12, atol=1e-12)
    assert layer.kernel.shape == (3, 3, 4) and layer.count_params() == 3 * 3 * 4 + 4


def test_conv1d_kernel_gradient_and_rank_error():
    x = RNG.normal(size=(2, 6, 2))
    layer = layers.Conv1D(3, 2, padding="causal", activation="tanh")
    layer(x)
    got, want = _grad_of_weight(layer, x, layer.kernel, RNG.normal(size=(2, 6, 3)))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="rank 3"):
        layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match="padding"):
        layers.Conv1D(2, 3, padding="full")


def test_pooling_1d_and_global_pooling():
    x = RNG.normal(size=(2, 7, 3))
    mp = layers.MaxPooling1D(pool_size=2)(x).numpy()
    np.testing.assert_allclose(mp, x[:, :6].reshape(2, 3, 2, 3).max(axis=2), rtol=0)
    ap = layers.AveragePooling1D(3, strides=2)(x).numpy()
    want = np.stack([x[:, s:s + 3].mean(1) for s in range(0, 5, 2)], axis=1)
    np.testing.assert_allclose(ap, want, rtol=1e-12)
    same = layers.AveragePooling1D(2, padding="same")(x).numpy()  # the last window has 1 step
    np.testing.assert_allclose(same[:, -1], x[:, -1], rtol=1e-12)
    np.testing.assert_allclose(layers.GlobalAveragePooling1D()(x).numpy(), x.mean(1),
                               rtol=1e-12)
    np.testing.assert_allclose(layers.GlobalMaxPooling1D()(x).numpy(), x.max(1), rtol=0)
    img = RNG.normal(size=(2, 4, 5, 3))
    np.testing.assert_allclose(layers.GlobalAveragePooling2D()(img).numpy(), img.mean((1, 2)),
                               rtol=1e-12)
    kept = layers.GlobalMaxPooling2D(keepdims=True)(img).numpy()
    np.testing.assert_allclose(kept, img.max((1, 2), keepdims=True), rtol=0)
    with pytest.raises(ValueError, match="rank 4"):
        layers.GlobalAveragePooling2D()(x)


# --- activations layers --------------------------------------------------------------------------
def test_leaky_relu_elu_prelu():
    x = RNG.normal(size=(3, 4, 2))
    np.testing.assert_allclose(layers.LeakyReLU()(x).numpy(), np.where(x > 0, x, 0.3 * x))
    np.testing.assert_allclose(layers.LeakyReLU(negative_slope=0.1)(x).numpy(),
                               np.where(x > 0, x, 0.1 * x))
    np.testing.assert_allclose(layers.ELU(alpha=0.5)(x).numpy(),
                               np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-12)
    prelu = layers.PReLU(shared_axes=[1])
    prelu(x)
    assert prelu.alpha.shape == (1, 2) and prelu.count_params() == 2
    prelu.alpha.assign(np.array([[0.2, -0.5]]))
    np.testing.assert_allclose(prelu(x).numpy(), np.where(x > 0, x, prelu.alpha.numpy() * x),
                               rtol=1e-12)
    got, want = _grad_of_weight(prelu, x, prelu.alpha, RNG.normal(size=x.shape))
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match="shared axis"):
        layers.PReLU(shared_axes=[3])(x)


# --- reshaping and noise -------------------------------------------------------------------------
def test_padding_cropping_upsampling():
    img = RNG.normal(size=(2, 3, 4, 2))
    zp = layers.ZeroPadding2D(((1, 2), (0, 1)))(img).numpy()
    np.testing.assert_allclose(zp, np.pad(img, ((0, 0), (1, 2), (0, 1), (0, 0))), rtol=0)
    np.testing.assert_allclose(layers.ZeroPadding2D(1)(img).numpy(),
                               np.pad(img, ((0, 0), (1, 1), (1, 1), (0, 0))), rtol=0)
    cr = layers.Cropping2D(((1, 0), (1, 2)))(img).numpy()
    np.testing.assert_allclose(cr, img[:, 1:, 1:2], rtol=0)
    up = layers.UpSampling2D((2, 3))(img).numpy()
    np.testing.assert_allclose(up, img.repeat(2, axis=1).repeat(3, axis=2), rtol=0)
    x = wb.Variable(img)
    with wb.GradientTape() as tape:
        total = wb.reduce_sum(layers.UpSampling2D(2)(x) * 1.5)
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), np.full(img.shape, 6.0))
    with pytest.raises(ValueError, match="leaves nothing"):
        layers.Cropping2D(2)(img)
    with pytest.raises(NotImplementedError, match="nearest"):
        layers.UpSampling2D(interpolation="bilinear")


def test_repeat_vector_and_permute():
    v = RNG.normal(size=(2, 3))
    np.testing.assert_allclose(layers.RepeatVector(4)(v).numpy(),
                               np.repeat(v[:, None, :], 4, axis=1), rtol=0)
    x = RNG.normal(size=(2, 3, 4, 5))
    np.testing.assert_allclose(layers.Permute((3, 1, 2))(x).numpy(), x.transpose(0, 3, 1, 2))
    with pytest.raises(ValueError, match="permutation"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match="rank 2"):
        layers.RepeatVector(2)(x)


def test_gaussian_noise_layers_only_while_training():
    x = np.ones((2000, 5))
    wb.random.set_seed(1)
    for layer, mean, std in ((layers.GaussianNoise(0.3), 1.0, 0.3),
                             (layers.GaussianDropout(0.2), 1.0, math.sqrt(0.2 / 0.8))):
        np.testing.assert_allclose(layer(x).numpy(), x)
        noisy = layer(x, training=True).numpy()
        assert abs(noisy.mean() - mean) < 0.02 and abs(noisy.std() - std) < 0.02
    with pytest.raises(ValueError, match="rate"):
        layers.GaussianDropout(1.0)


# --- merging -------------------------------------------------------------------------------------
def test_merge_layers_on_lists():
    a, b, c = (RNG.normal(size=(2, 3)) for _ in range(3))
    np.testing.assert_allclose(layers.Add()([a, b, c]).numpy(), a + b + c, rtol=1e-12)
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), a - b, rtol=1e-12)
    np.testing.assert_allclose(layers.Multiply()([a, b, c]).numpy(), a * b * c, rtol=1e-12)
    np.testing.assert_allclose(layers.Average()([a, b, c]).numpy(), (a + b + c) / 3, rtol=1e-12)
    np.testing.assert_allclose(layers.Maximum()([a, b]).numpy(), np.maximum(a, b))
    np.testing.assert_allclose(layers.Minimum()([a, b]).numpy(), np.minimum(a, b))
    np.testing.assert_allclose(layers.Concatenate(axis=0)([a, b]).numpy(),
                               np.concatenate([a, b]))
    np.testing.assert_allclose(layers.concatenate([a, c]).numpy(), np.concatenate([a, c], -1))
    with pytest.raises(ValueError, match="list of at least 2"):
        layers.Add()(a)
    with pytest.raises(ValueError, match="same shape"):
        layers.Add()([a, np.ones((2, 4))])
    with pytest.raises(ValueError, match="agree"):
        layers.Concatenate()([a, np.ones((3, 3))])
    with pytest.raises(ValueError, match="exactly 2"):
        layers.Subtract()([a, b, c])


def test_functional_model_with_two_inputs_and_a_skip_connection(capsys):
    left, right = keras.Input(shape=(4,)), keras.Input(shape=(2,))
    hidden = layers.Dense(4, activation="relu")(left)
    skip = layers.Add()([hidden, left])
    merged = layers.Concatenate()([skip, right])
    out = layers.Dense(1)(merged)
    model = keras.Model(inputs=[left, right], outputs=out)
    assert merged.shape == (None, 6)
    assert model.count_params() == 4 * 4 + 4 + 6 + 1
    xa, xb = RNG.normal(size=(5, 4)), RNG.normal(size=(5, 2))
    d1, d2 = (layer for layer in model.layers if isinstance(layer, layers.Dense))
    h = np.maximum(xa @ d1.kernel.numpy() + d1.bias.numpy(), 0) + xa
    want = np.concatenate([h, xb], -1) @ d2.kernel.numpy() + d2.bias.numpy()
    np.testing.assert_allclose(model([xa, xb]).numpy(), want, rtol=1e-12)
    model.summary()
    text = capsys.readouterr().out
    assert "(Concatenate)" in text and "(None, 6)" in text and "Total params: 27" in text
    with pytest.raises(ValueError, match="list of 2 inputs"):
        model(xa)
    with pytest.raises(ValueError, match="not computed from"):
        keras.Model(inputs=left, outputs=out)
    # the tape sees through the merge: gradients for every weight
    with wb.GradientTape() as tape:
        loss = wb.reduce_sum(model([xa, xb]) ** 2)
    assert all(g is not None for g in tape.gradient(loss, model.trainable_variables))


# --- counts in a model summary and configs -----------------------------------------------------
def test_parameter_counts_match_keras():
    model = keras.Sequential([
        keras.Input(shape=(20,)), layers.Embedding(1000, 16), layers.Conv1D(32, 5),
        layers.LayerNormalization(), layers.MaxPooling1D(2), layers.GlobalMaxPooling1D(),
        layers.Dense(8), layers.PReLU(), layers.RepeatVector(3), layers.Permute((2, 1)),
        layers.GlobalAveragePooling1D(), layers.Dense(1)])
    # the counts Keras gives: 16000, 5*16*32+32, 64, 0, 0, 33*8, 8, 0, 0, 0, 3+1
    assert [layer.count_params() for layer in model.layers] == [16000, 2592, 64, 0, 0, 264, 8,
                                                                0, 0, 0, 4]
    assert model.layers[3].output_shape == (None, 8, 32)


CONFIGS = [
    layers.LayerNormalization(axis=-1, epsilon=1e-5, center=False),
    layers.Embedding(12, 3),
    layers.Conv1D(5, 3, strides=2, padding="same", activation="gelu", use_bias=False),
    layers.MaxPooling1D(3, strides=1, padding="same"), layers.AveragePooling1D(2),
    layers.GlobalAveragePooling2D(keepdims=True), layers.GlobalMaxPooling1D(),
    layers.LeakyReLU(0.1), layers.ELU(0.7), layers.PReLU(shared_axes=[1]),
    layers.ZeroPadding2D(((1, 0), (2, 3))), layers.Cropping2D(1), layers.UpSampling2D((1, 2)),
    layers.RepeatVector(4), layers.Permute((2, 1)), layers.GaussianNoise(0.1),
    layers.GaussianDropout(0.3), layers.Concatenate(axis=1), layers.Add(), layers.Average(),
]


@pytest.mark.parametrize("layer", CONFIGS, ids=lambda layer: type(layer).__name__)
def test_get_config_round_trips(layer):
    config = layer.get_config()
    again = type(layer).from_config(config)
    assert again.get_config() == config and type(again) is type(layer)


# --- activations ---------------------------------------------------------------------------------
def _np_gelu(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


ACTIVATIONS = {
    "elu": lambda x: np.where(x > 0, x, np.expm1(x)),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
    "gelu": _np_gelu,
    "swish": lambda x: x / (1 + np.exp(-x)),
    "silu": lambda x: x / (1 + np.exp(-x)),
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "exponential": np.exp,
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "relu6": lambda x: np.clip(x, 0, 6),
    "mish": lambda x: x * np.tanh(np.log1p(np.exp(x))),
    "log_softmax": lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)),
}
# away from the kinks (0, -3, 3, 6) so central differences are valid
POINTS = np.array([[-4.2, -2.5, -1.1, -0.3, 0.4, 1.7, 2.6, 4.1, 7.0]])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_values_and_gradients(name):
    fn = activations.get(name)
    np.testing.assert_allclose(fn(wb.constant(POINTS)).numpy(), ACTIVATIONS[name](POINTS),
                               rtol=1e-12, atol=1e-14)
    x = wb.Variable(POINTS)
    cot = np.linspace(0.5, 1.5, POINTS.size).reshape(POINTS.shape)
    with wb.GradientTape() as tape:
        total = wb.reduce_sum(fn(x) * cot)
    ref, h, want = ACTIVATIONS[name], 1e-6, np.zeros_like(POINTS)
    for idx in np.ndindex(POINTS.shape):  # output differences first: no cancellation in a sum
        up, down = POINTS.copy(), POINTS.copy()
        up[idx] += h
        down[idx] -= h
        want[idx] = np.sum((ref(up) - ref(down)) * cot) / (2 * h)
    np.testing.assert_allclose(tape.gradient(total, x).numpy(), want, rtol=1e-6, atol=1e-8)


def test_gelu_approximate_and_names_in_layers():
    x = POINTS
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    np.testing.assert_allclose(activations.gelu(x, approximate=True).numpy(), tanh_form,
                               rtol=1e-12)
    dense = layers.Dense(3, activation="mish")
    y = dense(RNG.normal(size=(2, 4)))
    assert y.shape == (2, 3) and dense.activation is activations.mish
    assert activations.serialize(activations.get("swish")) == "silu"
    with pytest.raises(ValueError, match="unknown activation 'gelu2'"):
        layers.Dense(2, activation="gelu2")
    with pytest.raises(ValueError, match="hard_sigmoid"):
        activations.get("hardsigmoid")

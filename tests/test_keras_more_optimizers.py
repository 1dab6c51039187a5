"""Keras 3 optimizers (AdamW, Adagrad, Adamax, Nadam, Adadelta, Adam amsgrad, SGD momentum)
and the clipping/weight-decay options, against NumPy versions of the published updates."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench import keras
from workbench.keras import optimizers

RNG = np.random.default_rng(11)
STEPS = 5


def _np_adam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=None):
    m, v, vh = np.zeros_like(w), np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        if wd:
            w = w - w * wd * lr
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        denom_v = v
        if amsgrad:
            vh = np.maximum(vh, v)
            denom_v = vh
        w = w - lr * np.sqrt(1 - b2**t) / (1 - b1**t) * m / (np.sqrt(denom_v) + eps)
    return w


def _np_adagrad(w, grads, lr=0.001, init=0.1, eps=1e-7):
    acc = np.full_like(w, init)
    for g in grads:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def _np_adamax(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m, u = np.zeros_like(w), np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr / (1 - b1**t) * m / (u + eps)
    return w


def _np_nadam(w, grads, lr=0.001, b1=0.9, b2=0.999, eps=1e-7):
    m, v, prod = np.zeros_like(w), np.zeros_like(w), 1.0

    def mu(t):
        return b1 * (1 - 0.5 * 0.96**t)

    for t, g in enumerate(grads, start=1):
        prod = prod * mu(t)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = mu(t + 1) * m / (1 - prod * mu(t + 1)) + (1 - mu(t)) * g / (1 - prod)
        w = w - lr * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)
    return w


def _np_adadelta(w, grads, lr=0.001, rho=0.95, eps=1e-7):
    eg, ed = np.zeros_like(w), np.zeros_like(w)
    for g in grads:
        eg = rho * eg + (1 - rho) * g * g
        d = -np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * d * d
        w = w + lr * d
    return w


def _np_sgd(w, grads, lr=0.01, momentum=0.0, nesterov=False):
    vel = np.zeros_like(w)
    for g in grads:
        vel = momentum * vel - lr * g
        w = w + (momentum * vel - lr * g if nesterov else vel)
    return w


def _run(opt, w0, grads):
    w = wb.Variable(w0.copy(), name="w")
    for g in grads:
        opt.apply_gradients([(wb.constant(g), w)])
    return w.numpy()


CASES = [
    (lambda: optimizers.Adagrad(learning_rate=0.3), lambda w, g: _np_adagrad(w, g, lr=0.3)),
    (lambda: optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.5, epsilon=1e-3),
     lambda w, g: _np_adagrad(w, g, lr=0.1, init=0.5, eps=1e-3)),
    (lambda: optimizers.Adamax(learning_rate=0.05, beta_1=0.8),
     lambda w, g: _np_adamax(w, g, lr=0.05, b1=0.8)),
    (lambda: optimizers.Nadam(learning_rate=0.05), lambda w, g: _np_nadam(w, g, lr=0.05)),
    (lambda: optimizers.Nadam(learning_rate=0.02, beta_1=0.7, beta_2=0.9, epsilon=1e-4),
     lambda w, g: _np_nadam(w, g, lr=0.02, b1=0.7, b2=0.9, eps=1e-4)),
    (lambda: optimizers.Adadelta(learning_rate=1.0), lambda w, g: _np_adadelta(w, g, lr=1.0)),
    (lambda: optimizers.Adadelta(learning_rate=0.5, rho=0.8, epsilon=1e-3),
     lambda w, g: _np_adadelta(w, g, lr=0.5, rho=0.8, eps=1e-3)),
    (lambda: optimizers.Adam(learning_rate=0.05, amsgrad=True),
     lambda w, g: _np_adam(w, g, lr=0.05, amsgrad=True)),
    (lambda: optimizers.AdamW(learning_rate=0.05),
     lambda w, g: _np_adam(w, g, lr=0.05, wd=0.004)),
    (lambda: optimizers.AdamW(learning_rate=0.05, weight_decay=0.1, amsgrad=True),
     lambda w, g: _np_adam(w, g, lr=0.05, wd=0.1, amsgrad=True)),
    (lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9),
     lambda w, g: _np_sgd(w, g, lr=0.1, momentum=0.9)),
    (lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
     lambda w, g: _np_sgd(w, g, lr=0.1, momentum=0.9, nesterov=True)),
    (lambda: optimizers.RMSprop(learning_rate=0.01, weight_decay=0.2),
     None),  # decay checked separately below
]


@pytest.mark.parametrize("make, reference", [c for c in CASES if c[1] is not None])
def test_updates_match_numpy_over_several_steps(make, reference):
    w0 = RNG.normal(size=(3, 2))
    # grads change sign and size so the max/accumulator branches are exercised
    grads = [RNG.normal(size=(3, 2)) * s for s in (1.0, 0.1, 3.0, 0.5, 2.0)][:STEPS]
    np.testing.assert_allclose(_run(make(), w0, grads), reference(w0, grads), rtol=1e-10,
                               atol=1e-13)


def test_amsgrad_differs_from_adam_when_v_shrinks():
    w0 = np.array([1.0])
    grads = [np.array([5.0]), np.array([0.01]), np.array([0.01])]
    plain = _run(optimizers.Adam(0.1), w0, grads)
    ams = _run(optimizers.Adam(0.1, amsgrad=True), w0, grads)
    assert abs(plain[0] - ams[0]) > 1e-5
    np.testing.assert_allclose(ams, _np_adam(w0, grads, lr=0.1, amsgrad=True), rtol=1e-12)


def test_weight_decay_on_any_optimizer_is_decoupled():
    w0, g = np.array([2.0, -1.0]), np.array([0.5, 0.5])
    got = _run(optimizers.SGD(learning_rate=0.1, weight_decay=0.3), w0, [g, g])
    w = w0.copy()
    for _ in range(2):
        w = w - w * 0.3 * 0.1
        w = w - 0.1 * g
    np.testing.assert_allclose(got, w, rtol=1e-13)


def test_exclude_from_weight_decay_by_name():
    opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    kept, decayed = wb.Variable([1.0], name="dense/bias"), wb.Variable([1.0], name="dense/kernel")
    opt.apply_gradients([(wb.constant([0.0]), kept), (wb.constant([0.0]), decayed)])
    np.testing.assert_allclose(kept.numpy(), [1.0])
    np.testing.assert_allclose(decayed.numpy(), [0.95])


def _clip_run(**kwargs):
    a, b = wb.Variable([0.0, 0.0]), wb.Variable([0.0])
    opt = optimizers.SGD(learning_rate=1.0, **kwargs)
    opt.apply_gradients([(wb.constant([3.0, 4.0]), a), (wb.constant([12.0]), b)])
    return -a.numpy(), -b.numpy()  # SGD with lr 1: the applied gradients


def test_clipnorm_clipvalue_global_clipnorm():
    a, b = _clip_run(clipnorm=1.0)
    np.testing.assert_allclose(a, [0.6, 0.8], rtol=1e-13)
    np.testing.assert_allclose(b, [1.0], rtol=1e-13)
    a, b = _clip_run(clipnorm=100.0)  # below the limit: unchanged
    np.testing.assert_allclose(a, [3.0, 4.0], rtol=1e-13)
    a, b = _clip_run(clipvalue=3.5)
    np.testing.assert_allclose(np.concatenate([a, b]), [3.0, 3.5, 3.5], rtol=1e-13)
    a, b = _clip_run(global_clipnorm=6.5)  # the joint norm is 13
    np.testing.assert_allclose(np.concatenate([a, b]), [1.5, 2.0, 6.0], rtol=1e-13)


def test_clipping_applies_to_adam_too_and_skips_missing_gradients():
    w, unused = wb.Variable([0.0, 0.0]), wb.Variable([1.0])
    opt = optimizers.Adam(learning_rate=0.1, global_clipnorm=1.0)
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        opt.apply_gradients([(wb.constant([30.0, 40.0]), w), (None, unused)])
    np.testing.assert_allclose(w.numpy(), _np_adam(np.zeros(2), [np.array([0.6, 0.8])], lr=0.1),
                               rtol=1e-12)
    np.testing.assert_allclose(unused.numpy(), [1.0])


@pytest.mark.parametrize("bad", [{"clipnorm": 1.0, "clipvalue": 1.0}, {"clipnorm": -1.0},
                                 {"global_clipnorm": 0.0}])
def test_bad_clipping_arguments_are_clear(bad):
    with pytest.raises(ValueError, match="clip"):
        optimizers.Adam(**bad)


def test_bad_betas_and_adamw_without_decay():
    with pytest.raises(ValueError, match="beta_1"):
        optimizers.Adamax(beta_1=1.5)
    with pytest.raises(ValueError, match="rho"):
        optimizers.Adadelta(rho=-0.1)
    with pytest.raises(ValueError, match="weight_decay"):
        optimizers.AdamW(weight_decay=None)


def test_defaults_and_config_round_trip():
    for cls, lr in ((optimizers.AdamW, 0.001), (optimizers.Adagrad, 0.001),
                    (optimizers.Adamax, 0.001), (optimizers.Nadam, 0.001),
                    (optimizers.Adadelta, 0.001)):
        opt = cls()
        config = opt.get_config()
        assert config["learning_rate"] == pytest.approx(lr)
        again = cls(**{k: v for k, v in config.items() if k != "decay"})
        assert again.get_config() == config
    assert optimizers.AdamW().get_config()["weight_decay"] == pytest.approx(0.004)
    assert optimizers.Adagrad().get_config()["initial_accumulator_value"] == pytest.approx(0.1)
    assert optimizers.Adadelta().get_config()["rho"] == pytest.approx(0.95)
    config = optimizers.Adam(clipnorm=2.0, amsgrad=True).get_config()
    assert config["clipnorm"] == 2.0 and config["amsgrad"] is True and config["clipvalue"] is None


def test_names_resolve_in_get():
    for name, cls in (("adamw", optimizers.AdamW), ("adagrad", optimizers.Adagrad),
                      ("adamax", optimizers.Adamax), ("nadam", optimizers.Nadam),
                      ("adadelta", optimizers.Adadelta)):
        assert isinstance(optimizers.get(name), cls)


def test_nadam_keeps_its_momentum_product_in_variables():
    opt = optimizers.Nadam(0.1)
    w = wb.Variable([1.0])
    for _ in range(3):
        opt.apply_gradients([(wb.constant([0.5]), w)])
    want = np.prod([0.9 * (1 - 0.5 * 0.96**t) for t in (1, 2, 3)])
    assert any(v is opt.u_product for v in opt.variables)
    np.testing.assert_allclose(float(opt.u_product), want, rtol=1e-14)


def test_lr_alias_works_for_the_new_optimizers():
    with pytest.warns(DeprecationWarning):
        opt = optimizers.Nadam(lr=0.02)
    assert opt.learning_rate == pytest.approx(0.02)


@pytest.mark.parametrize("opt", [
    optimizers.AdamW(learning_rate=0.05), optimizers.Adagrad(learning_rate=0.5),
    optimizers.Adamax(learning_rate=0.05), optimizers.Nadam(learning_rate=0.05),
    optimizers.Adadelta(learning_rate=1.0, epsilon=1e-2)], ids=type)
def test_fit_with_each_new_optimizer_reduces_the_loss(opt):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]]) + 0.3
    wb.random.set_seed(0)
    model = keras.Sequential([keras.layers.Dense(1, input_shape=(3,))])
    model.compile(optimizer=opt, loss="mse")
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_float32_variables_stay_float32():
    w = wb.Variable(np.ones(3, np.float32))
    for opt in (optimizers.Nadam(0.1), optimizers.Adadelta(1.0), optimizers.Adam(0.1, amsgrad=True),
                optimizers.AdamW(0.1)):
        opt.apply_gradients([(wb.constant(np.full(3, 0.5, np.float32)), w)])
        assert w.dtype == np.float32
        assert all(v.dtype == np.float32 for v in opt.variables[1:] if v.shape == (3,))


def _compiled_step(compiled: bool):
    """One step training two small models, with Nadam (global clipping) and AdamW (amsgrad,
    per-gradient clipping, weight decay): one compiled function for both."""
    wb.random.set_seed(4)
    models = [keras.Sequential([keras.layers.Dense(6, activation="gelu", input_shape=(3,)),
                                keras.layers.LayerNormalization(), keras.layers.Dense(2)])
              for _ in range(2)]
    opts = [optimizers.Nadam(0.05, global_clipnorm=0.5),
            optimizers.AdamW(0.05, weight_decay=0.1, amsgrad=True, clipnorm=0.3)]
    loss_fn = keras.losses.Huber()

    def step(x, y):
        total = 0.0
        for model, opt in zip(models, opts, strict=True):
            with wb.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            grads = tape.gradient(loss, model.trainable_variables)
            opt.apply_gradients(zip(grads, model.trainable_variables))
            total = total + loss
        return total

    return models, (wb.function(step) if compiled else step)


def test_compiled_training_step_equals_eager():
    x, y = RNG.normal(size=(8, 3)), RNG.normal(size=(8, 2))
    eager_models, eager = _compiled_step(False)
    compiled_models, compiled = _compiled_step(True)
    for _ in range(3):
        np.testing.assert_allclose(float(compiled(x, y)), float(eager(x, y)), rtol=1e-10)
    for a, b in zip(eager_models, compiled_models, strict=True):
        for u, v in zip(a.weights, b.weights, strict=True):
            np.testing.assert_allclose(u.numpy(), v.numpy(), rtol=1e-9, atol=1e-12)

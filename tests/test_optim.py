"""Optimizers against hand-written NumPy versions of the TensorFlow/Keras update formulas, the
values Keras's own documentation and tests print, and the behaviour of ``apply_gradients``."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import workbench as wb
from workbench import optim, optim_numpy


# --- independent oracles: the TF/Keras formulas written out step by step --------------------
def oracle_sgd(x, grads, learning_rate, momentum=0.0, nesterov=False):
    x, velocity = x.copy(), np.zeros_like(x)
    for g in grads:
        if momentum == 0.0:
            x = x - learning_rate * g
            continue
        velocity = momentum * velocity - learning_rate * g
        x = x + (momentum * velocity - learning_rate * g if nesterov else velocity)
    return x


def oracle_adam(x, grads, learning_rate, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    x, m, v = x.copy(), np.zeros_like(x), np.zeros_like(x)
    for t, g in enumerate(grads, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        lr_t = learning_rate * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        x = x - lr_t * m / (np.sqrt(v) + epsilon)
    return x


def oracle_rmsprop(x, grads, learning_rate, rho=0.9, momentum=0.0, epsilon=1e-7):
    x, ms, mom = x.copy(), np.zeros_like(x), np.zeros_like(x)
    for g in grads:
        ms = rho * ms + (1 - rho) * g**2
        mom = momentum * mom + learning_rate * g / np.sqrt(ms + epsilon)
        x = x - mom
    return x


CONFIGS = [
    (optim.SGD, oracle_sgd, {"learning_rate": 0.1}),
    (optim.SGD, oracle_sgd, {"learning_rate": 0.05, "momentum": 0.9}),
    (optim.SGD, oracle_sgd, {"learning_rate": 0.05, "momentum": 0.7, "nesterov": True}),
    (optim.Adam, oracle_adam, {"learning_rate": 0.01}),
    (optim.Adam, oracle_adam, {"learning_rate": 0.2, "beta_1": 0.5, "beta_2": 0.9,
                               "epsilon": 1e-3}),
    (optim.RMSprop, oracle_rmsprop, {"learning_rate": 0.01}),
    (optim.RMSprop, oracle_rmsprop, {"learning_rate": 0.02, "rho": 0.8, "momentum": 0.5,
                                     "epsilon": 1e-4}),
]


@pytest.mark.parametrize("cls, oracle, kwargs", CONFIGS,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in enumerate(CONFIGS)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_optimizer_matches_numpy_oracle_over_several_steps(cls, oracle, kwargs, dtype):
    rng = np.random.default_rng(1)
    x0 = rng.normal(size=(2, 3))
    grads = [rng.normal(size=(2, 3)) for _ in range(6)]
    w = wb.Variable(x0.astype(dtype), name="w")
    b = wb.Variable(np.float64(0.5).astype(dtype), name="b")
    opt = cls(**kwargs)
    for g in grads:
        opt.apply_gradients([(wb.constant(g.astype(dtype)), w), (g[0, 0].astype(dtype), b)])
    assert w.dtype == dtype and b.dtype == dtype
    for name in opt.slot_names_of(w):
        assert opt.get_slot(w, name).dtype == dtype
    rtol = 1e-12 if dtype == np.float64 else 2e-5
    expected_w = oracle(x0.astype(dtype).astype(np.float64),
                        [g.astype(dtype).astype(np.float64) for g in grads], **kwargs)
    expected_b = oracle(np.array(np.float64(0.5).astype(dtype)),
                        [np.array(g[0, 0].astype(dtype), dtype=np.float64) for g in grads], **kwargs)
    np.testing.assert_allclose(w.numpy(), expected_w, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(b.numpy(), expected_b, rtol=rtol, atol=rtol)
    assert opt.iterations == len(grads)


# --- values printed by Keras's documentation and tests --------------------------------------
GRADS_1672 = np.array([1.0, 6.0, 7.0, 2.0])


@pytest.mark.parametrize("opt, expected", [
    (lambda: optim.SGD(learning_rate=0.5), [0.5, -1.0, -0.5, 3.0]),
    (lambda: optim.Adam(learning_rate=0.5), [0.5, 1.5, 2.5, 3.5]),
    (lambda: optim.RMSprop(learning_rate=0.5), [-0.5811, 0.4189, 1.4189, 2.4189]),
], ids=["SGD", "Adam", "RMSprop"])
def test_keras_single_step_values(opt, expected):
    var = wb.Variable([1.0, 2.0, 3.0, 4.0])
    opt().apply_gradients(zip([wb.constant(GRADS_1672)], [var]))
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-4, atol=1e-4)


def test_keras_docstring_minimize_values():
    var = wb.Variable(10.0)
    optim.RMSprop(learning_rate=0.1).minimize(lambda: (var**2) / 2.0, [var])
    np.testing.assert_allclose(var.numpy(), 9.683772, rtol=1e-6)
    var = wb.Variable(10.0)
    optim.Adam(learning_rate=0.1).minimize(lambda: (var**2) / 2.0, [var])
    np.testing.assert_allclose(var.numpy(), 9.9, rtol=1e-6)
    var = wb.Variable(1.0)
    opt = optim.SGD(learning_rate=0.1, momentum=0.9)
    values = [float(var)]
    for _ in range(2):
        opt.minimize(lambda: (var**2) / 2.0, [var])
        values.append(float(var))
    np.testing.assert_allclose(np.diff(values) * -1, [0.1, 0.18], rtol=1e-9)


def test_keras_sgd_golden_values():
    x = wb.Variable(np.ones(10))
    opt = optim.SGD(nesterov=True)
    grads = np.arange(0.1, 1.1, 0.1)
    golden = 1.0 - 0.0001 - 0.01 * np.outer(np.arange(5), grads)
    opt.apply_gradients([(np.full(10, 0.01), x)])
    for row in golden:
        np.testing.assert_allclose(x.numpy(), row, rtol=5e-4, atol=5e-4)
        opt.apply_gradients([(grads, x)])


# --- apply_gradients behaviour -------------------------------------------------------------------
def test_none_gradient_is_skipped_with_a_warning_naming_the_variable():
    w, b = wb.Variable(1.0, name="w"), wb.Variable(2.0, name="bias")
    with pytest.warns(UserWarning, match=re.escape("['bias']")):
        optim.SGD(0.1).apply_gradients([(wb.constant(1.0), w), (None, b)])
    np.testing.assert_allclose(w.numpy(), 0.9)
    np.testing.assert_allclose(b.numpy(), 2.0)


def test_minimize_warns_for_a_variable_the_loss_ignores():
    w, unused = wb.Variable(1.0, name="w"), wb.Variable(5.0, name="unused")
    with pytest.warns(UserWarning, match="unused"):
        optim.SGD(0.5).minimize(lambda: w * w, [w, unused])
    np.testing.assert_allclose(w.numpy(), 0.0)


def test_shape_mismatch_names_the_variable_and_the_shapes():
    w = wb.Variable([1.0, 2.0], name="kernel")
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\).*'kernel'"):
        optim.Adam().apply_gradients([(wb.constant([1.0, 2.0, 3.0]), w)])


def test_only_variables_can_be_updated():
    with pytest.raises(TypeError, match="Tensor"):
        optim.SGD(0.1).apply_gradients([(wb.constant(1.0), wb.constant(2.0))])


def test_minimize_returns_the_loss_and_accepts_a_callable_var_list():
    w = wb.Variable(3.0)
    opt = optim.SGD(0.25)
    loss = opt.minimize(lambda: w * w, lambda: [w])
    np.testing.assert_allclose(loss.numpy(), 9.0)
    np.testing.assert_allclose(w.numpy(), 3.0 - 0.25 * 6.0)
    assert opt.iterations == 1


def test_learning_rate_schedule_is_called_with_the_iteration():
    w = wb.Variable(0.0)
    opt = optim.SGD(lambda step: 0.1 * (step + 1))
    for _ in range(3):
        opt.apply_gradients([(wb.constant(-1.0), w)])
    np.testing.assert_allclose(w.numpy(), 0.1 + 0.2 + 0.3)


def test_variables_keep_their_dtype_and_shape():
    w = wb.Variable(np.zeros((2, 2), dtype=np.float32))
    optim.RMSprop(0.1, momentum=0.5).apply_gradients([(np.ones((2, 2)), w)])
    assert w.dtype == np.float32 and w.shape == (2, 2)


def test_slots_are_non_trainable_variables_per_variable():
    a, b = wb.Variable([1.0, 2.0]), wb.Variable(np.float32(3.0))
    opt = optim.Adam(0.1)
    opt.apply_gradients([(np.array([1.0, 1.0]), a), (np.float32(2.0), b)])
    assert opt.slot_names_of(a) == ("m", "v")
    slot = opt.get_slot(a, "m")
    assert isinstance(slot, wb.Variable) and not slot.trainable and slot.shape == (2,)
    assert opt.get_slot(b, "v").dtype == np.float32
    np.testing.assert_allclose(opt.get_slot(a, "m"), [0.1, 0.1])
    with pytest.raises(KeyError, match="no slot 'velocity'"):
        opt.get_slot(a, "velocity")
    with pytest.raises(ValueError, match="already has a slot 'm'"):
        opt.add_slot(a, "m")
    assert optim.SGD(0.1).slot_names_of(a) == ()


def test_update_rules_are_pure_functions():
    value, grad = np.array([1.0, 2.0]), np.array([0.5, -0.5])
    slots = (np.array([0.1, 0.2]), np.array([0.3, 0.4]))
    before = [value.copy(), grad.copy()] + [s.copy() for s in slots]
    for rule, args, kw in [
        (optim.sgd_rule, slots[:1], {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True}),
        (optim.adam_rule, slots, {"learning_rate": 0.1}),
        (optim.rmsprop_rule, slots, {"learning_rate": 0.1, "momentum": 0.5}),
    ]:
        first = rule(value, grad, args, 3, **kw)
        second = rule(value, grad, args, 3, **kw)
        np.testing.assert_array_equal(first[0], second[0])
        for now, then in zip([value, grad, *slots], before, strict=True):
            np.testing.assert_array_equal(now, then)


def test_hyperparameters_are_validated():
    with pytest.raises(ValueError, match="SGD momentum"):
        optim.SGD(0.1, momentum=1.5)
    with pytest.raises(ValueError, match="Adam beta_2"):
        optim.Adam(beta_2=-0.1)
    with pytest.raises(ValueError, match="RMSprop rho"):
        optim.RMSprop(rho=2.0)


def test_base_class_without_update_step_says_what_to_define():
    class Incomplete(optim.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match="update_step"):
        Incomplete(0.1).apply_gradients([(np.array(1.0), wb.Variable(1.0))])


def test_updates_inside_a_tape_are_not_differentiated():
    w = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        loss = w * w
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            optim.SGD(0.1).apply_gradients([(wb.constant(1.0), w)])
        after = w * 1.0
    np.testing.assert_allclose(w.numpy(), 1.9)
    np.testing.assert_allclose(tape.gradient([loss, after], w).numpy(), 2 * 2.0 + 1.0)


def test_learning_rate_may_be_a_scalar_tensor():
    w = wb.Variable(np.float32(1.0))
    opt = optim.SGD(wb.constant(0.5))
    assert abs(float(opt.learning_rate) - 0.5) < 1e-15
    opt.apply_gradients([(wb.constant(np.float32(1.0)), w)])
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.numpy(), 0.5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eager_adam_without_ops_has_the_bits_of_the_recorded_rule(dtype):
    """Eagerly, Adam updates with NumPy (``adam_numpy``; a fused loop for the (40, 30)
    variable); under a tape it records ``adam_rule``'s ops. Both must give the same bits, step
    after step."""
    rng = np.random.default_rng(3)
    assert 40 * 30 >= optim_numpy._FUSED_MIN_SIZE > 5 * 4
    start = [rng.normal(size=s).astype(dtype) for s in ((5, 4), (4,), (3, 2, 2), (40, 30))]
    fast = [wb.Variable(v.copy()) for v in start]
    recorded = [wb.Variable(v.copy()) for v in start]
    opt_fast, opt_rec = optim.Adam(0.01), optim.Adam(0.01)
    for _ in range(6):
        grads = [wb.constant(rng.normal(size=v.shape).astype(dtype) * 10.0 ** rng.integers(-6, 3))
                 for v in start]
        opt_fast.apply_gradients(zip(grads, fast))
        with wb.GradientTape():  # a recording tape: the update runs as ops
            opt_rec.apply_gradients(zip(grads, recorded))
    for a, b in zip(fast, recorded, strict=True):
        assert a.dtype == dtype
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        for name in ("m", "v"):
            np.testing.assert_array_equal(opt_fast.get_slot(a, name).numpy(),
                                          opt_rec.get_slot(b, name).numpy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_adam_loop_has_the_bits_of_the_numpy_passes(dtype, monkeypatch):
    """The fused loop against the twelve NumPy passes it replaces, on gradients spanning many
    magnitudes and with zeros, infinities, NaN and a subnormal (NaN payloads compared too)."""
    rng = np.random.default_rng(5)
    shape = (64, 33)
    value = rng.normal(size=shape).astype(dtype)
    grad = (rng.normal(size=shape) * 10.0 ** rng.integers(-8, 4, shape)).astype(dtype)
    grad.flat[:5] = [0.0, np.inf, -np.inf, np.nan, np.finfo(dtype).smallest_subnormal]
    m = (rng.normal(size=shape) * 0.1).astype(dtype)
    v = np.abs(rng.normal(size=shape) * 0.01).astype(dtype)
    v.flat[7] = 0.0
    for step in (1, 9, 2000):
        fused = optim.adam_numpy(value, grad, (m, v), step, learning_rate=0.01)
        with monkeypatch.context() as patch, np.errstate(invalid="ignore"):
            patch.setattr(optim_numpy, "_FUSED_MIN_SIZE", value.size + 1)  # the NumPy passes
            passes = optim.adam_numpy(value, grad, (m, v), step, learning_rate=0.01)
        for a, b in zip((fused[0], *fused[1]), (passes[0], *passes[1]), strict=True):
            assert a.dtype == b.dtype == dtype and a.shape == shape
            assert a.tobytes() == b.tobytes()

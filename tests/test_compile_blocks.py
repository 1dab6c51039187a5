"""Large compiled programs split into blocks (one cfunc per loop block, shared by repeated
layers) and matrix products lowered to BLAS: results against the eager tape."""

import numpy as np
import pytest

import workbench as wb
from workbench.compile import Diverged

LAYERS, WIDTH, BATCH = 3, 8, 16


def _mlp(lr, dtype=np.float64, grow=1.0):
    rng = np.random.default_rng(5)
    ws = [wb.Variable(rng.normal(0, 0.5, (WIDTH, WIDTH)).astype(dtype), name=f"w{i}")
          for i in range(LAYERS)]
    bs = [wb.Variable(np.full(WIDTH, 0.1, dtype), name=f"b{i}") for i in range(LAYERS)]
    x = rng.normal(size=(BATCH, WIDTH)).astype(dtype)
    y = rng.normal(size=(BATCH, WIDTH)).astype(dtype)

    def step(x, y):
        with wb.GradientTape() as tape:
            h = x
            for w, b in zip(ws, bs):
                h = wb.tanh(h @ w + b)
            loss = wb.reduce_mean((h - y) ** 2)
        grads = tape.gradient(loss, ws + bs)
        for v, g in zip(ws + bs, grads):
            v.assign_sub(lr * g)
        if grow != 1.0:  # an array Variable that overflows after a few steps
            ws[1].assign(ws[1] * grow)
        return loss

    return step, ws + bs, x, y


def _eager_run(lr, n):
    step, variables, x, y = _mlp(lr)
    losses = [float(step(x, y)) for _ in range(n)]
    return losses, [v.numpy() for v in variables]


@pytest.fixture(scope="module")
def compiled():
    step, variables, x, y = _mlp(0.05)
    return wb.function(step), variables, x, y


def test_a_large_step_is_split_into_shared_blocks(compiled):
    fn, _, x, y = compiled
    concrete = fn.concrete(x, y)
    calls = len(concrete.split.calls)
    assert concrete.split is not None and calls > 0
    assert len(concrete.split.sources) < calls  # the layers share their blocks
    assert "runtime.gemm:float64" in concrete.split.sources  # the products are BLAS calls
    assert concrete.source.count("call_block(") == 1  # the driver runs one plan


def test_split_step_and_repeat_agree_with_the_eager_tape(compiled):
    fn, variables, x, y = compiled
    start = [v.numpy() for v in variables]
    want_losses, want = _eager_run(0.05, 4)
    got_losses = [float(fn(x, y)) for _ in range(2)]
    history = fn.repeat(2, x, y, record_every=1)
    got_losses += list(history.outputs)
    # tanh within 2 ULP per op and BLAS products within k*eps*|A||B|: a few ULP after 4 steps
    np.testing.assert_allclose(got_losses, want_losses, rtol=1e-12)
    for v, w in zip(variables, want):
        np.testing.assert_allclose(v.numpy(), w, rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(history["w1"][-1], variables[1].numpy(), rtol=0, atol=0)
    for v, s in zip(variables, start):
        v.assign(s)


def test_split_repeat_stops_at_the_first_non_finite_array():
    step, variables, x, y = _mlp(0.05, grow=1e150)
    eager_step, eager_vars, _, _ = _mlp(0.05, grow=1e150)
    bad = None
    for k in range(1, 6):
        with np.errstate(over="ignore"):
            loss = eager_step(x, y)
        if not (np.isfinite(loss.numpy()) and all(np.isfinite(v.numpy()).all()
                                                  for v in eager_vars)):
            bad = k
            break
    assert bad == 3
    with pytest.raises(Diverged) as info:
        wb.function(step).repeat(5, x, y, record_every=1)
    assert info.value.step == bad
    assert all(np.isfinite(v.numpy()).all() for v in variables)


def test_split_program_with_scalar_inputs_scalar_state_and_several_outputs():
    # a 0-d argument and a 0-d Variable read by blocks, arrays and scalars returned: the plan
    # passes 0-d values through slots and the outputs come back as views of the driver's arena
    rng = np.random.default_rng(3)
    w0, x = rng.normal(size=(WIDTH, WIDTH)), rng.normal(size=(BATCH, WIDTH))

    def make():
        w, count = wb.Variable(w0.copy(), name="w"), wb.Variable(0.0, name="count")

        def step(x, lr):
            with wb.GradientTape() as tape:
                h = wb.tanh(x @ w)
                loss = wb.reduce_sum(h * h) * lr
            g = tape.gradient(loss, w)
            w.assign_sub(lr * g)
            count.assign_add(1.0)
            return loss, h, count * 2.0

        return step, w, count

    eager, ew, _ = make()
    compiled, cw, cc = make()
    fn = wb.function(compiled)
    lr = np.float64(0.01)
    for _ in range(2):
        want, got = eager(x, lr), fn(x, lr)
        assert fn.concrete(x, lr).split is not None
        np.testing.assert_allclose(float(got[0]), float(want[0]), rtol=1e-12)
        np.testing.assert_allclose(got[1].numpy(), want[1].numpy(), rtol=1e-12, atol=1e-15)
        assert got[1].shape == (BATCH, WIDTH) and float(got[2]) == float(want[2])
    history = fn.repeat(3, x, lr, record_every=1)
    for _ in range(3):
        want = eager(x, lr)
    np.testing.assert_allclose(history["w"][-1], ew.numpy(), rtol=1e-11, atol=1e-14)
    np.testing.assert_allclose(cw.numpy(), ew.numpy(), rtol=1e-11, atol=1e-14)
    assert history["count"].tolist() == [3.0, 4.0, 5.0] and float(cc.numpy()) == 5.0
    np.testing.assert_allclose(history.outputs[0][-1], float(want[0]), rtol=1e-11)

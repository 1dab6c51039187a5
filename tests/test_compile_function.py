"""wb.function and repeat: the seed step compiled, equal to the eager tape, history, divergence."""

from __future__ import annotations

import linecache

import numpy as np
import pytest
from _compile_support import compile_cache  # noqa: F401 - the session fixture

import workbench as wb
from workbench.compile import Diverged, TraceError

pytestmark = pytest.mark.usefixtures("compile_cache")

X = np.arange(11.0)
Y = 10 * X + 5


def make_seed(dtype=np.float64, lr=0.001):
    """The seeds' linear regression step, as users write it, plus its Variables."""
    a = wb.Variable(0.0, name="a", dtype=dtype)
    b = wb.Variable(0.0, name="b", dtype=dtype)

    def step(x, y):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum(wb.abs(y - (a * x + b)))
        ga, gb = tape.gradient(loss, (a, b))
        a.assign_sub(lr * ga)
        b.assign_sub(lr * gb)
        return loss

    return step, a, b


@pytest.fixture(scope="module")
def seed():
    step, a, b = make_seed()
    return wb.function(step), a, b


def test_seed_step_matches_eager_step(seed):
    compiled, a, b = seed
    eager, ea, eb = make_seed()
    a.assign(0.0)
    b.assign(0.0)
    for _ in range(3):
        got = compiled(X, Y)
        want = eager(wb.constant(X), wb.constant(Y))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-15)
    np.testing.assert_allclose([a.numpy(), b.numpy()], [ea.numpy(), eb.numpy()], rtol=1e-15)


def test_repeat_equals_python_loop_of_eager_steps(seed):
    compiled, a, b = seed
    eager, ea, eb = make_seed()
    a.assign(0.0)
    b.assign(0.0)
    history = compiled.repeat(1000, X, Y, record_every=100)
    losses = []
    for _ in range(1000):
        losses.append(float(eager(wb.constant(X), wb.constant(Y))))
    np.testing.assert_allclose(a.numpy(), ea.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.numpy(), eb.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(history.steps, np.arange(100, 1001, 100))
    np.testing.assert_allclose(history.outputs, losses[99::100], rtol=1e-12)
    assert history["a"].shape == (10,)
    np.testing.assert_allclose(history["a"][-1], ea.numpy(), rtol=1e-12)


def test_float32_repeat_matches_eager_within_float32_rounding():
    step, a, b = make_seed(np.float32)
    eager, ea, eb = make_seed(np.float32)
    x32, y32 = X.astype(np.float32), Y.astype(np.float32)
    history = wb.function(step).repeat(300, x32, y32, record_every=300)
    for _ in range(300):
        eager(wb.constant(x32), wb.constant(y32))
    assert a.dtype == np.float32 and history.outputs.dtype == np.float32
    np.testing.assert_allclose(a.numpy(), ea.numpy(), rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), eb.numpy(), rtol=1e-6)


def test_divergence_stops_at_first_bad_step_and_reports_it():
    w = wb.Variable(1.0, name="w")

    def step():
        with wb.GradientTape() as tape:
            loss = wb.exp(w * w)
        w.assign_sub(1.0 * tape.gradient(loss, w))
        return loss

    compiled = wb.function(step)
    with pytest.raises(Diverged) as info:
        compiled.repeat(50)
    kept = float(w.numpy())
    # the same run, eagerly: the first step whose loss or new w is not finite
    w.assign(1.0)
    bad, before = None, None
    with np.errstate(over="ignore", invalid="ignore"):
        for k in range(1, 51):
            before = float(w.numpy())
            loss = step()
            if not (np.isfinite(loss.numpy()) and np.isfinite(w.numpy())):
                bad = k
                break
    assert info.value.step == bad
    np.testing.assert_allclose(kept, before, rtol=1e-12)
    assert f"step {bad}" in str(info.value) and "w=" in str(info.value)
    assert not np.isfinite(info.value.values["w"]) or not np.isfinite(info.value.values["output"])


def test_variables_keep_values_before_the_bad_step():
    w = wb.Variable(0.5, name="w")

    def grow():
        w.assign(w * 1e100)
        return w * 1.0

    with pytest.raises(Diverged) as info:
        wb.function(grow).repeat(10)
    assert info.value.step == 4  # 0.5e100, 0.5e200, 0.5e300, then inf
    np.testing.assert_allclose(w.numpy(), 0.5e300, rtol=1e-15)


def test_retraces_on_a_new_shape_and_dtype(seed):
    compiled, a, b = seed
    eager, ea, eb = make_seed()
    for x in (X[:5], X[:7], X[:5].astype(np.float32)):
        a.assign(0.0)
        b.assign(0.0)
        ea.assign(0.0)
        eb.assign(0.0)
        got = compiled(x, 10 * x + 5)
        want = eager(wb.constant(x), wb.constant(10 * x + 5))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
        assert compiled.graph.inputs[0].shape == x.shape
    assert len(compiled._concrete) >= 4


def test_branch_on_a_traced_value_names_the_line():
    def f(x):
        if wb.reduce_sum(x) > 0:  # the offending line
            return x
        return -x

    with pytest.raises(TraceError) as info:
        wb.function(f)(X)
    assert "test_compile_function.py" in str(info.value) and "wb.where" in str(info.value)


def test_python_control_flow_is_traced_as_it_ran():
    def f(x, n):
        for _ in range(n):
            x = x * 2.0
        return x

    compiled = wb.function(f)
    np.testing.assert_allclose(compiled(X, 3).numpy(), X * 8)
    assert sum(e.prim.name == "mul" for e in compiled.graph.eqns) == 3
    np.testing.assert_allclose(compiled(X, 1).numpy(), X * 2)  # a new number retraces


def test_momentum_state_in_variables_is_captured():
    """The optimizer extension point: slots kept in Variables become compiled state."""
    w = wb.Variable([1.0, -2.0], name="w")
    velocity = wb.Variable([0.0, 0.0], name="velocity", trainable=False)

    def step(target):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum((w - target) ** 2)
        g = tape.gradient(loss, w)
        velocity.assign(0.9 * velocity + g)
        w.assign_sub(0.05 * velocity)
        return loss

    target = np.array([3.0, 1.0])
    history = wb.function(step).repeat(200, target, record_every=50)
    w2 = wb.Variable([1.0, -2.0])
    v2 = wb.Variable([0.0, 0.0])
    for _ in range(200):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum((w2 - target) ** 2)
        g = tape.gradient(loss, w2)
        v2.assign(0.9 * v2 + g)
        w2.assign_sub(0.05 * v2)
    np.testing.assert_allclose(w.numpy(), w2.numpy(), rtol=1e-12)
    np.testing.assert_allclose(velocity.numpy(), v2.numpy(), rtol=1e-12, atol=1e-300)
    assert history["w"].shape == (4, 2) and history["velocity"].shape == (4, 2)


def test_tracing_has_no_side_effects_and_source_is_readable():
    v = wb.Variable(2.0, name="v")

    @wb.function
    def bump(x):
        v.assign_add(x)
        return v * 1.0

    np.testing.assert_allclose(bump(np.float64(1.0)).numpy(), 3.0)
    np.testing.assert_allclose(v.numpy(), 3.0)  # one step, not two (the trace run is undone)
    assert "def step(" in bump.source and "def repeat(" in bump.repeat_source
    filename = bump.concrete(np.float64(1.0)).step_kernel.py_func.__code__.co_filename
    assert "def step(" in "".join(linecache.getlines(filename))


def test_compiled_function_called_while_tracing_is_inlined():
    inner = wb.function(lambda x: wb.sin(x) * 2.0)
    outer = wb.function(lambda x: inner(x) + 1.0)
    np.testing.assert_allclose(outer(X).numpy(), np.sin(X) * 2.0 + 1.0, rtol=1e-15)
    assert [e.prim.name for e in outer.graph.eqns] == ["sin", "mul", "add"]


def test_custom_gradient_has_no_numba_rule_and_says_so():
    @wb.custom_gradient
    def twice(x):
        return x * 2.0, lambda g: g * 2.0

    def f(x):
        with wb.GradientTape() as tape:
            tape.watch(x)
            y = twice(x)
        return y, tape.gradient(y, x)

    with pytest.raises(LookupError, match="twice.*numba"):
        wb.function(f)(X)


def test_history_keeps_the_structure_of_the_result_and_map_runs_on_cpu():
    w = wb.Variable([1.0, 2.0], name="w")

    @wb.function
    def step(x):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum((w * x - 1.0) ** 2)
        grad = tape.gradient(loss, w)
        w.assign_sub(0.1 * grad)
        return {"loss": loss, "grad": grad}

    history = step.repeat(6, X[:2] + 1.0, record_every=3)
    assert history.outputs["loss"].shape == (2,) and history.outputs["grad"].shape == (2, 2)
    assert history["w"].shape == (2, 2)
    np.testing.assert_allclose(history["w"][-1], w.numpy(), rtol=1e-15)
    points = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, 0.5]])
    mapped = step.map(points)
    for k, p in enumerate(points):
        v = wb.Variable(w.numpy())
        loss = wb.reduce_sum((v * p - 1.0) ** 2)
        np.testing.assert_allclose(mapped["loss"][k], loss.numpy(), rtol=1e-14)


def test_fused_sums_in_repeat_keep_numpy_order():
    """repeat kernels keep small sums in registers (8 lanes); results stay bit-identical."""
    w = wb.Variable(0.5, name="w")
    data = np.linspace(-1.0, 2.0, 13)

    def step(x):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum((w * x - 1.0) ** 2.0)
        w.assign_sub(0.01 * tape.gradient(loss, w))
        return loss

    history = wb.function(step).repeat(50, data, record_every=1)
    v = wb.Variable(0.5)
    for k in range(50):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum((v * data - 1.0) ** 2.0)
        v.assign_sub(0.01 * tape.gradient(loss, v))
        assert history.outputs[k].tobytes() == loss.numpy().tobytes()
    assert w.numpy().tobytes() == v.numpy().tobytes()


def test_float64_update_of_a_float32_variable_is_cast_back_like_eager():
    v = wb.Variable(np.float32(1.0), name="v32")

    def shrink(c):
        v.assign_sub(c * v)  # c is float64: the update is computed in float64, stored as float32
        return v * 1.0

    compiled = wb.function(shrink)
    out = compiled(np.float64(0.3))
    compiled_value = v.numpy().copy()
    v.assign(np.float32(1.0))
    eager = shrink(wb.constant(np.float64(0.3)))
    assert v.dtype == np.float32 and out.dtype == np.float32
    np.testing.assert_array_equal(compiled_value, v.numpy())
    np.testing.assert_array_equal(out.numpy(), eager.numpy())


def test_gradient_flows_through_a_compiled_call_under_an_outer_tape():
    w = wb.Variable(2.0, name="w_outer")
    f = wb.function(lambda x: wb.reduce_sum(wb.sin(w * x)))
    x = np.array([0.5, 1.0, -0.3])
    f(x)  # compiled once outside any tape
    with wb.GradientTape() as tape:
        y = f(x)
    np.testing.assert_allclose(tape.gradient(y, w).numpy(), np.sum(np.cos(2.0 * x) * x),
                               rtol=1e-14)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scratch_buffers_on_the_stack_keep_every_bit(dtype):
    """Sum buffers the kernel only indexes live on its stack (no heap allocation compiled): the
    seed step (one leaf of 11) and a 300-element sum (3 leaves and a stack of partial sums)
    still equal the eager tape bit for bit, and a returned array stays a heap array."""
    step, a, b = make_seed(dtype)
    eager, ea, eb = make_seed(dtype)
    x, y = X.astype(dtype), Y.astype(dtype)
    compiled = wb.function(step)
    for _ in range(3):
        got, want = compiled(x, y), eager(wb.constant(x), wb.constant(y))
        assert got.numpy().tobytes() == want.numpy().tobytes()
    assert [v.numpy().tobytes() for v in (a, b)] == [v.numpy().tobytes() for v in (ea, eb)]
    assert "stack_buffer(" in compiled.source and "np.empty(" not in compiled.source

    data = np.linspace(-3.0, 2.0, 300).astype(dtype)
    f = wb.function(lambda v: (wb.reduce_sum(wb.abs(v - 0.25)), v * 2.0))
    total, doubled = f(data)
    assert total.numpy().tobytes() == np.sum(np.abs(data - dtype(0.25))).tobytes()
    assert doubled.numpy().tobytes() == (data * dtype(2.0)).tobytes()
    assert "stack_buffer(" in f.source and "np.empty(" in f.source  # the returned buffer

"""Bad input and odd but valid programs for the eager core: concurrent assignment, lossy or
mis-shaped assignment, tapes exited out of order, complex sources, tall and zero-size
Jacobians, structured batch_jacobian sources, and custom_gradient with Variables."""

import sys
import threading
import tracemalloc
import warnings
from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench import tape_state


# --- 11. atomic assignment ----------------------------------------------------------------------
def test_concurrent_assign_add_loses_no_update():
    v = wb.Variable(0.0)
    w = wb.Variable(np.zeros(3))
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        def work(k):
            for _ in range(3000):
                v.assign_add(1.0)
                w.assign_sub(np.ones(3)) if k % 2 else w.assign_add(2 * np.ones(3))

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert float(v) == 24000.0
    np.testing.assert_array_equal(w.numpy(), [4 * 3000 * 2 - 4 * 3000] * 3)


# --- 14. lossless assignment ------------------------------------------------------------------
DTYPES = ["bool", "int8", "uint8", "int32", "int64", "float16", "float32", "float64",
          "complex128"]
VALUES = st.sampled_from([0, 1, -1, 7, 300, -129, 2.5, -0.5, 1e10, 1e300, np.nan, np.inf,
                          1 + 2j, 3 + 0j, True])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(DTYPES), VALUES, st.sampled_from(DTYPES + [None]))
def test_assignment_is_lossless_or_raises(var_dtype, value, value_dtype):
    """An assignment either keeps the value (up to float rounding) or raises a clear error;
    and a safe cast (NumPy's casting='safe') never raises."""
    v = wb.Variable(np.zeros((), dtype=var_dtype))
    if value_dtype is None:
        src = np.asarray(value)
    else:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            src = np.asarray(value).astype(value_dtype)
    try:
        v.assign(src)
    except (TypeError, ValueError) as exc:
        assert "Variable" in str(exc)
        assert not np.can_cast(src.dtype, v.dtype, "safe")
        return
    got = v.numpy()
    assert got.dtype == np.dtype(var_dtype)
    if v.dtype.kind in "biu":
        assert got == src  # exact for integers and booleans
    else:
        want = src.astype(np.complex128)
        assert np.isnan(got) == np.isnan(want)
        if not np.isnan(want):
            with np.errstate(invalid="ignore"):
                close = np.abs(got - want) <= np.finfo(v.dtype).eps * 4 * np.abs(want)
            assert got == want or close


def test_lossy_assignments_named_in_the_error():
    i = wb.Variable(3, name="count")
    with pytest.raises(TypeError, match="count.*int64.*float64"):
        i.assign(2.5)
    with pytest.raises(TypeError, match="int64"):
        i.assign(float("nan"))
    with pytest.raises(TypeError, match="assign_add"):
        i.assign_add(0.5)
    with pytest.raises(TypeError, match="complex128"):
        wb.Variable(1.0).assign(1 + 2j)
    with pytest.raises(ValueError, match="do not fit in int8"):
        wb.Variable(np.int8(1)).assign(300)
    with pytest.raises(TypeError):
        wb.Variable(2.5, dtype="int64")
    assert int(i) == 3  # unchanged by the refused assignments


@pytest.mark.parametrize("shape,value", [((2,), 3.0), ((2,), [1.0, 2.0, 3.0]),
                                         ((2, 2), [1.0, 2.0]), ((), [1.0])])
def test_assign_needs_the_variables_shape(shape, value):
    v = wb.Variable(np.zeros(shape), name="w")
    for method in (v.assign, v.assign_add, v.assign_sub):  # as in TensorFlow: no broadcasting
        with pytest.raises(ValueError, match="shape"):
            method(value)
    np.testing.assert_array_equal(v.numpy(), np.zeros(shape))


# --- 12. tapes exited in any order ------------------------------------------------------------
@settings(max_examples=12, deadline=None)
@given(st.sampled_from(list(permutations(range(3)))))
def test_tape_stack_stays_consistent_whatever_the_exit_order(order):
    """Each tape records exactly while it is entered; exiting one before the tapes entered
    inside it raises, and the stack ends empty."""
    x = wb.constant(2.0)
    tapes = [wb.GradientTape(persistent=True) for _ in range(3)]
    for t in tapes:
        t.__enter__()
        t.watch(x)
    active = set(range(3))
    products = []
    for k in order:
        inner = any(j > k for j in active)
        if inner:
            with pytest.raises(RuntimeError, match="innermost first"):
                tapes[k].__exit__(None, None, None)
        else:
            tapes[k].__exit__(None, None, None)
        active.discard(k)
        products.append((set(active), x * x))
    assert tape_state.ACTIVE.get() == ()
    with wb.GradientTape() as t, tape_state.paused():
        t.__exit__(None, None, None)  # a tape that exits while paused stays exited
    assert tape_state.ACTIVE.get() == ()
    for alive, y in products:
        for j, t in enumerate(tapes):
            g = t.gradient(y, x)
            assert (g is not None) == (j in alive)
            if g is not None:
                assert float(g) == pytest.approx(4.0)


# --- 15. complex sources are refused ----------------------------------------------------------
def test_complex_sources_and_paths_are_refused():
    z = wb.constant(1 + 2j)
    with wb.GradientTape() as tape, pytest.raises(TypeError, match="complex128"):
        tape.watch(z)
    zv = wb.Variable(1 + 2j, name="z")
    with wb.GradientTape() as tape:
        y = wb.abs(zv * zv)
    with pytest.raises(TypeError, match="complex128"):
        tape.gradient(y, zv)
    a, b = wb.constant(1.0), wb.constant(2.0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch([a, b])
        y = wb.abs((a + 1j * b) * (a + 1j * b))
        real = a * b  # a real path next to the complex one still works
    with pytest.raises(TypeError, match="complex"):
        tape.gradient(y, [a, b])
    with pytest.raises(TypeError, match="complex"):
        tape.jacobian(y, a)
    assert float(tape.gradient(real, a)) == pytest.approx(2.0)


# --- 16. tall Jacobians -------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tall_jacobian_memory_is_proportional_to_its_size(dtype):
    xs = np.linspace(0.0, 1.0, 200_000).astype(dtype)
    a, b, c = (wb.constant(np.array(v, dtype)) for v in (1.5, 0.5, -0.3))
    tracemalloc.start()
    try:
        with wb.GradientTape() as tape:
            tape.watch([a, b, c])
            y = a * wb.sin(b * wb.constant(xs)) + c * xs**2
        ja, jb, jc = tape.jacobian(y, [a, b, c])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 400e6  # the Jacobian is 4.8 MB; a one-hot seed would be 320 GB
    tol = 1e-12 if dtype == "float64" else 1e-5
    assert ja.dtype == np.dtype(dtype)
    np.testing.assert_allclose(ja.numpy(), np.sin(0.5 * xs), atol=tol)
    np.testing.assert_allclose(jb.numpy(), 1.5 * xs * np.cos(0.5 * xs), atol=tol)
    np.testing.assert_allclose(jc.numpy(), xs**2, atol=tol)


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 700), st.integers(1, 4), st.integers(0, 10**6))
def test_jacobian_matches_the_closed_form_tall_or_wide(n, m, seed):
    rng = np.random.default_rng(seed)
    W, v0 = rng.normal(size=(n, m)), rng.normal(size=m)
    v = wb.constant(v0)
    with wb.GradientTape() as tape:
        tape.watch(v)
        y = wb.tanh(wb.constant(W) @ v)
    want = (1 - np.tanh(W @ v0) ** 2)[:, None] * W
    np.testing.assert_allclose(tape.jacobian(y, v).numpy(), want, rtol=1e-10, atol=1e-12)


def test_tall_jacobian_is_differentiable_again():
    rng = np.random.default_rng(1)
    W, v0 = rng.normal(size=(400, 2)), rng.normal(size=2)
    v = wb.constant(v0)
    with wb.GradientTape() as outer:
        outer.watch(v)
        with wb.GradientTape() as inner:
            inner.watch(v)
            y = wb.tanh(wb.constant(W) @ v)
        total = wb.reduce_sum(inner.jacobian(y, v))
    t = np.tanh(W @ v0)
    want = ((-2 * t * (1 - t**2)) * W.sum(axis=1)) @ W  # d/dv sum_ij (1 - t_i^2) W_ij
    np.testing.assert_allclose(outer.gradient(total, v).numpy(), want, rtol=1e-9)


# --- 17 and zero-size targets -----------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=1, max_size=3))
def test_zero_size_targets_give_zero_size_results(shape):
    x = wb.constant(np.ones(shape))
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * 2.0
        empty = y[:0]
    assert tape.jacobian(empty, x).shape == (0,) + empty.shape[1:] + x.shape
    jb = tape.batch_jacobian(y, x)
    assert jb.shape == (shape[0],) + tuple(shape[1:]) + tuple(shape[1:])
    if y.size:
        np.testing.assert_allclose(jb.numpy()[0], 2 * np.eye(int(np.prod(shape[1:]))).reshape(
            tuple(shape[1:]) * 2))


def test_batch_jacobian_takes_a_structure_of_sources():
    x = wb.constant(np.arange(6.0).reshape(2, 3))
    w = wb.constant(np.full((2, 3), 2.0))
    with wb.GradientTape(persistent=True) as tape:
        tape.watch([x, w])
        y = x * w
    jx, parts = tape.batch_jacobian(y, [x, {"w": w}])
    np.testing.assert_allclose(jx.numpy()[1], np.diag(w.numpy()[1]))
    np.testing.assert_allclose(parts["w"].numpy()[1], np.diag(x.numpy()[1]))


# --- custom_gradient and Variables (issue 8) --------------------------------------------------
def test_custom_gradient_with_a_variable_argument_uses_a_tf_style_grad_fn():
    @wb.custom_gradient
    def square(x):
        return x * x, lambda dy: dy * 2.0 * x

    v = wb.Variable(3.0, name="v")
    with wb.GradientTape() as tape:
        y = square(v)
    assert float(tape.gradient(y, v)) == pytest.approx(6.0)


def test_custom_gradient_captured_variables_need_the_variables_keyword():
    w = wb.Variable(2.0, name="w")
    x = wb.constant(3.0)

    @wb.custom_gradient
    def bad(x):
        return x * w, lambda dy: dy * w

    @wb.custom_gradient
    def good(x):
        def grad(dy, variables=None):
            assert [v.name for v in variables] == ["w"]
            return dy * w, [dy * x]
        return x * w, grad

    with wb.GradientTape() as tape:
        tape.watch(x)
        with pytest.raises(TypeError, match="variables"):
            bad(x)
        y = good(x)
    gx, gw = tape.gradient(y, [x, w])
    assert float(gx) == pytest.approx(2.0) and float(gw) == pytest.approx(3.0)

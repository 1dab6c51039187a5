"""Reductions, products and statistics, systematically: every function x shapes x axis/keepdims,
values against NumPy, gradients against central differences (float64), second order through
nested tapes, exact gradients with zeros (prod, cumprod) against loop oracles."""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
from _compile_support import compile_cache  # noqa: F401 - the session fixture
from _gradient_support import check_gradients, rng_for

import workbench as wb

# --- reductions over axes: function x shape x axis x keepdims --------------------------------
AXES = {(3,): [None, 0, -1], (2, 3): [None, 0, 1, (0, 1)], (2, 3, 4): [None, 1, (0, 2), (-1, 0)]}
REDUCTIONS = {
    "prod": (wb.prod, np.prod),
    "var": (wb.var, np.var),
    "var_ddof1": (lambda x, **k: wb.var(x, ddof=1, **k), lambda x, **k: np.var(x, ddof=1, **k)),
    "std": (wb.std, np.std),
    "std_ddof1": (lambda x, **k: wb.std(x, ddof=1, **k), lambda x, **k: np.std(x, ddof=1, **k)),
    "average": (wb.average, np.average),
    "ptp": (wb.ptp, np.ptp),
    "nansum": (wb.nansum, np.nansum),
    "nanmean": (wb.nanmean, np.nanmean),
    "amax": (wb.amax, np.amax),
}
REDUCTION_CASES = [(name, shape, axis, keep) for name in REDUCTIONS for shape, axes in AXES.items()
                   for axis in axes for keep in (False, True)]


@pytest.mark.parametrize("name, shape, axis, keepdims", REDUCTION_CASES)
def test_reduction_values_and_gradients(name, shape, axis, keepdims):
    ours, theirs = REDUCTIONS[name]
    rng = rng_for(name, shape, axis, keepdims)
    # distinct values: max/ptp have no ties within a finite-difference step
    x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.3 - 1.0 + rng.uniform(0, .01, shape)
    kw = {"axis": axis, "keepdims": keepdims}
    np.testing.assert_allclose(ours(wb.constant(x), **kw).numpy(), theirs(x, **kw), rtol=1e-12)
    check_gradients(lambda t: ours(t, **kw), [x], rng)


@pytest.mark.parametrize("shape, axis", [((4,), None), ((2, 3), 1), ((2, 3), 0), ((3, 1, 2), -1)])
@pytest.mark.parametrize("fn", ["cumsum", "cumprod"])
def test_cumulative_values_and_gradients(fn, shape, axis):
    rng = rng_for(fn, shape, axis)
    x = rng.uniform(-2, 2, shape)
    ours = getattr(wb, fn)
    np.testing.assert_allclose(ours(x, axis=axis).numpy(), getattr(np, fn)(x, axis=axis),
                               rtol=1e-13)
    for exclusive, reverse in itertools.product((False, True), repeat=2):
        cumulative = functools.partial(ours, axis=axis, exclusive=exclusive, reverse=reverse)
        check_gradients(cumulative, [x], rng)


def test_tf_cumulative_flags_match_a_direct_loop():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    np.testing.assert_allclose(wb.math.cumsum(x).numpy(), np.cumsum(x, axis=0))  # TF: axis 0
    got = wb.math.cumprod(x, axis=1, exclusive=True, reverse=True).numpy()
    want = np.array([[r[j + 1:].prod() for j in range(3)] for r in x])
    np.testing.assert_allclose(got, want)
    got = wb.math.cumsum(x, axis=1, exclusive=True).numpy()
    np.testing.assert_allclose(got, np.array([[r[:j].sum() for j in range(3)] for r in x]))


# --- exact gradients where inputs are zero ------------------------------------------------------
def _others_oracle(x):
    return np.array([np.prod(np.delete(x, i)) for i in range(x.size)])


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, -1.5], [0.0, 0.0, 3.0, 2.0], [0.0, 0.0, 0.0, 1.0],
                               [0.0], [1.5, 2.0, -0.5, 4.0]])
def test_prod_gradient_and_hessian_with_zeros(x):
    x = np.array(x)
    t = wb.constant(x)
    with wb.GradientTape() as outer:
        outer.watch(t)
        with wb.GradientTape() as inner:
            inner.watch(t)
            y = wb.prod(t)
        g = inner.gradient(y, t)
    hess = outer.jacobian(g, t).numpy()
    np.testing.assert_allclose(g.numpy(), _others_oracle(x), rtol=1e-14, atol=0)
    want = np.array([[0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(x.size)]
                     for i in range(x.size)])
    np.testing.assert_allclose(hess, want, rtol=1e-14, atol=0)
    assert np.isfinite(hess).all()


def test_prod_over_several_axes_with_zeros_matches_a_loop():
    x = rng_for("p0").integers(-2, 3, size=(2, 3, 4)).astype(float)  # many zeros
    t = wb.constant(x)
    with wb.GradientTape() as tape:
        tape.watch(t)
        y = wb.prod(t, axis=(0, 2))
    jac = tape.jacobian(y, t).numpy()
    want = np.zeros((3,) + x.shape)
    for j in range(3):
        block = x[:, j, :].ravel()
        want[j, :, j, :] = _others_oracle(block).reshape(2, 4)
    np.testing.assert_allclose(jac, want, rtol=1e-14, atol=0)


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, -1.5, 0.5], [0.0, 0.0, 3.0, 2.0, 1.0]])
def test_cumprod_jacobian_with_zeros_matches_a_loop(x):
    x = np.array(x)
    t = wb.constant(x)
    with wb.GradientTape() as tape:
        tape.watch(t)
        y = wb.cumprod(t)
    want = np.array([[np.prod(np.delete(x[: i + 1], j)) if j <= i else 0.0
                      for j in range(x.size)] for i in range(x.size)])
    np.testing.assert_allclose(tape.jacobian(y, t).numpy(), want, rtol=1e-14, atol=0)
    check_gradients(wb.cumprod, [x], rng_for("cz", tuple(x)))


# --- std where the variance is 0 ----------------------------------------------------------------
@pytest.mark.parametrize("x, axis", [([3.0], None), ([[1.0, 1.0], [2.0, 5.0]], 1),
                                     ([2.5, 2.5, 2.5, 2.5], 0)])
def test_std_gradient_is_zero_where_the_variance_is_zero(x, axis):
    x = np.array(x)
    t = wb.constant(x)
    with wb.GradientTape() as outer:
        outer.watch(t)
        with wb.GradientTape() as tape:
            tape.watch(t)
            s = wb.reduce_std(t, axis=axis)
        g = tape.gradient(s, t)
    h = outer.gradient(g, t)
    np.testing.assert_allclose(s.numpy(), np.std(x, axis=axis), atol=1e-15)
    assert np.isfinite(g.numpy()).all() and np.isfinite(h.numpy()).all()
    flat = np.std(x, axis=axis, keepdims=True) == 0
    assert np.all(g.numpy()[np.broadcast_to(flat, x.shape)] == 0.0)


def test_std_of_nan_is_nan_and_ddof_without_freedom_raises():
    assert np.isnan(float(wb.std([1.0, np.nan])))
    with pytest.raises(ValueError, match="ddof=1 leaves no degrees of freedom for 1"):
        wb.std([2.0], ddof=1)
    np.testing.assert_allclose(float(wb.variance([1.0, 2.0, 4.0])), np.var([1.0, 2.0, 4.0]))


# --- products -------------------------------------------------------------------------------------
PRODUCTS = [
    ("dot 1-1", wb.dot, np.dot, [(3,), (3,)]),
    ("dot 2-2", wb.dot, np.dot, [(2, 3), (3, 4)]),
    ("dot 3-1", wb.dot, np.dot, [(2, 2, 3), (3,)]),
    ("dot 3-3", wb.dot, np.dot, [(2, 2, 3), (2, 3, 4)]),
    ("dot 1-3", wb.dot, np.dot, [(3,), (2, 3, 4)]),
    ("dot 0-2", wb.dot, np.dot, [(), (2, 3)]),
    ("inner 2-3", wb.inner, np.inner, [(2, 3), (4, 2, 3)]),
    ("inner 1-1", wb.inner, np.inner, [(3,), (3,)]),
    ("outer", wb.outer, np.outer, [(2, 2), (3,)]),
    ("kron 2-2", wb.kron, np.kron, [(2, 3), (3, 2)]),
    ("kron 1-3", wb.kron, np.kron, [(2,), (2, 1, 3)]),
    ("cross", wb.cross, np.cross, [(4, 3), (3,)]),
    ("cross 2-2", wb.cross, np.cross, [(2, 3), (2, 3)]),
    ("tensordot 1", lambda a, b: wb.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
     [(2, 3), (3, 4)]),
    ("tensordot 0", lambda a, b: wb.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0),
     [(2,), (3,)]),
    ("tensordot pairs", lambda a, b: wb.tensordot(a, b, ([0, 2], [2, 1])),
     lambda a, b: np.tensordot(a, b, ([0, 2], [2, 1])), [(2, 3, 4), (3, 4, 2)]),
    ("cross axis 0", lambda a, b: wb.cross(a, b, axis=0), lambda a, b: np.cross(a, b, axis=0),
     [(3, 2), (3, 2)]),
]


@pytest.mark.parametrize("name, ours, theirs, shapes", PRODUCTS, ids=[p[0] for p in PRODUCTS])
def test_products_values_and_gradients(name, ours, theirs, shapes):
    rng = rng_for(name)
    xs = [rng.normal(size=s) for s in shapes]
    np.testing.assert_allclose(ours(*[wb.constant(x) for x in xs]).numpy(), theirs(*xs),
                               rtol=1e-12, atol=1e-14)
    check_gradients(ours, xs, rng)


@pytest.mark.parametrize("shape", [(3, 3), (3, 4), (2, 3, 4), (4, 2, 3)])
@pytest.mark.parametrize("offset", [-2, -1, 0, 1, 3])
@pytest.mark.parametrize("axes", [(0, 1), (1, 0), (-1, 0), (1, -1)])
def test_trace_matches_numpy(shape, offset, axes):
    rng = rng_for("trace", shape, offset, axes)
    a = rng.normal(size=shape)
    if len(shape) == 2 and -1 in axes and 1 in axes:
        return  # the same axis twice
    f = lambda t: wb.trace(t, offset, *axes)
    np.testing.assert_allclose(f(wb.constant(a)).numpy(), np.trace(a, offset, *axes), rtol=1e-13)
    check_gradients(f, [a], rng, order2=offset == 0)


def test_tf_linalg_trace_is_over_the_last_two_axes():
    a = rng_for("lt").normal(size=(2, 3, 3))
    np.testing.assert_allclose(wb.linalg.trace(a).numpy(), np.trace(a, axis1=-2, axis2=-1))
    np.testing.assert_allclose(wb.trace(a, axis1=-2, axis2=-1).numpy(), wb.linalg.trace(a).numpy())


def test_contractions_print_in_matrix_notation():
    a = wb.Variable(rng_for("tp").normal(size=(3, 3)), name="A")
    x = wb.Variable(rng_for("tx").normal(size=3), name="x")
    with wb.GradientTape(persistent=True) as tape:
        outs = [wb.trace(a), wb.einsum("ij,j->i", a, x), wb.dot(x, x), wb.einsum("ji", a),
                wb.tensordot(x, a, axes=1)]
    got = [str(tape.expression(y, view="matrix")) for y in outs]
    assert got == ["Trace(A)", "A*x", "x.T*x", "A.T", "(x.T*A).T"]


FLOAT32 = [
    lambda x: wb.prod(x, axis=1), lambda x: wb.cumprod(x, axis=0), lambda x: wb.cumsum(x),
    lambda x: wb.std(x, axis=0, ddof=1), lambda x: wb.einsum("ij,kj->ik", x, x),
    lambda x: wb.trace(x[:, :2]), lambda x: wb.kron(x, x), lambda x: wb.cross(x, x[::-1]),
    lambda x: wb.average(x, axis=1, weights=np.array([1.0, 2.0, 3.0], dtype=np.float32)),
    lambda x: wb.nanmean(x, axis=0),
]


@pytest.mark.parametrize("k", range(len(FLOAT32)))
def test_float32_stays_float32(k):
    t = wb.constant(rng_for("f32", k).normal(size=(2, 3)).astype(np.float32))
    with wb.GradientTape() as tape:
        tape.watch(t)
        y = FLOAT32[k](t)
    assert y.dtype == np.float32
    assert tape.gradient(y, t).dtype == np.float32


# --- logical reductions ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape, axis", [((0,), None), ((3,), None), ((2, 3), 1), ((2, 3), (0, 1)),
                                         ((2, 3, 2), 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_logical_reductions_match_numpy(shape, axis, keepdims):
    x = rng_for("logic", shape).integers(0, 3, size=shape) * 1.0
    for ours, theirs in ((wb.any, np.any), (wb.all, np.all), (wb.reduce_any, np.any),
                         (wb.math.reduce_all, np.all), (wb.count_nonzero, np.count_nonzero)):
        got = ours(x, axis=axis, keepdims=keepdims).numpy()
        np.testing.assert_array_equal(got, theirs(x, axis=axis, keepdims=keepdims))
    b = x > 0
    np.testing.assert_array_equal(wb.any(b, axis=axis).numpy(), np.any(b, axis=axis))


def test_logical_reductions_have_no_gradient():
    t = wb.constant([0.0, 1.5, -2.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(t)
        outs = [wb.any(t), wb.all(t), wb.count_nonzero(t)]
    assert [tape.gradient(o, t) for o in outs] == [None, None, None]


def test_nan_reductions_ignore_nan_in_value_and_gradient():
    x = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 4.0]])
    t = wb.constant(x)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(t)
        s, m = wb.nansum(t, axis=1), wb.nanmean(t)
    np.testing.assert_allclose(s.numpy(), np.nansum(x, axis=1))
    np.testing.assert_allclose(float(m), np.nanmean(x))
    np.testing.assert_array_equal(tape.gradient(s, t).numpy(), np.isfinite(x) * 1.0)
    np.testing.assert_allclose(tape.gradient(m, t).numpy(), np.isfinite(x) / 3.0)


def test_average_with_weights_along_an_axis_and_returned():
    a = rng_for("avg").normal(size=(2, 3, 4))
    w = np.array([0.5, 2.0, 1.0])
    got, total = wb.average(a, axis=1, weights=w, returned=True)
    want, want_total = np.average(a, axis=1, weights=w, returned=True)
    np.testing.assert_allclose(got.numpy(), want)
    np.testing.assert_allclose(total.numpy(), want_total)
    check_gradients(lambda x, v: wb.average(x, axis=1, weights=v), [a, w], rng_for("avg-g"))
    full = rng_for("avg-w").uniform(0.5, 2.0, size=a.shape)
    for axis in (None, (0, 2), -1):
        np.testing.assert_allclose(wb.average(a, axis=axis, weights=full).numpy(),
                                   np.average(a, axis=axis, weights=full), rtol=1e-13)
    check_gradients(lambda x, v: wb.average(x, axis=(0, 2), weights=v), [a, full], rng_for("avg-f"))
    with pytest.raises(TypeError, match="give one integer axis"):
        wb.average(a, weights=w)


# --- the compiled engine on the composites --------------------------------------------------
@pytest.mark.usefixtures("compile_cache")
def test_composites_compile_and_match_eager():
    rng = rng_for("compiled")
    a, b = rng.normal(size=(2, 3, 3)), np.array([0.0, 2.0, -1.0])

    def run(x, v):
        with wb.GradientTape() as tape:
            tape.watch([x, v])
            y = (wb.sum(wb.einsum("...ij,j->...i", x, v)) + wb.sum(wb.trace(x, axis1=1, axis2=2))
                 + wb.sum(wb.cumprod(v)) + wb.prod(v + 1.0) + wb.std(x) + wb.sum(wb.cross(x, v))
                 + wb.sum(wb.kron(v, v)))
        return y, tape.gradient(y, [x, v])

    want_y, want_g = run(wb.constant(a), wb.constant(b))
    got_y, got_g = wb.function(run)(a, b)
    np.testing.assert_allclose(got_y.numpy(), want_y.numpy(), rtol=1e-12)
    for got, want in zip(got_g, want_g, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-14)


def _on_cuda_target() -> bool:
    from numba import config, cuda

    return bool(config.ENABLE_CUDASIM) or cuda.is_available()


@pytest.mark.usefixtures("compile_cache")
@pytest.mark.skipif(not _on_cuda_target(), reason="needs NUMBA_ENABLE_CUDASIM=1 or a GPU")
def test_new_emitters_on_the_cuda_target_match_the_cpu():
    def run(a, x):
        with wb.GradientTape() as tape:
            tape.watch([a, x])
            y = (wb.prod(x * a) + wb.sum(wb.einsum("i,j->ij", x, x) * a)
                 + wb.sum(wb.cumsum(x * a, axis=0, reverse=True)) + wb.sum(wb.cumprod(x)))
        return y, tape.gradient(y, [a, x])

    rates, x = np.linspace(0.5, 2.0, 4), np.array([1.0, 0.0, 2.0])
    gpu = wb.function(run, target="cuda").map(rates, x, in_axes=(0, None))
    cpu = wb.function(run).map(rates, x, in_axes=(0, None))
    np.testing.assert_allclose(gpu[0], cpu[0], rtol=1e-14)
    for got, want in zip(gpu[1], cpu[1], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14)

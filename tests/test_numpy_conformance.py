"""NumPy-named functions agree with NumPy: output dtypes on integer, bool and float32 inputs,
shapes, values; gradients (including quantile's wrt q and gradient's wrt coordinates) against
central differences."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb

RNG = np.random.default_rng(7)
INPUTS = {
    "f32": RNG.uniform(0.1, 0.9, (3, 4)).astype(np.float32),
    "f64": RNG.uniform(-0.9, 0.9, (3, 4)),
    "i64": RNG.integers(-4, 5, (3, 4)),
    "i32": RNG.integers(1, 5, (3, 4)).astype(np.int32),
    "bool": RNG.integers(0, 2, (3, 4)).astype(bool),
}
UNARY = ["fabs", "rint", "square", "reciprocal", "real", "conj", "deg2rad", "rad2deg", "exp2",
         "tril", "triu", "nansum", "nanmax", "nanmin", "nanprod", "nancumsum", "nancumprod",
         "cumprod", "cumsum", "trace", "sum", "prod", "min", "max", "median", "nanmedian",
         "diff", "ascontiguousarray"]
BINARY = ["copysign", "floor_divide", "vdot", "vecdot", "matvec", "logaddexp", "heaviside",
          "polyval", "polyadd"]


def _check_like_numpy(name, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # integer reciprocal of 0, float16 overflow
        try:
            want = np.asarray(getattr(np, name)(*[np.copy(a) for a in args]))
        except TypeError:
            pytest.skip(f"NumPy has no {name} for these dtypes")
        got = np.asarray(getattr(wb, name)(*[wb.constant(a) for a in args]))
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    if name == "reciprocal" and want.dtype.kind in "iu":  # NumPy's 1 // 0 is undefined
        mask = np.asarray(args[0]) != 0
        np.testing.assert_array_equal(got[mask], want[mask])
    else:
        np.testing.assert_allclose(got.astype(float), want.astype(float), rtol=2e-3)


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("name", UNARY)
def test_unary_dtype_shape_value_like_numpy(name, kind):
    _check_like_numpy(name, (INPUTS[kind],))


@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("name", BINARY)
def test_binary_dtype_shape_value_like_numpy(name, kind):
    a = INPUTS[kind]
    b = a[0] if name == "matvec" else a
    _check_like_numpy(name, (a, b))


@pytest.mark.parametrize("name", ["fabs", "rint", "copysign", "deg2rad", "exp2"])
def test_python_scalars_follow_numpy_and_stay_weak(name):
    args = (3,) if name != "copysign" else (3, -1)
    assert np.asarray(getattr(wb, name)(*args)).dtype == np.asarray(getattr(np, name)(*args)).dtype
    x32 = wb.constant(np.float32([1.5]))
    out = getattr(wb, name)(x32, -2.0) if name == "copysign" else getattr(wb, name)(x32)
    assert out.dtype == np.float32


def test_default_float32_applies_to_python_floats():
    wb.set_default_dtype("float32")
    try:
        assert wb.exp2(1.5).dtype == np.float32
    finally:
        wb.set_default_dtype("float64")


@pytest.mark.parametrize("name", ["fabs", "square", "reciprocal", "copysign", "deg2rad",
                                  "logaddexp", "tril", "nansum", "nanmax", "quantile",
                                  "gradient", "vdot", "cumprod", "trace", "polyval"])
def test_float32_gradients_stay_float32(name):
    calls = {"copysign": lambda x: wb.copysign(x, -1.0), "logaddexp": lambda x: wb.logaddexp(x, x),
             "quantile": lambda x: wb.quantile(x, 0.3), "gradient": lambda x: wb.gradient(x, axis=0),
             "vdot": lambda x: wb.vdot(x, x), "polyval": lambda x: wb.polyval(x[0], x)}
    x = wb.Variable(INPUTS["f32"])
    with wb.GradientTape() as tape:
        y = calls.get(name, getattr(wb, name))(x)
        total = wb.sum(y)
    assert y.dtype == np.float32
    assert tape.gradient(total, x).dtype == np.float32


@pytest.mark.parametrize("call", [lambda m: m.broadcast_to(3.0, 4), lambda m: m.convolve(2.0, 3.0),
                                  lambda m: m.ascontiguousarray(3.0),
                                  lambda m: m.floor_divide(np.array([7, -7, 3]), np.array([2, 2, 0]))])
def test_scalar_and_edge_arguments_like_numpy(call):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy warns on the integer division by zero
        want, got = np.asarray(call(np)), np.asarray(call(wb))
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_allclose(got, want)


def test_bool_min_is_all():
    b = INPUTS["bool"]
    np.testing.assert_array_equal(wb.min(b, axis=0).numpy(), b.min(axis=0))
    u = np.array([[3, 0, 7], [2, 5, 1]], np.uint8)
    np.testing.assert_array_equal(wb.min(u, axis=1).numpy(), u.min(axis=1))


# --- polynomials keep NumPy's shapes ----------------------------------------------------------
@pytest.mark.parametrize("name", ["polyadd", "polysub"])
@pytest.mark.parametrize("shapes", [((3,), (5,)), ((5,), (2,)), ((3, 4), (3, 4)), ((), (3,))])
def test_polyadd_polysub_shapes_like_numpy(name, shapes):
    a, b = RNG.normal(size=shapes[0]), RNG.normal(size=shapes[1])
    want = getattr(np, name)(a, b)
    got = getattr(wb, name)(wb.constant(a), wb.constant(b)).numpy()
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want)


def test_polyadd_2d_of_different_lengths_raises_like_numpy():
    with pytest.raises(ValueError):
        np.polyadd(np.ones((2, 3)), np.ones((3, 3)))
    with pytest.raises(ValueError, match="polyadd"):
        wb.polyadd(wb.ones((2, 3)), wb.ones((3, 3)))


# --- gradients against central differences ----------------------------------------------------
def _fd_grad(fn, x, eps=1e-6):
    x = np.asarray(x, float)
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = eps
        g[i] = (fn(x + e) - fn(x - e)) / (2 * eps)
    return g


def _tape_grad(fn, x):
    v = wb.Variable(x)
    with wb.GradientTape() as tape:
        y = fn(v)
    return tape.gradient(y, v)


QUANTILES = {"quantile": (wb.quantile, np.quantile, 1.0),
             "percentile": (wb.percentile, np.percentile, 100.0),
             "nanquantile": (wb.nanquantile, np.nanquantile, 1.0),
             "nanpercentile": (wb.nanpercentile, np.nanpercentile, 100.0)}


@settings(max_examples=15, deadline=None)
@given(q=st.lists(st.floats(0.01, 0.99), min_size=1, max_size=3),
       n=st.integers(2, 7), name=st.sampled_from(list(QUANTILES)))
def test_quantile_gradient_wrt_q_matches_finite_differences(q, n, name):
    wbf, npf, scale = QUANTILES[name]
    data = np.random.default_rng(n).normal(size=(3, n))
    if name.startswith("nan"):
        data[0, 0] = np.nan
    qs = np.asarray(q) * scale
    counts = (n, n - 1) if name.startswith("nan") else (n,)  # the NaN row has one fewer
    pos = np.asarray(q)[:, None] * (np.asarray(counts) - 1)
    if np.any(np.abs(pos - np.round(pos)) < 1e-3):  # central differences miss the kinks
        return
    w = np.arange(1.0, 1 + 3 * len(q)).reshape(len(q), 3)
    got = _tape_grad(lambda t: wb.sum(wbf(data, t, axis=1) * w), qs)
    want = _fd_grad(lambda t: np.sum(npf(data, t, axis=1) * w), qs, eps=1e-6 * scale)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(wbf(data, wb.constant(qs), axis=1).numpy(),
                               npf(data, qs, axis=1), rtol=1e-12)


def test_quantile_gradient_wrt_q_is_slope_between_neighbours():
    x = np.array([4.0, 1.0, 2.0, 8.0])  # sorted 1, 2, 4, 8; q = 0.5 lies between 2 and 4
    g = _tape_grad(lambda q: wb.quantile(x, q), np.array(0.4))
    np.testing.assert_allclose(g.numpy(), (4.0 - 2.0) * 3)


# --- np.gradient with coordinates -------------------------------------------------------------
GRAD_F = RNG.normal(size=(5, 6))
GRAD_X = np.sort(RNG.uniform(0.0, 3.0, 5)) + np.arange(5)
GRAD_Y = np.cumsum(RNG.uniform(0.1, 1.0, 6))


@pytest.mark.parametrize("edge_order", [1, 2])
@pytest.mark.parametrize("spacing", [(), (0.5,), (0.5, 2.0), ("x", "y"), ("x", 0.3)])
def test_gradient_matches_numpy(spacing, edge_order):
    arrays = {"x": GRAD_X, "y": GRAD_Y}
    args = [arrays.get(s, s) if isinstance(s, str) else s for s in spacing]
    want = np.gradient(GRAD_F, *args, edge_order=edge_order)
    got = wb.gradient(wb.constant(GRAD_F), *[wb.constant(a) if np.ndim(a) else a for a in args],
                      edge_order=edge_order)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), w, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_one_axis_and_dtypes_like_numpy(edge_order):
    want = np.gradient(GRAD_F, GRAD_X, axis=0, edge_order=edge_order)
    np.testing.assert_allclose(wb.gradient(GRAD_F, GRAD_X, axis=0, edge_order=edge_order).numpy(),
                               want, rtol=1e-10)
    ints = np.array([1, 4, 9, 16], np.int32)
    assert wb.gradient(ints).dtype == np.gradient(ints).dtype
    f32 = np.float32([1.0, 2.0, 5.0])
    assert wb.gradient(f32, np.arange(3.0)).dtype == np.float32


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_differentiable_in_f_and_coordinates(edge_order):
    w = RNG.normal(size=GRAD_X.shape + (6,))

    def fn_np(f, x):
        return np.sum(np.gradient(f, x, axis=0, edge_order=edge_order) * w)

    got_f = _tape_grad(lambda f: wb.sum(wb.gradient(f, GRAD_X, axis=0, edge_order=edge_order) * w),
                       GRAD_F)
    np.testing.assert_allclose(got_f.numpy(), _fd_grad(lambda f: fn_np(f, GRAD_X), GRAD_F),
                               rtol=1e-6, atol=1e-8)
    got_x = _tape_grad(lambda x: wb.sum(wb.gradient(GRAD_F, x, axis=0, edge_order=edge_order) * w),
                       GRAD_X)
    np.testing.assert_allclose(got_x.numpy(), _fd_grad(lambda x: fn_np(GRAD_F, x), GRAD_X),
                               rtol=1e-6, atol=1e-8)


def test_gradient_errors_name_the_problem():
    with pytest.raises(ValueError, match="edge_order=2 needs at least 3"):
        wb.gradient(wb.constant([1.0, 2.0]), edge_order=2)
    with pytest.raises(ValueError, match="coordinates for axis 0"):
        wb.gradient(wb.constant([1.0, 2.0, 3.0]), wb.constant([0.0, 1.0]))


# --- size(a, axis) ----------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
def test_size_axis_like_numpy(axis):
    a = np.zeros((2, 3))
    assert wb.size(wb.constant(a), axis) == np.size(a, axis)


# --- call patterns: broadcasting, empty arrays, positional arguments --------------------------
@pytest.mark.parametrize("call", [
    lambda m, y, x: m.trapezoid(y[0], x),  # y (4,) against x (3, 4): NumPy's broadcasting
    lambda m, y, x: m.trapezoid(y, x, axis=0),
    lambda m, y, x: m.trapezoid(y, x[0]),
    lambda m, y, x: m.var(np.zeros((0, 4)), axis=0),
    lambda m, y, x: m.std(np.zeros((0, 4))),
    lambda m, y, x: m.geomspace(np.float32(1.0), np.float32(8.0), 4),
    lambda m, y, x: m.nan_to_num(np.array([np.nan, 1.0]), True, 5.0),
])
def test_call_patterns_like_numpy(call):
    y, x = RNG.uniform(size=(3, 4)), np.sort(RNG.uniform(size=(3, 4)), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NumPy warns on the empty variance
        want, got = np.asarray(call(np, y, x)), np.asarray(call(wb, y, x))
    assert (got.dtype, got.shape) == (want.dtype, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-6)


def test_polyder_of_a_matrix_raises_like_numpy():
    with pytest.raises(ValueError):
        np.polyder(np.ones((3, 4)), 2)
    with pytest.raises(ValueError, match="polyder: p must be a vector"):
        wb.polyder(wb.ones((3, 4)), 2)

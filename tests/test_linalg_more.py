"""wb.linalg beyond inv/solve/det: decompositions, norms, diagonals and triangles, against NumPy,
SymPy and central differences; det's gradient at singular matrices against SymPy's adjugate."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from _compile_support import compile_cache  # noqa: F401 - the session fixture
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb

RNG = np.random.default_rng(11)
EPS = 1e-6


def _spd(n: int, rng=RNG) -> np.ndarray:
    b = rng.normal(scale=0.4, size=(n, n))
    return b @ b.T + np.diag(np.arange(1.0, n + 1.0))


def _grad(fn, x: np.ndarray) -> np.ndarray:
    t = wb.constant(x)
    with wb.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    return tape.gradient(y, t).numpy()


def _fd_grad(fn, x: np.ndarray) -> np.ndarray:
    """Central differences of a scalar function, entry by entry."""
    out = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        step = np.zeros_like(x)
        step[idx] = EPS
        out[idx] = (float(fn(wb.constant(x + step))) - float(fn(wb.constant(x - step)))) / (2 * EPS)
    return out


def _hvp(fn, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    """The Hessian times ``u`` through nested tapes."""
    t = wb.constant(x)
    with wb.GradientTape() as outer:
        outer.watch(t)
        with wb.GradientTape() as inner:
            inner.watch(t)
            y = fn(t)
        s = wb.sum(inner.gradient(y, t) * u)
    return outer.gradient(s, t, unconnected_gradients="zero").numpy()


def _fd_hvp(fn, x: np.ndarray, u: np.ndarray) -> np.ndarray:
    return (_grad(fn, x + EPS * u) - _grad(fn, x - EPS * u)) / (2 * EPS)


# --- sign-invariant scalar functions of the decompositions ------------------------------------
W3 = RNG.normal(size=3)
C33 = RNG.normal(size=(3, 3))
C32 = RNG.normal(size=(3, 2))
C22 = RNG.normal(size=(2, 2))


def eigh_fn(a):
    w, v = wb.linalg.eigh(a)
    return wb.sum(w * W3) + wb.sum(v * v * C33)


def svd_fn(a):
    u, s, vh = wb.linalg.svd(a, full_matrices=False)
    return wb.sum(s * W3[:2]) + wb.sum(u * u * C32) + wb.sum(vh * vh * C22) + wb.sum(s**3)


FUNCTIONS = {
    "cholesky": (lambda a: wb.sum(wb.linalg.cholesky(a) * C33), lambda: _spd(3)),
    "cholesky_upper": (lambda a: wb.sum(wb.linalg.cholesky(a, upper=True) ** 2.0 * C33),
                       lambda: _spd(3)),
    "eigh": (eigh_fn, lambda: _spd(3)),
    "eigh_upper": (lambda a: wb.sum(wb.linalg.eigh(a, UPLO="U")[0] * W3), lambda: _spd(3)),
    "eigvalsh": (lambda a: wb.sum(wb.linalg.eigvalsh(a) ** 2.0 * W3), lambda: _spd(3)),
    "svd": (svd_fn, lambda: RNG.normal(size=(3, 2))),
    "svd_wide": (lambda a: svd_fn(wb.transpose(a)), lambda: RNG.normal(size=(2, 3))),
    "svdvals": (lambda a: wb.sum(wb.linalg.svdvals(a) ** 2.0), lambda: RNG.normal(size=(2, 3))),
    "slogdet": (lambda a: wb.linalg.slogdet(a)[1], lambda: RNG.normal(size=(3, 3))),
    "logdet": (wb.linalg.logdet, lambda: _spd(3)),
    "pinv": (lambda a: wb.sum(wb.linalg.pinv(a) * C32.T), lambda: RNG.normal(size=(3, 2))),
    "lstsq": (lambda a: wb.sum(wb.linalg.lstsq(a, W3)[0] ** 2.0), lambda: RNG.normal(size=(3, 2))),
    "matrix_power": (lambda a: wb.sum(wb.linalg.matrix_power(a, -3) * C33),
                     lambda: RNG.normal(scale=0.3, size=(3, 3)) + 2 * np.eye(3)),
    "qr": (lambda a: (lambda q, r: wb.sum(q * C32) * wb.sum(r * C22))(*wb.linalg.qr(a)),
           lambda: RNG.normal(size=(3, 2))),
    "qr_wide": (lambda a: (lambda q, r: wb.sum(q * q * C22) + wb.sum(r * C32.T))(
        *wb.linalg.qr(a)), lambda: RNG.normal(size=(2, 3))),
    "nuclear_norm": (lambda a: wb.linalg.norm(a, "nuc"), lambda: RNG.normal(size=(3, 2))),
    "spectral_norm": (lambda a: wb.linalg.norm(a, 2), lambda: RNG.normal(size=(3, 3))),
    "p_norm": (lambda a: wb.linalg.norm(a, 3.0, axis=1)[0], lambda: RNG.normal(size=(2, 3))),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradient_and_second_order_match_central_differences(name):
    fn, make = FUNCTIONS[name]
    x = make()
    np.testing.assert_allclose(_grad(fn, x), _fd_grad(fn, x), rtol=1e-6, atol=1e-7)
    u = RNG.normal(size=x.shape)
    np.testing.assert_allclose(_hvp(fn, x, u), _fd_hvp(fn, x, u), rtol=1e-5, atol=1e-6)


# --- values against NumPy ---------------------------------------------------------------------
def test_decomposition_values_match_numpy():
    a, spd, rect = RNG.normal(size=(2, 3, 3)), _spd(4), RNG.normal(size=(4, 2))
    np.testing.assert_allclose(wb.linalg.cholesky(spd).numpy(), np.linalg.cholesky(spd))
    np.testing.assert_allclose(wb.linalg.cholesky(spd, upper=True).numpy(),
                               np.linalg.cholesky(spd, upper=True))
    w, v = wb.linalg.eigh(spd)
    np.testing.assert_allclose(w.numpy(), np.linalg.eigvalsh(spd), rtol=1e-12)
    np.testing.assert_allclose((v.numpy() * w.numpy()) @ v.numpy().T, spd, atol=1e-12)
    np.testing.assert_allclose(wb.linalg.eigvalsh(spd).numpy(), np.linalg.eigvalsh(spd))
    for m in (rect, rect.T, a):
        u, s, vh = wb.linalg.svd(m, full_matrices=False)
        np.testing.assert_allclose(s.numpy(), np.linalg.svd(m, compute_uv=False), rtol=1e-12)
        np.testing.assert_allclose((u.numpy() * s.numpy()[..., None, :]) @ vh.numpy(), m,
                                   atol=1e-12)
        np.testing.assert_allclose(wb.linalg.svd(m, compute_uv=False).numpy(), s.numpy())
        np.testing.assert_allclose(wb.linalg.svdvals(m).numpy(), s.numpy())
        np.testing.assert_allclose(wb.linalg.pinv(m).numpy(), np.linalg.pinv(m), atol=1e-12)
    for m in (rect, rect.T, a):
        q, r = wb.linalg.qr(m)
        want_q, want_r = np.linalg.qr(m)
        np.testing.assert_allclose(q.numpy(), want_q, atol=1e-12)
        np.testing.assert_allclose(r.numpy(), want_r, atol=1e-12)
        np.testing.assert_allclose(wb.linalg.qr(m, mode="r").numpy(), want_r, atol=1e-12)
    sign, logabs = wb.linalg.slogdet(a)
    np.testing.assert_array_equal(sign.numpy(), np.linalg.slogdet(a)[0])
    np.testing.assert_allclose(logabs.numpy(), np.linalg.slogdet(a)[1])
    np.testing.assert_allclose(wb.linalg.logdet(spd).numpy(), np.linalg.slogdet(spd)[1])
    big = np.eye(3) * 1e200  # det overflows; slogdet does not
    np.testing.assert_allclose(wb.linalg.slogdet(big)[1].numpy(), 3 * np.log(1e200))


@pytest.mark.parametrize("b_shape", [(5,), (5, 2)])
@pytest.mark.parametrize("a_shape", [(5, 3), (3, 5), (5, 5)])
def test_lstsq_matches_numpy(a_shape, b_shape):
    a = RNG.normal(size=a_shape)
    b = RNG.normal(size=(a_shape[0],) + b_shape[1:])
    x, res, rank, s = wb.linalg.lstsq(a, b)
    want = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(x.numpy(), want[0], atol=1e-12)
    assert res.shape == want[1].shape
    np.testing.assert_allclose(res.numpy(), want[1], rtol=1e-10)
    assert rank == want[2]
    np.testing.assert_allclose(s.numpy(), want[3])


@pytest.mark.parametrize("n", [-3, -1, 0, 1, 2, 5])
def test_matrix_power_matches_numpy(n):
    a = RNG.normal(scale=0.4, size=(2, 3, 3)) + np.eye(3)
    np.testing.assert_allclose(wb.linalg.matrix_power(a, n).numpy(),
                               np.linalg.matrix_power(a, n), rtol=1e-10)


def test_diagonals_and_triangles_match_numpy():
    m, v = RNG.normal(size=(3, 4)), RNG.normal(size=3)
    t = RNG.normal(size=(2, 3, 4))
    for k in (-2, -1, 0, 1, 3):
        np.testing.assert_array_equal(wb.diag(v, k).numpy(), np.diag(v, k))
        np.testing.assert_array_equal(wb.diag(m, k).numpy(), np.diag(m, k))
        np.testing.assert_array_equal(wb.tril(t, k).numpy(), np.tril(t, k))
        np.testing.assert_array_equal(wb.triu(t, k).numpy(), np.triu(t, k))
        np.testing.assert_array_equal(wb.linalg.diagonal(t, offset=k).numpy(),
                                      np.linalg.diagonal(t, offset=k))
        np.testing.assert_array_equal(wb.linalg.diag_part(t, k).numpy(),
                                      np.linalg.diagonal(t, offset=k))
        for ax1, ax2 in [(0, 1), (2, 0), (1, -1)]:
            np.testing.assert_array_equal(wb.diagonal(t, k, ax1, ax2).numpy(),
                                          np.diagonal(t, k, ax1, ax2))
    # tf.linalg.diag: the last axis of a stack of vectors onto the diagonal
    stack = RNG.normal(size=(2, 3))
    for k in (0, 1, -2):
        got = wb.linalg.diag(stack, k=k).numpy()
        assert got.shape == (2, 3 + abs(k), 3 + abs(k))
        for b in range(2):
            np.testing.assert_array_equal(got[b], np.diag(stack[b], k))
    np.testing.assert_array_equal(wb.linalg.matrix_transpose(t).numpy(), np.swapaxes(t, -1, -2))
    np.testing.assert_array_equal(wb.linalg.adjoint(t).numpy(), np.swapaxes(t, -1, -2))


def test_triangles_and_diagonals_pass_gradients_only_where_they_read():
    m = RNG.normal(size=(3, 3))
    np.testing.assert_array_equal(_grad(lambda x: wb.sum(wb.tril(x, -1)), m), np.tri(3, k=-1))
    np.testing.assert_array_equal(_grad(lambda x: wb.sum(wb.triu(x, 1) * 2.0), m),
                                  2 * np.triu(np.ones((3, 3)), 1))
    np.testing.assert_array_equal(_grad(lambda x: wb.sum(wb.diag(x, 1)), m), np.eye(3, k=1))
    np.testing.assert_array_equal(_grad(lambda x: wb.sum(wb.diag(x) * x), m[0]), 2 * m[0])
    inf = np.array([[np.inf, 1.0], [2.0, 3.0]])
    assert not np.any(np.isnan(wb.tril(inf).numpy()))  # no 0 * inf


# --- norms ------------------------------------------------------------------------------------
VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 0, 3, 0.5, -1]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]
NORM_TABLE = (
    [((5,), o, None) for o in VECTOR_ORDS]
    + [((3, 4), o, None) for o in MATRIX_ORDS]
    + [((3, 4), o, ax) for o in VECTOR_ORDS for ax in (0, 1, -1)]
    + [((2, 3, 4), o, ax) for o in MATRIX_ORDS for ax in ((0, 1), (2, 0), (-1, -2))]
    + [((2, 3, 4), None, None), ((2, 3, 4), 1, 2)]
)


@pytest.mark.parametrize("shape, ord, axis", NORM_TABLE)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_matches_numpy(shape, ord, axis, keepdims):
    x = RNG.normal(size=shape)
    x.flat[0] = 0.0  # a zero entry: ord 0 counts it, negative ords divide by it
    with np.errstate(divide="ignore"):
        want = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
        got = wb.linalg.norm(wb.constant(x), ord=ord, axis=axis, keepdims=keepdims).numpy()
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12)


@st.composite
def _norm_calls(draw):
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    pair = ndim >= 2 and draw(st.booleans())
    if pair:
        axis = tuple(draw(st.permutations(range(ndim)))[:2])
        ord = draw(st.sampled_from(MATRIX_ORDS))
    else:
        axis = draw(st.integers(-ndim, ndim - 1))
        ord = draw(st.sampled_from(VECTOR_ORDS[:5] + [1.5, 4]))
    seed = draw(st.integers(0, 2**16))
    return np.random.default_rng(seed).normal(size=shape), ord, axis, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(_norm_calls())
def test_norm_matches_numpy_on_random_shapes_axes_and_orders(call):
    x, ord, axis, keepdims = call
    want = np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)
    got = wb.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims).numpy()
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-300)


GRAD_TABLE = ([(o, ax) for o in [None, 2, 1, np.inf, -np.inf, 3, 0.5] for ax in (0, 1)]
              + [(o, (0, 1)) for o in MATRIX_ORDS] + [(o, (1, 0)) for o in ("nuc", 1, 2)])


@pytest.mark.parametrize("ord, axis", GRAD_TABLE)
@pytest.mark.parametrize("keepdims", [False, True])
def test_norm_gradients_to_second_order(ord, axis, keepdims):
    x = np.random.default_rng(3).normal(size=(3, 4))
    weights = np.random.default_rng(4).normal(size=np.linalg.norm(x, ord, axis, keepdims).shape)

    def fn(t):
        return wb.sum(wb.linalg.norm(t, ord, axis, keepdims) * weights)

    np.testing.assert_allclose(_grad(fn, x), _fd_grad(fn, x), rtol=1e-6, atol=1e-7)
    u = np.random.default_rng(5).normal(size=x.shape)
    np.testing.assert_allclose(_hvp(fn, x, u), _fd_hvp(fn, x, u), rtol=1e-5, atol=1e-6)


def test_tf_norm_treats_the_whole_tensor_as_one_vector_by_default():
    x = RNG.normal(size=(3, 4))
    np.testing.assert_allclose(wb.norm(x, ord=1).numpy(), np.sum(np.abs(x)))
    np.testing.assert_allclose(wb.norm(x).numpy(), np.sqrt(np.sum(x * x)))
    np.testing.assert_allclose(wb.norm(x, ord=np.inf, axis=1, keepdims=True).numpy(),
                               np.max(np.abs(x), axis=1, keepdims=True))
    np.testing.assert_allclose(wb.norm(x, ord=2, axis=(0, 1)).numpy(), np.linalg.norm(x, 2))
    np.testing.assert_allclose(wb.linalg.norm(x, ord="euclidean").numpy(), np.linalg.norm(x))
    np.testing.assert_allclose(wb.math.reduce_euclidean_norm(x, axis=0).numpy(),
                               np.sqrt(np.sum(x * x, axis=0)))
    np.testing.assert_allclose(wb.linalg.global_norm([x, None, x[0]]).numpy(),
                               np.sqrt(np.sum(x * x) + np.sum(x[0] ** 2)))
    with pytest.raises(ValueError, match="matrix norms take ord"):
        wb.norm(x, ord="nuc", axis=(0, 1))


@pytest.mark.parametrize("fn", [
    lambda x: wb.linalg.norm(x), lambda x: wb.linalg.norm(x, 3.0), lambda x: wb.norm(x),
    lambda x: wb.linalg.norm(wb.reshape(x, (2, 2)), "fro"),
    lambda x: wb.math.reduce_euclidean_norm(x), lambda x: wb.linalg.global_norm([x, x]),
])
def test_norm_gradient_at_zero_is_the_zero_subgradient(fn):
    """sqrt at 0 would give 0/0 = NaN (TensorFlow does); 0 is in the subdifferential."""
    zero = np.zeros(4)
    assert float(fn(wb.constant(zero))) == 0.0
    np.testing.assert_array_equal(_grad(fn, zero), zero)
    np.testing.assert_array_equal(_hvp(fn, zero, np.ones(4)), zero)
    x = np.array([0.3, -1.0, 0.0, 2.0])  # and away from 0 the ordinary gradient
    np.testing.assert_allclose(_grad(fn, x), _fd_grad(fn, x), rtol=1e-6, atol=1e-8)


# --- det at singular matrices -----------------------------------------------------------------
def _adjugate_t(m: np.ndarray) -> np.ndarray:
    """SymPy's exact adjugate (transposed: the gradient of det) of a matrix of small integers."""
    exact = sympy.Matrix(m.astype(int).tolist())
    return np.array(exact.adjugate().T.tolist(), dtype=float)


def _singular(n: int, rank: int, rng) -> np.ndarray:
    return (rng.integers(-3, 4, size=(n, rank)) @ rng.integers(-3, 4, size=(rank, n))).astype(float)


@pytest.mark.parametrize("n, rank", [(2, 1), (3, 2), (3, 1), (4, 3), (4, 2), (5, 4)])
def test_det_gradient_at_singular_matrices_is_the_adjugate(n, rank):
    m = _singular(n, rank, np.random.default_rng(n * 10 + rank))
    g = _grad(wb.linalg.det, m)
    np.testing.assert_allclose(g, _adjugate_t(m), atol=1e-9 * max(1.0, np.abs(m).max() ** n))
    # second order: the Hessian of det is a polynomial too; compare with SymPy's
    syms = sympy.Matrix(n, n, lambda i, j: sympy.Symbol(f"a{i}_{j}"))
    hess = sympy.hessian(syms.det(), list(syms))
    point = dict(zip(list(syms), m.ravel(), strict=True))
    u = np.random.default_rng(0).normal(size=(n, n))
    want = np.array(hess.subs(point).tolist(), dtype=float) @ u.ravel()
    np.testing.assert_allclose(_hvp(wb.linalg.det, m, u).ravel(), want,
                               atol=1e-8 * np.abs(want).max())


def test_det_gradient_of_a_stack_with_singular_members_and_large_matrices():
    rng = np.random.default_rng(5)
    stack = np.stack([_singular(3, 2, rng), _singular(3, 1, rng), rng.normal(size=(3, 3))])
    g = _grad(lambda a: wb.sum(wb.linalg.det(a)), stack)
    for k in range(2):
        np.testing.assert_allclose(g[k], _adjugate_t(stack[k]), atol=1e-9)
    np.testing.assert_allclose(g[2], np.linalg.det(stack[2]) * np.linalg.inv(stack[2]).T)
    big = rng.normal(size=(9, 9)) + 3 * np.eye(9)  # above the minors' size: det * inv.T
    np.testing.assert_allclose(_grad(wb.linalg.det, big),
                               np.linalg.det(big) * np.linalg.inv(big).T, rtol=1e-10)
    one = np.array([[2.5]])
    np.testing.assert_array_equal(_grad(wb.linalg.det, one), [[1.0]])


@pytest.mark.usefixtures("compile_cache")
def test_compiled_det_gradient_at_a_singular_matrix():
    m = _singular(3, 2, np.random.default_rng(1))

    def value_and_grad(a):
        with wb.GradientTape() as tape:
            tape.watch(a)
            y = wb.linalg.det(a) + wb.linalg.norm(a, "nuc") + wb.sum(wb.tril(a) * wb.diag(
                wb.linalg.diag_part(a)))
        return y, tape.gradient(y, a)

    compiled = wb.function(value_and_grad)
    got_y, got_g = compiled(m)
    want_y, want_g = value_and_grad(wb.constant(m))
    np.testing.assert_allclose(got_y.numpy(), want_y.numpy(), rtol=1e-10)
    np.testing.assert_allclose(got_g.numpy(), want_g.numpy(), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(_grad(wb.linalg.det, m), _adjugate_t(m), atol=1e-9)


# --- errors name the function and the fix ------------------------------------------------------
def test_errors_are_clear():
    rect = np.ones((3, 2))
    with pytest.raises(ValueError, match="full_matrices=False"):
        wb.linalg.svd(rect)
    with pytest.raises(ValueError, match="square"):
        wb.linalg.cholesky(rect)
    with pytest.raises(ValueError, match="invalid norm order 'nuc' for vectors"):
        wb.linalg.norm(np.ones(3), "nuc")
    with pytest.raises(ValueError, match="invalid norm order 3 for matrices"):
        wb.linalg.norm(rect, 3)
    with pytest.raises(ValueError, match="pass axis"):
        wb.linalg.norm(np.ones((2, 2, 2)), 1)
    with pytest.raises(TypeError, match="integer exponent"):
        wb.linalg.matrix_power(np.eye(2), 0.5)
    with pytest.raises(ValueError, match="1-D or 2-D"):
        wb.diag(np.ones((2, 2, 2)))


def test_symmetric_decompositions_read_only_the_lower_triangle():
    spd = _spd(3)
    skewed = spd + np.triu(RNG.normal(size=(3, 3)), 1)  # garbage above the diagonal
    np.testing.assert_allclose(wb.linalg.cholesky(skewed).numpy(), np.linalg.cholesky(spd))
    np.testing.assert_allclose(wb.linalg.eigvalsh(skewed).numpy(), np.linalg.eigvalsh(spd))
    for fn in (lambda a: wb.sum(wb.linalg.cholesky(a)), lambda a: wb.linalg.eigvalsh(a)[0]):
        g = _grad(fn, skewed)
        np.testing.assert_array_equal(np.triu(g, 1), np.zeros((3, 3)))
        np.testing.assert_allclose(g, _fd_grad(fn, skewed), rtol=1e-6, atol=1e-8)


def test_eigvalsh_and_svdvals_gradients_at_repeated_values():
    """Sums of eigenvalues (the trace) and the nuclear norm at the identity: no 0/0."""
    eye = np.eye(3)
    np.testing.assert_allclose(_grad(lambda a: wb.sum(wb.linalg.eigvalsh(a)), eye), eye)
    np.testing.assert_allclose(_grad(lambda a: wb.linalg.norm(a, "nuc"), 2 * eye), eye)


@pytest.mark.usefixtures("compile_cache")
def test_all_norm_orders_compile_with_their_gradients():
    x = RNG.normal(size=(3, 3))

    def run(a):
        with wb.GradientTape() as tape:
            tape.watch(a)
            parts = [wb.linalg.norm(a, o) for o in MATRIX_ORDS]
            parts += [wb.linalg.norm(a, o, axis=1) for o in (None, 1, np.inf, 3.0)]
            y = wb.concat([wb.reshape(p, (-1,)) for p in parts], axis=0)
            loss = wb.sum(y * np.linspace(0.5, 1.5, y.size))
        return y, tape.gradient(loss, a)

    want_y, want_g = run(wb.constant(x))
    got_y, got_g = wb.function(run)(x)
    np.testing.assert_allclose(got_y.numpy(), want_y.numpy(), rtol=1e-10)
    np.testing.assert_allclose(got_g.numpy(), want_g.numpy(), rtol=1e-9, atol=1e-12)


def test_symbolic_derivative_of_det_is_the_adjugate():
    a = wb.constant([[1.0, 2.0], [2.0, 4.0]], name="A")
    with wb.GradientTape() as tape:
        tape.watch(a)
        y = wb.linalg.det(a)
    d = tape.derive(y, a)
    np.testing.assert_allclose(d.value, [[4.0, -2.0], [-2.0, 1.0]])
    np.testing.assert_allclose(d.value, d.tape_value)




@pytest.mark.parametrize("ord", [None, 2, 3, 0.5])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_norms_of_non_finite_vectors_follow_numpy(ord, bad):
    """A NaN or infinite element gives NumPy's NaN or inf norm (the zero-norm guard once turned
    a NaN sum into a silent 0)."""
    v = np.array([3.0, bad, 0.0])
    with np.errstate(invalid="ignore"):
        got = float(wb.linalg.norm(wb.constant(v), ord=ord))
        want = float(np.linalg.norm(v, ord=ord))
    np.testing.assert_equal(got, want)
    np.testing.assert_equal(float(wb.linalg.global_norm([wb.constant(v[:1]), wb.constant(v[1:])])),
                            float(np.linalg.norm(v)))

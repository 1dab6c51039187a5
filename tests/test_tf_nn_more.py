"""TensorFlow's functional control flow, ``hessians``/``recompute_grad``, the added ``wb.linalg``
and ``wb.nn`` names: values against NumPy, SciPy or direct loops, gradients against central
differences (second order through nested tapes), compiled against eager."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import scipy.linalg as sla
from _compile_support import compile_cache  # noqa: F401 - the session fixture
from _gradient_support import check_gradients, rng_for
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import workbench as wb


# --- map_fn, vectorized_map, scan, foldl, foldr -----------------------------------------------
def test_map_fn_matches_a_loop_and_stacks_nested_results():
    x = rng_for("map").normal(size=(4, 3))
    got = wb.map_fn(lambda r: wb.sum(wb.sin(r) * r), wb.constant(x))
    np.testing.assert_allclose(got.numpy(), [np.sum(np.sin(r) * r) for r in x], rtol=1e-14)
    a, b = wb.map_fn(lambda t: (t[0] * 2.0, {"p": t[0] * t[1]}),
                     (wb.constant(x), wb.constant(x[:, 0])))
    np.testing.assert_allclose(a.numpy(), 2 * x, rtol=1e-14)
    np.testing.assert_allclose(b["p"].numpy(), x * x[:, :1], rtol=1e-14)
    d = wb.map_fn(lambda t: t["u"] - t["v"], {"u": wb.constant(x), "v": wb.constant(x * 3)})
    np.testing.assert_allclose(d.numpy(), -2 * x, rtol=1e-14)


def test_vectorized_map_equals_map_fn():
    x = wb.constant(rng_for("vmap").normal(size=(3, 2, 2)))
    f = lambda m: wb.matmul(m, m) + wb.linalg.det(m)
    np.testing.assert_allclose(wb.vectorized_map(f, x).numpy(), wb.map_fn(f, x).numpy(),
                               rtol=1e-14)
    np.testing.assert_allclose(wb.map_fn(f, x).numpy(),
                               [m @ m + np.linalg.det(m) for m in x.numpy()], rtol=1e-12)


def test_map_fn_gradients_second_order_and_jacobian():
    rng = rng_for("map grad")
    x = rng.normal(size=(3, 2))
    check_gradients(lambda t: wb.map_fn(lambda r: wb.sum(wb.exp(r) * r[0]), t), [x], rng)
    xt = wb.constant(x)
    with wb.GradientTape() as tape:
        tape.watch(xt)
        y = wb.map_fn(lambda r: r * r[::-1], xt)
    jac = tape.jacobian(y, xt).numpy()
    want = np.zeros((3, 2, 3, 2))
    for i in range(3):
        want[i, 0, i, 0], want[i, 0, i, 1] = x[i, 1], x[i, 0]
        want[i, 1, i, 1], want[i, 1, i, 0] = x[i, 0], x[i, 1]
    np.testing.assert_allclose(jac, want, rtol=1e-14)


def test_map_fn_over_a_variable_gives_its_gradient():
    v = wb.Variable([[1.0, 2.0], [3.0, -1.0]])
    with wb.GradientTape() as tape:
        y = wb.sum(wb.map_fn(lambda r: r * r[0], v))
    np.testing.assert_allclose(tape.gradient(y, v).numpy(), [[4.0, 1.0], [5.0, 3.0]])


def test_map_fn_empty_elems_need_a_signature():
    empty = wb.zeros((0, 3))
    got = wb.map_fn(lambda r: wb.sum(r), empty, fn_output_signature=wb.float32)
    assert got.shape == (0,) and got.dtype == np.float32
    spec = wb.map_fn(lambda r: r, empty, fn_output_signature=wb.TensorSpec([3], wb.float64))
    assert spec.shape == (0, 3)
    with pytest.raises(ValueError, match="fn_output_signature"):
        wb.map_fn(lambda r: r, empty)


def test_map_fn_shape_errors_name_the_problem():
    with pytest.raises(ValueError, match="same leading size.*\\(3,\\).*\\(2,\\)"):
        wb.map_fn(lambda t: t[0], (wb.ones(3), wb.ones(2)))
    with pytest.raises(ValueError, match="scalar"):
        wb.map_fn(lambda t: t, wb.constant(1.0))


def test_scan_forward_reverse_and_nested_accumulators():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(wb.scan(lambda a, v: a * v, wb.constant(x)).numpy(),
                               np.cumprod(x), rtol=1e-15)
    np.testing.assert_allclose(wb.scan(lambda a, v: a * v, wb.constant(x), reverse=True).numpy(),
                               np.cumprod(x[::-1])[::-1], rtol=1e-15)
    s, p = wb.scan(lambda a, v: (a[0] + v, a[1] * v), wb.constant(x),
                   initializer=(wb.constant(0.0), wb.constant(1.0)))
    np.testing.assert_allclose(s.numpy(), np.cumsum(x), rtol=1e-15)
    np.testing.assert_allclose(p.numpy(), np.cumprod(x), rtol=1e-15)
    # elems may be nested too; the accumulator need not look like them
    out = wb.scan(lambda a, e: a + e["u"] * e["v"], {"u": wb.constant(x), "v": wb.constant(x)},
                  initializer=wb.constant(10.0))
    np.testing.assert_allclose(out.numpy(), 10.0 + np.cumsum(x * x), rtol=1e-15)


@settings(max_examples=25, deadline=None)
@given(hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 3)),
                  elements=st.floats(-10, 10)), st.booleans())
def test_scan_of_a_sum_is_cumsum(x, reverse):
    got = wb.scan(lambda a, v: a + v, wb.constant(x), reverse=reverse).numpy()
    want = np.cumsum(x[::-1], axis=0)[::-1] if reverse else np.cumsum(x, axis=0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_scan_and_folds_on_empty_elems():
    empty = wb.zeros((0, 3))
    got = wb.scan(lambda a, v: a + v, empty, initializer=wb.zeros(3))
    assert got.shape == (0, 3)
    a, b = wb.scan(lambda a, v: a, empty, initializer=(1.5, wb.zeros((2, 2), wb.float32)))
    assert (a.shape, b.shape, b.dtype) == ((0,), (0, 2, 2), np.float32)
    np.testing.assert_array_equal(wb.foldl(lambda a, v: a + v, empty,
                                           initializer=wb.ones(3)).numpy(), np.ones(3))
    for fn in (wb.scan, wb.foldl, wb.foldr):
        with pytest.raises(ValueError, match="initializer"):
            fn(lambda a, v: a + v, empty)


def test_folds_match_functools_reduce():
    x = [1.5, -2.0, 4.0, 0.5]
    step = lambda a, v: a * 0.5 - v
    want_l = functools.reduce(step, x)
    want_r = functools.reduce(step, x[::-1])
    assert abs(float(wb.foldl(step, wb.constant(x))) - want_l) < 1e-14
    assert abs(float(wb.foldr(step, wb.constant(x))) - want_r) < 1e-14
    assert abs(float(wb.foldl(step, wb.constant(x), initializer=3.0))
               - functools.reduce(step, x, 3.0)) < 1e-14


def test_scan_and_fold_gradients_to_second_order():
    rng = rng_for("scan grad")
    x, a0 = rng.normal(size=(4, 2)), rng.normal(size=(2,))
    check_gradients(lambda e, i: wb.scan(lambda a, v: wb.sin(a) * v + a, e, initializer=i,
                                         reverse=True), [x, a0], rng)
    check_gradients(lambda e: wb.foldr(lambda a, v: a * wb.tanh(v), e), [x], rng)
    check_gradients(lambda e: wb.foldl(lambda a, v: a * v + v, e, initializer=wb.ones(2)),
                    [x], rng)


def test_compiled_gives_the_same_numbers_and_gradients():
    """The control flow unrolls at trace time; one compiled function (one Numba compile)."""
    rng = rng_for("compiled")
    x, init = rng.normal(size=(3, 2)), rng.normal(size=(2,))

    def run(x, init):
        with wb.GradientTape() as tape:
            tape.watch([x, init])
            parts = [
                wb.map_fn(lambda r: wb.sum(r * r), x),
                wb.scan(lambda a, v: a * 0.5 + v, x, initializer=init, reverse=True),
                wb.foldl(lambda a, v: a + wb.exp(v), x),
                wb.recompute_grad(lambda z: wb.sin(z) * z)(x),
                wb.hessians(lambda: wb.sum(init ** 3 * x[0]), [init])[0],
            ]
            loss = sum(wb.sum(p * p) for p in parts)
        return [loss, *parts, *tape.gradient(loss, [x, init])]

    want = run(wb.constant(x), wb.constant(init))
    got = wb.function(run)(x, init)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-12, atol=1e-14)


# --- hessians, recompute_grad ---------------------------------------------------------------
def test_hessians_from_a_function_and_from_a_persistent_tape():
    x, w = wb.constant([0.5, -1.0, 2.0]), wb.constant([[1.0, 2.0], [3.0, 4.0]])
    hx, hw = wb.hessians(lambda: wb.sum(wb.sin(x) * x) + wb.sum(w ** 3), [x, w])
    xv = x.numpy()
    np.testing.assert_allclose(hx.numpy(), np.diag(2 * np.cos(xv) - xv * np.sin(xv)),
                               rtol=1e-14)
    assert hw.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(hw.numpy().reshape(4, 4), np.diag(6 * w.numpy().ravel()))
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = wb.reduce_prod(x)
        [h] = wb.hessians(y, x)
    want = np.array([[0.0, xv[2], xv[1]], [xv[2], 0.0, xv[0]], [xv[1], xv[0], 0.0]])
    np.testing.assert_allclose(h.numpy(), want, rtol=1e-14)
    [zero] = wb.hessians(lambda: wb.sum(w), [x])
    np.testing.assert_array_equal(zero.numpy(), np.zeros((3, 3)))


def test_hessians_without_a_record_says_how_to_fix():
    x = wb.constant([1.0, 2.0])
    with pytest.raises(ValueError, match="no active tape"):
        wb.hessians(wb.sum(x * x), [x])
    with wb.GradientTape() as tape, pytest.raises(ValueError, match="persistent=True"):
        tape.watch(x)
        wb.hessians(wb.sum(x * x), [x])


def _grads_twice(f, x, v):
    with wb.GradientTape() as outer:
        outer.watch(x)
        with wb.GradientTape() as inner:
            inner.watch(x)
            y = f(x)
        gx, gv = inner.gradient(y, [x, v])
        s = wb.sum(gx * gx)
    return gx.numpy(), gv.numpy(), outer.gradient(s, x).numpy()


def test_recompute_grad_gives_the_same_gradients_to_second_order():
    v = wb.Variable([0.3, -0.7])
    f = lambda x: wb.sum(wb.tanh(x * v) * x) + wb.sum(v * v * x)
    x = wb.constant([0.5, 1.5])
    for got, want in zip(_grads_twice(wb.recompute_grad(f), x, v), _grads_twice(f, x, v),
                         strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    assert abs(float(wb.recompute_grad(lambda t: t * t)(3.0)) - 9.0) < 1e-15  # a number in
    pair = wb.recompute_grad(lambda x: (x * 2.0, wb.sin(x)))
    with wb.GradientTape() as tape:
        tape.watch(x)
        a, b = pair(x)
        y = wb.sum(a * b)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(),
                               2 * np.sin(x.numpy()) + 2 * x.numpy() * np.cos(x.numpy()))


# --- wb.linalg ----------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1e-3, 0.5, 3.0, 40.0])
def test_expm_matches_scipy(scale):
    a = rng_for("expm", scale).normal(size=(2, 4, 4)) * scale
    want = sla.expm(a)
    np.testing.assert_allclose(wb.linalg.expm(a).numpy(), want, rtol=1e-11,
                               atol=1e-13 * np.abs(want).max())
    np.testing.assert_allclose(wb.linalg.expm(a.astype(np.float32)).numpy(), want, rtol=2e-4,
                               atol=1e-5 * np.abs(want).max())


def test_expm_gradient_matches_differences_of_scipy_past_the_squaring_threshold():
    rng = rng_for("expm grad")
    a, g = rng.normal(size=(3, 3)) * 4.0, rng.normal(size=(3, 3))
    at = wb.constant(a)
    with wb.GradientTape() as tape:
        tape.watch(at)
        loss = wb.sum(wb.linalg.expm(at) * g)
    got = tape.gradient(loss, at).numpy()
    h, fd = 1e-6, np.zeros((3, 3))
    for i, j in np.ndindex(3, 3):
        e = np.zeros((3, 3))
        e[i, j] = h
        fd[i, j] = np.sum((sla.expm(a + e) - sla.expm(a - e)) * g) / (2 * h)
    np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
    check_gradients(wb.linalg.expm, [a * 0.5], rng)


def test_expm_needs_square_matrices():
    with pytest.raises(ValueError, match="expm needs square"):
        wb.linalg.expm(wb.ones((2, 3)))


def test_triangular_solve_matches_scipy_and_reads_one_triangle():
    rng = rng_for("trsv")
    m, b = rng.normal(size=(2, 3, 3)) + 3 * np.eye(3), rng.normal(size=(2, 3, 2))
    for lower in (True, False):
        for adjoint in (False, True):
            got = wb.linalg.triangular_solve(m, b, lower=lower, adjoint=adjoint).numpy()
            for k in range(2):
                want = sla.solve_triangular(m[k], b[k], lower=lower, trans=int(adjoint))
                np.testing.assert_allclose(got[k], want, rtol=1e-12)
    mt = wb.constant(m)
    with wb.GradientTape() as tape:
        tape.watch(mt)
        y = wb.sum(wb.linalg.triangular_solve(mt, b, lower=False))
    g = tape.gradient(y, mt).numpy()
    np.testing.assert_array_equal(g[:, 1, 0], 0.0)
    check_gradients(lambda a, r: wb.linalg.triangular_solve(a, r, adjoint=True), [m, b], rng)
    with pytest.raises(ValueError, match="rhs must be"):
        wb.linalg.triangular_solve(m, b[..., 0])


def test_cholesky_solve_matches_numpy_solve():
    rng = rng_for("chol solve")
    c = rng.normal(size=(3, 3))
    a, b = c @ c.T + 3 * np.eye(3), rng.normal(size=(3, 2))
    chol = wb.linalg.cholesky(a)
    np.testing.assert_allclose(wb.linalg.cholesky_solve(chol, b).numpy(), np.linalg.solve(a, b),
                               rtol=1e-12)
    check_gradients(lambda r: wb.linalg.cholesky_solve(chol, r), [b], rng)


def _scipy_lu(a):
    p, lower, upper = sla.lu(a)
    return np.tril(lower, -1) + upper, np.argmax(p, axis=0)


def test_lu_matches_scipy_and_reconstructs():
    rng = rng_for("lu")
    a = rng.normal(size=(2, 4, 4))
    packed, perm = wb.linalg.lu(a)
    assert perm.dtype == np.int32
    for k in range(2):
        want_lu, want_p = _scipy_lu(a[k])
        np.testing.assert_array_equal(perm.numpy()[k], want_p)
        np.testing.assert_allclose(packed.numpy()[k], want_lu, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(wb.linalg.lu_reconstruct(packed, perm).numpy(), a, rtol=1e-12,
                               atol=1e-14)
    singular = np.array([[0.0, 1.0], [0.0, 2.0]])
    np.testing.assert_allclose(wb.linalg.lu_reconstruct(*wb.linalg.lu(singular)).numpy(),
                               singular)


def test_lu_solve_matches_numpy_solve():
    rng = rng_for("lu solve")
    a, b = rng.normal(size=(2, 3, 3)), rng.normal(size=(2, 3, 2))
    lu, p = wb.linalg.lu(a)
    np.testing.assert_allclose(wb.linalg.lu_solve(lu, p, b).numpy(), np.linalg.solve(a, b),
                               rtol=1e-11)
    check_gradients(lambda m, r: wb.linalg.lu_solve(m, p, r), [lu.numpy(), b], rng)


def test_lu_gradient_and_compiled_refusal():
    rng = rng_for("lu grad")
    a = rng.normal(size=(3, 3)) + np.diag([3.0, -2.0, 1.0])
    check_gradients(lambda x: wb.linalg.lu(x)[0], [a], rng)
    with pytest.raises(NotImplementedError, match="outside the compiled function"):
        wb.function(lambda x: wb.linalg.lu(x)[0])(a)


def test_normalize_tensor_diag_and_cross():
    x = np.array([[3.0, 4.0], [1.0, -1.0]])
    unit, norm = wb.linalg.normalize(x, ord=1, axis=1)
    np.testing.assert_allclose(norm.numpy(), np.abs(x).sum(1, keepdims=True))
    np.testing.assert_allclose(unit.numpy(), x / np.abs(x).sum(1, keepdims=True))
    unit, norm = wb.linalg.normalize(x)
    assert norm.shape == (1, 1)
    np.testing.assert_allclose(unit.numpy(), x / np.linalg.norm(x))
    d = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    full = wb.linalg.tensor_diag(d).numpy()
    want = np.zeros((2, 3, 2, 3))
    for i, j in np.ndindex(2, 3):
        want[i, j, i, j] = d[i, j]
    np.testing.assert_array_equal(full, want)
    np.testing.assert_array_equal(wb.linalg.tensor_diag_part(want).numpy(), d)
    with pytest.raises(ValueError, match="s \\+ s"):
        wb.linalg.tensor_diag_part(np.ones((2, 3)))
    np.testing.assert_allclose(wb.linalg.cross([1.0, 2.0, 3.0], [0.0, 1.0, 5.0]).numpy(),
                               np.cross([1.0, 2.0, 3.0], [0.0, 1.0, 5.0]))
    rng = rng_for("normalize")
    check_gradients(lambda t: wb.linalg.normalize(t, axis=-1)[0], [rng.normal(size=(2, 3))], rng)


# --- wb.nn ------------------------------------------------------------------------------------
def test_batch_normalization_and_normalize_moments():
    rng = rng_for("bn")
    x = rng.normal(size=(4, 3))
    mean, var = x.mean(0), x.var(0)
    offset, scale = rng.normal(size=3), rng.uniform(0.5, 2.0, 3)
    got = wb.nn.batch_normalization(x, mean, var, offset, scale, 1e-3).numpy()
    np.testing.assert_allclose(got, scale * (x - mean) / np.sqrt(var + 1e-3) + offset,
                               rtol=1e-12)
    bare = wb.nn.batch_normalization(x, mean, var, None, None, 0.0).numpy()
    np.testing.assert_allclose(bare, (x - mean) / np.sqrt(var), rtol=1e-12)
    check_gradients(lambda t, m, v, o, s: wb.nn.batch_normalization(t, m, v, o, s, 1e-3),
                    [x, mean, var, offset, scale], rng)
    shift = 0.7
    m, v = wb.nn.normalize_moments(4.0, np.sum(x - shift, 0), np.sum((x - shift) ** 2, 0), shift)
    np.testing.assert_allclose(m.numpy(), mean, rtol=1e-12)
    np.testing.assert_allclose(v.numpy(), var, rtol=1e-12)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def test_weighted_cross_entropy_and_log_poisson_loss():
    rng = rng_for("losses")
    z, x = rng.uniform(size=6), rng.normal(size=6) * 3
    want = -(2.5 * z * np.log(_sigmoid(x)) + (1 - z) * np.log(1 - _sigmoid(x)))
    got = wb.nn.weighted_cross_entropy_with_logits(z, x, 2.5).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    big = wb.nn.weighted_cross_entropy_with_logits(1.0, -800.0, 2.0).numpy()
    assert abs(float(big) - 1600.0) < 1e-9  # no overflow
    check_gradients(lambda a, b: wb.nn.weighted_cross_entropy_with_logits(a, b, 0.5), [z, x], rng)
    t, li = np.array([0.0, 1.0, 2.0, 5.5]), rng.normal(size=4)
    base = np.exp(li) - li * t
    np.testing.assert_allclose(wb.nn.log_poisson_loss(t, li).numpy(), base, rtol=1e-14)
    stirling = np.where(t > 1, t * np.log(np.maximum(t, 1)) - t
                        + 0.5 * np.log(2 * np.pi * np.maximum(t, 1)), 0.0)
    np.testing.assert_allclose(wb.nn.log_poisson_loss(t, li, True).numpy(), base + stirling,
                               rtol=1e-14)
    tt = wb.constant(t)
    with wb.GradientTape() as tape:
        tape.watch(tt)
        y = wb.sum(wb.nn.log_poisson_loss(tt, li, compute_full_loss=True))
    assert np.all(np.isfinite(tape.gradient(y, tt).numpy()))  # targets 0 and 1 included


def _conv_loop(x, w, stride, pads):
    """A direct cross-correlation loop: NHWC x, HWIO w, explicit (top, left) zero pads."""
    (pt, pb), (pl, pr) = pads
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    kh, kw = w.shape[:2]
    oh, ow = (xp.shape[1] - kh) // stride[0] + 1, (xp.shape[2] - kw) // stride[1] + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for i, j in np.ndindex(oh, ow):
        patch = xp[:, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw, :]
        out[:, i, j, :] = np.einsum("nhwc,hwco->no", patch, w)
    return out


def test_conv1d_matches_a_loop():
    rng = rng_for("conv1d")
    x, w = rng.normal(size=(2, 7, 3)), rng.normal(size=(3, 3, 2))
    got = wb.nn.conv1d(x, w, stride=2, padding="SAME").numpy()
    want = _conv_loop(x[:, None], w[None], (1, 2), ((0, 0), (1, 1)))[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    np.testing.assert_allclose(wb.nn.conv1d(x, w, [1, 1, 1], "VALID").numpy(),
                               _conv_loop(x[:, None], w[None], (1, 1), ((0, 0),) * 2)[:, 0],
                               rtol=1e-12)
    explicit = wb.nn.conv1d(x, w, 1, [[0, 0], [2, 1], [0, 0]]).numpy()
    np.testing.assert_allclose(explicit, _conv_loop(x[:, None], w[None], (1, 1),
                                                    ((0, 0), (2, 1)))[:, 0], rtol=1e-12)
    check_gradients(lambda a, b: wb.nn.conv1d(a, b, 1, "VALID"), [x, w], rng)
    with pytest.raises(ValueError, match="conv1d: input must be"):
        wb.nn.conv1d(x[0], w, 1, "VALID")


def test_depthwise_conv2d_matches_a_loop():
    rng = rng_for("depthwise")
    x, w = rng.normal(size=(2, 5, 6, 3)), rng.normal(size=(3, 2, 3, 2))
    got = wb.nn.depthwise_conv2d(x, w, [1, 2, 2, 1], "SAME").numpy()
    pads = ((1, 1), (0, 0))  # SAME, stride 2: 5 rows need 1 + 1 for a 3-tall kernel
    want = np.concatenate([_conv_loop(x[..., c:c + 1], w[:, :, c:c + 1, :], (2, 2), pads)
                           for c in range(3)], axis=-1)
    assert got.shape == (2, 3, 3, 6)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    check_gradients(lambda a, b: wb.nn.depthwise_conv2d(a, b, 1, "VALID"),
                    [x[:1, :4, :4], w], rng, order2=False)
    with pytest.raises(ValueError, match="filter must be"):
        wb.nn.depthwise_conv2d(x, w[:, :, :2], 1, "VALID")


def _conv_transpose_loop(x, w, out_shape, stride, pads):
    """Scatter each input pixel times the filter into the (padded) output, then crop."""
    (pt, pb), (pl, pr) = pads
    n, oh, ow, c = out_shape
    out = np.zeros((n, oh + pt + pb + w.shape[0], ow + pl + pr + w.shape[1], c))
    for i, j in np.ndindex(*x.shape[1:3]):
        r, s = i * stride[0], j * stride[1]
        out[:, r:r + w.shape[0], s:s + w.shape[1], :] += np.einsum("no,hwco->nhwc", x[:, i, j],
                                                                   w)
    return out[:, pt:pt + oh, pl:pl + ow, :]


def test_conv2d_transpose_is_a_scatter_and_the_vjp_of_conv2d():
    rng = rng_for("conv transpose")
    x, w = rng.normal(size=(2, 3, 3, 4)), rng.normal(size=(3, 3, 2, 4))
    got = wb.nn.conv2d_transpose(x, w, [2, 6, 5, 2], [1, 2, 2, 1], "SAME").numpy()
    want = _conv_transpose_loop(x, w, (2, 6, 5, 2), (2, 2), ((0, 1), (1, 1)))
    np.testing.assert_allclose(got, want, rtol=1e-12)
    y = wb.constant(rng.normal(size=(2, 7, 9, 2)))
    with wb.GradientTape() as tape:
        tape.watch(y)
        loss = wb.sum(wb.nn.conv2d(y, w, (2, 3), "VALID") * x)
    np.testing.assert_allclose(
        wb.nn.conv2d_transpose(x, w, y.shape, (2, 3), "VALID").numpy(),
        tape.gradient(loss, y).numpy(), rtol=1e-12)
    check_gradients(lambda a, b: wb.nn.conv2d_transpose(a, b, [2, 6, 5, 2], 2, "SAME"),
                    [x, w], rng, order2=False)
    with pytest.raises(ValueError, match="fix output_shape"):
        wb.nn.conv2d_transpose(x, w, [2, 9, 9, 2], 2, "VALID")
    with pytest.raises(ValueError, match="filters \\(height, width, out, in\\)"):
        wb.nn.conv2d_transpose(x, w, [2, 6, 5, 3], 2, "SAME")


def test_conv2d_transpose_compiles_in_a_program_split_into_blocks():
    """Matrix products make wb.function split the program into blocks; the convolution's
    precompiled-kernel call must work inside a block too."""
    rng = rng_for("split")
    x, w, m = rng.normal(size=(1, 3, 3, 2)), rng.normal(size=(2, 2, 2, 2)), rng.normal(size=(2, 2))

    def run(x, w, m):
        with wb.GradientTape() as tape:
            tape.watch([x, w, m])
            y = wb.nn.conv2d_transpose(x, w, [1, 6, 6, 2], 2, "SAME")
            z = m
            for _ in range(15):
                z = wb.sin(z) @ m
            loss = wb.sum(y * y) + wb.sum(z)
        return [loss, *tape.gradient(loss, [x, w, m])]

    want = run(wb.constant(x), wb.constant(w), wb.constant(m))
    compiled = wb.function(run)
    got = compiled(x, w, m)
    assert compiled.concrete(x, w, m).split is not None  # the case this test is about
    for g, v in zip(got, want, strict=True):
        np.testing.assert_allclose(g.numpy(), v.numpy(), rtol=1e-12, atol=1e-14)


def test_local_response_normalization_matches_a_loop():
    rng = rng_for("lrn")
    x = rng.normal(size=(2, 2, 3, 7))
    r, bias, alpha, beta = 2, 1.5, 0.3, 0.75
    want = np.empty_like(x)
    for d in range(7):
        s = np.sum(x[..., max(0, d - r):d + r + 1] ** 2, axis=-1)
        want[..., d] = x[..., d] / (bias + alpha * s) ** beta
    np.testing.assert_allclose(wb.nn.lrn(x, r, bias, alpha, beta).numpy(), want, rtol=1e-12)
    check_gradients(lambda t: wb.nn.local_response_normalization(t, 1, 1.0, 0.5, 0.75),
                    [x[:1, :1]], rng)
    with pytest.raises(ValueError, match="rank 4"):
        wb.nn.lrn(x[0])

"""TensorFlow math names: special functions against scipy.special, segment reductions and
scatters against direct NumPy loops, counting helpers against loops, gradients against central
differences (second order through nested tapes), and TensorFlow's edge cases."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sc
from _gradient_support import check_gradients, rng_for
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import workbench as wb

FLOATS = hnp.arrays(np.float64, st.integers(1, 6),
                    elements=st.floats(-4.0, 4.0, allow_nan=False, allow_subnormal=False))


# --- special functions -----------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(FLOATS)
def test_special_functions_match_scipy(x):
    pos = np.abs(x) + 0.1
    unit = np.tanh(x) * 0.999
    close = [
        (wb.math.erfc(x), sc.erfc(x)), (wb.math.lgamma(pos), sc.gammaln(pos)),
        (wb.math.digamma(pos), sc.digamma(pos)), (wb.math.bessel_i0(x), sc.i0(x)),
        (wb.math.bessel_i0e(x), sc.i0e(x)), (wb.math.bessel_i1(x), sc.i1(x)),
        (wb.math.bessel_i1e(x), sc.i1e(x)), (wb.math.erfinv(unit), sc.erfinv(unit)),
        (wb.math.ndtri((unit + 1) / 2), sc.ndtri((unit + 1) / 2)),
        (wb.math.zeta(pos + 1.0, pos), sc.zeta(pos + 1.0, pos)),
        (wb.math.igamma(pos, pos[::-1]), sc.gammainc(pos, pos[::-1])),
        (wb.math.igammac(pos, pos[::-1]), sc.gammaincc(pos, pos[::-1])),
        # identities that do not go through the same SciPy function
        (wb.math.erf(wb.math.erfinv(unit)), unit),
        (wb.math.igamma(pos, pos[::-1]) + wb.math.igammac(pos, pos[::-1]), np.ones_like(x)),
        (wb.math.bessel_i1e(x) * wb.exp(np.abs(x)), sc.i1(x)),
        (wb.math.lgamma(pos + 1.0) - wb.math.lgamma(pos), np.log(pos)),
    ]
    for got, want in close:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)


def test_polygamma_order_broadcasts_and_is_checked():
    x = np.array([[0.5, 1.5, 3.0]])
    order = np.array([[0], [1], [3]])
    np.testing.assert_allclose(wb.math.polygamma(order, x).numpy(), sc.polygamma(order, x),
                               rtol=1e-12)
    np.testing.assert_allclose(wb.math.polygamma(2, x).numpy(), sc.polygamma(2, x), rtol=1e-12)
    with pytest.raises(ValueError, match="non-negative integers"):
        wb.math.polygamma(1.5, x)


def test_lbeta_is_the_log_of_the_multivariate_beta():
    x = np.array([[0.5, 2.0, 1.5], [3.0, 1.0, 0.7]])
    want = np.sum(sc.gammaln(x), axis=-1) - sc.gammaln(np.sum(x, axis=-1))
    np.testing.assert_allclose(wb.math.lbeta(x).numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(float(wb.math.lbeta([2.0, 3.0])), sc.betaln(2.0, 3.0), rtol=1e-12)
    check_gradients(wb.math.lbeta, [x], rng_for("lbeta"))


def test_bessel_i1_gradients_at_zero_are_the_limit():
    x = wb.constant([0.0, 0.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.math.bessel_i1(x[0]) + 2.0 * wb.math.bessel_i1e(x[1])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [0.5, 1.0], rtol=1e-15)


def test_gradients_follow_tensorflow_in_which_arguments_they_reach():
    a, x = wb.constant([1.5, 2.0]), wb.constant([0.7, 1.2])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch([a, x])
        p, z = wb.math.igamma(a, x), wb.math.zeta(a + 1.0, x)
    density = np.exp(-x.numpy()) * x.numpy() ** (a.numpy() - 1) / sc.gamma(a.numpy())
    np.testing.assert_allclose(tape.gradient(p, x).numpy(), density, rtol=1e-12)
    assert tape.gradient(z, a) is None  # as TensorFlow: zeta has no gradient in x
    with pytest.raises(NotImplementedError, match="igamma: the gradient with respect to 'a'"):
        tape.gradient(p, a)


def test_float32_stays_float32_and_the_scipy_names_alias():
    x = wb.constant(np.array([0.5, 1.5], np.float32))
    for f in (wb.math.erfc, wb.math.lgamma, wb.math.digamma, wb.math.bessel_i1e, wb.math.ndtri):
        with wb.GradientTape() as tape:
            tape.watch(x)
            y = f(x * 0.5)
        assert y.dtype == np.float32 and tape.gradient(y, x).dtype == np.float32, f
    assert wb.i0 is wb.math.bessel_i0 and wb.gammaln is wb.math.lgamma
    assert wb.gammainc is wb.math.igamma and wb.erfc is wb.math.erfc


# --- segment reductions ----------------------------------------------------------------------
def _segments_by_loop(data, ids, n, reduce, empty):
    out = np.full((n,) + data.shape[ids.ndim:], empty, dtype=data.dtype)
    rows = data.reshape((ids.size,) + data.shape[ids.ndim:])
    for s in range(n):
        members = rows[ids.reshape(-1) == s]
        if len(members):
            out[s] = reduce(members, axis=0)
    return out


LOWEST = np.finfo(np.float64).min
UNSORTED = {
    "sum": (wb.math.unsorted_segment_sum, np.sum, 0.0),
    "mean": (wb.math.unsorted_segment_mean, np.mean, 0.0),
    "max": (wb.math.unsorted_segment_max, np.max, LOWEST),
    "min": (wb.math.unsorted_segment_min, np.min, -LOWEST),
    "prod": (wb.math.unsorted_segment_prod, np.prod, 1.0),
    "sqrt_n": (wb.math.unsorted_segment_sqrt_n, lambda m, axis: np.sum(m, axis) / np.sqrt(len(m)),
               0.0),
}
SORTED = {
    "sum": (wb.math.segment_sum, 0.0), "mean": (wb.math.segment_mean, 0.0),
    "max": (wb.math.segment_max, 0.0), "min": (wb.math.segment_min, 0.0),
    "prod": (wb.math.segment_prod, 1.0),
}


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_unsorted_segments_match_a_loop(data):
    n = data.draw(st.integers(1, 5))
    ids = data.draw(hnp.arrays(np.int64, st.integers(0, 7), elements=st.integers(0, n - 1)))
    x = data.draw(hnp.arrays(np.float64, (ids.size, 2), elements=st.floats(-3, 3)))
    for name, (op, reduce, empty) in UNSORTED.items():
        want = _segments_by_loop(x, ids, n, reduce, empty)
        np.testing.assert_allclose(op(x, ids, n).numpy(), want, rtol=1e-12, err_msg=name)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_sorted_segments_match_a_loop(data):
    ids = np.sort(data.draw(hnp.arrays(np.int64, st.integers(1, 7), elements=st.integers(0, 4))))
    x = data.draw(hnp.arrays(np.float64, ids.shape, elements=st.floats(-3, 3)))
    for name, (op, empty) in SORTED.items():
        reduce = UNSORTED[name][1]
        want = _segments_by_loop(x, ids, int(ids[-1]) + 1, reduce, empty)
        np.testing.assert_allclose(op(x, ids).numpy(), want, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", sorted(UNSORTED))
def test_segment_gradients_match_central_differences(name):
    rng = rng_for("segments", name)
    x = rng.permutation(12).reshape(6, 2) * 0.3 - 1.5  # no ties within a step
    x[x == 0.0] = 0.05
    ids = np.array([2, 0, 2, 2, 0, 3])
    op = UNSORTED[name][0]
    check_gradients(lambda d: op(d, ids, 5), [x], rng)
    if name in SORTED:
        sorted_op = SORTED[name][0]
        check_gradients(lambda d: sorted_op(d, np.sort(ids)), [x], rng)


def test_segment_prod_gradient_is_exact_at_zeros():
    x = wb.constant([0.0, 3.0, 0.0, 2.0, 5.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.math.segment_prod(x, [0, 0, 1, 1, 1])
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [3.0, 0.0, 10.0, 0.0, 0.0])


def test_tied_segment_maxima_share_the_gradient_as_tensorflow():
    x = wb.constant([1.0, 3.0, 3.0, 2.0, 5.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        top = wb.math.unsorted_segment_max(x, [0, 0, 0, 2, 2], 4)
        low = wb.math.segment_min(x, [0, 0, 0, 1, 1])
    np.testing.assert_allclose(tape.gradient(top, x).numpy(), [0.0, 0.5, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(tape.gradient(low, x).numpy(), [1.0, 0.0, 0.0, 1.0, 0.0])


def test_empty_segments_and_dtypes_follow_tensorflow():
    x = np.array([1.0, 2.0], np.float32)
    big = np.finfo(np.float32).max
    np.testing.assert_array_equal(wb.math.unsorted_segment_max(x, [0, 0], 2).numpy(), [2, -big])
    np.testing.assert_array_equal(wb.math.unsorted_segment_min(x, [0, 0], 2).numpy(), [1, big])
    assert wb.math.unsorted_segment_sum(x, [0, 0], 2).dtype == np.float32
    ints = wb.math.unsorted_segment_max(np.array([1, 2], np.int32), [1, 1], 2).numpy()
    assert ints.dtype == np.int32 and ints[0] == np.iinfo(np.int32).min and ints[1] == 2
    np.testing.assert_array_equal(wb.math.segment_sum([1.0, 2.0], [0, 3]).numpy(), [1, 0, 0, 2])


def test_unsorted_ids_may_be_a_prefix_shape_and_negative_ids_are_dropped():
    x = np.arange(8.0).reshape(2, 2, 2)
    ids = np.array([[0, 1], [1, -1]])
    want = np.array([x[0, 0], (x[0, 1] + x[1, 0]) / 2, [0.0, 0.0]])
    np.testing.assert_allclose(wb.math.unsorted_segment_mean(x, ids, 3).numpy(), want)


def test_segment_errors_name_the_index():
    with pytest.raises(IndexError, match=r"segment_ids\[1\] = 5 is out of range \[0, 3\)"):
        wb.math.unsorted_segment_sum([1.0, 2.0], [0, 5], 3)
    with pytest.raises(ValueError, match="must be sorted"):
        wb.math.segment_max([1.0, 2.0], [1, 0])
    with pytest.raises(ValueError, match="prefix"):
        wb.math.unsorted_segment_sum(np.ones((2, 3)), [0, 1, 2], 3)
    with pytest.raises(TypeError, match="integers"):
        wb.math.segment_sum([1.0], [0.5])


# --- scatters --------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(st.data())
def test_scatter_nd_adds_duplicates_like_a_loop(data):
    k = data.draw(st.integers(0, 6))
    idx = data.draw(hnp.arrays(np.int64, (k, 1), elements=st.integers(0, 3)))
    upd = data.draw(hnp.arrays(np.float64, (k, 2), elements=st.floats(-3, 3)))
    want = np.zeros((4, 2))
    for i, row in zip(idx[:, 0], upd, strict=True):
        want[i] += row
    np.testing.assert_allclose(wb.scatter_nd(idx, upd, [4, 2]).numpy(), want)
    base = np.arange(8.0).reshape(4, 2)
    np.testing.assert_allclose(wb.tensor_scatter_nd_add(base, idx, upd).numpy(), base + want)
    np.testing.assert_allclose(wb.tensor_scatter_nd_sub(base, idx, upd).numpy(), base - want)
    last = base.copy()
    top, low = base.copy(), base.copy()
    for i, row in zip(idx[:, 0], upd, strict=True):
        last[i] = row
        top[i], low[i] = np.maximum(top[i], row), np.minimum(low[i], row)
    np.testing.assert_allclose(wb.tensor_scatter_nd_update(base, idx, upd).numpy(), last)
    np.testing.assert_allclose(wb.tensor_scatter_nd_max(base, idx, upd).numpy(), top)
    np.testing.assert_allclose(wb.tensor_scatter_nd_min(base, idx, upd).numpy(), low)


def test_scatter_gradients():
    rng = rng_for("scatter")
    idx = np.array([[0, 1], [2, 0], [0, 1]])
    base, upd = rng.normal(size=(3, 2)), rng.normal(size=3)
    for op in (wb.tensor_scatter_nd_add, wb.tensor_scatter_nd_update, wb.tensor_scatter_nd_max,
               wb.tensor_scatter_nd_min):
        check_gradients(lambda t, u, op=op: op(t, idx, u), [base, upd], rng)
    check_gradients(lambda u: wb.scatter_nd(idx, u * u, [3, 2]), [upd], rng)
    t, u = wb.constant(base), wb.constant(upd)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch([t, u])
        y = wb.tensor_scatter_nd_update(t, idx, u)
    np.testing.assert_array_equal(tape.gradient(y, t).numpy(), [[1, 0], [1, 1], [0, 1]])
    np.testing.assert_array_equal(tape.gradient(y, u).numpy(), [0, 1, 1])  # the last one wins


def test_scatter_errors_name_the_index_and_the_shapes():
    with pytest.raises(IndexError, match=r"indices\[1\] = \[7\] does not index into shape"):
        wb.scatter_nd([[1], [7]], [1.0, 2.0], [5])
    with pytest.raises(ValueError, match=r"updates must have shape \(2,\)"):
        wb.scatter_nd([[1], [2]], [1.0, 2.0, 3.0], [5])


# --- counting, sequences, cumulative_logsumexp, polyval --------------------------------------
@settings(max_examples=30, deadline=None)
@given(hnp.arrays(np.int64, st.integers(0, 9), elements=st.integers(0, 6)),
       st.integers(0, 9), st.integers(0, 9))
def test_bincount_and_confusion_matrix_match_loops(values, minlength, maxlength):
    n = min(max(int(values.max(initial=-1)) + 1, minlength), maxlength)
    want = np.array([np.sum(values == v) for v in range(n)], dtype=np.int32)
    got = wb.math.bincount(values, minlength=minlength, maxlength=maxlength)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got.numpy(), want)
    labels = values[::-1]
    size = int(values.max(initial=0)) + 1
    table = np.zeros((size, size), np.int32)
    for a, b in zip(labels, values, strict=True):
        table[a, b] += 1
    np.testing.assert_array_equal(wb.math.confusion_matrix(labels, values, size).numpy(), table)


def test_bincount_weights_and_rows():
    got = wb.math.bincount(np.array([[0, 1, 1], [2, 2, 0]]), axis=-1)
    np.testing.assert_array_equal(got.numpy(), [[1, 2, 0], [1, 0, 2]])
    w = wb.math.bincount([1, 1, 3], weights=np.array([0.5, 0.25, 2.0], np.float32))
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.numpy(), [0.0, 0.75, 0.0, 2.0])


def test_in_top_k_counts_ties_as_in():
    pred = np.array([[0.1, 0.5, 0.5], [0.3, 0.3, 0.2], [np.nan, 0.2, 0.1]])
    np.testing.assert_array_equal(wb.math.in_top_k([1, 0, 0], pred, 1).numpy(),
                                  [True, True, False])
    assert wb.nn.in_top_k is wb.math.in_top_k
    with pytest.raises(IndexError, match=r"targets\[0\] = 3"):
        wb.math.in_top_k([3, 0, 0], pred, 1)


def test_histogram_sequence_mask_and_unique():
    v = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 5.0, 1.99])
    bins = np.clip(np.floor(v / 2.0 * 4), 0, 3).astype(int)
    np.testing.assert_array_equal(wb.histogram_fixed_width(v, [0.0, 2.0], nbins=4).numpy(),
                                  np.bincount(bins, minlength=4))
    np.testing.assert_array_equal(wb.sequence_mask([[1], [3]], 4).numpy(),
                                  [[[True, False, False, False]], [[True, True, True, False]]])
    x = [4, 2, 4, 9, 2, 2]
    y, idx, _ = wb.unique_with_counts(x)  # tf.unique's (y, idx)
    seen = list(dict.fromkeys(x))
    assert y.numpy().tolist() == seen and idx.numpy().tolist() == [seen.index(a) for a in x]
    assert wb.unique_with_counts(x).count.numpy().tolist() == [x.count(a) for a in seen]
    assert wb.unique(x).numpy().tolist() == sorted(seen)  # the top-level name is NumPy's
    values, counts = wb.unique(x, return_counts=True)
    assert values.numpy().tolist() == sorted(seen)
    assert counts.numpy().tolist() == [x.count(a) for a in sorted(seen)]
    assert wb.unique([[1, 2], [1, 2]], axis=0).numpy().tolist() == [[1, 2]]
    assert wb.unique([[3, 1], [1, 2]]).numpy().tolist() == [1, 2, 3]  # flattened


@pytest.mark.parametrize("seq_axis, batch_axis", [(1, 0), (0, 1), (2, 0)])
def test_reverse_sequence_matches_a_loop_and_is_differentiable(seq_axis, batch_axis):
    rng = rng_for("reverse_sequence", seq_axis)
    x = rng.normal(size=(4, 4, 4))
    lengths = np.array([0, 4, 2, 3])
    want = np.moveaxis(x.copy(), (batch_axis, seq_axis), (0, 1))
    for b, n in enumerate(lengths):
        want[b, :n] = want[b, :n][::-1].copy()
    want = np.moveaxis(want, (0, 1), (batch_axis, seq_axis))
    got = wb.reverse_sequence(x, lengths, seq_axis=seq_axis, batch_axis=batch_axis)
    np.testing.assert_array_equal(got.numpy(), want)
    check_gradients(lambda t: wb.reverse_sequence(t * t, lengths, seq_axis, batch_axis), [x], rng)


@pytest.mark.parametrize("exclusive", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
def test_cumulative_logsumexp_is_stable_and_differentiable(exclusive, reverse):
    rng = rng_for("cumulative_logsumexp", exclusive, reverse)
    x = rng.normal(size=(2, 5)) * 3.0
    x[0, 0] = -1000.0
    step = x[:, ::-1] if reverse else x
    want = np.logaddexp.accumulate(step, axis=1)
    if exclusive:
        want = np.concatenate([np.full((2, 1), -np.inf), want[:, :-1]], axis=1)
    want = want[:, ::-1] if reverse else want
    got = wb.math.cumulative_logsumexp(x, axis=1, exclusive=exclusive, reverse=reverse)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)
    x[0, 0] = 0.5
    check_gradients(lambda t: wb.math.cumulative_logsumexp(t, axis=-1, reverse=reverse),
                    [x], rng)


def test_polyval_matches_numpy_and_reaches_the_coefficients():
    rng = rng_for("polyval")
    c, x = rng.normal(size=4), rng.normal(size=(2, 3))
    got = wb.math.polyval([wb.constant(v) for v in c], x)
    np.testing.assert_allclose(got.numpy(), np.polyval(c, x), rtol=1e-12)
    check_gradients(lambda a, b, t: wb.math.polyval([a, b, 2.0], t), [c[0], c[1], x], rng)


def test_segments_scatters_and_scans_compile():
    ids = np.array([1, 0, 1, 3])

    def run(x):
        with wb.GradientTape() as tape:
            tape.watch(x)
            y = (wb.sum(wb.math.unsorted_segment_max(x, ids, 4) ** 2)
                 + wb.sum(wb.math.segment_prod(x, np.sort(ids)))
                 + wb.sum(wb.tensor_scatter_nd_update(x, [[1], [3]], x[:2] * 3.0))
                 + wb.sum(wb.math.cumulative_logsumexp(x, axis=0, exclusive=True)[1:]))
        return y, tape.gradient(y, x)

    x = rng_for("compile").normal(size=(4, 2))
    want_y, want_g = run(wb.constant(x))
    got_y, got_g = wb.function(run)(x)
    np.testing.assert_allclose(got_y.numpy(), want_y.numpy(), rtol=1e-12)
    np.testing.assert_allclose(got_g.numpy(), want_g.numpy(), rtol=1e-12)


@given(st.lists(st.sampled_from([-1.5, 0.0, 2.0, 3.25]), min_size=1, max_size=12))
def test_unique_values_are_first_occurrences_and_carry_their_gradient(values):
    x = wb.Variable(np.array(values))
    want = np.unique(np.array(values))
    w = np.arange(1.0, want.size + 1)
    with wb.GradientTape() as tape:
        loss = wb.reduce_sum(wb.unique(x) * w)
    grad = np.zeros(len(values))
    for k, v in enumerate(want):  # each distinct value's weight lands on its first occurrence
        grad[values.index(v)] = w[k]
    np.testing.assert_array_equal(wb.unique(x).numpy(), want)
    np.testing.assert_array_equal(tape.gradient(loss, x).numpy(), grad)

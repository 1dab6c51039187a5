"""conv2d, max/avg pooling and dropout against independent references (scipy, direct loops)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import correlate

import workbench as wb

RNG = np.random.default_rng(11)


def _same_pads(size: int, k: int, s: int) -> tuple[int, int]:
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def _reference_conv(x, w, strides, padding, dilations):
    """scipy's correlate per (image, output channel) on a zero-padded image, then subsampled."""
    (sh, sw), (dh, dw) = strides, dilations
    kh, kw, _, cout = w.shape
    wd = np.zeros(((kh - 1) * dh + 1, (kw - 1) * dw + 1) + w.shape[2:])
    wd[::dh, ::dw] = w  # a dilated kernel is the kernel with zeros between its taps
    if padding == "SAME":
        (pt, pb), (pl, pr) = (_same_pads(x.shape[1], wd.shape[0], sh),
                              _same_pads(x.shape[2], wd.shape[1], sw))
        x = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    out = np.stack([np.stack([correlate(img, wd[..., o], mode="valid")[..., 0]
                              for o in range(cout)], axis=-1) for img in x])
    return out[:, ::sh, ::sw, :]


@pytest.mark.parametrize("strides, padding, dilations", [
    ((1, 1), "VALID", (1, 1)), ((2, 2), "VALID", (1, 1)), ((2, 3), "SAME", (1, 1)),
    ((1, 1), "SAME", (2, 1)), ((1, 1), "VALID", (2, 2)), ((3, 1), "SAME", (1, 1)),
])
def test_conv2d_matches_scipy_correlate(strides, padding, dilations):
    x, w = RNG.normal(size=(2, 7, 8, 3)), RNG.normal(size=(3, 2, 3, 4))
    got = wb.nn.conv2d(x, w, strides=strides, padding=padding.lower(), dilations=dilations)
    want = _reference_conv(x, w, strides, padding, dilations)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)


def test_conv2d_accepts_tf_stride_forms_and_explicit_padding():
    x, w = RNG.normal(size=(1, 5, 5, 2)), RNG.normal(size=(2, 2, 2, 1))
    a = wb.nn.conv2d(x, w, strides=[1, 2, 2, 1], padding="VALID")
    b = wb.nn.conv2d(x, w, strides=2, padding=[[0, 0], [0, 0], [0, 0], [0, 0]])
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    c = wb.nn.conv2d(x, w, 1, [[0, 0], [1, 0], [0, 1], [0, 0]])
    want = _reference_conv(np.pad(x, ((0, 0), (1, 0), (0, 1), (0, 0))), w, (1, 1), "VALID",
                           (1, 1))
    np.testing.assert_allclose(c.numpy(), want, rtol=1e-10, atol=1e-12)


def test_conv2d_errors_name_the_problem():
    x = np.ones((1, 4, 4, 2))
    with pytest.raises(ValueError, match="NHWC"):
        wb.nn.conv2d(np.ones((4, 4, 2)), np.ones((2, 2, 2, 1)), 1, "VALID")
    with pytest.raises(ValueError, match=r"\(height, width, 2, out_channels\)"):
        wb.nn.conv2d(x, np.ones((2, 2, 3, 1)), 1, "VALID")
    with pytest.raises(ValueError, match="'VALID' or 'SAME'"):
        wb.nn.conv2d(x, np.ones((2, 2, 2, 1)), 1, "full")
    with pytest.raises(ValueError, match="batch and channel"):
        wb.nn.conv2d(x, np.ones((2, 2, 2, 1)), [2, 2, 2, 2], "VALID")


def _loop_pool(x, k, s, padding, reduce):
    """A direct loop over windows; padded cells are left out (as TF does for both pools)."""
    (kh, kw), (sh, sw) = k, s
    n, h, w, c = x.shape
    if padding == "SAME":
        (pt, _), (pl, _) = _same_pads(h, kh, sh), _same_pads(w, kw, sw)
        oh, ow = -(-h // sh), -(-w // sw)
    else:
        pt = pl = 0
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    out = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * sh - pt, j * sw - pl
            win = x[:, max(r0, 0):r0 + kh, max(c0, 0):c0 + kw, :]
            out[:, i, j, :] = reduce(win.reshape(n, -1, c), axis=1)
    return out


@pytest.mark.parametrize("k, s, padding", [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "SAME"),
                                           ((3, 2), (1, 2), "SAME"), ((2, 3), (3, 1), "VALID")])
def test_pools_match_direct_loops(k, s, padding):
    x = RNG.normal(size=(2, 7, 6, 3))
    got_max = wb.nn.max_pool2d(x, k, s, padding)
    got_avg = wb.nn.avg_pool2d(x, list(k), list(s), padding.lower())
    np.testing.assert_allclose(got_max.numpy(), _loop_pool(x, k, s, padding, np.max), rtol=1e-12)
    np.testing.assert_allclose(got_avg.numpy(), _loop_pool(x, k, s, padding, np.mean),
                               rtol=1e-12)


def _fd_check(fn, xs, seed=0):
    """<grad, u> against a central difference of sum(fn(xs) * c) along a random u."""
    rng = np.random.default_rng(seed)
    ts = [wb.constant(x) for x in xs]
    with wb.GradientTape() as tape:
        tape.watch(ts)
        y = fn(*ts)
        c = rng.normal(size=y.shape)
        loss = wb.sum(y * c)
    grads = tape.gradient(loss, ts)
    us = [rng.normal(size=x.shape) for x in xs]
    eps = 1e-6

    def f(sign):
        return float(np.sum(fn(*[x + sign * eps * u for x, u in zip(xs, us)]).numpy() * c))

    fd = (f(1) - f(-1)) / (2 * eps)
    tape_value = sum(float(np.sum(g.numpy() * u)) for g, u in zip(grads, us))
    assert abs(fd - tape_value) <= 1e-6 * max(abs(fd), 1.0)


@pytest.mark.parametrize("strides, padding, dilations", [
    (1, "SAME", 1), ((2, 1), "VALID", 1), (1, "SAME", (1, 2)), (3, "same", 1)])
def test_conv2d_gradients_match_finite_differences(strides, padding, dilations):
    x, w = RNG.normal(size=(2, 6, 5, 2)), RNG.normal(size=(3, 3, 2, 3))
    _fd_check(lambda a, b: wb.nn.conv2d(a, b, strides, padding, dilations=dilations), [x, w])


@pytest.mark.parametrize("op", [wb.nn.max_pool2d, wb.nn.avg_pool2d])
@pytest.mark.parametrize("k, s, padding", [(2, 2, "VALID"), (3, 2, "SAME"), (3, 1, "SAME")])
def test_pool_gradients_match_finite_differences(op, k, s, padding):
    x = RNG.permutation(2 * 5 * 6 * 2).reshape(2, 5, 6, 2) * 0.1  # distinct: no ties
    _fd_check(lambda a: op(a, k, s, padding), [x])


def test_second_order_through_conv_and_pool():
    """d/dw of <grad_x loss, v> by the outer tape vs finite differences of the inner gradient."""
    x, w = RNG.normal(size=(1, 5, 5, 2)), RNG.normal(size=(2, 2, 2, 2))
    v = RNG.normal(size=x.shape)

    def inner(w_value, outer=None):
        xt, wt = wb.constant(x), wb.constant(w_value) if outer is None else w_value
        with wb.GradientTape() as tape:
            tape.watch(xt)
            y = wb.nn.avg_pool2d(wb.tanh(wb.nn.conv2d(xt, wt, 1, "SAME")), 2, 2, "SAME")
            loss = wb.sum(y * y)
        return wb.sum(tape.gradient(loss, xt) * v)

    wt = wb.constant(w)
    with wb.GradientTape() as outer:
        outer.watch(wt)
        s = inner(wt, outer)
    g = outer.gradient(s, wt).numpy()
    u = RNG.normal(size=w.shape)
    fd = (float(inner(w + 1e-6 * u)) - float(inner(w - 1e-6 * u))) / 2e-6
    assert abs(fd - float(np.sum(g * u))) <= 1e-6 * max(abs(fd), 1.0)


def test_float32_stays_float32():
    x = RNG.normal(size=(2, 6, 6, 2)).astype(np.float32)
    w = RNG.normal(size=(3, 3, 2, 4)).astype(np.float32)
    xt, wt = wb.constant(x), wb.constant(w)
    with wb.GradientTape() as tape:
        tape.watch([xt, wt])
        y = wb.nn.avg_pool2d(wb.nn.max_pool2d(wb.nn.conv2d(xt, wt, 1, "SAME"), 2, 1, "SAME"),
                             2, 2, "VALID")
        loss = wb.sum(wb.nn.dropout(y, 0.5, seed=1))
    assert y.dtype == np.float32
    assert all(g.dtype == np.float32 for g in tape.gradient(loss, [xt, wt]))


# --- dropout ---------------------------------------------------------------------------------
def test_dropout_statistics():
    wb.random.set_seed(5)
    y = wb.nn.dropout(wb.ones((200_000,)), rate=0.3).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.005  # 0.7 ± 5 standard deviations (about 0.001 each)
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-12)
    assert abs(y.mean() - 1.0) < 0.01  # unbiased: E[y] = x


def test_dropout_gradient_uses_the_forward_mask_and_each_call_draws_a_new_one():
    x = wb.constant(RNG.normal(size=(1000,)))
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.nn.dropout(x, rate=0.5)
    g = tape.gradient(y, x).numpy()
    np.testing.assert_allclose(g, (y.numpy() != 0) * 2.0, rtol=1e-12)
    other = wb.nn.dropout(x, rate=0.5).numpy()
    assert np.any((other != 0) != (y.numpy() != 0))


def test_dropout_seed_rate_zero_and_errors():
    x = wb.ones((50,))
    a = wb.nn.dropout(x, 0.4, seed=7).numpy()
    np.testing.assert_allclose(wb.nn.dropout(x, 0.4, seed=7).numpy(), a, rtol=0)
    assert wb.nn.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match=r"rate must be in \[0, 1\)"):
        wb.nn.dropout(x, 1.0)
    # noise_shape broadcasts one mask along the other axes, as in TF
    y = wb.nn.dropout(wb.ones((4, 30)), 0.5, noise_shape=(1, 30), seed=2).numpy()
    np.testing.assert_allclose(y, np.broadcast_to(y[0], y.shape), rtol=0)


# --- compiled ----------------------------------------------------------------------------------
def _conv_value_and_grad(s, x, w):
    with wb.GradientTape() as tape:
        tape.watch(w)
        y = wb.nn.max_pool2d(wb.nn.conv2d(x, w * s, 1, "SAME"), 2, 2, "SAME")
        loss = wb.reduce_sum(wb.nn.avg_pool2d(y * y, 2, 1, "VALID"))
    return loss, tape.gradient(loss, w)


def test_compiled_conv_pool_gradient_on_cpu_and_cuda_matches_eager():
    from numba import config

    x, w = RNG.normal(size=(1, 4, 4, 1)), RNG.normal(size=(2, 2, 1, 2))
    scales = np.array([0.5, 1.5])
    cpu = wb.function(_conv_value_and_grad).map(scales, x, w, in_axes=(0, None, None))
    for k, s in enumerate(scales):
        loss, grad = _conv_value_and_grad(wb.constant(s), wb.constant(x), wb.constant(w))
        np.testing.assert_allclose(cpu[0][k], float(loss), rtol=1e-12)
        np.testing.assert_allclose(cpu[1][k], grad.numpy(), rtol=1e-12)
    if not config.ENABLE_CUDASIM:
        pytest.skip("the CUDA half runs under NUMBA_ENABLE_CUDASIM=1")
    gpu = wb.function(_conv_value_and_grad, target="cuda").map(scales, x, w,
                                                               in_axes=(0, None, None))
    np.testing.assert_allclose(gpu[0], cpu[0], rtol=1e-14)
    np.testing.assert_allclose(gpu[1], cpu[1], rtol=1e-14)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum_only():
    x = wb.constant(np.array([[1.0, 3.0, 3.0], [3.0, 0.0, 3.0]]).reshape(1, 2, 3, 1))
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.nn.max_pool2d(x, 2, 1, "VALID")  # two windows, each with tied maxima
    g = tape.gradient(y, x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(g, [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]])


def _dilated_strided_value_and_grads(x, w):
    with wb.GradientTape() as tape:
        tape.watch([x, w])
        y = wb.nn.conv2d(x, w, 1, "SAME", dilations=(2, 1))
        y = wb.nn.conv2d(wb.tanh(y), wb.transpose(w, (0, 1, 3, 2)), (2, 1), "VALID")
        loss = wb.reduce_sum(y * y)
    return (loss, *tape.gradient(loss, [x, w]))


@pytest.mark.parametrize("dtype, rtol, patch", [
    (np.float64, 1e-12, None), (np.float32, 2e-6, None),
    (np.float64, 1e-12, 350),  # chunks of 3 and 2 output lines: padding moves between chunks
])
def test_compiled_conv_gradients_with_dilation_and_padding_match_eager(dtype, rtol, patch,
                                                                       monkeypatch):
    """The compiled rules (packed patches and BLAS, one chunk of output lines per call)
    against the eager tape; the sums of chunks differ from one product in the last bits."""
    from workbench.ops import conv_blas

    if patch is not None:
        monkeypatch.setattr(conv_blas, "PATCH_ELEMENTS", patch)
    x = RNG.normal(size=(2, 7, 6, 3)).astype(dtype)
    w = RNG.normal(size=(3, 2, 3, 4)).astype(dtype)
    value_and_grads = _dilated_strided_value_and_grads
    got = wb.function(value_and_grads)(x, w)
    want = value_and_grads(wb.constant(x), wb.constant(w))
    for g, e in zip(got, want, strict=True):
        assert g.dtype == dtype
        scale = np.max(np.abs(e.numpy()))  # float32 sums cancel: compare on the array's scale
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("shape", [(2, 6, 4, 3), (2, 5, 7, 3)])  # tiled; a row and column left
def test_compiled_max_pool_gradient_of_tiling_windows_matches_eager(shape):
    """Windows that tile the image write each pixel once; pixels in no window get zero."""
    x = np.round(RNG.normal(size=shape), 1)  # rounding makes ties: the first maximum wins
    oh, ow = shape[1] // 2, shape[2] // 2
    weights = RNG.normal(size=(shape[0], oh, ow, shape[3]))

    def grad(x):
        with wb.GradientTape() as tape:
            tape.watch(x)
            loss = wb.reduce_sum(wb.nn.max_pool2d(x * x, 2, 2, "VALID") * weights)
        return tape.gradient(loss, x)

    got = wb.function(grad)(x).numpy()
    np.testing.assert_allclose(got, grad(wb.constant(x)).numpy(), rtol=1e-12, atol=0)
    np.testing.assert_array_equal(got[:, 2 * oh:], 0)
    np.testing.assert_array_equal(got[:, :, 2 * ow:], 0)
    assert np.count_nonzero(got) <= weights.size  # one pixel per window at most


def test_compiled_sum_over_leading_axes_has_numpy_bits():
    """A bias gradient: the sum over (n, h, w) of an NHWC float32 value, added one row of
    channels at a time, in NumPy's order."""
    x = RNG.normal(size=(9, 5, 7, 6)).astype(np.float32)
    got = wb.function(lambda x: (wb.reduce_sum(x, axis=(0, 1, 2)),
                                 wb.reduce_sum(x, axis=(0, 1), keepdims=True)))(x)
    np.testing.assert_array_equal(got[0].numpy(), np.sum(x, axis=(0, 1, 2)))
    np.testing.assert_array_equal(got[1].numpy(), np.sum(x, axis=(0, 1), keepdims=True))

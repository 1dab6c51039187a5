"""Array / shape functions: values against NumPy (or a direct loop), gradients and second order
against central differences, axis validation as a property across every op taking an axis, and
the conversions (convert_to_tensor packing, Tensor methods, scalar ``.numpy()``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb

EPS = 1e-6


@dataclass(frozen=True)
class Fn:
    """``wb_fn(*tensors)`` against ``np_fn(*arrays)`` at inputs of ``shapes``."""

    name: str
    wb_fn: Callable[..., Any]
    np_fn: Callable[..., Any]
    shapes: tuple[tuple[int, ...], ...]
    kwargs: dict[str, Any] = field(default_factory=dict)


def _flat(out: Any) -> Any:
    """One tensor/array from a result that may be a list or tuple of them."""
    if isinstance(out, list | tuple):
        parts = [o if isinstance(o, wb.Tensor) else np.asarray(o) for o in out]
        if any(isinstance(p, wb.Tensor) for p in parts):
            return wb.concat([wb.reshape(p, (-1,)) for p in parts], axis=0)
        return np.concatenate([p.reshape(-1) for p in parts])
    return out


def _gather_loop(params, indices, axis=0, batch_dims=0):
    if batch_dims == 0:
        return np.take(params, indices, axis=axis)
    return np.stack([_gather_loop(p, i, axis - 1, batch_dims - 1)
                     for p, i in zip(params, indices, strict=True)])


def _gather_nd_loop(params, indices, batch_dims=0):
    if batch_dims:
        return np.stack([_gather_nd_loop(p, i, batch_dims - 1)
                         for p, i in zip(params, indices, strict=True)])
    flat = indices.reshape(-1, indices.shape[-1])
    picked = [params[tuple(ix)] for ix in flat]
    return np.asarray(picked).reshape(indices.shape[:-1] + params.shape[indices.shape[-1]:])


def _clip_by_norm_np(t, c, axes=None):
    norm = np.sqrt(np.sum(t * t, axis=axes, keepdims=True))
    return t * c / np.maximum(norm, c)


IDX = np.array([[2, 0], [1, 1]])
FNS = [
    Fn("swapaxes", lambda x: wb.swapaxes(x, 0, 2), lambda x: np.swapaxes(x, 0, 2), ((2, 3, 4),)),
    Fn("moveaxis", lambda x: wb.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), ((2, 3, 4),)),
    Fn("moveaxis-many", lambda x: wb.moveaxis(x, [0, 1], [2, 0]),
       lambda x: np.moveaxis(x, [0, 1], [2, 0]), ((2, 3, 4),)),
    Fn("flip-all", wb.flip, np.flip, ((2, 3),)),
    Fn("flip-axes", lambda x: wb.flip(x, (0, 2)), lambda x: np.flip(x, (0, 2)), ((2, 3, 2),)),
    Fn("fliplr", wb.fliplr, np.fliplr, ((2, 3),)),
    Fn("flipud", wb.flipud, np.flipud, ((3,),)),
    Fn("reverse", lambda x: wb.reverse(x, [1]), lambda x: x[:, ::-1], ((2, 3),)),
    Fn("roll-flat", lambda x: wb.roll(x, 4), lambda x: np.roll(x, 4), ((2, 3),)),
    Fn("roll-axes", lambda x: wb.roll(x, (1, -2), (0, 1)),
       lambda x: np.roll(x, (1, -2), (0, 1)), ((3, 4),)),
    Fn("roll-big", lambda x: wb.roll(x, 7, axis=-1), lambda x: np.roll(x, 7, axis=-1), ((2, 3),)),
    Fn("ravel", wb.ravel, np.ravel, ((2, 3),)),
    Fn("concatenate-none", lambda x, y: wb.concatenate([x, y], axis=None),
       lambda x, y: np.concatenate([x, y], axis=None), ((2, 2), (3,))),
    Fn("concatenate-1", lambda x, y: wb.concatenate([x, y], axis=1),
       lambda x, y: np.concatenate([x, y], axis=1), ((2, 2), (2, 3))),
    Fn("vstack", lambda x, y: wb.vstack([x, y]), lambda x, y: np.vstack([x, y]), ((3,), (2, 3))),
    Fn("hstack-1d", lambda x, y: wb.hstack([x, y]), lambda x, y: np.hstack([x, y]), ((2,), (3,))),
    Fn("hstack-2d", lambda x, y: wb.hstack([x, y]), lambda x, y: np.hstack([x, y]),
       ((2, 1), (2, 3))),
    Fn("dstack", lambda x, y: wb.dstack([x, y]), lambda x, y: np.dstack([x, y]), ((2, 3), (2, 3))),
    Fn("column_stack", lambda x, y: wb.column_stack([x, y]),
       lambda x, y: np.column_stack([x, y]), ((3,), (3, 2))),
    Fn("append", wb.append, np.append, ((2, 2), (3,))),
    Fn("append-axis", lambda x, y: wb.append(x, y, axis=0),
       lambda x, y: np.append(x, y, axis=0), ((2, 2), (1, 2))),
    *[Fn(f"atleast_{k}d-{len(s)}", getattr(wb, f"atleast_{k}d"), getattr(np, f"atleast_{k}d"), (s,))
      for k in (1, 2, 3) for s in ((), (3,), (2, 3), (2, 1, 2))],
    Fn("diff", wb.diff, np.diff, ((2, 5),)),
    Fn("diff-2-axis0", lambda x: wb.diff(x, 2, axis=0), lambda x: np.diff(x, 2, axis=0), ((4, 3),)),
    Fn("diff-pre-app", lambda x: wb.diff(x, prepend=0.5, append=x[:, :1]),
       lambda x: np.diff(x, prepend=0.5, append=x[:, :1]), ((2, 4),)),
    Fn("split-3", lambda x: wb.split(x, 3, axis=1), lambda x: np.split(x, 3, axis=1), ((2, 6),)),
    Fn("split-idx", lambda x: wb.split(x, [1, 4]), lambda x: np.split(x, [1, 4]), ((6, 2),)),
    Fn("split-tf", lambda x: wb.split(x, num_or_size_splits=[2, -1, 1], axis=0),
       lambda x: np.split(x, [2, 5]), ((6,),)),
    Fn("array_split", lambda x: wb.array_split(x, 4), lambda x: np.array_split(x, 4), ((6,),)),
    Fn("tile-2", lambda x: wb.tile(x, 2), lambda x: np.tile(x, 2), ((3,),)),
    Fn("tile-3d", lambda x: wb.tile(x, (2, 1, 3)), lambda x: np.tile(x, (2, 1, 3)), ((2, 3),)),
    Fn("tile-short", lambda x: wb.tile(x, (2,)), lambda x: np.tile(x, (2,)), ((2, 3),)),
    Fn("repeat-flat", lambda x: wb.repeat(x, 2), lambda x: np.repeat(x, 2), ((2, 3),)),
    Fn("repeat-counts", lambda x: wb.repeat(x, [1, 0, 2], axis=0),
       lambda x: np.repeat(x, [1, 0, 2], axis=0), ((3, 2),)),
    Fn("repeat-axis1", lambda x: wb.repeat(x, 3, axis=1), lambda x: np.repeat(x, 3, axis=1),
       ((2, 2),)),
    Fn("pad-int", lambda x: wb.pad(x, 1), lambda x: np.pad(x, 1), ((2, 3),)),
    Fn("pad-const", lambda x: wb.pad(x, ((1, 2), (0, 3)), constant_values=2.5),
       lambda x: np.pad(x, ((1, 2), (0, 3)), constant_values=2.5), ((2, 3),)),
    Fn("pad-tf", lambda x: wb.pad(x, paddings=[[0, 1], [2, 0]], mode="CONSTANT"),
       lambda x: np.pad(x, [[0, 1], [2, 0]]), ((2, 3),)),
    *[Fn(f"pad-{m}", lambda x, m=m: wb.pad(x, ((2, 1), (1, 2)), mode=m.upper()),
         lambda x, m=m: np.pad(x, ((2, 1), (1, 2)), mode=m), ((3, 4),))
      for m in ("reflect", "symmetric", "edge", "wrap")],
    Fn("sort", wb.sort, np.sort, ((3, 4),)),
    Fn("sort-0", lambda x: wb.sort(x, axis=0), lambda x: np.sort(x, axis=0), ((3, 4),)),
    Fn("sort-none", lambda x: wb.sort(x, axis=None), lambda x: np.sort(x, axis=None), ((2, 3),)),
    Fn("sort-desc", lambda x: wb.sort(x, direction="DESCENDING"),
       lambda x: -np.sort(-x), ((2, 5),)),
    Fn("take", lambda x: wb.take(x, IDX), lambda x: np.take(x, IDX), ((2, 3),)),
    Fn("take-axis", lambda x: wb.take(x, [2, 0, 2], axis=1),
       lambda x: np.take(x, [2, 0, 2], axis=1), ((2, 3),)),
    Fn("take_along_axis", lambda x: wb.take_along_axis(x, IDX, axis=1),
       lambda x: np.take_along_axis(x, IDX, axis=1), ((2, 3),)),
    Fn("gather", lambda x: wb.gather(x, IDX), lambda x: _gather_loop(x, IDX), ((3, 2),)),
    Fn("gather-axis1", lambda x: wb.gather(x, IDX, axis=1),
       lambda x: _gather_loop(x, IDX, axis=1), ((2, 3, 2),)),
    Fn("gather-batch", lambda x: wb.gather(x, IDX, axis=1, batch_dims=1),
       lambda x: _gather_loop(x, IDX, axis=1, batch_dims=1), ((2, 3, 2),)),
    Fn("gather-batch-axis2", lambda x: wb.gather(x, IDX, axis=2, batch_dims=1),
       lambda x: _gather_loop(x, IDX, axis=2, batch_dims=1), ((2, 2, 3),)),
    Fn("gather_nd", lambda x: wb.gather_nd(x, IDX), lambda x: _gather_nd_loop(x, IDX), ((3, 3),)),
    Fn("gather_nd-slices", lambda x: wb.gather_nd(x, [[1], [0], [1]]),
       lambda x: _gather_nd_loop(x, np.array([[1], [0], [1]])), ((2, 3),)),
    Fn("gather_nd-batch", lambda x: wb.gather_nd(x, [[[1], [0]], [[2], [2]]], batch_dims=1),
       lambda x: _gather_nd_loop(x, np.array([[[1], [0]], [[2], [2]]]), 1), ((2, 3, 2),)),
    Fn("one_hot-on", lambda on: wb.one_hot([2, -1, 0], 3, on_value=on, off_value=-1.0),
       lambda on: np.where(np.array([2, -1, 0])[:, None] == np.arange(3), on, -1.0), ((),)),
    Fn("one_hot-axis0", lambda on: wb.one_hot([1, 2], 3, on_value=on, axis=0),
       lambda on: np.where(np.arange(3)[:, None] == np.array([1, 2]), on, 0.0), ((),)),
    Fn("clip_by_norm", lambda x: wb.clip_by_norm(x, 0.7), lambda x: _clip_by_norm_np(x, 0.7),
       ((2, 3),)),
    Fn("clip_by_norm-axes", lambda x: wb.clip_by_norm(x, 1.5, axes=[1]),
       lambda x: _clip_by_norm_np(x, 1.5, axes=1), ((3, 2),)),
    Fn("meshgrid-xy", lambda x, y: wb.meshgrid(x, y), lambda x, y: np.meshgrid(x, y), ((3,), (2,))),
    Fn("meshgrid-ij", lambda x, y, z: wb.meshgrid(x, y, z, indexing="ij"),
       lambda x, y, z: np.meshgrid(x, y, z, indexing="ij"), ((3,), (2,), (2,))),
    Fn("convert_to_tensor", lambda x, y: wb.convert_to_tensor([[x, 2.0 * y], [x * y, 1.0]]),
       lambda x, y: np.array([[x, 2.0 * y], [x * y, 1.0]]), ((), ())),
    Fn("stack-nested", lambda x, y: wb.stack([[x, y], (y, x)], axis=1),
       lambda x, y: np.stack([np.stack([x, y]), np.stack([y, x])], axis=1), ((2,), (2,))),
]


def _inputs(fn: Fn, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    # distinct magnitudes: sort orders and clip norms do not change within a difference step
    return [np.asarray(rng.permutation(int(np.prod(s))) * 0.37 - 1.1
                       + rng.uniform(0, 0.01, s).reshape(-1)).reshape(s) for s in fn.shapes]


def _loss_and_grad(fn: Fn, xs: list[np.ndarray], w: np.ndarray | None, square: bool = False):
    ts = [wb.constant(x) for x in xs]
    with wb.GradientTape() as tape:
        tape.watch(ts)
        y = _flat(fn.wb_fn(*ts))
        if w is None:
            w = np.linspace(0.5, 1.5, y.size).reshape(y.shape)
        loss = wb.sum((y * y if square else y) * w)
    grads = tape.gradient(loss, ts, unconnected_gradients="zero")
    return float(loss), [g.numpy() for g in grads], w


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.name)
def test_values_match_numpy(fn):
    xs = _inputs(fn)
    got = _flat(fn.wb_fn(*[wb.constant(x) for x in xs]))
    want = _flat(fn.np_fn(*xs))
    assert got.shape == np.shape(want)
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.name)
def test_gradient_matches_central_differences(fn):
    xs = _inputs(fn)
    rng = np.random.default_rng(1)
    us = [rng.normal(size=np.shape(x)) for x in xs]
    _, grads, w = _loss_and_grad(fn, xs, None)

    def loss_at(h):
        return _loss_and_grad(fn, [x + h * u for x, u in zip(xs, us, strict=True)], w)[0]

    fd = (loss_at(EPS) - loss_at(-EPS)) / (2 * EPS)
    tape = sum(float(np.sum(g * u)) for g, u in zip(grads, us, strict=True))
    assert abs(fd - tape) <= 1e-6 * max(1.0, abs(fd))


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.name)
def test_second_order_matches_differences_of_gradients(fn):
    """Hessian-vector product of ``sum(w * f(x)**2)`` through nested tapes."""
    xs = _inputs(fn)
    rng = np.random.default_rng(2)
    us = [rng.normal(size=np.shape(x)) for x in xs]
    w = np.linspace(0.5, 1.5, _flat(fn.wb_fn(*map(wb.constant, xs))).size)
    w = w.reshape(_flat(fn.wb_fn(*map(wb.constant, xs))).shape)
    ts = [wb.constant(x) for x in xs]
    with wb.GradientTape() as outer:
        outer.watch(ts)
        with wb.GradientTape() as inner:
            inner.watch(ts)
            y = _flat(fn.wb_fn(*ts))
            loss = wb.sum(y * y * w)
        grads = inner.gradient(loss, ts, unconnected_gradients="zero")
        gu = sum(wb.sum(g * u) for g, u in zip(grads, us, strict=True))
    hvp = [h.numpy() for h in outer.gradient(gu, ts, unconnected_gradients="zero")]

    def grads_at(h):
        shifted = [x + h * u for x, u in zip(xs, us, strict=True)]
        return _loss_and_grad(fn, shifted, w, square=True)[1]

    plus, minus = grads_at(EPS), grads_at(-EPS)
    for hv, p, m in zip(hvp, plus, minus, strict=True):
        np.testing.assert_allclose(hv, (p - m) / (2 * EPS), rtol=1e-5, atol=1e-5)


def test_compiled_composites_match_eager():
    """One compiled function over many composites (one Numba compile), value and gradient."""
    x0 = np.random.default_rng(4).normal(size=(3, 4))

    def run(x):
        with wb.GradientTape() as tape:
            tape.watch(x)
            parts = [wb.flip(x, 1), wb.roll(x, 1, 0), wb.swapaxes(x, 0, 1).T,
                     wb.pad(x, 1, mode="reflect")[1:-1, 1:-1], wb.tile(x, (1, 2))[:, :4],
                     wb.repeat(x, 2, axis=0)[::2], wb.gather(x, [2, 0, 1]),
                     wb.sort(x, axis=1), wb.diff(x, prepend=0.0), wb.clip_by_norm(x, 1.0)]
            y = sum(parts[1:], parts[0])
            loss = wb.sum(y * y)
        return y, tape.gradient(loss, x)

    want_y, want_g = run(wb.constant(x0))
    compiled = wb.function(run)
    got_y, got_g = compiled(x0)
    np.testing.assert_allclose(got_y.numpy(), want_y.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_g.numpy(), want_g.numpy(), rtol=1e-12, atol=1e-12)
    got_y2, _ = compiled(x0[::-1] * 0.5)  # new values: the sort permutation is not baked in
    np.testing.assert_allclose(got_y2.numpy(), run(wb.constant(x0[::-1] * 0.5))[0].numpy(),
                               rtol=1e-12, atol=1e-12)


def test_compiled_gather_with_a_matrix_of_indices():
    f = wb.function(lambda x: wb.gather(x, IDX))
    np.testing.assert_allclose(f(np.arange(3.0)).numpy(), np.arange(3.0)[IDX])


def test_composites_print_to_sympy():
    x = wb.constant([0.3, -0.7, 1.1], name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.sum(wb.flip(x) * wb.roll(x, 1) * wb.pad(x, 1, mode="symmetric")[1:-1])
    e = tape.expression(y, view="elements")
    assert np.isclose(float(e.subs({s: v for s, v in zip(
        sorted(e.free_symbols, key=lambda s: s.name), [0.3, -0.7, 1.1], strict=True)})),
        float(y), rtol=1e-12)


# --- axis validation as a property ------------------------------------------------------------
def _softmax_np(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


AXIS_OPS: dict[str, tuple[Callable, Callable]] = {
    "sum": (lambda x, a: wb.sum(x, axis=a), lambda x, a: np.sum(x, axis=a)),
    "max": (lambda x, a: wb.max(x, axis=a), lambda x, a: np.max(x, axis=a)),
    "min": (lambda x, a: wb.min(x, axis=a), lambda x, a: np.min(x, axis=a)),
    "mean": (lambda x, a: wb.mean(x, axis=a), lambda x, a: np.mean(x, axis=a)),
    "argmax": (lambda x, a: wb.argmax(x, axis=a), lambda x, a: np.argmax(x, axis=a)),
    "argmin": (lambda x, a: wb.argmin(x, axis=a), lambda x, a: np.argmin(x, axis=a)),
    "logsumexp": (lambda x, a: wb.logsumexp(x, axis=a),
                  lambda x, a: np.log(np.sum(np.exp(x), axis=a))),
    "softmax": (lambda x, a: wb.nn.softmax(x, axis=a), _softmax_np),
    "log_softmax": (lambda x, a: wb.nn.log_softmax(x, axis=a),
                    lambda x, a: np.log(_softmax_np(x, a))),
    "concat": (lambda x, a: wb.concat([x, x], axis=a), lambda x, a: np.concatenate([x, x], axis=a)),
    "stack": (lambda x, a: wb.stack([x, x], axis=a), lambda x, a: np.stack([x, x], axis=a)),
    "expand_dims": (lambda x, a: wb.expand_dims(x, a), lambda x, a: np.expand_dims(x, a)),
    "squeeze": (lambda x, a: wb.squeeze(x, a), lambda x, a: np.squeeze(x, a)),
    "transpose": (lambda x, a: wb.transpose(x, [a] + list(range(1, x.ndim))),
                  lambda x, a: np.transpose(x, [a] + list(range(1, x.ndim)))),
    "swapaxes": (lambda x, a: wb.swapaxes(x, a, 0), lambda x, a: np.swapaxes(x, a, 0)),
    "moveaxis": (lambda x, a: wb.moveaxis(x, a, -1), lambda x, a: np.moveaxis(x, a, -1)),
    "flip": (lambda x, a: wb.flip(x, a), lambda x, a: np.flip(x, a)),
    "roll": (lambda x, a: wb.roll(x, 1, a), lambda x, a: np.roll(x, 1, a)),
    "diff": (lambda x, a: wb.diff(x, axis=a), lambda x, a: np.diff(x, axis=a)),
    "array_split": (lambda x, a: _flat(wb.array_split(x, 2, axis=a)),
                    lambda x, a: _flat(np.array_split(x, 2, axis=a))),
    "repeat": (lambda x, a: wb.repeat(x, 2, axis=a), lambda x, a: np.repeat(x, 2, axis=a)),
    "take": (lambda x, a: wb.take(x, [0, 0], axis=a), lambda x, a: np.take(x, [0, 0], axis=a)),
    "sort": (lambda x, a: wb.sort(x, axis=a), lambda x, a: np.sort(x, axis=a)),
    "argsort": (lambda x, a: wb.argsort(x, axis=a),
                lambda x, a: np.argsort(x, axis=a, kind="stable")),
    "gather": (lambda x, a: wb.gather(x, [0, 0], axis=a), lambda x, a: np.take(x, [0, 0], axis=a)),
}


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(AXIS_OPS)),
       shape=st.lists(st.integers(1, 3), min_size=0, max_size=3).map(tuple),
       axis=st.integers(-5, 5))
def test_axis_out_of_range_raises_and_in_range_matches_numpy(name, shape, axis):
    ours, theirs = AXIS_OPS[name]
    x = np.asarray(np.random.default_rng(len(shape) + abs(axis)).normal(size=shape))
    if shape == () and axis in (0, -1):
        # NumPy is not consistent here (np.sum(2.0, axis=0) works, np.mean(2.0, axis=0) raises):
        # only check that where both give a value, the values agree.
        try:
            want, got = theirs(x, axis), ours(wb.constant(x), axis)
        except (ValueError, IndexError):
            return
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)
        return
    try:
        want = theirs(x, axis)
    except (ValueError, IndexError, TypeError) as exc:
        with pytest.raises(type(exc)):
            ours(wb.constant(x), axis)
        return
    got = ours(wb.constant(x), axis)
    np.testing.assert_allclose(np.asarray(got), want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(AXIS_OPS))
def test_out_of_range_axis_is_an_axis_error_naming_the_rank(name):
    ours, _ = AXIS_OPS[name]
    with pytest.raises(np.exceptions.AxisError, match="rank [23]"):
        ours(wb.ones((2, 2)), 7)


@pytest.mark.parametrize("call", [
    lambda x: wb.sum(x, axis=1.5), lambda x: wb.concat([x, x], axis=1.5),
    lambda x: wb.expand_dims(x, 1.5), lambda x: wb.transpose(x, [1.5, 0]),
])
def test_float_axis_says_it_must_be_an_integer(call):
    with pytest.raises(TypeError, match="must be an integer, got 1.5"):
        call(wb.ones((2, 2)))


def test_axis_error_is_numpys_and_names_the_argument():
    with pytest.raises(wb.AxisError) as info:
        wb.transpose(wb.ones((2, 3)), perm=[0, 2])
    assert isinstance(info.value, ValueError) and isinstance(info.value, IndexError)
    assert "perm 2" in str(info.value) and "rank 2" in str(info.value)
    with pytest.raises(ValueError, match="repeated axis"):
        wb.sum(wb.ones((2, 3)), axis=(0, -2))


# --- where, errors ------------------------------------------------------------------------------
def test_where_with_only_a_condition_gives_numpys_index_tuple():
    c = np.array([[True, False], [False, True]])
    got = wb.where(wb.constant(c))
    for g, w in zip(got, np.where(c), strict=True):
        np.testing.assert_array_equal(g.numpy(), w)
    x = wb.constant([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(x[wb.where(x > 2.5)].numpy(), [3.0, 4.0])
    with pytest.raises(TypeError, match="condition alone or condition, x and y"):
        wb.where(c, 1.0)


def test_split_and_gather_errors_are_clear():
    with pytest.raises(ValueError, match="array_split"):
        wb.split(wb.ones(5), 2)
    with pytest.raises(ValueError, match="do not add up"):
        wb.split(wb.ones(5), num_or_size_splits=[2, 2])
    with pytest.raises(IndexError, match="index 3 is out of range"):
        wb.gather(wb.ones((3, 2)), [0, 3])
    with pytest.raises(TypeError, match="must be integers"):
        wb.take(wb.ones(3), [0.5])
    with pytest.raises(ValueError, match="unknown mode"):
        wb.pad(wb.ones(3), 1, mode="mirror")


def test_one_hot_defaults_to_float32_like_tensorflow():
    out = wb.one_hot(np.array([[0, 3], [1, 2]]), 3)
    assert out.dtype == np.float32 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.numpy()[0, 1], [0, 0, 0])
    assert wb.one_hot([1], 2, dtype=np.int32).dtype == np.int32


def test_argsort_is_stable_and_not_differentiable():
    x = wb.constant([2.0, 1.0, 2.0, 1.0])
    np.testing.assert_array_equal(wb.argsort(x).numpy(), [1, 3, 0, 2])
    np.testing.assert_array_equal(wb.argsort(x, direction="DESCENDING").numpy(), [0, 2, 1, 3])
    with wb.GradientTape() as tape:
        tape.watch(x)
        i = wb.argsort(x)
    assert tape.gradient(i, x) is None


def test_clip_by_norm_of_zero_has_a_finite_gradient():
    x = wb.constant([0.0, 0.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.sum(wb.clip_by_norm(x, 1.0))
    assert np.all(np.isfinite(tape.gradient(y, x).numpy()))


# --- conversions ----------------------------------------------------------------------------------
def test_convert_to_tensor_of_a_list_of_tensors_stays_on_the_tape():
    x = wb.constant(1.5)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.reduce_sum(wb.convert_to_tensor([x, 2 * x]))
    assert float(tape.gradient(y, x)) == pytest.approx(3.0)
    assert wb.convert_to_tensor(x) is x and wb.constant(x) is x
    v = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        y = wb.constant(v) * 3.0
    assert float(tape.gradient(y, v)) == pytest.approx(3.0)
    f32 = wb.constant(np.float32(1.0))
    assert wb.convert_to_tensor([f32, 2.0]).dtype == np.float32
    assert wb.constant(f32, dtype=np.float64).dtype == np.float64


def test_scalar_numpy_is_a_numpy_scalar_like_tensorflow():
    s = wb.constant(2.5).numpy()
    assert isinstance(s, np.float64) and not isinstance(s, np.ndarray)
    assert isinstance(wb.constant([2.5]).numpy(), np.ndarray)


def test_tensor_methods_match_numpy():
    a = np.random.default_rng(5).normal(size=(2, 3, 4))
    t = wb.constant(a)
    checks = {
        "ravel": (t.ravel(), a.ravel()), "flatten": (t.flatten(), a.flatten()),
        "squeeze": (wb.constant(a[:1]).squeeze(0), a[:1].squeeze(0)),
        "sum": (t.sum(axis=1), a.sum(axis=1)), "mean": (t.mean(), a.mean()),
        "max": (t.max(axis=(0, 2), keepdims=True), a.max(axis=(0, 2), keepdims=True)),
        "min": (t.min(axis=-1), a.min(axis=-1)), "std": (t.std(axis=0), a.std(axis=0)),
        "var": (t.var(), a.var()), "transpose*": (t.transpose(2, 0, 1), a.transpose(2, 0, 1)),
        "transpose()": (t.transpose((1, 0, 2)), a.transpose((1, 0, 2))),
        "transpose": (t.transpose(), a.transpose()),
        "reshape*": (t.reshape(4, -1), a.reshape(4, -1)),
        "reshape": (t.reshape((6, 4)), a.reshape((6, 4))),
        "clip": (t.clip(-0.5, 0.5), a.clip(-0.5, 0.5)), "dot": (t.dot(a[0, 0]), a.dot(a[0, 0])),
        "argmax": (t.argmax(axis=1), a.argmax(axis=1)), "argmin": (t.argmin(), a.argmin()),
        "swapaxes": (t.swapaxes(0, 2), a.swapaxes(0, 2)),
        "repeat": (t.repeat(2, 1), a.repeat(2, 1)),
        "mT": (t.mT, np.swapaxes(a, -1, -2)), "T": (t.T, a.T), "copy": (t.copy(), a.copy()),
        "astype": (t.astype(np.float32), a.astype(np.float32)),
    }
    for name, (got, want) in checks.items():
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-6, err_msg=name)
    assert t.size == a.size and len(t) == 2 and t.tolist() == a.tolist()
    assert wb.constant([[4.0]]).item() == 4.0


NUMPY_FUNCTIONS_CALLING_METHODS = {  # NumPy's functions call these methods with dtype=/out=
    "sum": lambda m, a: m.sum(a, axis=1), "mean": lambda m, a: m.mean(a, axis=0),
    "max": lambda m, a: m.max(a, axis=-1, keepdims=True), "min": lambda m, a: m.min(a),
    "std": lambda m, a: m.std(a, axis=0, ddof=1), "var": lambda m, a: m.var(a),
    "prod": lambda m, a: m.prod(a, axis=2), "cumsum": lambda m, a: m.cumsum(a, axis=1),
    "cumprod": lambda m, a: m.cumprod(a, axis=0),
    "clip": lambda m, a: m.clip(a, -0.5, 0.5), "reshape": lambda m, a: m.reshape(a, (4, 6)),
    "transpose": lambda m, a: m.transpose(a, (2, 0, 1)), "sum_dtype": lambda m, a: m.sum(
        a, dtype=np.float32),
}


@pytest.mark.parametrize("name", sorted(NUMPY_FUNCTIONS_CALLING_METHODS))
def test_numpy_functions_on_tensors_call_the_methods_and_stay_on_the_tape(name):
    fn = NUMPY_FUNCTIONS_CALLING_METHODS[name]
    a = np.random.default_rng(6).uniform(0.5, 1.5, size=(2, 3, 4))
    x = wb.constant(a)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = fn(np, x)
        total = wb.reduce_sum(y)
    assert isinstance(y, wb.Tensor), name
    want = fn(np, a)
    assert y.dtype == want.dtype
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-6)
    grad = tape.gradient(total, x)
    assert grad is not None and grad.shape == a.shape


def test_numpy_out_argument_on_a_tensor_is_refused():
    with pytest.raises(TypeError, match="out= is not supported"):
        np.sum(wb.constant([1.0, 2.0]), out=np.zeros(()))


def test_iterating_a_tensor_stays_on_the_tape():
    x = wb.constant([1.0, 2.0, 3.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = sum(r * r for r in x)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])

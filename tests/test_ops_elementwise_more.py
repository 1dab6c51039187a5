"""Elementwise coverage: every added NumPy/TensorFlow name against NumPy (or SciPy/math) values,
its gradient against central differences, second order through nested tapes for the smooth ones,
broadcasting; plus the ``%`` operator, dtype names, ``x ** 0`` at 0 and large-logit stability."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb

EPS = 1e-6
RNG = np.random.default_rng(11)


def _sample(kind: str, shape: tuple[int, ...]) -> np.ndarray:
    lo, hi = {"real": (-2.0, 2.0), "pos": (0.3, 2.0), "unit": (-0.8, 0.8), "gt1": (1.2, 3.0),
              "mid": (0.2, 0.8)}[kind]
    return RNG.uniform(lo, hi, shape)


def _nonzero(shape: tuple[int, ...]) -> np.ndarray:
    return RNG.choice([-1.0, 1.0], shape) * RNG.uniform(0.4, 2.0, shape)


def _erf(x):
    special = pytest.importorskip("scipy.special")
    return special.erf(x)


@dataclass(frozen=True)
class Fn:
    """A workbench function, its reference, the domain of each input, and what to check."""

    name: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    domains: tuple[str, ...]
    grad: bool = True  # gradient vs central differences (where differentiable)
    smooth: bool = True  # second order through nested tapes


def _sample_for(domain: str, shape):
    return _nonzero(shape) if domain == "nonzero" else _sample(domain, shape)


def _gelu_exact(x):
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0)))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


FNS = [
    Fn("log2", wb.log2, np.log2, ("pos",)),
    Fn("log10", wb.log10, np.log10, ("pos",)),
    Fn("exp2", wb.exp2, np.exp2, ("real",)),
    Fn("logaddexp", wb.logaddexp, np.logaddexp, ("real", "real")),
    Fn("logaddexp2", wb.logaddexp2, np.logaddexp2, ("real", "real")),
    Fn("arcsinh", wb.arcsinh, np.arcsinh, ("real",)),
    Fn("arccosh", wb.arccosh, np.arccosh, ("gt1",)),
    Fn("arctanh", wb.arctanh, np.arctanh, ("unit",)),
    Fn("math.atan2", wb.math.atan2, np.arctan2, ("nonzero", "real")),
    Fn("hypot", wb.hypot, np.hypot, ("nonzero", "nonzero")),
    Fn("mod", wb.mod, np.mod, ("real", "nonzero"), smooth=False),
    Fn("remainder", wb.remainder, np.remainder, ("real", "nonzero"), smooth=False),
    Fn("fmod", wb.fmod, np.fmod, ("real", "nonzero"), smooth=False),
    Fn("math.floormod", wb.math.floormod, np.mod, ("real", "nonzero"), smooth=False),
    Fn("fmax", wb.fmax, np.fmax, ("real", "real"), smooth=False),
    Fn("fmin", wb.fmin, np.fmin, ("real", "real"), smooth=False),
    Fn("sinc", wb.sinc, np.sinc, ("real",)),
    Fn("deg2rad", wb.deg2rad, np.deg2rad, ("real",)),
    Fn("rad2deg", wb.rad2deg, np.rad2deg, ("real",)),
    Fn("nan_to_num", wb.nan_to_num, np.nan_to_num, ("real",)),
    Fn("erf", wb.erf, _erf, ("real",)),
    Fn("cbrt", wb.cbrt, np.cbrt, ("nonzero",)),
    Fn("true_divide", wb.true_divide, np.true_divide, ("real", "nonzero")),
    Fn("float_power", wb.float_power, np.float_power, ("pos", "real")),
    Fn("negative", wb.negative, np.negative, ("real",)),
    Fn("positive", wb.positive, np.positive, ("real",)),
    Fn("identity", wb.identity, lambda x: x, ("real",)),
    Fn("trunc", wb.trunc, np.trunc, ("real",), grad=False),
    Fn("fix", wb.fix, np.fix, ("real",), grad=False),
    Fn("rint", wb.rint, np.rint, ("real",), grad=False),
    Fn("heaviside", lambda x: wb.heaviside(x, 0.5), lambda x: np.heaviside(x, 0.5), ("real",),
       grad=False),
    Fn("math.squared_difference", wb.math.squared_difference, lambda x, y: (x - y) ** 2,
       ("real", "real")),
    Fn("math.rsqrt", wb.math.rsqrt, lambda x: 1.0 / np.sqrt(x), ("pos",)),
    Fn("math.xlogy", wb.math.xlogy, lambda x, y: x * np.log(y), ("real", "pos")),
    Fn("math.divide_no_nan", wb.math.divide_no_nan, np.divide, ("real", "nonzero")),
    Fn("math.floordiv", wb.math.floordiv, lambda x, y: np.floor(x / y), ("real", "nonzero"),
       grad=False),
    Fn("math.log_sigmoid", wb.math.log_sigmoid, lambda x: np.log(_sigmoid(x)), ("real",)),
    Fn("nn.relu6", wb.nn.relu6, lambda x: np.clip(x, 0, 6), ("real",), smooth=False),
    Fn("nn.elu", wb.nn.elu, lambda x: np.where(x > 0, x, np.expm1(x)), ("real",), smooth=False),
    Fn("nn.selu", wb.nn.selu,
       lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
       ("real",), smooth=False),
    Fn("nn.gelu", wb.nn.gelu, _gelu_exact, ("real",)),
    Fn("nn.gelu-tanh", lambda x: wb.nn.gelu(x, approximate=True),
       lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))), ("real",)),
    Fn("nn.leaky_relu", wb.nn.leaky_relu, lambda x: np.where(x > 0, x, 0.2 * x), ("real",),
       smooth=False),
    Fn("nn.silu", wb.nn.silu, lambda x: x * _sigmoid(x), ("real",)),
    Fn("nn.swish", wb.nn.swish, lambda x: x * _sigmoid(x), ("real",)),
    Fn("nn.log_sigmoid", wb.nn.log_sigmoid, lambda x: np.log(_sigmoid(x)), ("real",)),
    Fn("nn.softsign", wb.nn.softsign, lambda x: x / (1 + np.abs(x)), ("real",), smooth=False),
]
SHAPES = {1: [((5,),), ((2, 3),)], 2: [((4,), (4,)), ((2, 3), (3,)), ((2, 1), (1, 3))]}
CASES = [pytest.param(f, shapes, id=f"{f.name}-{k}")
         for f in FNS for k, shapes in enumerate(SHAPES[len(f.domains)])]


def _inputs(f: Fn, shapes) -> list[np.ndarray]:
    return [_sample_for(d, s) for d, s in zip(f.domains, shapes, strict=True)]


def _grads(f: Fn, xs: list[np.ndarray], w: np.ndarray) -> list[np.ndarray]:
    ts = [wb.constant(x) for x in xs]
    with wb.GradientTape() as tape:
        tape.watch(ts)
        loss = wb.sum(f.fn(*ts) * w)
    return [g.numpy() for g in tape.gradient(loss, ts, unconnected_gradients="zero")]


def _central(fun: Callable[[list[np.ndarray]], float], xs: list[np.ndarray]) -> list[np.ndarray]:
    out = []
    for i, x in enumerate(xs):
        g = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            plus, minus = [a.copy() for a in xs], [a.copy() for a in xs]
            plus[i][idx] += EPS
            minus[i][idx] -= EPS
            g[idx] = (fun(plus) - fun(minus)) / (2 * EPS)
        out.append(g)
    return out


@pytest.mark.parametrize("f, shapes", CASES)
def test_value_matches_reference_with_broadcasting(f, shapes):
    xs = _inputs(f, shapes)
    got = f.fn(*[wb.constant(x) for x in xs])
    want = np.asarray(f.ref(*xs))
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("f, shapes", [c for c in CASES if c.values[0].grad])
def test_gradient_matches_central_differences(f, shapes):
    xs = _inputs(f, shapes)
    w = RNG.normal(size=np.broadcast_shapes(*shapes))
    got = _grads(f, xs, w)
    want = _central(lambda p: float(np.sum(f.ref(*p) * w)), xs)
    for g, e, x in zip(got, want, xs, strict=True):
        assert g.shape == x.shape
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("f, shapes", [c for c in CASES if c.values[0].grad and c.values[0].smooth])
def test_second_order_through_nested_tapes(f, shapes):
    """d/dx <v, grad f(x)> from an outer tape against central differences of the inner gradient."""
    xs = _inputs(f, shapes)
    w = RNG.normal(size=np.broadcast_shapes(*shapes))
    vs = [RNG.normal(size=x.shape) for x in xs]
    ts = [wb.constant(x) for x in xs]
    with wb.GradientTape() as outer:
        outer.watch(ts)
        with wb.GradientTape() as inner:
            inner.watch(ts)
            loss = wb.sum(f.fn(*ts) * w)
        grads = inner.gradient(loss, ts)
        s = sum((wb.sum(g * v) for g, v in zip(grads, vs, strict=True)), start=wb.constant(0.0))
    got = [g.numpy() for g in outer.gradient(s, ts, unconnected_gradients="zero")]

    def projected(points):
        return sum(float(np.sum(g * v)) for g, v in zip(_grads(f, points, w), vs, strict=True))

    for g, e in zip(got, _central(projected, xs), strict=True):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("f", [f for f in FNS if len(f.domains) == 1], ids=lambda f: f.name)
def test_float32_stays_float32(f):
    x = wb.constant(_sample_for(f.domains[0], (3,)).astype(np.float32))
    assert f.fn(x).dtype == np.float32


# --- the % operator and remainders --------------------------------------------------------
def test_mod_operator_and_its_gradients():
    x, y = wb.constant([5.5, -5.5, 7.0]), wb.constant([3.0, 3.0, -2.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch([x, y])
        z = x % y
        r = 10.0 % x
    np.testing.assert_allclose(z.numpy(), np.mod(x.numpy(), y.numpy()))
    np.testing.assert_allclose(r.numpy(), np.mod(10.0, x.numpy()))
    dx, dy = tape.gradient(z, [x, y])
    np.testing.assert_allclose(dx.numpy(), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(dy.numpy(), -np.floor(x.numpy() / y.numpy()))
    np.testing.assert_allclose(tape.gradient(r, x).numpy(), -np.floor(10.0 / x.numpy()))
    np.testing.assert_allclose((x % 2).numpy(), np.mod(x.numpy(), 2))


def test_fmod_keeps_the_sign_of_x_and_uses_trunc_in_its_gradient():
    x, y = wb.constant([5.5, -5.5]), wb.constant([-3.0, 3.0])
    with wb.GradientTape() as tape:
        tape.watch(y)
        z = wb.fmod(x, y)
    np.testing.assert_allclose(z.numpy(), [2.5, -2.5])
    np.testing.assert_allclose(tape.gradient(z, y).numpy(), -np.trunc(x.numpy() / y.numpy()))


def test_integer_mod_stays_integer():
    z = wb.constant(np.array([7, -7])) % 3
    assert z.dtype.kind == "i"
    np.testing.assert_array_equal(z.numpy(), [1, 2])


# --- power at 0 -----------------------------------------------------------------------------
@pytest.mark.parametrize("exponent", [0, 0.0, "tensor"])
def test_x_to_the_zero_has_gradient_zero_at_zero(exponent):
    x = wb.constant([0.0, 2.0])
    y = wb.constant(0.0) if exponent == "tensor" else exponent
    with wb.GradientTape() as outer:
        outer.watch(x)
        with wb.GradientTape() as inner:
            inner.watch(x)
            z = wb.sum(x ** y)
        g = inner.gradient(z, x)
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(outer.gradient(g, x, unconnected_gradients="zero").numpy(),
                                  [0.0, 0.0])


def test_power_derivatives_at_zero_stay_finite_to_third_order():
    x = wb.constant(0.0)
    with wb.GradientTape() as t3:
        t3.watch(x)
        with wb.GradientTape() as t2:
            t2.watch(x)
            with wb.GradientTape() as t1:
                t1.watch(x)
                y = x ** 2 + x ** wb.constant(2.0)
            g1 = t1.gradient(y, x)
        g2 = t2.gradient(g1, x)
    g3 = t3.gradient(g2, x)
    assert float(g1) == pytest.approx(0.0) and float(g2) == pytest.approx(4.0)
    assert float(g3) == pytest.approx(0.0)


def test_power_exponent_tensor_gradient_still_matches_formula():
    x, y = wb.constant([0.5, 2.0, 3.0]), wb.constant([0.0, 1.5, -1.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        z = wb.sum(x ** y)
    want = np.where(y.numpy() == 0, 0.0, y.numpy() * x.numpy() ** (y.numpy() - 1))
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), want)


# --- special values -----------------------------------------------------------------------------
def test_logaddexp_is_stable_and_exact_at_infinities():
    inf = np.inf
    x = np.array([1000.0, -1000.0, -inf, -inf, inf, 3.0, 800.0])
    y = np.array([1000.0, 1000.0, 5.0, -inf, inf, 3.0, -800.0])
    with np.errstate(invalid="ignore"):
        np.testing.assert_allclose(wb.logaddexp(x, y).numpy(), np.logaddexp(x, y))
        np.testing.assert_allclose(wb.logaddexp2(x, y).numpy(), np.logaddexp2(x, y))
    a, b = wb.constant([1000.0, 3.0]), wb.constant([1000.0, 3.0])
    with wb.GradientTape() as tape:
        tape.watch([a, b])
        z = wb.sum(wb.logaddexp(a, b))
    for g in tape.gradient(z, [a, b]):  # a tie shares the gradient
        np.testing.assert_allclose(g.numpy(), [0.5, 0.5])


def test_fmax_fmin_ignore_nan():
    nan = np.nan
    x = np.array([1.0, nan, nan, 2.0])
    y = np.array([nan, 3.0, nan, 5.0])
    np.testing.assert_array_equal(wb.fmax(x, y).numpy(), np.fmax(x, y))
    np.testing.assert_array_equal(wb.fmin(x, y).numpy(), np.fmin(x, y))


def test_sinc_near_and_at_zero():
    x = np.array([0.0, 1e-9, -3e-5, 0.0318, 0.0319, 0.5])
    np.testing.assert_allclose(wb.sinc(x).numpy(), np.sinc(x), rtol=1e-15)
    t = wb.constant([0.0])
    with wb.GradientTape() as outer:
        outer.watch(t)
        with wb.GradientTape() as inner:
            inner.watch(t)
            y = wb.sum(wb.sinc(t))
        g = inner.gradient(y, t)
    assert float(g[0]) == 0.0
    # sinc''(0) = -pi**2 / 3
    assert float(outer.gradient(g, t)[0]) == pytest.approx(-math.pi**2 / 3, rel=1e-12)


def test_nan_to_num_matches_numpy_and_passes_gradient_only_where_finite():
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    np.testing.assert_array_equal(wb.nan_to_num(x).numpy(), np.nan_to_num(x))
    np.testing.assert_array_equal(wb.nan_to_num(x, nan=1.0, posinf=9.0, neginf=-9.0).numpy(),
                                  np.nan_to_num(x, nan=1.0, posinf=9.0, neginf=-9.0))
    f32 = x.astype(np.float32)
    np.testing.assert_array_equal(wb.nan_to_num(f32).numpy(), np.nan_to_num(f32))
    t = wb.constant(x)
    with wb.GradientTape() as tape:
        tape.watch(t)
        y = wb.sum(wb.nan_to_num(t))
    np.testing.assert_array_equal(tape.gradient(y, t).numpy(), [0.0, 0.0, 0.0, 1.0])


def test_select_matches_numpy_and_differentiates_the_choices():
    x = np.linspace(-2, 2, 7)
    conds, choices = [x < -1, x < 1], [x**2, x * 10]
    np.testing.assert_allclose(wb.select(conds, choices, default=x).numpy(),
                               np.select(conds, choices, default=x))
    t = wb.constant(x)
    with wb.GradientTape() as tape:
        tape.watch(t)
        y = wb.sum(wb.select([t < -1, t < 1], [t**2, t * 10], default=-t))
    want = np.select([x < -1, x < 1], [2 * x, np.full_like(x, 10.0)], default=-1.0)
    np.testing.assert_allclose(tape.gradient(y, t).numpy(), want)
    with pytest.raises(ValueError, match="condlist"):
        wb.select([t < 0], [t, t])


def test_heaviside_has_no_gradient_wrt_x():
    x = wb.constant([-1.0, 0.0, 2.0, np.nan])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.heaviside(x, 0.5)
    np.testing.assert_array_equal(y.numpy(), np.heaviside(x.numpy(), 0.5))
    assert tape.gradient(y, x) is None


@pytest.mark.parametrize("name", ["trunc", "rint", "fix"])
def test_rounding_has_no_gradient(name):
    x = wb.constant([-1.5, 0.4, 2.5])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = getattr(wb, name)(x)
    assert tape.gradient(y, x) is None


def test_tests_and_logic_give_boolean_tensors_without_gradients():
    x = wb.constant([1.0, np.nan, np.inf, -np.inf, 0.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outs = {"isnan": wb.isnan(x), "isinf": wb.isinf(x), "isfinite": wb.isfinite(x),
                "is_nan": wb.math.is_nan(x)}
    want = {"isnan": np.isnan, "isinf": np.isinf, "isfinite": np.isfinite, "is_nan": np.isnan}
    for name, out in outs.items():
        assert out.dtype == np.bool_
        np.testing.assert_array_equal(out.numpy(), want[name](x.numpy()))
        assert tape.gradient(out, x) is None
    a, b = np.array([True, True, False, False]), np.array([True, False, True, False])
    for name in ["logical_and", "logical_or", "logical_xor"]:
        got = getattr(wb, name)(wb.constant(a), b)
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), getattr(np, name)(a, b))
    np.testing.assert_array_equal(wb.logical_not(a).numpy(), ~a)
    np.testing.assert_array_equal(wb.logical_and([2.0, 0.0], [1.0, 1.0]).numpy(), [True, False])


@pytest.mark.parametrize("name", ["equal", "not_equal", "less", "less_equal", "greater",
                                  "greater_equal"])
def test_comparison_functions(name):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    for a, b in [(wb.constant(x), y), (x, wb.constant(y)), (x, 2.0), (3.0, wb.constant(y))]:
        got = getattr(wb, name)(a, b)
        assert isinstance(got, wb.Tensor) and got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), getattr(np, name)(np.asarray(a), np.asarray(b)))
    np.testing.assert_array_equal(getattr(wb.math, name)(x, y).numpy(), getattr(np, name)(x, y))


def test_erf_matches_math_erf():
    x = np.linspace(-4, 4, 17)
    np.testing.assert_allclose(wb.math.erf(x).numpy(), [math.erf(v) for v in x], rtol=1e-15)


# --- dtype names and identity -------------------------------------------------------------
def test_dtype_names_are_numpy_dtypes():
    names = ["float16", "float32", "float64", "int32", "int64", "bool"]
    for name in names:
        assert getattr(wb, name) == np.dtype(name)
    assert wb.constant(1, dtype=wb.float32).dtype == np.float32
    assert wb.cast(wb.constant([1.7, -2.2]), wb.int32).dtype == np.int32
    np.testing.assert_array_equal(wb.cast(wb.constant([1.7, -2.2]), wb.int32).numpy(), [1, -2])
    assert wb.Variable([1.0], dtype=wb.float16).dtype == np.float16
    assert wb.constant([1, 0], dtype=wb.bool).dtype == np.bool_


def test_identity_stays_on_the_tape():
    x = wb.constant([1.0, 2.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = wb.identity(x)
        z = wb.sum(y * y)
    assert y is not x
    np.testing.assert_allclose(tape.gradient(z, y).numpy(), [2.0, 4.0])
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [2.0, 4.0])


# --- cross-entropies ----------------------------------------------------------------------------
def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def test_softmax_cross_entropy_value_and_gradient():
    logits = RNG.normal(size=(4, 5))
    labels = _softmax(RNG.normal(size=(4, 5)))
    z = wb.constant(logits)
    with wb.GradientTape() as tape:
        tape.watch(z)
        loss = wb.nn.softmax_cross_entropy_with_logits(labels=labels, logits=z)
        total = wb.sum(loss)
    want = -np.sum(labels * np.log(_softmax(logits)), axis=-1)
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(total, z).numpy(), _softmax(logits) - labels,
                               rtol=1e-10, atol=1e-14)


def test_softmax_cross_entropy_along_another_axis_and_wrt_labels():
    logits, labels = RNG.normal(size=(3, 2)), _softmax(RNG.normal(size=(3, 2)), axis=0)
    lab = wb.constant(labels)
    with wb.GradientTape() as tape:
        tape.watch(lab)
        loss = wb.nn.softmax_cross_entropy_with_logits(lab, logits, axis=0)
        total = wb.sum(loss)
    log_p = np.log(_softmax(logits, axis=0))
    np.testing.assert_allclose(loss.numpy(), -np.sum(labels * log_p, axis=0), rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(total, lab).numpy(), -log_p, rtol=1e-12)


def test_sparse_cross_entropy_equals_dense_with_one_hot():
    logits = RNG.normal(size=(2, 3, 4))
    labels = np.array([[0, 3, 1], [2, 2, 0]])
    z = wb.constant(logits)
    with wb.GradientTape() as tape:
        tape.watch(z)
        loss = wb.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=z)
        total = wb.sum(loss)
    one_hot = np.eye(4)[labels]
    np.testing.assert_allclose(loss.numpy(), -np.sum(one_hot * np.log(_softmax(logits)), -1),
                               rtol=1e-12)
    np.testing.assert_allclose(tape.gradient(total, z).numpy(),
                               _softmax(logits) - one_hot, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("sparse", [False, True])
def test_cross_entropies_are_finite_at_large_logits(sparse):
    logits = wb.constant([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 1000.0]])
    labels = np.array([2, 0]) if sparse else np.eye(3)[[2, 0]]
    fn = (wb.nn.sparse_softmax_cross_entropy_with_logits if sparse
          else wb.nn.softmax_cross_entropy_with_logits)
    with wb.GradientTape() as tape:
        tape.watch(logits)
        loss = fn(labels=labels, logits=logits)
        total = wb.sum(loss)
    np.testing.assert_allclose(loss.numpy(), [2000.0, math.log(3.0)], rtol=1e-12)
    grad = tape.gradient(total, logits).numpy()
    np.testing.assert_allclose(grad, [[1.0, 0.0, -1.0], [-2 / 3, 1 / 3, 1 / 3]], atol=1e-12)


def test_cross_entropy_float32_stays_float32_and_finite():
    logits = wb.constant(np.array([[80.0, -80.0]], dtype=np.float32))
    loss = wb.nn.sparse_softmax_cross_entropy_with_logits(np.array([1]), logits)
    assert loss.dtype == np.float32 and np.isfinite(loss.numpy()).all()


def test_cross_entropy_errors_name_the_problem():
    logits = wb.constant(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        wb.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 3], logits=logits)
    with pytest.raises(TypeError, match="integer"):
        wb.nn.sparse_softmax_cross_entropy_with_logits(labels=[0.0, 1.0], logits=logits)
    with pytest.raises(ValueError, match="shape"):
        wb.nn.sparse_softmax_cross_entropy_with_logits(labels=[0, 1, 2], logits=logits)
    with pytest.raises(ValueError, match="shape"):
        wb.nn.softmax_cross_entropy_with_logits(labels=np.zeros((2, 4)), logits=logits)


def test_l2_loss():
    x = RNG.normal(size=(3, 2))
    t = wb.constant(x)
    with wb.GradientTape() as tape:
        tape.watch(t)
        loss = wb.nn.l2_loss(t)
    assert float(loss) == pytest.approx(np.sum(x**2) / 2, rel=1e-14)
    np.testing.assert_allclose(tape.gradient(loss, t).numpy(), x)


# --- the compiled engine sees the composites unchanged (one kernel for many of them) ---------
def test_composites_compile_and_match_eager():
    pytest.importorskip("numba")

    def many(x, y, labels):
        with wb.GradientTape() as tape:
            tape.watch([x, y])
            parts = [
                wb.logaddexp(x, y), wb.fmax(x, y), wb.sinc(x), wb.nan_to_num(x / y),
                wb.select([x < 0, y < 0], [x * y, -y], default=x), wb.heaviside(x, 0.5) * y,
                wb.cast(wb.logical_or(wb.isnan(x), x > y), x.dtype) * y, wb.nn.gelu(x),
                wb.nn.relu6(x * 4.0), wb.math.xlogy(x, y * y), x % y, wb.trunc(x) * y,
            ]
            loss = sum(wb.sum(p) for p in parts) + wb.sum(
                wb.nn.sparse_softmax_cross_entropy_with_logits(labels, x[None, :] * y[:, None]))
        return loss, tape.gradient(loss, [x, y])

    x = np.array([-1.5, 0.0, 0.3, 2.0])
    y = np.array([0.7, -1.2, 2.0, 0.4])
    labels = np.array([1, 0, 3, 2])
    want_loss, want_g = many(wb.constant(x), wb.constant(y), wb.constant(labels))
    compiled = wb.function(many)
    got_loss, got_g = compiled(x, y, labels)
    np.testing.assert_allclose(got_loss.numpy(), want_loss.numpy(), rtol=1e-12)
    for got, want in zip(got_g, want_g, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-14)
    other = np.array([3, 2, 1, 0])  # the labels are an input of the kernel, not baked in
    want_loss2, _ = many(wb.constant(x), wb.constant(y), wb.constant(other))
    np.testing.assert_allclose(compiled(x, y, other)[0].numpy(), want_loss2.numpy(), rtol=1e-12)


def test_compiled_remainders_are_bit_identical_to_numpy():
    pytest.importorskip("numba")
    x = np.array([5.5, -5.5, -4.0, 4.0, 1e300, -7.25, 3.0, -0.1])
    y = np.array([3.0, -3.0, 2.0, -2.0, 3.3, 1.5, np.inf, 0.03])
    compiled = wb.function(lambda a, b: (a % b, wb.fmod(a, b)))
    got_mod, got_fmod = compiled(x, y)
    assert got_mod.numpy().tobytes() == np.mod(x, y).tobytes()  # signed zeros included
    assert got_fmod.numpy().tobytes() == np.fmod(x, y).tobytes()


@pytest.mark.parametrize("name", ["logaddexp", "logaddexp2", "fmax", "fmin", "hypot", "arctan2",
                                  "mod", "fmod"])
def test_python_numbers_do_not_promote_float32(name):
    x = wb.constant(np.array([0.5, 2.0], dtype=np.float32))
    fn = getattr(wb, name)
    assert fn(x, 3).dtype == np.float32 and fn(1.5, x).dtype == np.float32


def test_divide_no_nan_is_zero_with_zero_gradient_where_y_is_zero():
    x, y = wb.constant([1.0, 3.0]), wb.constant([0.0, 2.0])
    with wb.GradientTape() as tape:
        tape.watch([x, y])
        z = wb.sum(wb.math.divide_no_nan(x, y))
    np.testing.assert_allclose(z.numpy(), 1.5)
    dx, dy = tape.gradient(z, [x, y])
    np.testing.assert_allclose(dx.numpy(), [0.0, 0.5])
    np.testing.assert_allclose(dy.numpy(), [0.0, -0.75])


def _sigmoid_ce(z, x):
    return np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x)))


def test_sigmoid_cross_entropy_value_gradient_and_stability():
    labels = np.array([[0.0, 1.0, 0.3], [1.0, 0.0, 1.0]])
    logits = np.array([[0.0, -2.5, 1.7], [1000.0, -1000.0, -1000.0]])
    z, x = wb.constant(labels), wb.constant(logits)
    with wb.GradientTape() as tape:
        tape.watch([z, x])
        loss = wb.nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x)
        total = wb.sum(loss)
    np.testing.assert_allclose(loss.numpy(), _sigmoid_ce(labels, logits), rtol=1e-12)
    assert float(loss[1, 2]) == pytest.approx(1000.0)
    dz, dx = tape.gradient(total, [z, x])
    with np.errstate(over="ignore"):  # the oracle's exp(1000)
        want = _sigmoid(logits) - labels
    np.testing.assert_allclose(dx.numpy(), want, atol=1e-12)  # sigmoid(0) - z at 0 too
    np.testing.assert_allclose(dz.numpy(), -logits)
    with pytest.raises(ValueError, match="same shape"):
        wb.nn.sigmoid_cross_entropy_with_logits(labels=labels[0], logits=logits)


def test_l2_normalize_value_and_gradient():
    x = RNG.normal(size=(3, 4))
    for axis in (None, 1, 0):
        want = x / np.sqrt(np.sum(x**2, axis=axis, keepdims=True))
        np.testing.assert_allclose(wb.nn.l2_normalize(x, axis=axis).numpy(), want, rtol=1e-12)
    np.testing.assert_array_equal(wb.math.l2_normalize(np.zeros(3)).numpy(), np.zeros(3))
    w = RNG.normal(size=x.shape)
    f = Fn("l2_normalize", lambda t: wb.nn.l2_normalize(t, axis=1),
           lambda a: a / np.sqrt(np.sum(a**2, axis=1, keepdims=True)), ("real",))
    np.testing.assert_allclose(_grads(f, [x], w)[0],
                               _central(lambda p: float(np.sum(f.ref(*p) * w)), [x])[0],
                               rtol=1e-6, atol=1e-8)


def test_tf_math_aliases_are_the_same_functions():
    assert wb.math.softmax is wb.nn.softmax and wb.math.log_softmax is wb.nn.log_softmax
    assert wb.math.atan2 is wb.arctan2 and wb.math.floormod is wb.mod
    assert wb.math.truncatemod is wb.fmod and wb.math.reduce_sum is wb.reduce_sum


# --- properties over the whole float range ---------------------------------------------------
FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
FINITE = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False)
NONZERO = FINITE.filter(lambda v: abs(v) > 1e-300)


@settings(max_examples=200, deadline=None)
@given(FLOATS, FLOATS)
def test_property_logaddexp_fmax_fmin_match_numpy_everywhere(a, b):
    with np.errstate(all="ignore"):
        for name in ["logaddexp", "logaddexp2", "fmax", "fmin"]:
            got = float(getattr(wb, name)(a, b))
            want = float(getattr(np, name)(a, b))
            if not np.isfinite(want):
                assert got == want or (np.isnan(got) and np.isnan(want)), name
                continue
            # a result near 0 from inputs near 1 cancels: both err by rounding of the inputs' size
            scale = 1e-15 * (abs(a) + abs(b)) if np.isfinite(a) and np.isfinite(b) else 0.0
            assert got == pytest.approx(want, rel=1e-13, abs=scale + 1e-300), name


@settings(max_examples=200, deadline=None)
@given(FINITE, NONZERO)
def test_property_remainders_match_numpy(a, b):
    with np.errstate(all="ignore"):
        assert float(wb.constant(a) % b) == float(np.mod(a, b))
        assert float(wb.fmod(a, b)) == float(np.fmod(a, b))


@settings(max_examples=200, deadline=None)
@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_property_sinc_matches_numpy(a):
    assert float(wb.sinc(a)) == pytest.approx(float(np.sinc(a)), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", ["sinc", "logaddexp", "xlogy", "sparse_ce", "power_tensor"])
def test_vectorized_jacobian_matches_central_differences(name):
    labels = np.array([2, 0, 1])
    fns = {
        "sinc": lambda t: wb.sinc(t),
        "logaddexp": lambda t: wb.logaddexp(t, t[::-1] * 2.0),
        "xlogy": lambda t: wb.math.xlogy(t, t * t + 1.0),
        "sparse_ce": lambda t: wb.nn.sparse_softmax_cross_entropy_with_logits(
            labels, wb.reshape(t, (3, 1)) * np.array([1.0, -2.0, 0.5])),
        "power_tensor": lambda t: (t * t + 0.5) ** (t - 0.5),
    }
    fn = fns[name]
    x = np.array([0.03, -0.7, 1.3])
    t = wb.constant(x)
    with wb.GradientTape() as tape:
        tape.watch(t)
        y = fn(t)
    jac = tape.jacobian(y, t).numpy()
    cols = [(fn(wb.constant(x + EPS * e)).numpy() - fn(wb.constant(x - EPS * e)).numpy())
            / (2 * EPS) for e in np.eye(3)]
    np.testing.assert_allclose(jac, np.stack(cols, axis=-1), rtol=1e-6, atol=1e-8)

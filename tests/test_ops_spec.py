"""The op-spec table: one entry per registered primitive, checked against finite differences.

Every differentiable primitive's VJP is compared with central differences along random
directions (autograd's ``check_vjp``: <u, VJP(v)> against <v, JVP_fd(u)>) for several shapes,
broadcasting included; second order goes through nested tapes; the jacobian's vectorized reverse
pass is compared with a loop of single reverse passes. A primitive without a spec fails
``test_every_registered_primitive_has_a_spec``.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import workbench as wb
from workbench import autodiff
from workbench.primitive import REQUIRED_RULES, validate_registry

EPS = 1e-6  # central-difference step in float64


@dataclass(frozen=True)
class Case:
    """One way to call a primitive: input shapes, static params, input domains."""

    shapes: tuple[tuple[int, ...], ...]
    params: dict[str, Any] = field(default_factory=dict)
    #: One domain per input (or one for all): see ``DOMAINS``; "bool" inputs are not perturbed.
    domains: tuple[str, ...] | str = "real"
    #: False where the vectorized jacobian is documented to fall back to a loop.
    batchable: bool = True

    def domain(self, i: int) -> str:
        return self.domains if isinstance(self.domains, str) else self.domains[i]


@dataclass(frozen=True)
class OpSpec:
    """A primitive's test entry: its cases, whether it is differentiable, tolerances."""

    name: str
    cases: tuple[Case, ...]
    differentiable: bool = True
    rtol: float = 1e-6
    #: Expected float32 output dtype (None: the output keeps the input's float dtype).
    out_dtype: Any = None

    @property
    def prim(self) -> wb.Primitive:
        return wb.REGISTRY[self.name]


def _matrix(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Well-conditioned square matrices (stacked): noise plus twice the identity."""
    return rng.normal(scale=0.4, size=shape) + 2.0 * np.eye(shape[-1])


def _distinct(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Values at least 0.1 apart, so max/argmax have no ties within a finite-difference step."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * 0.1 - 0.05 * n + rng.uniform(0, 0.01, n)).reshape(shape)


def _spd(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Symmetric positive-definite matrices (stacked) with well-separated eigenvalues."""
    b = rng.normal(scale=0.3, size=shape)
    return b @ np.swapaxes(b, -1, -2) + np.diag(np.arange(1.0, shape[-1] + 1.0))


DOMAINS: dict[str, Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]] = {
    "real": lambda rng, s: rng.uniform(-2.0, 2.0, s),
    "positive": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "unit": lambda rng, s: rng.uniform(-0.8, 0.8, s),
    "small": lambda rng, s: rng.uniform(-1.2, 1.2, s),
    "nonzero": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.2, 2.0, s),
    "low": lambda rng, s: rng.uniform(-2.0, -0.5, s),
    "key": _distinct,  # a sort key: it chooses a permutation and gets no gradient
    "high": lambda rng, s: rng.uniform(0.5, 2.0, s),
    "distinct": _distinct,
    "matrix": _matrix,
    "spd": _spd,
    "bool": lambda rng, s: rng.uniform(size=s) < 0.5,
    "above_one": lambda rng, s: rng.uniform(1.2, 3.0, s),
    "order": lambda rng, s: rng.uniform(1.5, 3.0, s),  # a parameter taken as constant (zeta's x)
    "probability": lambda rng, s: rng.uniform(0.05, 0.95, s),
}

UNARY_SHAPES = ((), (3,), (2, 3))
BINARY_SHAPES = (((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 2)), ((2, 3), ()))


def unary(*domains: str, shapes=UNARY_SHAPES) -> tuple[Case, ...]:
    dom = domains[0] if domains else "real"
    return tuple(Case((s,), domains=dom) for s in shapes)


def binary(domains: tuple[str, str] | str = "real") -> tuple[Case, ...]:
    return tuple(Case(s, domains=domains) for s in BINARY_SHAPES)


_CONV = {"strides": (1, 1), "pads": ((0, 0), (0, 0)), "dilations": (1, 1)}
_POOL = {"ksize": (3, 2), "strides": (2, 2), "pads": ((1, 1), (0, 0))}

SPECS: dict[str, OpSpec] = {s.name: s for s in [
    # --- elementwise ------------------------------------------------------------------------
    OpSpec("neg", unary()),
    OpSpec("add", binary()),
    OpSpec("sub", binary()),
    OpSpec("mul", binary()),
    OpSpec("div", binary(("real", "nonzero"))),
    OpSpec("power", binary(("positive", "real")) + (
        Case(((3,), (3,)), domains=("positive", "small")),)),
    OpSpec("exp", unary()),
    OpSpec("log", unary("positive")),
    OpSpec("log1p", unary("high")),
    OpSpec("expm1", unary()),
    OpSpec("sin", unary()),
    OpSpec("cos", unary()),
    OpSpec("tan", unary("small")),
    OpSpec("arcsin", unary("unit")),
    OpSpec("arccos", unary("unit")),
    OpSpec("arctan", unary()),
    OpSpec("sinh", unary()),
    OpSpec("cosh", unary()),
    OpSpec("tanh", unary()),
    OpSpec("sqrt", unary("positive")),
    OpSpec("abs", unary("nonzero")),
    OpSpec("sign", unary("nonzero"), differentiable=False),
    OpSpec("round", unary(), differentiable=False),
    OpSpec("floor", unary(), differentiable=False),
    OpSpec("ceil", unary(), differentiable=False),
    OpSpec("maximum", binary(("low", "high")) + binary(("high", "low"))),
    OpSpec("minimum", binary(("low", "high")) + binary(("high", "low"))),
    OpSpec("where", (
        Case(((3,), (3,), (3,)), domains=("bool", "real", "real")),
        Case(((2, 3), (3,), ()), domains=("bool", "real", "real")),
        Case(((2, 1), (2, 3), (1, 3)), domains=("bool", "real", "real")),
    )),
    OpSpec("cast", (Case(((3,),), {"dtype": np.dtype("float64")}),
                    Case(((2, 3),), {"dtype": np.dtype("float64")})),
           out_dtype=np.float64),
    OpSpec("stop_gradient", unary(), differentiable=False),
    # --- nn -----------------------------------------------------------------------------------
    OpSpec("sigmoid", unary() + (Case(((4,),), domains="real"),)),
    OpSpec("softplus", unary()),
    OpSpec("relu", unary("nonzero")),
    # --- reductions ---------------------------------------------------------------------------
    OpSpec("sum", (
        Case(((2, 3),), {"axis": None, "keepdims": False}),
        Case(((2, 3),), {"axis": (0,), "keepdims": False}),
        Case(((2, 3, 4),), {"axis": (0, 2), "keepdims": True}),
        Case(((3,),), {"axis": (0,), "keepdims": False}),
        Case(((),), {"axis": None, "keepdims": False}),
    )),
    OpSpec("max", (
        Case(((2, 3),), {"axis": None, "keepdims": False}, domains="distinct"),
        Case(((2, 3),), {"axis": (1,), "keepdims": False}, domains="distinct"),
        Case(((2, 3, 4),), {"axis": (0, 2), "keepdims": True}, domains="distinct"),
    )),
    OpSpec("argmax", (Case(((2, 3),), {"axis": 1}, domains="distinct"),
                      Case(((4,),), {"axis": None}, domains="distinct")),
           differentiable=False, out_dtype=np.intp),
    OpSpec("argmin", (Case(((2, 3),), {"axis": 0}, domains="distinct"),
                      Case(((4,),), {"axis": None}, domains="distinct")),
           differentiable=False, out_dtype=np.intp),
    # --- shape --------------------------------------------------------------------------------
    OpSpec("reshape", (Case(((2, 3),), {"shape": (3, 2)}), Case(((6,),), {"shape": (1, 2, 3)}),
                       Case(((),), {"shape": (1, 1)}))),
    OpSpec("transpose", (Case(((2, 3),), {"axes": (1, 0)}),
                         Case(((2, 3, 4),), {"axes": (2, 0, 1)}))),
    OpSpec("broadcast_to", (Case(((3,),), {"shape": (2, 3)}),
                            Case(((2, 1),), {"shape": (2, 4)}),
                            Case(((),), {"shape": (2, 2)}))),
    OpSpec("getitem", (
        Case(((4,),), {"index": (slice(1, 3),)}),
        Case(((3, 4),), {"index": (1,)}),
        Case(((3, 4),), {"index": (Ellipsis, slice(None, None, -2))}),
        Case(((3, 4),), {"index": (slice(None), None, 2)}),
        Case(((5,),), {"index": (np.array([0, 2, 0, 4]),)}),  # repeated index accumulates
        Case(((3, 4),), {"index": (np.array([2, 0]), slice(1, 3))}),
        Case(((3, 4),), {"index": (np.array([True, False, True]),)}),
        # separated integer arrays: documented to need the jacobian's loop fallback
        Case(((2, 3, 4),), {"index": (np.array([0, 1]), slice(None), np.array([3, 1]))},
             batchable=False),
    )),
    OpSpec("scatter_add", (
        Case(((2,),), {"index": (slice(1, 3),), "shape": (4,)}),
        Case(((3,),), {"index": (np.array([0, 2, 0]),), "shape": (4,)}),
        Case(((2, 2),), {"index": (slice(None), np.array([1, 1])), "shape": (2, 3)}),
    )),
    OpSpec("concat", (
        Case(((2,), (3,)), {"axis": 0}),
        Case(((2, 3), (2, 1), (2, 2)), {"axis": 1}),
        Case(((1, 3), (2, 3)), {"axis": 0}),
    )),
    # --- linear algebra -----------------------------------------------------------------------
    OpSpec("matmul", (
        Case(((2, 3), (3, 4))),
        Case(((3,), (3, 4))),
        Case(((2, 3), (3,))),
        Case(((3,), (3,))),
        Case(((2, 2, 3), (3, 4))),
        Case(((2, 2, 3), (2, 3, 4))),
        Case(((3,), (2, 3, 4))),
    )),
    OpSpec("inv", (Case(((3, 3),), domains="matrix"), Case(((2, 3, 3),), domains="matrix"))),
    OpSpec("det", (Case(((3, 3),), domains="matrix"), Case(((2, 2, 2),), domains="matrix"))),
    OpSpec("solve", (
        Case(((3, 3), (3,)), domains=("matrix", "real")),
        Case(((3, 3), (3, 2)), domains=("matrix", "real")),
        Case(((2, 3, 3), (2, 3, 2)), domains=("matrix", "real")),
    )),
    # --- sorting (shapes family) ----------------------------------------------------------------
    OpSpec("sort_by", (Case(((5,), (5,)), {"axis": -1}, domains=("real", "key")),
                       Case(((3, 4), (3, 4)), {"axis": -2}, domains=("real", "key")))),
    OpSpec("unsort_by", (Case(((5,), (5,)), {"axis": -1}, domains=("real", "key")),
                         Case(((3, 4), (3, 4)), {"axis": -1}, domains=("real", "key")))),
    OpSpec("argsort", (Case(((2, 3),), {"axis": 1}, domains="distinct"),
                       Case(((4,),), {"axis": 0}, domains="distinct")),
           differentiable=False, out_dtype=np.intp),
    # --- reductions and products (prod, cumsum, einsum) ---------------------------------------
    OpSpec("prod", (
        Case(((2, 3),), {"axis": None, "keepdims": False}),
        Case(((2, 3),), {"axis": (1,), "keepdims": True}),
        Case(((2, 3, 4),), {"axis": (0, 2), "keepdims": False}),
        Case(((),), {"axis": None, "keepdims": False}),
    )),
    OpSpec("cumsum", (Case(((4,),), {"axis": 0, "reverse": False}),
                      Case(((2, 3),), {"axis": 1, "reverse": True}),
                      Case(((2, 3, 2),), {"axis": 0, "reverse": False}))),
    OpSpec("einsum", (
        Case(((2, 3), (3, 4)), {"subscripts": "ij,jk->ik"}),
        Case(((3, 3),), {"subscripts": "ii->"}),
        Case(((3, 3),), {"subscripts": "ii->i"}),
        Case(((2, 3, 4),), {"subscripts": "abc->ca"}),
        Case(((2, 2, 3), (2, 3, 2), (2,)), {"subscripts": "bij,bjk,b->bki"}),
        Case(((3,), (3,)), {"subscripts": "i,i->"}),
        Case(((2, 2, 2),), {"subscripts": "iij->j"}),
    )),
    # --- elementwise coverage (remainders, logarithms, inverse hyperbolics, erf, ...) -------
    OpSpec("mod", binary(("real", "nonzero"))),
    OpSpec("fmod", binary(("real", "nonzero"))),
    OpSpec("log2", unary("positive")),
    OpSpec("log10", unary("positive")),
    OpSpec("arcsinh", unary()),
    OpSpec("arccosh", unary("above_one")),
    OpSpec("arctanh", unary("unit")),
    OpSpec("arctan2", binary(("nonzero", "real"))),
    OpSpec("hypot", binary("nonzero")),
    OpSpec("erf", unary()),
    OpSpec("cbrt", unary("nonzero")),
    OpSpec("identity", unary()),
    # --- decompositions (workbench/ops/decompositions.py) -------------------------------------
    OpSpec("cholesky", (Case(((3, 3),), domains="spd"), Case(((2, 2, 2),), domains="spd"))),
    OpSpec("eigh", (Case(((3, 3),), domains="spd"), Case(((2, 2, 2),), domains="spd"))),
    OpSpec("eigvalsh", (Case(((3, 3),), domains="spd"), Case(((2, 2, 2),), domains="spd"))),
    OpSpec("svd", (Case(((3, 3),), domains="matrix"), Case(((3, 2),)), Case(((2, 3),)),
                   Case(((2, 3, 2),)))),
    OpSpec("svdvals", (Case(((3, 3),), domains="matrix"), Case(((3, 2),)), Case(((2, 2, 3),)))),
    OpSpec("slogdet", (Case(((3, 3),), domains="matrix"), Case(((2, 2, 2),), domains="matrix"))),
    OpSpec("pinv", (Case(((3, 2),)), Case(((2, 3),)), Case(((2, 3, 3),), domains="matrix"))),
    OpSpec("qr", (Case(((3, 3),), domains="matrix"), Case(((4, 2),)), Case(((2, 4),)),
                  Case(((2, 3, 2),)))),
    # --- convolution, pooling, dropout (ops/conv.py) ----------------------------------------
    OpSpec("conv2d", (
        Case(((2, 4, 5, 2), (2, 3, 2, 3)), dict(_CONV, strides=(1, 2)), batchable=False),
        Case(((1, 5, 5, 1), (2, 2, 1, 2)), dict(_CONV, pads=((1, 0), (0, 1)), dilations=(2, 1)),
             batchable=False),
    )),
    OpSpec("conv2d_backprop_input", (
        Case(((2, 4, 2, 3), (2, 3, 2, 3)), dict(_CONV, strides=(1, 2), input_shape=(2, 5, 5, 2)),
             batchable=False),
    )),
    OpSpec("conv2d_backprop_filter", (
        Case(((2, 4, 5, 2), (2, 2, 3, 3)), dict(_CONV, strides=(2, 2), pads=((0, 1), (1, 1)),
                                                filter_shape=(2, 2, 2, 3)), batchable=False),
    )),
    OpSpec("avg_pool2d", (Case(((2, 5, 4, 2),), _POOL, batchable=False),)),
    OpSpec("avg_pool2d_grad", (Case(((2, 3, 2, 2),), dict(_POOL, input_shape=(2, 5, 4, 2)),
                                    batchable=False),)),
    OpSpec("max_pool2d", (Case(((2, 5, 4, 2),), _POOL, domains="distinct", batchable=False),)),
    OpSpec("max_pool2d_grad", (Case(((2, 5, 4, 2), (2, 3, 2, 2)), _POOL,
                                    domains=("distinct", "real"), batchable=False),)),
    OpSpec("max_pool2d_gather", (Case(((2, 5, 4, 2), (2, 5, 4, 2)), _POOL,
                                      domains=("distinct", "real"), batchable=False),)),
    OpSpec("dropout_mask", (Case(((3, 4),), {"rate": 0.5, "seed": 3}),), differentiable=False),
    # special functions, segments, scatter (workbench/ops/special.py); "order" is not perturbed
    OpSpec("erfc", unary()),
    OpSpec("lgamma", unary("positive")),
    OpSpec("digamma", unary("positive")),
    OpSpec("polygamma", tuple(Case((s,), {"n": n}, domains="positive")
                              for s, n in (((), 0), ((3,), 1), ((2, 3), 2)))),
    OpSpec("zeta", (Case(((3,), (3,)), domains=("order", "positive")),
                    Case(((2, 3), (3,)), domains=("order", "positive")))),
    OpSpec("bessel_i0", unary()),
    OpSpec("bessel_i0e", unary("nonzero")),
    OpSpec("bessel_i1", unary()),
    OpSpec("bessel_i1e", unary("nonzero")),
    OpSpec("erfinv", unary("unit")),
    OpSpec("ndtri", unary("probability")),
    OpSpec("igamma", (Case(((3,), (3,)), domains=("order", "positive")),
                      Case(((), (2, 3)), domains=("order", "positive")))),
    OpSpec("igammac", (Case(((3,), (3,)), domains=("order", "positive")),)),
    # control flow, linalg, nn names
    OpSpec("expm", (Case(((3, 3),), domains="small"), Case(((2, 2, 2),), domains="real"))),
]}


# --- helpers ------------------------------------------------------------------------------
def _rng(*key: Any) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def sample_inputs(spec: OpSpec, case: Case, rng: np.random.Generator,
                  dtype: Any = np.float64) -> list[np.ndarray]:
    out = []
    for i, shape in enumerate(case.shapes):
        value = DOMAINS[case.domain(i)](rng, shape)
        out.append(value if value.dtype == bool else np.asarray(value, dtype=dtype))
    return out


def diff_args(case: Case) -> list[int]:
    """Indices of the inputs that are differentiated (all but boolean conditions, sort keys and
    orders)."""
    return [i for i in range(len(case.shapes)) if case.domain(i) not in ("bool", "key", "order")]


def apply(spec: OpSpec, case: Case, tensors: list) -> wb.Tensor:
    return spec.prim(*tensors, **case.params)


def forward(spec: OpSpec, case: Case, xs: list[np.ndarray]) -> np.ndarray:
    return np.asarray(apply(spec, case, [wb.constant(x) for x in xs])._value)


def tape_vjp(spec: OpSpec, case: Case, xs: list[np.ndarray], v: np.ndarray,
             outer: wb.GradientTape | None = None) -> tuple[list, list]:
    """Tensors for ``xs`` and the tape's VJP of the primitive with cotangent ``v`` (zeros if
    unconnected). With ``outer`` the inputs are also watched by it (for second order)."""
    ts = [wb.constant(x) for x in xs]
    idx = diff_args(case)
    if outer is not None:
        outer.watch([ts[i] for i in idx])
    with wb.GradientTape() as tape:
        tape.watch([ts[i] for i in idx])
        y = apply(spec, case, ts)
    grads = tape.gradient(y, [ts[i] for i in idx], output_gradients=wb.constant(v),
                          unconnected_gradients="zero")
    return [ts[i] for i in idx], grads


def perturbed(xs: list[np.ndarray], idx: list[int], us: list[np.ndarray], h: float) -> list:
    out = list(xs)
    for i, u in zip(idx, us, strict=True):
        out[i] = xs[i] + h * u
    return out


def assert_close(a: float, b: float, rtol: float, scale: float) -> None:
    assert abs(a - b) <= rtol * max(scale, 1.0), f"{a!r} vs {b!r} (rtol {rtol}, scale {scale})"


def all_cases(pred: Callable[[OpSpec], bool] = lambda s: True):
    return [pytest.param(spec, case, id=f"{spec.name}-{i}")
            for spec in SPECS.values() if pred(spec)
            for i, case in enumerate(spec.cases)]


DIFFERENTIABLE = all_cases(lambda s: s.differentiable)


# --- the tests ------------------------------------------------------------------------------
def test_every_registered_primitive_has_a_spec():
    missing = sorted(set(wb.REGISTRY) - set(SPECS))
    assert not missing, f"primitives with no entry in the OpSpec table: {missing}"
    unknown = sorted(set(SPECS) - set(wb.REGISTRY))
    assert not unknown, f"specs for primitives that are not registered: {unknown}"


def test_registry_declares_every_required_rule():
    validate_registry()
    for prim in wb.REGISTRY.values():
        assert prim.forward is not None and prim.vjp is not None, prim.name


def test_spec_table_agrees_with_the_registry_on_differentiability():
    for spec in SPECS.values():
        assert spec.prim.differentiable == spec.differentiable, spec.name


@pytest.mark.parametrize("spec, case", DIFFERENTIABLE)
def test_vjp_matches_central_differences(spec, case):
    """<VJP(v), u> equals <v, (f(x + h u) - f(x - h u)) / 2h> along random directions."""
    for trial in range(2):
        rng = _rng(spec.name, case, trial)
        xs = sample_inputs(spec, case, rng)
        idx = diff_args(case)
        y = forward(spec, case, xs)
        v = rng.normal(size=y.shape)
        us = [rng.normal(size=xs[i].shape) for i in idx]
        _, grads = tape_vjp(spec, case, xs, v)
        for g, i in zip(grads, idx, strict=True):
            assert g.shape == xs[i].shape, (spec.name, g.shape, xs[i].shape)
        lhs = sum(float(np.sum(g.numpy() * u)) for g, u in zip(grads, us, strict=True))
        jvp = (forward(spec, case, perturbed(xs, idx, us, EPS))
               - forward(spec, case, perturbed(xs, idx, us, -EPS))) / (2 * EPS)
        rhs = float(np.sum(v * jvp))
        assert_close(lhs, rhs, spec.rtol, abs(lhs) + abs(rhs))


@pytest.mark.parametrize("spec, case", DIFFERENTIABLE)
def test_second_order_through_nested_tapes(spec, case):
    """Gradient of s(x) = <w, VJP_v(x)> (an outer tape records the inner reverse pass) against
    central differences of the inner tape's first-order gradient."""
    rng = _rng("second", spec.name, case)
    xs = sample_inputs(spec, case, rng)
    idx = diff_args(case)
    v = rng.normal(size=forward(spec, case, xs).shape)
    ws = [rng.normal(size=xs[i].shape) for i in idx]
    us = [rng.normal(size=xs[i].shape) for i in idx]

    def projected(points: list[np.ndarray], outer=None):
        ts, grads = tape_vjp(spec, case, points, v, outer)
        return ts, sum((wb.sum(g * w) for g, w in zip(grads, ws, strict=True)),
                       start=wb.constant(0.0))

    with wb.GradientTape() as outer:
        ts, s = projected(xs, outer)
    second = outer.gradient(s, ts, unconnected_gradients="zero")
    lhs = sum(float(np.sum(g.numpy() * u)) for g, u in zip(second, us, strict=True))
    s_plus = float(projected(perturbed(xs, idx, us, EPS))[1])
    s_minus = float(projected(perturbed(xs, idx, us, -EPS))[1])
    rhs = (s_plus - s_minus) / (2 * EPS)
    assert_close(lhs, rhs, 1e-5, abs(lhs) + abs(rhs))


@pytest.mark.parametrize("spec, case", all_cases(lambda s: not s.differentiable))
def test_non_differentiable_primitives_give_none(spec, case):
    xs = [wb.constant(x) for x in sample_inputs(spec, case, _rng("nd", spec.name, case))]
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        y = apply(spec, case, xs)
        z = wb.sum(wb.cast(y, np.float64) * 2.0)
    assert tape.gradient(y, xs) == [None] * len(xs)
    assert tape.gradient(z, xs) == [None] * len(xs)
    zeros = tape.gradient(z, xs, unconnected_gradients="zero")
    for g, x in zip(zeros, xs, strict=True):
        np.testing.assert_array_equal(g.numpy(), np.zeros(x.shape))
    assert spec.name in tape.explain(z, xs[0])


def _one_hot_loop(tape, y, sources):
    """The jacobian by one reverse pass per output element (the reference)."""
    rows = []
    for k in range(max(y.size, 1)):
        seed = np.zeros(y.size)
        seed[k] = 1.0
        grads = tape.gradient(y, sources, output_gradients=wb.constant(seed.reshape(y.shape)),
                              unconnected_gradients="zero")
        rows.append([g.numpy() for g in grads])
    return [np.stack([r[i] for r in rows]).reshape(y.shape + s.shape)
            for i, s in enumerate(sources)]


@pytest.mark.parametrize("spec, case", DIFFERENTIABLE)
def test_vectorized_jacobian_equals_loop_of_reverse_passes(spec, case):
    xs = [wb.constant(x) for x in sample_inputs(spec, case, _rng("jac", spec.name, case))]
    sources = [xs[i] for i in diff_args(case)]
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(sources)
        y = apply(spec, case, xs)
    expected = _one_hot_loop(tape, y, sources)
    jac = tape.jacobian(y, sources, unconnected_gradients="zero")
    for j, e in zip(jac, expected, strict=True):
        np.testing.assert_allclose(j.numpy(), e, rtol=1e-12, atol=1e-12)
    # The vectorized pass itself (one reverse pass over a batch of one-hot cotangents):
    n = max(y.size, 1)
    basis = wb.constant(np.eye(n).reshape((n,) + y.shape))
    groups = [tape._source_ids(s) for s in sources]
    if not case.batchable:
        with pytest.raises(autodiff.BatchingUnsupported):
            autodiff.reverse_pass(tape._records, [(y, basis)], groups, batch_ndim=1)
        return
    batched = autodiff.reverse_pass(tape._records, [(y, basis)], groups, batch_ndim=1)
    for b, e in zip(batched, expected, strict=True):
        np.testing.assert_allclose(b.numpy().reshape(e.shape), e, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("spec, case", all_cases())
def test_float32_forward_and_gradient_stay_float32(spec, case):
    rng = _rng("f32", spec.name, case)
    xs = [wb.constant(x) for x in sample_inputs(spec, case, rng, dtype=np.float32)]
    sources = [xs[i] for i in diff_args(case)]
    with wb.GradientTape() as tape:
        tape.watch(sources)
        y = apply(spec, case, xs)
    assert y.dtype == np.dtype(spec.out_dtype or np.float32), (spec.name, y.dtype)
    if spec.differentiable and spec.out_dtype is None:
        for g in tape.gradient(y, sources):
            assert g.dtype == np.float32, (spec.name, g.dtype)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "div", "power", "maximum", "minimum"])
def test_python_scalar_operand_keeps_float32(name):
    x = wb.constant(np.array([0.5, 1.5], dtype=np.float32))
    prim = wb.REGISTRY[name]
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = prim(x, 2.0) + prim(2.0, x)
    assert y.dtype == np.float32
    assert tape.gradient(y, x).dtype == np.float32


def test_cast_gradient_returns_to_the_source_dtype():
    x = wb.constant(np.array([1.0, 2.0], dtype=np.float32))
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.cast(x, np.float64) * 3.0
    assert y.dtype == np.float64
    g = tape.gradient(y, x)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])


def test_power_with_a_python_number_base():
    """d(2**x)/dx = log(2) 2**x, in x's dtype (a Python base must not promote to float64)."""
    for dtype in (np.float32, np.float64):
        x = wb.constant(np.array([-1.0, 0.5, 2.0], dtype=dtype))
        with wb.GradientTape() as tape:
            tape.watch(x)
            y = 2.0**x
        g = tape.gradient(y, x)
        assert g.dtype == dtype
        np.testing.assert_allclose(g.numpy(), np.log(2.0) * 2.0 ** x.numpy(), rtol=1e-6)
    x = wb.constant([1.0, 2.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        z = 0.0**x  # a non-positive base has no derivative in the exponent: 0
    np.testing.assert_allclose(tape.gradient(z, x).numpy(), [0.0, 0.0])


# --- values at the edges: large |x| and ties (closed forms, TensorFlow's conventions) -------
def test_activations_are_stable_for_large_inputs():
    x = wb.constant([1000.0, -1000.0, 0.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"), \
            wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        sp, sg = wb.nn.softplus(x), wb.nn.sigmoid(x)
        ls = wb.nn.log_softmax(x)
        lse = wb.logsumexp(x)
    np.testing.assert_allclose(sp.numpy(), [1000.0, 0.0, np.log(2.0)], atol=1e-12)
    np.testing.assert_allclose(tape.gradient(sp, x).numpy(), [1.0, 0.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(sg.numpy(), [1.0, 0.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(tape.gradient(sg, x).numpy(), [0.0, 0.0, 0.25], atol=1e-12)
    np.testing.assert_allclose(ls.numpy(), [0.0, -2000.0, -1000.0], atol=1e-9)
    assert np.all(np.isfinite(tape.gradient(ls, x).numpy()))
    np.testing.assert_allclose(float(lse), 1000.0 + np.log1p(2 * np.exp(-1000.0)))
    np.testing.assert_allclose(tape.gradient(lse, x).numpy(), [1.0, 0.0, 0.0], atol=1e-12)


def test_tie_conventions():
    """reduce max shares the gradient among tied maxima; maximum/minimum send it to x at a tie;
    relu'(0) = 0 and abs'(0) = 0 (sign(0) = 0), as in TensorFlow."""
    x = wb.constant([3.0, 3.0, 1.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        outs = [wb.max(x), wb.maximum(x, 3.0), wb.minimum(x, 3.0), wb.nn.relu(x - 3.0),
                wb.abs(x - 3.0), wb.min(x * 0.0)]
    expected = [[0.5, 0.5, 0.0], [1.0, 1.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0],
                [0.0, 0.0, -1.0], [0.0, 0.0, 0.0]]
    for y, e in zip(outs, expected, strict=True):
        np.testing.assert_allclose(tape.gradient(y, x).numpy(), e)
    c = wb.constant(3.0)
    with wb.GradientTape() as tape:
        tape.watch(c)
        y = wb.maximum(x, c)
    np.testing.assert_allclose(tape.gradient(y, c).numpy(), 1.0)  # only the element 1 < 3


def test_validate_registry_names_the_primitive_and_the_missing_rule():
    lonely = wb.Primitive("lonely", np.negative, vjp=None)
    with pytest.raises(wb.MissingRule, match="'lonely' has no 'vjp' rule"):
        validate_registry({"lonely": lonely})
    # Every engine's rule declared unsupported on purpose is valid, whichever engines require one.
    unsupported = {rule: wb.NotSupported("piecewise constant")
                   for rule in REQUIRED_RULES if rule != "forward"}
    declared = wb.Primitive("declared", np.negative, **unsupported)
    validate_registry({"declared": declared})


# --- composites (functions of primitives, no rules of their own) against closed forms ---------
def test_composite_functions_have_closed_form_gradients():
    rng = np.random.default_rng(0)
    a0 = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    x0 = np.array([-2.0, -0.5, 0.5, 2.0])
    a, x = wb.constant(a0), wb.constant(x0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch([a, x])
        outs = {
            "trace": (wb.linalg.trace(a), a, np.eye(3)),
            "logdet": (wb.linalg.logdet(a), a, np.linalg.inv(a0).T),
            "leaky_relu": (wb.nn.leaky_relu(x), x, np.where(x0 > 0, 1.0, 0.2)),
            "elu": (wb.nn.elu(x), x, np.where(x0 > 0, 1.0, np.exp(x0))),
            "clip": (wb.clip(x, -1.0, 1.0), x, (np.abs(x0) < 1).astype(float)),
            "variance": (wb.variance(x), x, 2 * (x0 - x0.mean()) / 4),
            "std": (wb.std(x), x, (x0 - x0.mean()) / (4 * np.std(x0))),
            "min": (wb.min(x), x, [1.0, 0.0, 0.0, 0.0]),
            "mean": (wb.mean(x), x, np.full(4, 0.25)),
            "stack_flatten": (wb.flatten(wb.stack([x, 2.0 * x], axis=1)), x, np.full(4, 3.0)),
            "squeeze": (wb.squeeze(wb.expand_dims(x, 0)) * x, x, 2 * x0),
            "square": (wb.square(x), x, 2 * x0),
            "reciprocal": (wb.reciprocal(x), x, -1 / x0**2),
        }
    for name, (y, source, expected) in outs.items():
        np.testing.assert_allclose(tape.gradient(y, source).numpy(), expected, rtol=1e-12,
                                   atol=1e-14, err_msg=name)

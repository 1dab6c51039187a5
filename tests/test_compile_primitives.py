"""Compiled vs eager for every registered primitive: forward value and gradient, one table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
from _compile_support import compile_cache  # noqa: F401 - the session fixture

import workbench as wb
from workbench.ops import conv
from workbench.ops import reduce as red
from workbench.ops import shape as sh

pytestmark = pytest.mark.usefixtures("compile_cache")

RNG = np.random.default_rng(7)
A = RNG.normal(size=(3, 4))
B = RNG.normal(size=(4,))
POS = RNG.uniform(0.5, 2.0, size=(3, 4))
UNIT = RNG.uniform(-0.9, 0.9, size=(3, 4))
SQ = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
ROUNDISH = np.array([[-1.5, -0.5, 0.5, 1.5], [2.5, -2.2, 0.0, 3.7], [0.49, -0.51, 7.0, -7.5]])
SPD = SQ @ SQ.T + np.eye(3)
IMG = RNG.permutation(2 * 5 * 6 * 2).reshape(2, 5, 6, 2) * 0.1 - 1.0  # distinct: no max ties
FILT = RNG.normal(size=(3, 2, 2, 3))
TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, -1.0, 2.0, 2.0], [0.0, 0.0, -4.0, 5.0]])


@dataclass(frozen=True)
class Case:
    """``op(*inputs)``; the gradient is taken of ``sum(op(...) * weights)``."""

    op: Any
    inputs: tuple
    rtol: float = 1e-12


CASES: dict[str, Case | None] = {  # None: the numba rule is NotSupported (checked below)
    "neg": Case(lambda x: -x, (A,)),
    "add": Case(lambda x, y: x + y, (A, B)),
    "sub": Case(lambda x, y: x - y, (B, A)),
    "mul": Case(lambda x, y: x * y * 2.0, (A, B)),
    "div": Case(lambda x, y: x / y, (A, POS)),
    "power": Case(lambda x, y: x ** y + x ** 2, (POS, A)),
    "exp": Case(wb.exp, (A,)),
    "log": Case(wb.log, (POS,)),
    "log1p": Case(wb.log1p, (POS,)),
    "expm1": Case(wb.expm1, (A,)),
    "sin": Case(wb.sin, (A,)),
    "cos": Case(wb.cos, (A,)),
    "tan": Case(wb.tan, (UNIT,)),
    "arcsin": Case(wb.arcsin, (UNIT,)),
    "arccos": Case(wb.arccos, (UNIT,)),
    "arctan": Case(wb.arctan, (A,)),
    "sinh": Case(wb.sinh, (A,)),
    "cosh": Case(wb.cosh, (A,)),
    "tanh": Case(wb.tanh, (A,)),
    "sqrt": Case(wb.sqrt, (POS,)),
    "abs": Case(wb.abs, (A,)),
    "sign": Case(lambda x: wb.sign(x) * x, (A,)),
    "round": Case(lambda x: wb.round(x) + x, (ROUNDISH,)),
    "floor": Case(lambda x: wb.floor(x) * x, (ROUNDISH,)),
    "ceil": Case(lambda x: wb.ceil(x) * x, (ROUNDISH,)),
    "maximum": Case(wb.maximum, (A, TIES)),
    "minimum": Case(wb.minimum, (A, TIES)),
    "where": Case(lambda x, y: wb.where(x > y, x * y, y), (A, B)),
    "cast": Case(lambda x: wb.cast(x, dtype=np.float32) * 2.0, (A,), rtol=1e-6),
    "stop_gradient": Case(lambda x: wb.stop_gradient(x) * x, (A,)),
    "sum": Case(lambda x: wb.sum(x, axis=1) + wb.sum(x, axis=0)[:3] + wb.sum(x), (A,)),
    "max": Case(lambda x: wb.max(x, axis=1) + wb.max(x), (TIES,)),
    "argmax": Case(lambda x: wb.cast(wb.argmax(x, axis=1), dtype=np.float64) * wb.sum(x, axis=1), (A,)),
    "argmin": Case(lambda x: wb.cast(wb.argmin(x), dtype=np.float64) * x, (A,)),
    "reshape": Case(lambda x: wb.reshape(x, (4, 3)) * wb.reshape(x, (4, 3))[0], (A,)),
    "transpose": Case(lambda x: wb.transpose(x) * B[:, None], (A,)),
    "broadcast_to": Case(lambda x: wb.broadcast_to(x, (3, 4)) * A, (B,)),
    "getitem": Case(lambda x: x[:, ::2] + x[[0, 2, 0], 1:3] + x[2, 3], (A,)),
    "scatter_add": Case(lambda x: sh.scatter_add_p(x, index=(np.array([0, 2, 0]),), shape=(4,))
                        * B, (A[0, :3],)),
    "concat": Case(lambda x, y: wb.concat([x, y[None, :] * 2.0], axis=0), (A, B)),
    "matmul": Case(lambda x, y, z: wb.matmul(x, y) + wb.matmul(x, z)[:, 0], (A, B, A.T)),
    "inv": Case(wb.linalg.inv, (SQ,), rtol=1e-10),
    "det": Case(wb.linalg.det, (SQ,), rtol=1e-10),
    "solve": Case(wb.linalg.solve, (SQ, A[:, :3]), rtol=1e-10),
    "sigmoid": Case(wb.nn.sigmoid, (A * 10,)),
    "softplus": Case(wb.nn.softplus, (A * 10,)),
    "relu": Case(wb.nn.relu, (ROUNDISH,)),
    # --- sorting (shapes family) ----------------------------------------------------------------
    "sort_by": Case(lambda x: wb.sort(x, axis=0) * wb.sort(x * x, axis=1)[:, :1], (A,)),
    "unsort_by": Case(lambda x: wb.sort(x) * B[:3], (A.T,)),
    "argsort": Case(lambda x: wb.cast(wb.argsort(x, axis=0), dtype=np.float64) * x, (A,)),
    # --- reductions and products (prod, cumsum, einsum) ---------------------------------------
    "prod": Case(lambda x: wb.prod(x, axis=1) + wb.prod(x[:, :2] * 0.5), (ROUNDISH,)),
    "cumsum": Case(lambda x: wb.cumsum(x, axis=1) + wb.cumsum(x, axis=0, reverse=True), (A,)),
    "einsum": Case(lambda x, y: wb.einsum("ij,j->i", x, y) + wb.einsum("ii", x[:, :3])
                   + wb.einsum("ij,ij->i", x, x), (A, B)),
    # --- elementwise coverage ---
    "mod": Case(lambda x, y: x % y + wb.mod(y, -1.5), (A, POS)),
    "fmod": Case(lambda x, y: wb.fmod(x, y) + wb.fmod(y, -0.7), (A, POS)),
    "log2": Case(wb.log2, (POS,)),
    "log10": Case(wb.log10, (POS,)),
    "arcsinh": Case(wb.arcsinh, (A,)),
    "arccosh": Case(wb.arccosh, (POS + 1.0,)),
    "arctanh": Case(wb.arctanh, (UNIT,)),
    "arctan2": Case(wb.arctan2, (A, B)),
    "hypot": Case(wb.hypot, (A, B)),
    "erf": Case(wb.erf, (A,)),
    "cbrt": Case(wb.cbrt, (A,)),
    "identity": Case(lambda x: wb.identity(x) * x, (A,)),
    # --- decompositions (sign-invariant uses of eigenvectors and singular vectors) -------------
    "cholesky": Case(wb.linalg.cholesky, (SPD,), rtol=1e-10),
    "eigh": Case(lambda x: (lambda w, v: wb.matmul(v * v, w) + w)(*wb.linalg.eigh(x)), (SPD,),
                 rtol=1e-9),
    "eigvalsh": Case(wb.linalg.eigvalsh, (SPD,), rtol=1e-10),
    "svd": Case(lambda x: (lambda u, s, vh: wb.matmul(u * u, s)[:, None] * wb.matmul(s, vh * vh))(
        *wb.linalg.svd(x, full_matrices=False)), (A,), rtol=1e-9),
    "svdvals": Case(wb.linalg.svdvals, (A,), rtol=1e-10),
    "slogdet": Case(lambda x: (lambda s, ld: s * ld)(*wb.linalg.slogdet(x)), (SQ,), rtol=1e-10),
    "pinv": Case(wb.linalg.pinv, (A,), rtol=1e-10),
    "qr": Case(lambda x: (lambda q, r: q * q * wb.sum(r * r, axis=0))(*wb.linalg.qr(x)), (A.T,),
               rtol=1e-9),
    # --- convolution, pooling, dropout (ops/conv.py); dropout_mask's rule is NotSupported ----
    # The gradients go through each primitive's VJP primitives (backprop_*, *_grad, gather).
    "conv2d": Case(lambda x, w: wb.nn.conv2d(x, w, 2, "SAME") + wb.nn.conv2d(
        x, w, 1, "VALID", dilations=2)[:, :1, :1], (IMG, FILT)),
    "conv2d_backprop_input": Case(lambda x, w: wb.nn.conv2d(x * x, w, (1, 2), "SAME"),
                                  (IMG, FILT)),
    "conv2d_backprop_filter": Case(lambda x, w: wb.nn.conv2d(x, w * w, (2, 1), "VALID"),
                                   (IMG, FILT)),
    "avg_pool2d": Case(lambda x: wb.nn.avg_pool2d(x, 3, 2, "SAME"), (IMG,)),
    "avg_pool2d_grad": Case(lambda x: wb.nn.avg_pool2d(x * x, (2, 3), 1, "SAME"), (IMG,)),
    "max_pool2d": Case(lambda x: wb.nn.max_pool2d(x, 3, 2, "SAME"), (IMG,)),
    "max_pool2d_grad": Case(lambda x: wb.nn.max_pool2d(x, 2, 1, "VALID") * 3.0, (IMG,)),
    "max_pool2d_gather": Case(lambda x: conv.max_pool2d_gather_p(
        x, x * x, ksize=(2, 3), strides=(1, 2), pads=((0, 1), (1, 1))), (IMG,)),
    "dropout_mask": None,
    # special functions, segments, scatter: erfc and lgamma compile (lgamma's derivative,
    # digamma, does not: it is kept off the gradient path); the others are NotSupported
    "erfc": Case(lambda x: wb.math.erfc(x * 2.0), (A,)),
    "lgamma": Case(lambda x: wb.math.lgamma(wb.stop_gradient(x)) * x, (POS,)),
    "digamma": None, "polygamma": None, "zeta": None, "bessel_i0": None, "bessel_i0e": None,
    "bessel_i1": None, "bessel_i1e": None, "erfinv": None, "ndtri": None, "igamma": None,
    "igammac": None,
    # control flow, linalg, nn names: a norm past Pade-13's threshold takes squarings
    "expm": Case(lambda x: wb.linalg.expm(x) + wb.linalg.expm(x * 0.1), (SQ,), rtol=1e-10),
}


def _value_and_grad(op):
    def run(*xs):
        with wb.GradientTape() as tape:
            tape.watch(xs)
            y = op(*xs)
            weights = np.linspace(0.5, 1.5, y.size).reshape(y.shape).astype(y.dtype)
            loss = wb.sum(y * weights)
        return y, tape.gradient(loss, xs, unconnected_gradients="zero")

    return run


def test_every_registered_primitive_has_a_case():
    missing = sorted(set(wb.REGISTRY) - set(CASES))
    assert not missing, f"add a compiled-vs-eager case for {missing}"


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c is None))
def test_unsupported_numba_rule_is_declared_with_a_reason(name):
    rule = wb.REGISTRY[name].numba
    assert isinstance(rule, wb.NotSupported) and rule.reason, name


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c is not None))
def test_compiled_matches_eager(name):
    case = CASES[name]
    inputs = tuple(wb.constant(x) for x in case.inputs)
    run = _value_and_grad(case.op)
    want_y, want_g = run(*inputs)
    compiled = wb.function(run)
    got_y, got_g = compiled(*case.inputs)
    np.testing.assert_allclose(got_y.numpy(), want_y.numpy(), rtol=case.rtol, atol=1e-14)
    for got, want in zip(got_g, want_g, strict=True):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=case.rtol, atol=1e-14)
    assert name in {e.prim.name for e in compiled.graph.eqns}
    # a second call with new values reuses the kernel and still matches
    shifted = tuple(x * 0.9 for x in case.inputs)
    want_y2, _ = run(*(wb.constant(x) for x in shifted))
    got_y2, _ = compiled(*shifted)
    np.testing.assert_allclose(got_y2.numpy(), want_y2.numpy(), rtol=case.rtol, atol=1e-14)


def test_float32_stays_float32():
    x = A.astype(np.float32)
    run = _value_and_grad(lambda x: wb.sum(wb.tanh(x * 0.3 + 1.0) ** 2.0, axis=1))
    want_y, (want_g,) = run(wb.constant(x))
    compiled = wb.function(run)
    got_y, (got_g,) = compiled(x)
    assert got_y.dtype == np.float32 and got_g.dtype == np.float32
    np.testing.assert_allclose(got_y.numpy(), want_y.numpy(), rtol=2e-7)
    np.testing.assert_allclose(got_g.numpy(), want_g.numpy(), rtol=2e-6)
    assert "f32_" in compiled.source  # constants typed float32, not float64 literals


def test_sum_is_bit_identical_to_numpy_pairwise():
    x = RNG.normal(size=1000) * 10.0 ** RNG.uniform(-3, 3, size=1000)
    got = wb.function(lambda v: wb.sum(v))(x)
    # the same summation order gives the same bits (compared as bytes, not as floats)
    assert got.numpy().tobytes() == np.sum(x).tobytes()


def test_reduce_module_helpers_exist():
    assert red.reduce_sum_p.numba is not None


@pytest.mark.parametrize("n", [3, 8, 11, 16, 50, 300, 5003])
def test_sum_fused_into_its_loop_keeps_numpy_order(n):
    x = RNG.normal(size=n) * 10.0 ** RNG.uniform(-3, 3, size=n)
    compiled = wb.function(lambda v: wb.sum(v * 3.0 - 1.0))
    got = compiled(x)
    want = np.sum(x * 3.0 - 1.0)
    assert got.numpy().tobytes() == want.tobytes()  # same order, same bits

"""The vectorisable tanh of the CPU kernels (workbench/compile/vecmath.py): ULP error against
mpmath's exact values and NumPy over dense sweeps, hypothesis and edge cases, in float64 and
float32, through the compiled engine; and the loop it sits in compiles to packed SIMD code."""

import math
import platform
import re

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numba import njit

import workbench as wb
from workbench.compile import vecmath

TANH = wb.function(wb.tanh)


def _ordinal(v: np.ndarray) -> np.ndarray:
    """Integers in the order of the floats ``v`` (adjacent floats differ by one; -0 == +0)."""
    ints = np.int64 if v.dtype == np.float64 else np.int32
    i = np.ascontiguousarray(v).view(ints).astype(np.int64)
    return np.where(i < 0, np.int64(np.iinfo(ints).min) - i, i)


def _ulps(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(_ordinal(a) - _ordinal(b))


def _exact(x: np.ndarray) -> np.ndarray:
    """tanh correctly rounded to x's dtype: mpmath at 120 bits, rounded once to 53 or 24 bits
    (the results that are subnormal are x itself, exactly representable)."""
    bits = 53 if x.dtype == np.float64 else 24
    out = []
    for v in x.ravel():
        with mpmath.workprec(120):
            t = mpmath.tanh(mpmath.mpf(float(v)))
        with mpmath.workprec(bits):
            out.append(float(+t))
    return np.array(out).astype(x.dtype).reshape(x.shape)


def _sweep(dtype, n: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(12)
    ln2 = math.log(2)
    parts = [
        rng.uniform(-22, 22, n), rng.uniform(-1, 1, n),
        rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-40, 1.4, n),
        # the reduction's boundaries, 2|x| = (k + 1/2) log 2, and the integers k log 2 / 2
        (np.arange(58)[:, None] + 0.5 + rng.uniform(-1e-7, 1e-7, (58, 40))).ravel() * ln2 / 2,
        (np.arange(1, 58)[:, None] + rng.uniform(-1e-7, 1e-7, (57, 20))).ravel() * ln2 / 2,
        rng.uniform(17, 21, n // 4),  # where tanh reaches 1
        np.ldexp(1.0, np.arange(-30, 5)),  # powers of two
    ]
    x = np.concatenate(parts).astype(dtype)
    tiny = np.float64(2.0 ** -27).astype(dtype)  # where the result switches to x itself
    edges = [np.nextafter(tiny, 0, dtype=dtype), tiny, np.nextafter(tiny, 1, dtype=dtype)]
    return np.concatenate([x, -x, np.array(edges, dtype)])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_tanh_within_one_ulp_of_exact_and_two_of_numpy_on_a_dense_sweep(dtype):
    x = _sweep(dtype)
    got = TANH(x).numpy()
    assert got.dtype == dtype
    exact = _exact(x)
    assert _ulps(got, exact).max() <= 1
    assert _ulps(got, np.tanh(x)).max() <= 2  # the project's tolerance for transcendentals
    # float64 is correctly rounded nearly everywhere (about 0.54 ULP at worst), float32 always
    assert np.mean(got != exact) < (0.005 if dtype == np.float64 else 1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_tanh_against_numpy_on_a_million_points(dtype):
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.uniform(-20, 20, 500_000),
                        rng.choice([-1, 1], 500_000) * 10.0 ** rng.uniform(-300, 1.3, 500_000)])
    x = x.astype(dtype)
    assert _ulps(TANH(x).numpy(), np.tanh(x)).max() <= 2


EDGES = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e-300, 1e-20, 2.0 ** -27,
         1.0, 19.0, 19.1, 20.0, 40.0, 1e300, 1.7976931348623157e308, math.inf, -math.inf]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_tanh_edge_cases(dtype):
    with np.errstate(over="ignore"):
        x = np.array(EDGES + [-v for v in EDGES] + [math.nan, -math.nan], dtype)
    got = TANH(x).numpy()
    want = np.tanh(x)
    finite = ~np.isnan(x)
    np.testing.assert_array_equal(np.signbit(got[finite]), np.signbit(x[finite]))  # -0.0 stays
    assert _ulps(got[finite], _exact(x[finite])).max() == 0
    assert np.isnan(got[~finite]).all() and np.isnan(want[~finite]).all()
    tiny = np.abs(x) < 2.0 ** -27
    np.testing.assert_array_equal(got[tiny], x[tiny])  # subnormals included


@settings(max_examples=60, deadline=None, derandomize=True)
@given(hnp.arrays(np.float64, 16, elements=st.floats(allow_nan=True, allow_infinity=True,
                                                     allow_subnormal=True)))
def test_compiled_tanh_float64_property(x):
    _check_exactish(x, TANH(x).numpy())


@settings(max_examples=60, deadline=None, derandomize=True)
@given(hnp.arrays(np.float32, 16, elements=st.floats(width=32, allow_subnormal=True)))
def test_compiled_tanh_float32_property(x):
    _check_exactish(x, TANH(x).numpy())


def _check_exactish(x, got):
    nan = np.isnan(x)
    assert np.isnan(got[nan]).all()
    x, got = x[~nan], got[~nan]
    assert _ulps(got, _exact(x)).max(initial=0) <= 1
    assert _ulps(got, np.tanh(x)).max(initial=0) <= 2


@njit(error_model="numpy")
def _layer(h, b, out):  # the shape of a generated layer block
    for i in range(64):
        for j in range(32):
            out[i * 32 + j] = vecmath.tanh(h[i * 32 + j] + b[j])


@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"),
                    reason="the check reads x86 assembly")
def test_tanh_loop_compiles_to_packed_simd_without_calls():
    h, b, out = np.linspace(-3, 3, 2048), np.linspace(-1, 1, 32), np.empty(2048)
    _layer(h, b, out)
    np.testing.assert_allclose(out, np.tanh(h.reshape(64, 32) + b).ravel(), rtol=3e-16)
    asm = next(iter(_layer.inspect_asm().values()))
    assert re.search(r"\bv?divpd\b", asm), "the division should be packed (divpd)"
    assert not re.search(r"\$\S*tanh", asm), "no call to a tanh (libm's or vecmath's) should remain"


def test_cpu_kernels_call_vecmath_and_cuda_keeps_libm():
    from workbench.compile.cuda import OVERRIDES

    assert "vecmath.tanh" in TANH.source
    assert OVERRIDES["tanh"] == "math.tanh({0})"

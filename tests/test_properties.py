"""Property tests: random composite expressions of the primitives, tape gradient vs finite
differences (first order, and second order through nested tapes).

Expressions are trees over two inputs, ``x`` of shape (3,) and ``y`` of shape (2, 3), so
broadcasting is exercised. Every node is smooth on its whole input range (log and sqrt see
``1 + e²``, arcsin sees ``0.9 tanh(e)``, ...), so central differences are accurate everywhere.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb

EPS = 1e-6


def _reduce(fn):
    """Apply an axis-reducing op only to tensors that have an axis (scalars pass through)."""
    return lambda e: fn(e) if e.ndim else e


UNARY = {
    "neg": wb.neg,
    "sin": wb.sin,
    "cos": wb.cos,
    "tanh": wb.tanh,
    "arctan": wb.arctan,
    "sigmoid": wb.nn.sigmoid,
    "softplus": wb.nn.softplus,
    "square": wb.square,
    "exp_tanh": lambda e: wb.exp(wb.tanh(e)),
    "expm1_tanh": lambda e: wb.expm1(wb.tanh(e)),
    "log_1p_sq": lambda e: wb.log(1.0 + e * e),
    "log1p_sq": lambda e: wb.log1p(e * e),
    "sqrt_1p_sq": lambda e: wb.sqrt(1.0 + e * e),
    "arcsin": lambda e: wb.arcsin(0.9 * wb.tanh(e)),
    "arccos": lambda e: wb.arccos(0.9 * wb.tanh(e)),
    "tan": lambda e: wb.tan(wb.tanh(e)),
    "sinh_cosh": lambda e: wb.sinh(wb.tanh(e)) * wb.cosh(wb.tanh(e)),
    "sum0": _reduce(lambda e: wb.sum(e, axis=0, keepdims=True)),
    "mean_last": _reduce(lambda e: wb.mean(e, axis=-1, keepdims=True)),
    "softmax": _reduce(lambda e: wb.nn.softmax(e, axis=-1)),
    "log_softmax": _reduce(lambda e: wb.nn.log_softmax(e, axis=-1)),
    "logsumexp": _reduce(lambda e: wb.logsumexp(e, axis=-1, keepdims=True)),
    "reverse": _reduce(lambda e: e[..., ::-1]),
    "roll": _reduce(lambda e: wb.concat([e[..., 1:], e[..., :1]], axis=-1)),
    "transpose_twice": lambda e: wb.transpose(wb.transpose(e)),
    "reshape_flat": lambda e: wb.reshape(wb.flatten(e), e.shape),
}

def _matmul_2x3(a, b):
    """(a bᵀ) a / 3: two matmuls that map a pair of (2, 3) operands back to shape (2, 3)."""
    return wb.matmul(wb.matmul(a, wb.transpose(b)), a) / 3.0


BINARY = {
    "add": wb.add,
    "sub": wb.subtract,
    "mul": wb.multiply,
    "div": lambda a, b: a / (1.0 + b * b),
    "power": lambda a, b: (1.0 + a * a) ** wb.tanh(b),
    "hypot": lambda a, b: wb.sqrt(a * a + b * b + 1.0),
    "matmul": lambda a, b: _matmul_2x3(a + wb.zeros((2, 3)), b + wb.zeros((2, 3))),
}

leaves = st.one_of(st.sampled_from(["x", "y"]),
                   st.floats(-2.0, 2.0, allow_nan=False).map(lambda c: ("const", c)))
expressions = st.recursive(
    leaves,
    lambda sub: st.one_of(
        st.tuples(st.sampled_from(sorted(UNARY)), sub),
        st.tuples(st.sampled_from(sorted(BINARY)), sub, sub),
    ),
    max_leaves=8,
)


def evaluate(tree, env: dict) -> wb.Tensor:
    if isinstance(tree, str):
        return env[tree]
    if tree[0] == "const":
        return wb.constant(tree[1])
    if len(tree) == 2:
        return UNARY[tree[0]](evaluate(tree[1], env))
    return BINARY[tree[0]](evaluate(tree[1], env), evaluate(tree[2], env))


def scalar_target(tree, env: dict, weights: np.ndarray) -> wb.Tensor:
    """A weighted sum of the expression broadcast to (2, 3), so every output element counts."""
    out = evaluate(tree, env) + wb.zeros((2, 3))
    return wb.sum(out * weights)


def sample_point(seed: int):
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(-1.0, 1.0, 3), rng.uniform(-1.0, 1.0, (2, 3))
    return x, y, rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=(2, 3))


def value_at(tree, x, y, weights) -> float:
    return float(scalar_target(tree, {"x": wb.constant(x), "y": wb.constant(y)}, weights))


def grads_at(tree, x, y, weights, outer=None):
    xt, yt = wb.constant(x), wb.constant(y)
    if outer is not None:
        outer.watch([xt, yt])
    with wb.GradientTape() as tape:
        tape.watch([xt, yt])
        f = scalar_target(tree, {"x": xt, "y": yt}, weights)
    gx, gy = tape.gradient(f, [xt, yt], unconnected_gradients="zero")
    return (xt, yt), gx, gy


def close(a: float, b: float, rtol: float) -> None:
    assert abs(a - b) <= rtol * max(1.0, abs(a) + abs(b)), (a, b)


COMMON = settings(max_examples=50, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow])


@COMMON
@given(tree=expressions, seed=st.integers(0, 2**16))
def test_tape_gradient_matches_central_differences(tree, seed):
    x, y, weights, ux, uy = sample_point(seed)
    _, gx, gy = grads_at(tree, x, y, weights)
    assert gx.shape == x.shape and gy.shape == y.shape
    lhs = float(np.sum(gx.numpy() * ux) + np.sum(gy.numpy() * uy))
    rhs = (value_at(tree, x + EPS * ux, y + EPS * uy, weights)
           - value_at(tree, x - EPS * ux, y - EPS * uy, weights)) / (2 * EPS)
    close(lhs, rhs, 1e-6)


@settings(COMMON, max_examples=25)
@given(tree=expressions, seed=st.integers(0, 2**16))
def test_nested_tape_hessian_vector_product_matches_differences_of_gradients(tree, seed):
    x, y, weights, ux, uy = sample_point(seed)
    rng = np.random.default_rng(seed + 1)
    wx, wy = rng.normal(size=3), rng.normal(size=(2, 3))

    def projected(px, py, outer=None):
        sources, gx, gy = grads_at(tree, px, py, weights, outer)
        return sources, wb.sum(gx * wx) + wb.sum(gy * wy)

    with wb.GradientTape() as outer:
        (xt, yt), s = projected(x, y, outer)
    hx, hy = outer.gradient(s, [xt, yt], unconnected_gradients="zero")
    lhs = float(np.sum(hx.numpy() * ux) + np.sum(hy.numpy() * uy))
    rhs = (float(projected(x + EPS * ux, y + EPS * uy)[1])
           - float(projected(x - EPS * ux, y - EPS * uy)[1])) / (2 * EPS)
    close(lhs, rhs, 1e-5)

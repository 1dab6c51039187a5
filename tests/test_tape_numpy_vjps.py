"""The reverse pass on NumPy values (``vjp_numpy`` rules, used while no tape records) gives the
same bits as the workbench-op rules (used while a tape records, for higher order), and as a
NumPy computation of the chain rule in the same order."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench import primitive
from workbench.tensor import Tensor


def same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def chain(x, n=25):
    for _ in range(n):
        x = wb.tanh(wb.sin(x) * 1.01 + 0.5)
    return x


def numpy_chain_gradient(x0, n=25):
    """The forward values, then the chain rule by hand in the tape's order of operations."""
    x, saved = x0, []
    for _ in range(n):
        t = np.tanh(np.sin(x) * 1.01 + 0.5)
        saved.append((x, t))
        x = t
    g = np.ones_like(x0)
    for xi, t in reversed(saved):
        g = g * (1.0 - t * t) * 1.01 * np.cos(xi)
    return g


@pytest.mark.parametrize("value", [
    np.array(0.3), np.linspace(-1.0, 1.0, 1000), np.linspace(-1.0, 1.0, 1000, dtype=np.float32),
    np.float32(-0.7),
], ids=["scalar", "1000 float64", "1000 float32", "float32 scalar"])
def test_chain_gradient_has_the_bits_of_numpy_in_the_same_order(value):
    x = wb.constant(value)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = chain(x)
    grad = tape.gradient(y, x)
    assert same_bits(grad.numpy(), numpy_chain_gradient(np.asarray(value)))


def gradients(f, xs, recording_outside: bool):
    """``tape.gradient`` of ``f(*xs)``; with ``recording_outside`` an outer tape records, so the
    reverse pass runs the workbench-op rules."""
    with wb.GradientTape(persistent=True) as tape:
        for x in xs:
            tape.watch(x)
        y = f(*xs)
    if not recording_outside:
        return tape.gradient(y, xs), tape.jacobian(y, xs[0])
    with wb.GradientTape():
        return tape.gradient(y, xs), tape.jacobian(y, xs[0])


def mixed(x, w):
    # broadcasting (sum_to), ops without vjp_numpy (matmul, sum, reshape), float32 casts,
    # a constant on either side, maximum/where with ties, and a value used twice
    h = wb.maximum(wb.matmul(x, w) - 0.25, 0.0) + wb.reshape(wb.sum(x, axis=1), (3, 1))
    h32 = wb.cast(h, np.float32) * np.float32(1.5)
    z = 2.0 / (1.0 + wb.exp(-wb.cast(h32, np.float64))) - wb.sqrt(wb.abs(w[0]) + 1.0)
    z = wb.where(z > 0.5, wb.log1p(z * z), wb.arctan(z)) + wb.tan(z * 0.1) * wb.cosh(x[:, :1])
    return wb.minimum(z, 1.0) * z - wb.arcsin(z / 4.0) + wb.arccos(z / 5.0) + wb.expm1(-z)


def test_numpy_reverse_pass_matches_the_recorded_one_bit_for_bit():
    rng = np.random.default_rng(0)
    x = wb.constant(rng.uniform(-1.0, 1.0, (3, 4)))
    w = wb.constant(np.round(rng.uniform(-1.0, 1.0, (4, 2)), 1))
    fast_grads, fast_jac = gradients(mixed, [x, w], recording_outside=False)
    slow_grads, slow_jac = gradients(mixed, [x, w], recording_outside=True)
    for fast, slow in zip(fast_grads, slow_grads, strict=True):
        assert same_bits(fast.numpy(), slow.numpy())
    assert same_bits(fast_jac.numpy(), slow_jac.numpy())


def test_reverse_pass_binds_no_op_while_no_tape_records(monkeypatch):
    x = wb.constant(np.linspace(0.1, 1.0, 5))
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = chain(x, 3) / x - x
    binds = []
    monkeypatch.setattr(primitive, "_active_tapes", lambda: binds.append(1) or ())
    tape.gradient(y, x)
    assert binds == []


def test_gradient_inside_an_outer_tape_is_differentiated_again():
    x = wb.constant(0.4)
    with wb.GradientTape() as outer:
        outer.watch(x)
        with wb.GradientTape() as inner:
            inner.watch(x)
            y = wb.tanh(x) * x
        dy = inner.gradient(y, x)
    t = np.tanh(0.4)
    np.testing.assert_allclose(dy.numpy(), (1 - t * t) * 0.4 + t, rtol=1e-14)
    d2 = outer.gradient(dy, x)
    np.testing.assert_allclose(d2.numpy(), 2 * (1 - t * t) * (1 - 0.4 * t), rtol=1e-14)


def _operands(prim, dtype, shapes, rng):
    if prim.name == "where":
        return [rng.uniform(size=shapes[0]) > 0.5] + [
            rng.uniform(0.1, 0.9, s).astype(dtype) for s in shapes[1:]]
    vals = [rng.uniform(0.1, 0.9, s).astype(dtype) for s in shapes]
    if len(vals) == 2:  # a few ties for maximum/minimum
        vals[1].flat[:1] = vals[0].flat[:1]
    return vals


CALLS = [  # (input shapes; the last input a Python float when None)
    ((5,), (5,), (5,)), ((), (), ()), ((2, 3), (3,), (2, 1)), ((4,), None, None),
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_every_vjp_numpy_rule_gives_the_bits_of_its_vjp_rule(dtype):
    rng = np.random.default_rng(1)
    prims = [p for p in wb.REGISTRY.values() if p.vjp_numpy is not None]
    assert {"mul", "sin", "tanh", "cast"} <= {p.name for p in prims}
    for prim in prims:
        arity = len(prim.vjp)
        for shapes in CALLS:
            vals = _operands(prim, dtype, [s or () for s in shapes[:arity]], rng)
            if shapes[arity - 1] is None and arity > 1:
                vals[-1] = 0.5
            params = {"dtype": np.dtype(np.float32)} if prim.name == "cast" else {}
            ans = prim.forward(*vals, **params)
            g = rng.uniform(-1.0, 1.0, np.shape(ans)).astype(np.result_type(ans))
            ins = [Tensor(v) if isinstance(v, np.ndarray) else v for v in vals]
            for rule, fast in zip(prim.vjp, prim.vjp_numpy, strict=True):
                if rule is None:
                    assert fast is None
                    continue
                want = rule(Tensor(g), Tensor(ans), *ins, **params)
                got = fast(g, ans, *vals, **params)
                assert same_bits(got, want.numpy()), (prim.name, shapes, dtype)


def test_vjp_numpy_needs_a_rule_where_vjp_has_one():
    with pytest.raises(ValueError, match="'half'.*vjp_numpy"):
        wb.defprimitive("half", lambda x: x / 2, vjp=(lambda g, ans, x: g / 2,),
                        vjp_numpy=(None,), register=False)

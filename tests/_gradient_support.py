"""Shared by the reduction and einsum tests: seeded generators and a gradient check against
central differences (first order, and second order through nested tapes)."""

from __future__ import annotations

import zlib

import numpy as np

import workbench as wb

EPS = 1e-6


def rng_for(*key) -> np.random.Generator:
    """A generator seeded by a stable hash of ``key`` (the same numbers on every run)."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _value(f, xs):
    return np.asarray(f(*[wb.constant(x) for x in xs]).numpy(), dtype=float)


def check_gradients(f, xs, rng, order2=True, rtol=1e-6):
    """First order: <grad of <w, f>, u> vs central differences of <w, f>; second order: the
    gradient (outer tape) of <grad, v> vs central differences of the first-order gradient."""
    y = _value(f, xs)
    w = rng.normal(size=y.shape)
    us = [rng.normal(size=np.shape(x)) for x in xs]
    vs = [rng.normal(size=np.shape(x)) for x in xs]

    def grads(points, outer=None):
        ts = [wb.constant(p) for p in points]
        if outer is not None:
            outer.watch(ts)
        with wb.GradientTape() as tape:
            tape.watch(ts)
            loss = wb.sum(f(*ts) * w)
        return ts, tape.gradient(loss, ts, unconnected_gradients="zero")

    def shifted(h):
        return [x + h * u for x, u in zip(xs, us, strict=True)]

    _, g = grads(xs)
    lhs = sum(float(np.sum(gi.numpy() * u)) for gi, u in zip(g, us, strict=True))
    rhs = float(np.sum(w * (_value(f, shifted(EPS)) - _value(f, shifted(-EPS))))) / (2 * EPS)
    assert abs(lhs - rhs) <= rtol * max(abs(lhs) + abs(rhs), 1.0), (lhs, rhs)
    if not order2:
        return
    with wb.GradientTape() as outer:
        ts, g = grads(xs, outer)
        s = sum((wb.sum(gi * v) for gi, v in zip(g, vs, strict=True)), start=wb.constant(0.0))
    second = outer.gradient(s, ts, unconnected_gradients="zero")
    lhs = sum(float(np.sum(h.numpy() * u)) for h, u in zip(second, us, strict=True))

    def s_at(points):
        return sum(float(np.sum(gi.numpy() * v)) for gi, v in zip(grads(points)[1], vs,
                                                                     strict=True))

    rhs = (s_at(shifted(EPS)) - s_at(shifted(-EPS))) / (2 * EPS)
    assert abs(lhs - rhs) <= 1e-5 * max(abs(lhs) + abs(rhs), 1.0), (lhs, rhs)

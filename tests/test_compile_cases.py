"""repeat loops that branch on a sign (the absolute value's gradient): bit for bit the eager
tape and the compiled step called once per step, in float64 and float32, through zero residuals."""

from __future__ import annotations

import numpy as np
import pytest
from _compile_support import compile_cache  # noqa: F401 - the session fixture

import workbench as wb
from workbench.compile import Diverged

pytestmark = pytest.mark.usefixtures("compile_cache")

STEPS = 60
LR = 0.125  # a power of two on integer data: parameters stay on a grid and meet data points


def _l1_line(p, x, y):  # the seeds' regression, three parameters
    return wb.reduce_sum(wb.abs(y - (p[0] * x * x + p[1] * x + p[2])))


def _two_signs(p, x, y):  # two independent signs in one loop, one scaled by the data
    return wb.reduce_sum(wb.abs(x - p[0]) + wb.abs(p[1] * y - p[2]) * x)


def _nested(p, x, y):  # a sign whose code depends on another sign
    return wb.reduce_sum(wb.abs(wb.abs(x - p[0]) - p[1] * y) + p[2] * p[2])


def _sign_out(p, x, y):  # the sign itself is an output: stored from every branch
    r = p[0] * x + p[1] - y
    return wb.reduce_sum(wb.abs(r)) + p[2] * wb.reduce_sum(x), wb.sign(r)


PROGRAMS = [(_l1_line, 13), (_two_signs, 9), (_nested, 11), (_sign_out, 5)]


def _make(dtype, starts):
    """One step running every program (its own parameters, data and loop): one compile."""
    params = [[wb.Variable(v, name=f"p{k}_{j}", dtype=dtype) for j, v in enumerate(start)]
              for k, start in enumerate(starts)]
    flat = [p for group in params for p in group]

    def step(*data):
        with wb.GradientTape() as tape:
            outs = []
            for (program, _), p, x, y in zip(PROGRAMS, params, data[::2], data[1::2],
                                             strict=True):
                out = program(p, x, y)
                outs += list(out) if isinstance(out, tuple) else [out]
            loss = wb.add_n([o for o in outs if o.shape == ()])
        for p, g in zip(flat, tape.gradient(loss, flat), strict=True):
            p.assign_sub(LR * g)
        return tuple(outs)

    return step, flat


def _bits(out) -> list[bytes]:
    """The bytes of each output of a step (Tensors or history rows)."""
    return [np.asarray(o.numpy() if isinstance(o, wb.Tensor) else o).tobytes() for o in out]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_repeat_branching_on_signs_equals_eager_and_step(dtype):
    rng = np.random.default_rng(np.dtype(dtype).itemsize)
    data = []
    for _, n in PROGRAMS:
        data += [rng.integers(-3, 4, size=n).astype(dtype),
                 rng.integers(-6, 7, size=n).astype(dtype)]
    starts = [[float(v) for v in rng.integers(-2, 3, size=3)] for _ in PROGRAMS]

    eager, eager_params = _make(dtype, starts)
    outputs = [eager(*[wb.constant(d) for d in data]) for _ in range(STEPS)]
    assert sum(int(np.sum(out[-1].numpy() == 0)) for out in outputs) > 0  # zero residuals met
    step, params = _make(dtype, starts)
    compiled = wb.function(step)
    for want in outputs:
        assert _bits(compiled(*data)) == _bits(want)
    stepped = [p.numpy().tobytes() for p in params]
    for p, v in zip(params, [v for start in starts for v in start], strict=True):
        p.assign(v)  # back to the start: the same run again, in one compiled loop
    history = compiled.repeat(STEPS, *data, record_every=1)

    assert compiled.repeat_source.count("elif ") >= 4  # each program's loop branches on signs
    assert history.outputs[0].dtype == dtype and len(history.outputs[0]) == STEPS
    for s, want in enumerate(outputs):
        assert _bits([rows[s] for rows in history.outputs]) == _bits(want)
    for p, q, r in zip(params, eager_params, stepped, strict=True):
        assert p.numpy().tobytes() == q.numpy().tobytes() == r
        assert history[p.name][-1].tobytes() == q.numpy().tobytes()


def test_repeat_branching_on_a_nan_stops_where_eager_does():
    """A NaN residual takes none of the cases; the loop stops at that step with its values."""
    x = np.array([1.0, 2.0, np.nan, 4.0, 5.0])
    p = [wb.Variable(v, name=f"q{j}") for j, v in enumerate([0.0, 1.0, 0.0])]

    def step(x, y):
        with wb.GradientTape() as tape:
            loss = _l1_line(p, x, y)
        for v, g in zip(p, tape.gradient(loss, p), strict=True):
            v.assign_sub(LR * g)
        return loss

    with pytest.raises(Diverged) as info:
        wb.function(step).repeat(5, x, 2.0 * x)
    assert info.value.step == 1
    assert np.isnan(info.value.values["output"])
    assert [v.numpy().item() for v in p] == [0.0, 1.0, 0.0]  # kept from before step 1

"""Shape-only tracing: the graph traced on stand-ins equals the one traced on the data, for every
registered primitive; functions that need a value are traced on the data; data is never read."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_compile_primitives import CASES, _value_and_grad

import workbench as wb
from workbench.compile import abstract, shape_rules
from workbench.compile.trace import TraceError, trace
from workbench.ir import Literal
from workbench.primitive import REGISTRY


def _eqn_summary(graph):
    """Each equation as comparable data: primitive, params, inputs, output shapes and dtypes."""
    index = {id(v): k for k, v in enumerate(graph.inputs)}
    rows = []
    for eqn in graph.eqns:
        for out in eqn.outputs:
            index[id(out)] = len(index)
        ins = tuple(("lit", repr(np.asarray(a.value).tolist()), str(np.asarray(a.value).dtype))
                    if isinstance(a, Literal) else ("var", index[id(a)]) for a in eqn.inputs)
        outs = tuple((tuple(v.shape), np.dtype(v.dtype)) for v in eqn.outputs)
        rows.append((eqn.prim.name, repr(eqn.params), ins, outs))
    return rows


def _both(fn, args):
    positions = tuple(range(len(args)))
    return trace(fn, args, positions), trace(fn, args, positions, shapes_only=False)


def _same_graph(staged, concrete):
    assert [(tuple(v.shape), np.dtype(v.dtype)) for v in staged.graph.inputs] == \
        [(tuple(v.shape), np.dtype(v.dtype)) for v in concrete.graph.inputs]
    assert _eqn_summary(staged.graph) == _eqn_summary(concrete.graph)
    assert len(staged.graph.outputs) == len(concrete.graph.outputs)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c is not None))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_staged_trace_equals_concrete_trace_for_every_primitive(name, dtype):
    case = CASES[name]
    args = tuple(np.asarray(x).astype(dtype) for x in case.inputs)
    staged, concrete = _both(_value_and_grad(case.op), args)
    assert staged.shapes_only, f"{name}: traced on the data"
    assert not concrete.shapes_only
    _same_graph(staged, concrete)
    assert name in {e.prim.name for e in staged.graph.eqns}


def test_every_registered_primitive_has_a_shape_rule_or_needs_values():
    # dropout_mask draws random numbers: it has no rule, so a trace using it runs on the data
    missing = sorted(n for n, p in REGISTRY.items() if shape_rules._rule(p) is None)
    assert missing == ["dropout_mask"], missing


_ELEMENTWISE = sorted(n for n, p in REGISTRY.items() if p.kind == "elementwise")
_DTYPES = [np.float64, np.float32, np.int64, np.int32, np.bool_]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(_ELEMENTWISE), data=st.data())
def test_elementwise_rule_matches_numpy_on_random_shapes_and_dtypes(name, data):
    prim = REGISTRY[name]
    n_in = {"where": 3, "cast": 1}.get(name)
    if n_in is None:
        n_in = 2 if name in {"add", "sub", "mul", "div", "power", "mod", "fmod", "maximum",
                             "minimum", "hypot", "arctan2"} else 1
    base = data.draw(st.lists(st.integers(1, 4), max_size=3), label="shape")
    arrays = []
    for k in range(n_in):
        # each input drops leading axes or sets some to 1: shapes that broadcast
        cut = data.draw(st.integers(0, len(base)), label=f"cut{k}")
        shape = [d if not data.draw(st.booleans(), label=f"one{k}") else 1 for d in base[cut:]]
        dtype = np.bool_ if (name == "where" and k == 0) else data.draw(st.sampled_from(_DTYPES))
        arrays.append((np.arange(1, int(np.prod(shape)) + 1) % 3 + 1).reshape(shape).astype(dtype))
    params = {"dtype": np.dtype(np.float32)} if name == "cast" else {}
    with np.errstate(all="ignore"):
        try:
            want = np.asarray(prim.forward(*arrays, **params))
        except (TypeError, ValueError):  # NumPy refuses these dtypes: so does the rule
            with pytest.raises((TypeError, ValueError)):
                shape_rules.evaluate(prim, arrays, params)
            return
    assert shape_rules.evaluate(prim, arrays, params) == (want.shape, want.dtype)


@settings(max_examples=40, deadline=None)
@given(m=st.integers(1, 4), k=st.integers(1, 4), n=st.integers(1, 4),
       batch=st.lists(st.integers(1, 3), max_size=2), left=st.integers(1, 3),
       right=st.integers(1, 3), axis=st.integers(-3, 2), keepdims=st.booleans())
def test_matmul_and_reduction_rules_match_numpy(m, k, n, batch, left, right, axis, keepdims):
    shapes = {1: (k,), 2: (m, k), 3: (*batch, m, k)}
    a = np.ones(shapes[left])
    b = np.ones({1: (k,), 2: (k, n), 3: (*batch[1:], k, n)}[right], np.float32)
    want = np.matmul(a, b)
    assert shape_rules.evaluate(REGISTRY["matmul"], [a, b], {}) == (want.shape, want.dtype)
    if -a.ndim <= axis < a.ndim:
        for name in ("sum", "max", "prod"):
            got = shape_rules.evaluate(REGISTRY[name], [a], {"axis": axis, "keepdims": keepdims})
            want = REGISTRY[name].forward(a, axis=axis, keepdims=keepdims)
            assert got == (np.shape(want), want.dtype)


def _least_squares(X, y, beta):
    with wb.GradientTape() as tape:
        tape.watch(beta)
        loss = wb.reduce_sum((X @ beta - y) ** 2)
    return loss, tape.gradient(loss, beta)


def test_large_trace_runs_no_forward_on_the_data():
    """Every primitive's forward is wrapped to record the most bytes of data it was given:
    tracing the least-squares step on 10**6 rows runs forwards only on small probes (and on
    zero-byte arrays, whose shapes NumPy works out)."""
    seen = []
    originals = {name: prim.forward for name, prim in REGISTRY.items()}

    def counting(forward):
        @functools.wraps(forward)  # keeps __module__: the rules know NumPy's and workbench's
        def run(*xs, **params):
            seen.append(max([np.asarray(x).nbytes for x in xs] or [0]))
            return forward(*xs, **params)
        return run

    n = 10**6
    X = np.broadcast_to(np.float64(0.5), (n, 10))  # no memory; a concrete trace would compute
    try:
        for name, prim in REGISTRY.items():
            object.__setattr__(prim, "forward", counting(originals[name]))
        staged = trace(_least_squares, (X, np.zeros(n), np.ones(10)), (0, 1, 2))
        staged_seen, seen[:] = max(seen), []
        trace(_least_squares, (X, np.zeros(n), np.ones(10)), (0, 1, 2), shapes_only=False)
    finally:
        for name, prim in REGISTRY.items():
            object.__setattr__(prim, "forward", originals[name])
    assert staged.shapes_only
    assert staged_seen <= 80  # beta's 10 float64 at most, never the 10**6 rows
    assert max(seen) >= 8 * n  # the check can fail: the concrete trace does touch the rows


def test_function_that_reads_a_value_is_traced_on_the_data():
    def fn(x):
        y = wb.exp(x)
        np.asarray(y._value).sum()  # reads the data inside the trace (as some composites do)
        return y * 2.0

    x = np.linspace(0.0, 1.0, 5)
    staged, concrete = _both(fn, (x,))
    assert not staged.shapes_only
    _same_graph(staged, concrete)
    np.testing.assert_allclose(wb.function(fn)(x).numpy(), np.exp(x) * 2.0, rtol=1e-15)


def test_caught_need_for_a_value_still_falls_back():
    """A function that catches the stand-in's exception may take another path: the trace is
    not used, whatever the function returned."""
    def fn(x):
        try:
            big = float(np.max(x._value)) > 1.0
        except Exception:  # noqa: BLE001 - on purpose: what a careless user might write
            big = True
        return x * (3.0 if big else 5.0)

    x = np.array([0.1, 0.2])
    staged, concrete = _both(fn, (x,))
    assert not staged.shapes_only
    _same_graph(staged, concrete)
    assert 5.0 in [a.value for e in staged.graph.eqns for a in e.inputs if isinstance(a, Literal)]


def test_unregistered_primitive_is_traced_on_the_data():
    twice = wb.defprimitive("twice_rows", lambda x: np.concatenate([x, x]), register=False)
    staged, concrete = _both(lambda x: twice(x) + 1.0, (np.ones((3, 2)),))
    assert not staged.shapes_only
    _same_graph(staged, concrete)
    assert staged.graph.eqns[0].outputs[0].shape == (6, 2)


def test_trace_error_is_the_same_as_before():
    def branchy(x):
        if wb.reduce_sum(x) > 0:
            return x
        return -x

    with pytest.raises(TraceError, match="traced value was turned into a Python"):
        trace(branchy, (np.ones(3),), (0,))


def test_shape_error_is_numpys_own():
    with pytest.raises(ValueError, match="matmul"):
        trace(lambda a, b: a @ b, (np.ones((3, 4)), np.ones(3)), (0, 1))


def test_variables_assigned_from_stand_ins_are_restored_and_state():
    w = wb.Variable(np.array([1.0, 2.0]), name="w")
    steps = wb.Variable(0, name="steps")

    def step(x):
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum((w * x) ** 2)
        w.assign_sub(0.1 * tape.gradient(loss, w))
        w.assign(w * 1.0)  # reads the staged value back
        steps.assign_add(1)
        return loss, w > 1.5

    x = np.array([0.5, 0.25])
    staged, concrete = _both(step, (x,))
    assert staged.shapes_only
    _same_graph(staged, concrete)
    assert w.numpy().tolist() == [1.0, 2.0] and int(steps.numpy()) == 0
    assert not isinstance(w._value, abstract.Shaped)


def test_lossy_assignment_needs_the_data():
    v32 = wb.Variable(np.zeros(2, np.float32), name="v32")
    staged, concrete = _both(lambda x: v32.assign(x * 2.0), (np.ones(2),))
    assert not staged.shapes_only  # float64 into float32: checked on values, as eagerly
    _same_graph(staged, concrete)


def _pairwise_leaves(start: int, size: int, out: list) -> list:
    """NumPy's pairwise summation recursion, written out (the oracle for ``leaf_schedule``)."""
    if size <= 128:
        out.append([start, size, 0])
        return out
    half = size // 2
    half -= half % 8
    _pairwise_leaves(start, half, out)
    _pairwise_leaves(start + half, size - half, out)
    out[-1][2] += 1
    return out


@settings(max_examples=60, deadline=None)
@given(n=st.one_of(st.integers(1, 2000), st.integers(2000, 10**6)))
def test_leaf_schedule_follows_numpys_recursion(n):
    from workbench.compile.fusion import leaf_schedule

    assert leaf_schedule(n).tolist() == _pairwise_leaves(0, n, [])


def test_convolution_step_on_a_large_batch_traces_shape_only():
    """Convolutions and pools take their shapes from a one-sample probe: a batch far over the
    probe limit still traces without the data, to the same graph."""
    rng = np.random.default_rng(3)
    w1 = wb.Variable(rng.normal(size=(3, 3, 1, 4)) * 0.3, name="w1")

    def step(x):
        with wb.GradientTape() as tape:
            h = wb.nn.relu(wb.nn.conv2d(x, w1, 1, "VALID"))
            p = wb.nn.max_pool2d(h, 2, 2, "SAME") + wb.nn.avg_pool2d(h, 3, 2, "SAME")
            loss = wb.reduce_mean(p ** 2)
        w1.assign_sub(0.1 * tape.gradient(loss, w1))
        return loss

    x = rng.normal(size=(2000, 13, 11, 1))  # over shape_rules.SMALL elements in all
    assert x.size > shape_rules.SMALL
    staged, concrete = _both(step, (x,))
    assert staged.shapes_only
    _same_graph(staged, concrete)


def test_a_staged_tensor_kept_outside_the_trace_says_it_has_no_value():
    kept = []

    def fn(x):
        y = x * 2.0
        kept.append(y)
        return y

    assert trace(fn, (np.ones(3),), (0,)).shapes_only
    with pytest.raises(abstract.NeedsValue, match="return it from the function instead"):
        kept[0].numpy()


def test_assignment_under_a_paused_trace_needs_the_data():
    v = wb.Variable(np.zeros(3), name="v")

    def fn(x):
        from workbench import tape_state

        with tape_state.paused():
            v.assign(x * 1.0)
        return v * 1.0

    staged = trace(fn, (np.ones(3),), (0,))
    assert not staged.shapes_only
    assert not isinstance(v._value, abstract.Shaped)

"""The compiled engine gives the eager answer or one clear error: names, corners, dtypes, random.

Each test names the class of input it covers (docs/reliability.md lists them). Kernels are
small and shared where possible; names are checked as a property over hostile identifiers.
"""

from __future__ import annotations

import keyword
import math

import numpy as np
import pytest
from _compile_support import compile_cache  # noqa: F401 - the session fixture
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.compile.codegen import comment, user_identifier

pytestmark = pytest.mark.usefixtures("compile_cache")

GENERATED = ["i0", "i1", "k3", "t1", "t2", "v1", "v_u_w", "f32_0", "f64_0", "c0", "tid",
             "n_batch", "b_all", "x_all", "u_x__all", "hist_0", "hist_w", "out_0", "last0",
             "step", "n_steps", "record_every", "n_rows", "countdown", "diverged", "block_sum",
             "pairwise_sum", "random_bits", "rint", "njit", "np", "math", "cuda", "numba",
             "range", "abs", "min", "max", "int", "float", "bool", "len", "res1", "res1_0",
             "acc1", "p1", "blk", "leaf", "leaf_start", "leaf_size", "_", "u_x", "u_v", "d1",
             "r1", "block1", "stack1", "finite1", "kern", "Tensor", "rebuild", "s0", "a0"]
LOOKALIKES = ["𝐧𝐩", "ｎｐ", "ｍａｔｈ", "ﬁ", "\\N", "\\N{DASH}", "a\x00b", "x\ny", "x\ry", "w\u2028",
              '"""', "'''", "#", "", " ", "é", "ß", "İ"]
NAMES = st.one_of(st.sampled_from(GENERATED), st.sampled_from(keyword.kwlist),
                  st.sampled_from(LOOKALIKES), st.text(max_size=6),
                  st.from_regex(r"[a-z]{1,3}[0-9_]{0,3}", fullmatch=True))


def _ulps(a, b) -> int:
    """Largest distance in units in the last place between two float arrays of one dtype."""
    a, b = np.asarray(a), np.asarray(b)
    ints = np.int64 if a.dtype == np.float64 else np.int32
    ia, ib = (np.ascontiguousarray(v).view(ints).astype(np.int64) for v in (a, b))
    low = np.int64(np.iinfo(ints).min)
    ia, ib = (np.where(v < 0, low - v, v) for v in (ia, ib))
    return int(np.max(np.abs(ia - ib))) if ia.size else 0


# --- 1. names in generated code --------------------------------------------------------------
@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NAMES, min_size=3, max_size=3))
def test_any_variable_names_give_the_eager_result(names):
    ws = [wb.Variable(np.arange(4.0) + k, name=n) for k, n in enumerate(names)]
    f = wb.function(lambda x: wb.reduce_sum(x * ws[0] + ws[1] * ws[1] - ws[2] * ws[0]))
    x = np.arange(4.0) / 3
    eager = wb.reduce_sum(x * ws[0] + ws[1] * ws[1] - ws[2] * ws[0]).numpy()
    assert float(f(x)) == float(eager)  # + - * and sums are bit-identical
    compile(f.source, "<check>", "exec")
    batch = f.map(np.stack([x, 2 * x]))
    np.testing.assert_array_equal(batch, [eager, wb.reduce_sum(2 * x * ws[0] + ws[1] * ws[1]
                                                               - ws[2] * ws[0]).numpy()])


def test_hostile_names_in_loops_histories_and_sweeps():
    """Arguments named like generated code, Variables sharing a name, repeat and repeat_map."""
    a = wb.Variable(1.0, name="tid")
    b = wb.Variable(2.0, name="tid")  # same name: two History entries, not one
    c = wb.Variable(0.5, name="hist__u_tid")

    def body(np, math, njit, i0):
        a.assign(a * 0.5 + np)
        b.assign(b * 0.25 + c)
        return a + b

    f = wb.function(body)
    h = f.repeat(3, np.float64(1.0), 1.0, 2.0, 3.0, record_every=1)
    want_a, want_b, rows = 1.0, 2.0, []
    for _ in range(3):
        want_a, want_b = want_a * 0.5 + 1.0, want_b * 0.25 + 0.5
        rows.append((want_a, want_b))
    assert set(h.variables) == {"tid", "tid_1"}
    np.testing.assert_array_equal(h["tid"], [r[0] for r in rows])
    np.testing.assert_array_equal(h["tid_1"], [r[1] for r in rows])
    np.testing.assert_array_equal(h.outputs, [r[0] + r[1] for r in rows])
    run = f.repeat_map(2, np.array([1.0, 2.0]), 1.0, 2.0, 3.0, in_axes=(0, None, None, None),
                       state={"tid_1": np.array([2.0, 4.0])})
    assert set(run.variables) == {"tid", "tid_1"}
    np.testing.assert_array_equal(run.variables["tid_1"], [2.0 / 16 + 0.625, 4.0 / 16 + 0.625])


def test_mangled_names_and_comments_are_safe():
    assert user_identifier("𝐧𝐩") == user_identifier("np") == "u_np"
    assert all(user_identifier(n).isidentifier() and not keyword.iskeyword(user_identifier(n))
               and "__" not in user_identifier(n) for n in GENERATED + LOOKALIKES + keyword.kwlist)
    assert "\n" not in comment("a\nb\r\x00\u2028") and "\x00" not in comment("\x00")


def test_primitive_names_must_be_identifiers():
    for bad in ("a\nb", "x-y", "", "1st", "ｎｐ", 3):
        with pytest.raises(ValueError, match="must be an ASCII identifier"):
            wb.defprimitive(bad, lambda x: x, register=False)


# --- 2. corners where compiled and eager could disagree --------------------------------------
@pytest.mark.parametrize("returned", [lambda v: v.read_value(), lambda v: v, lambda v: [v, v * 2],
                                      lambda v: {"a": (v + 1, [v])}, lambda v: None])
def test_a_variable_created_on_every_call_is_refused(returned):
    @wb.function
    def fresh():
        v = wb.Variable(1.0)
        v.assign_add(2.0)
        return returned(v)

    with pytest.raises(wb.compile.TraceError, match="created the wb.Variable"):
        fresh()


def test_a_variable_created_on_the_first_call_and_kept_is_state():
    holder = {}

    @wb.function
    def once():  # created on the first call and kept: allowed, as tf.function allows it
        if "v" not in holder:
            holder["v"] = wb.Variable(1.0)
        holder["v"].assign_add(2.0)
        return holder["v"].read_value()

    assert [float(once()) for _ in range(3)] == [3.0, 5.0, 7.0]


def test_float_constants_key_on_their_bits():
    f = wb.function(lambda x, c: x / c)
    one = np.float64(1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert float(f(one, 0.0)) == math.inf and float(f(one, -0.0)) == -math.inf
        assert float(f(one, 0.0)) == math.inf  # the fast path keys on bits too
        for _ in range(4):
            assert math.isnan(float(f(one, math.nan)))
    assert len(f._concrete) == 3  # 0.0, -0.0 and one trace for nan


def test_captured_arrays_are_frozen_at_trace_time_whatever_their_layout():
    base = np.arange(6.0)
    strided, contiguous = base[::2], base[:3]
    f = wb.function(lambda x: (x + strided, x + contiguous))
    zero = np.zeros(3)
    before = [t.numpy() for t in f(zero)]
    base[:] = 100.0
    after = [t.numpy() for t in f(zero)]
    np.testing.assert_array_equal(before[0], after[0])
    np.testing.assert_array_equal(before[1], after[1])


def test_repeat_history_is_bounded_by_default():
    w = wb.Variable(0.0, name="w")

    @wb.function
    def count():
        w.assign_add(1.0)
        return w.read_value()

    h = count.repeat(5000)
    assert len(h) == 1000 and h.steps[-1] == 5000 and h["w"][-1] == 5000.0
    assert len(count.repeat(30, record_every=1)) == 30


def test_repeat_map_zero_steps_and_read_only_state():
    w = wb.Variable(1.0, name="w")
    lr = wb.Variable(0.1, name="lr")

    @wb.function
    def step(target):
        w.assign_sub(lr * 2 * (w - target))
        return (w - target) ** 2

    with pytest.raises(ValueError, match="steps >= 1"):
        step.repeat_map(0, np.array([2.0, 3.0]))
    with pytest.raises(ValueError, match="not Variables"):
        step.repeat_map(1, np.array([2.0, 3.0]), state={"nope": np.zeros(2)})
    run = step.repeat_map(2, np.array([2.0, 2.0]), state={"lr": np.array([0.1, 0.25])})
    for k, rate in enumerate((0.1, 0.25)):
        value = 1.0
        for _ in range(2):
            value -= rate * 2 * (value - 2.0)
        assert run.variables["w"][k] == value


def test_step_returning_nothing():
    w = wb.Variable(1.0, name="w")

    @wb.function
    def bump(x):
        w.assign_add(x)

    assert bump(np.float64(2.0)) is None and float(w.numpy()) == 3.0
    h = bump.repeat(3, np.float64(1.0), record_every=1)
    assert h.outputs is None and h["w"].tolist() == [4.0, 5.0, 6.0]


# --- 3. what is bit-identical and what agrees to a bound ------------------------------------
EXACT = {
    "add": lambda x, y: x + y, "sub": lambda x, y: x - y, "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y, "neg": lambda x, y: -x, "abs": lambda x, y: wb.abs(y),
    "square": lambda x, y: wb.square(y), "sqrt": lambda x, y: wb.sqrt(x),
    "maximum": lambda x, y: wb.maximum(x, y), "where": lambda x, y: wb.where(y > 0, x, y),
    "sum": lambda x, y: wb.reduce_sum(x * y), "mean": lambda x, y: wb.reduce_mean(x),
    "max": lambda x, y: wb.reduce_max(y),
}
ULP2 = {
    "exp": lambda x, y: wb.exp(y), "log": lambda x, y: wb.log(x), "tanh": lambda x, y: wb.tanh(y),
    "sin": lambda x, y: wb.sin(y), "cos": lambda x, y: wb.cos(y), "pow": lambda x, y: x ** y,
    "sigmoid": lambda x, y: wb.nn.sigmoid(y), "softplus": lambda x, y: wb.nn.softplus(y),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_exact_class_is_bit_identical_and_transcendentals_within_two_ulp(dtype):
    rng = np.random.default_rng(7)
    x = rng.uniform(0.1, 3.0, 300).astype(dtype)
    y = rng.uniform(-2.0, 2.0, 300).astype(dtype)
    table = {**EXACT, **ULP2}
    f = wb.function(lambda x, y: tuple(fn(x, y) for fn in table.values()))
    for name, got in zip(table, f(x, y), strict=True):
        want = table[name](wb.constant(x), wb.constant(y)).numpy()
        assert got.dtype == want.dtype, name
        if name in EXACT:
            np.testing.assert_array_equal(got.numpy(), want, err_msg=name)
        else:
            assert _ulps(got.numpy(), want) <= 2, name


def test_matmul_agrees_within_the_summation_bound():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(20, 30)), rng.normal(size=(30, 10))
    got = wb.function(lambda a, b: a @ b)(a, b).numpy()
    want = (wb.constant(a) @ wb.constant(b)).numpy()
    bound = 30 * np.finfo(np.float64).eps * (np.abs(a) @ np.abs(b))
    assert np.all(np.abs(got - want) <= bound)


@pytest.mark.parametrize("make, exact", [(lambda: wb.optim.SGD(0.1, momentum=0.9), True),
                                         (lambda: wb.optim.RMSprop(0.01), True),
                                         (lambda: wb.optim.Adam(0.05), False)])
def test_optimizer_steps_compiled_against_eager(make, exact):
    x = np.linspace(-1.0, 1.0, 7)
    runs = []
    for compiled in (True, False):
        w = wb.Variable(np.full(7, 0.3), name="w")
        opt = make()

        def step(x, w=w, opt=opt):
            with wb.GradientTape() as tape:
                loss = wb.reduce_sum((w * x - 1.0) ** 2)
            opt.apply_gradients([(tape.gradient(loss, w), w)])
            return loss

        run = wb.function(step) if compiled else step
        for _ in range(5):
            run(x)
        runs.append(w.numpy())
    if exact:
        np.testing.assert_array_equal(runs[0], runs[1])
    else:
        np.testing.assert_allclose(runs[0], runs[1], rtol=1e-13, atol=0)


# --- 4. unusual dtypes and arguments ---------------------------------------------------------
def test_unsupported_dtypes_raise_one_clear_error():
    f = wb.function(lambda x: x * 2.0)
    for dtype, hint in ((np.float16, "cast it to float32"), (np.complex128, "complex")):
        with pytest.raises(TypeError, match=f"argument 0 of dtype {np.dtype(dtype)}.*{hint}"):
            f(np.ones(3, dtype))
    v = wb.Variable(np.ones(2, np.complex64), name="z")
    with pytest.raises(TypeError, match="Variable 'z' of dtype complex64"):
        wb.function(lambda: v * 2.0)()


def test_big_endian_and_odd_names_work():
    f = wb.function(lambda x: x * 2.0 + 1.0)
    big = np.arange(3.0).astype(">f8")
    np.testing.assert_array_equal(f(big).numpy(), np.arange(3.0) * 2.0 + 1.0)
    np.testing.assert_array_equal(f(big).numpy(), f(np.arange(3.0)).numpy())
    v = wb.Variable(2.0, name=123)
    g = wb.function(lambda x: x * v)
    assert float(g(np.float64(3.0))) == 6.0


def test_map_over_a_scalar_says_it_has_no_batch_axis():
    f = wb.function(lambda x: x * 2.0)
    with pytest.raises(ValueError, match="argument 0 is a scalar"):
        f.map(np.float64(1.0))


# --- random numbers inside wb.function ----------------------------------------------------
def test_random_draws_are_fresh_per_call_and_step_and_reproducible():
    w = wb.Variable(np.zeros(4), name="w")

    @wb.function
    def noisy(x):
        w.assign_add(wb.random.uniform((4,)))
        return x + wb.random.normal((4,))

    def calls():
        wb.random.set_seed(42)
        w.assign(np.zeros(4))
        outs = [noisy(np.zeros(4)).numpy() for _ in range(3)]
        return outs, w.numpy()

    (o1, w1), (o2, w2) = calls(), calls()
    for a, b in zip(o1, o2, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(w1, w2)
    assert not np.array_equal(o1[0], o1[1]) and not np.array_equal(o1[1], o1[2])
    assert np.all((w1 > 0) & (w1 < 3))
    h = noisy.repeat(50, np.zeros(4), record_every=1)
    assert len({tuple(row) for row in h.outputs}) == 50  # every step draws anew
    assert "wb.random.KEY" not in h.variables
    copies = noisy.map(np.zeros((3, 4)))
    assert len({tuple(row) for row in copies}) == 3  # every copy draws its own numbers

"""Bad input and hard input for the symbolic engine: stationary points over the reals, the wall
clock budget, nesting too deep for SymPy, symbol names that collide, invalid orders, and
non-finite inputs to check_gradients."""

import signal
import sys
import threading
import time
import warnings

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.symbolic import Budget, SymbolicBudgetExceeded


def _scalar_tape(fn, x0=0.5, name="x"):
    x = wb.Variable(x0, name=name)
    with wb.GradientTape() as tape:
        y = fn(x)
    return tape, y, x


# --- solve_stationary ------------------------------------------------------------------------
def test_quartic_has_three_stationary_points():
    tape, y, x = _scalar_tape(lambda x: x**4 - 2 * x**2)
    st_ = tape.solve_stationary(y, x)
    assert [float(s) for s in st_.all_solutions] == pytest.approx([-1.0, 0.0, 1.0])
    assert np.allclose([float(v) for v in st_.values], [-1.0, 0.0, 1.0])
    assert abs(float(st_.tape_gradient)) < 1e-12
    assert "{-1, 0, 1}" in str(st_)


@settings(max_examples=12, deadline=None)
@given(st.integers(-4, 4), st.integers(1, 5))
def test_stationary_points_of_double_wells(r, gap):
    """(x - r)^2 (x - s)^2 has stationary points r, (r + s)/2, s: each found, tape grad 0."""
    s = r + gap
    tape, y, x = _scalar_tape(lambda x: (x - r) ** 2 * (x - s) ** 2, x0=0.25)
    st_ = tape.solve_stationary(y, x)
    np.testing.assert_allclose(np.array([float(v) for v in st_.values]),
                               [r, (r + s) / 2, s], atol=1e-12)
    for v in st_.values:
        grad = st_.derivation.tape_gradient_at(x=v)
        assert abs(float(grad)) < 1e-9


@pytest.mark.parametrize("fn", [wb.exp, lambda x: x + wb.exp(x), lambda x: x**3 + x])
def test_no_real_stationary_point_is_a_clear_error(fn):
    tape, y, x = _scalar_tape(fn)
    with pytest.raises(ValueError, match="no stationary point"):
        tape.solve_stationary(y, x)


@pytest.mark.parametrize("x0", [0.5, 4.0, -7.0])
def test_periodic_function_gives_its_infinite_family(x0):
    tape, y, x = _scalar_tape(wb.sin, x0=x0)
    st_ = tape.solve_stationary(y, x)
    assert st_.family is not None and not st_.family.is_finite_set
    v = float(st_.value)
    assert abs(np.cos(v)) < 1e-12  # a stationary point of sin
    assert abs(v - x0) <= np.pi / 2 + 1e-9  # the member nearest the recorded value
    text = str(st_)
    assert "n ∈ ℤ" in text and "pi/2" in text


def test_flat_stretch_gives_a_finite_member_and_says_the_tape_follows_recorded_branches():
    tape, y, x = _scalar_tape(wb.nn.relu, x0=0.7)
    st_ = tape.solve_stationary(y, x)
    v = float(st_.value)
    assert np.isfinite(v) and v < 0  # inside the open interval (-oo, 0), not -oo
    assert st_.notes and "branches" in st_.notes[0]


@pytest.mark.parametrize("a,want", [(4.0, [-2.0, 2.0]), (-4.0, None)])
def test_solutions_with_parameters_are_real_at_the_recorded_values(a, want):
    c = wb.constant(a, name="a")
    tape, y, x = _scalar_tape(lambda x: x**3 / 3 - c * x)
    if want is None:
        with pytest.raises(ValueError, match="no stationary point"):
            tape.solve_stationary(y, x)
    else:
        st_ = tape.solve_stationary(y, x)
        np.testing.assert_allclose([float(v) for v in st_.values], want)


def test_unsolvable_gradient_is_a_clear_error():
    tape, y, x = _scalar_tape(lambda x: x * wb.sin(x))
    with pytest.raises(ValueError, match="cannot solve"):
        tape.solve_stationary(y, x)


def test_nonlinear_vector_source_falls_back_to_the_element_view():
    x = wb.Variable([0.5, -0.5], name="x")
    with wb.GradientTape() as tape:
        y = wb.reduce_sum(x**3 / 3 - x)
    st_ = tape.solve_stationary(y, x)
    points = {tuple(np.round(np.ravel(v).astype(float), 9)) for v in st_.values}
    assert points == {(a, b) for a in (-1.0, 1.0) for b in (-1.0, 1.0)}


# --- the wall-clock budget ---------------------------------------------------------------------
def _hard_derivation_tape():
    rng = np.random.default_rng(0)
    x = wb.Variable(rng.normal(size=3), name="x")
    W = wb.constant(rng.normal(size=(3, 3)), name="W")
    with wb.GradientTape(persistent=True) as tape:
        y = wb.reduce_sum(wb.tanh(W @ wb.tanh(W @ x)) * wb.exp(x))
    return tape, y, x


@pytest.mark.parametrize("seconds", [0.3, 1.0])
def test_budget_bounds_wall_time_even_inside_simplify(seconds):
    tape, y, x = _hard_derivation_tape()
    handler = signal.getsignal(signal.SIGALRM)
    budget = Budget(seconds=seconds, simplify_seconds=1000, simplify_ops=10**6)
    start = time.perf_counter()
    with pytest.raises(SymbolicBudgetExceeded, match="raise the budget"):
        tape.derive(y, x, view="elements", budget=budget)
    assert time.perf_counter() - start < seconds + 2.0  # loose: the bound, not a timing
    # the engine leaves no timer and no handler of its own behind
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) is handler


def test_budget_in_a_worker_thread_stays_bounded():
    tape, y, x = _hard_derivation_tape()
    out = {}

    def work():
        start = time.perf_counter()
        try:
            out["d"] = tape.derive(y, x, view="elements", budget=Budget(seconds=5))
        except SymbolicBudgetExceeded as exc:
            out["err"] = exc
        out["t"] = time.perf_counter() - start

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert not thread.is_alive() and out["t"] < 5 + 2.0
    if "d" in out:  # simplify is skipped off the main thread; the numbers are still right
        np.testing.assert_allclose(out["d"].value, out["d"].tape_value, rtol=1e-10)


@pytest.fixture
def default_recursion_limit():
    """Python's default limit, which the engine's depth limit follows (hypothesis raises it)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


@pytest.mark.usefixtures("default_recursion_limit")
def test_deep_nesting_is_a_budget_error_not_a_recursion_error():
    z = wb.Variable(0.3, name="z")
    with wb.GradientTape(persistent=True) as tape:
        y = z
        for _ in range(200):
            y = wb.sin(y)
    with pytest.raises(SymbolicBudgetExceeded, match="nested"):
        tape.expression(y)
    with pytest.raises(SymbolicBudgetExceeded, match="nested|recursion"):
        tape.derive(y, z, view="elements")
    d = tape.derive(y, z)  # the default view is a straight-line program
    np.testing.assert_allclose(d.value, d.tape_value, rtol=1e-12)


# --- symbol names --------------------------------------------------------------------------------
NAMES = st.sampled_from(["x", "x", "x_1", "x_0", "t1", "a1", "c0", "v", None])


@settings(max_examples=15, deadline=None)
@given(st.lists(st.tuples(NAMES, st.sampled_from([(), (2,)])), min_size=2, max_size=3))
def test_values_never_share_a_symbol(specs):
    """Same-named Variables, names equal to element or generated symbols: every derivative
    agrees with the tape, and the expression has one symbol per element."""
    rng = np.random.default_rng(len(specs))
    vs = [wb.Variable(rng.uniform(0.5, 1.5, size=shape), name=name) for name, shape in specs]
    with wb.GradientTape(persistent=True) as tape:
        y = wb.constant(1.0)
        for k, v in enumerate(vs):
            y = y * (wb.reduce_sum(v * v) + (k + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        expr = tape.expression(y)
    n_elements = sum(int(np.prod(s)) for _, s in specs)
    explicit = wb.symbolic.verify.explicit(expr) if hasattr(expr, "shape") else expr
    assert len(sympy.sympify(explicit).free_symbols) == n_elements
    for v in vs:
        d = tape.derive(y, v)
        np.testing.assert_allclose(np.ravel(d.value), np.ravel(tape.gradient(y, v)), rtol=1e-10)


def test_renaming_is_said():
    p, q = wb.Variable(2.0, name="x"), wb.Variable(3.0, name="x")
    with wb.GradientTape() as tape:
        y = p * q
    with pytest.warns(UserWarning, match="x_1"):
        assert str(tape.expression(y)) == "x*x_1"
    d = tape.derive(y, q)
    assert any("x_1" in n for n in d.notes) and float(d.value) == pytest.approx(2.0)


# --- orders and non-finite inputs ------------------------------------------------------------
@pytest.mark.parametrize("order", [0, -1, 1.5, True, "1"])
def test_derive_order_must_be_a_positive_integer(order):
    tape, y, x = _scalar_tape(lambda x: x**3)
    with pytest.raises(ValueError, match="positive integer"):
        tape.derive(y, x, order=order)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 3), min_size=0, max_size=2),
       st.sampled_from([np.nan, np.inf, -np.inf]), st.integers(0, 100))
def test_check_gradients_names_a_non_finite_input(shape, bad, where):
    a = np.linspace(0.5, 1.5, int(np.prod(shape))).reshape(shape)
    idx = np.unravel_index(where % a.size, a.shape) if a.ndim else ()
    a[idx] = bad
    with pytest.raises(ValueError, match=r"arg1 contains (NaN|an infinite value)") as info:
        wb.check_gradients(lambda c, x: wb.reduce_sum(x * x) * c, 2.0, a, engines=("tape", "fd"))
    if a.ndim:
        assert str(tuple(int(i) for i in idx)) in str(info.value)


@pytest.mark.parametrize("fn,x", [(wb.log, [1.0, -1.0]), (lambda x: 1.0 / x, [0.0, 2.0])])
def test_check_gradients_outside_the_domain_is_a_clear_error(fn, x):
    with pytest.raises(ValueError, match="undefined there"):
        wb.check_gradients(lambda x: wb.reduce_sum(fn(x)), np.array(x), engines=("tape", "fd"))


@pytest.mark.parametrize("fn", [wb.math.erf, lambda x: wb.math.erf(wb.sinh(x)) ** 2],
                         ids=["erf", "erf(sinh)^2"])
@pytest.mark.parametrize("shape", [(), (3,)])
def test_special_functions_in_closed_forms_evaluate_on_arrays(fn, shape):
    """The closed form's NumPy function prints erf through scipy.special (math.erf fails on
    arrays and was not in its namespace); its value is the tape's gradient."""
    value = np.linspace(-0.8, 0.9, 3)
    x = wb.Variable(value if shape else value[0], name="x")
    with wb.GradientTape(persistent=True) as tape:
        f = wb.reduce_sum(fn(x) * x)
    np.testing.assert_allclose(tape.derive(f, x).value, tape.gradient(f, x).numpy(), rtol=1e-12)

"""check_gradients: passes on correct functions, names the engine of a wrong gradient (order 1
and 2), warns on float32, reports kinks, compares dtypes, and takes new engines."""

import numpy as np
import pytest
import sympy

import workbench as wb
from workbench.check.engines import ENGINES, EngineUnavailable, Estimate, register_engine
from workbench.testing import assert_gradients_close

HAS_DERIVE = hasattr(wb.GradientTape, "derive")
needs_derive = pytest.mark.skipif(not HAS_DERIVE, reason="GradientTape.derive (symbolic engine) "
                                  "is not in this build")

# Seed data from the least-squares example: x with an intercept column, a noisy linear y.
XDATA = np.array([20.1, 22.2, 22.7, 23.3, 24.4, 25.1, 26.2, 27.3, 28.4, 30.4])
X = np.column_stack([np.ones_like(XDATA), XDATA])
Y = 1.5 + 0.8 * XDATA + np.random.default_rng(1).normal(scale=0.3, size=XDATA.size)


def polynomial(x):
    return wb.sum(3 * x**4 - 2 * x**3 + x - 7)


def sin_exp(x, y):
    return wb.sum(wb.sin(wb.exp(0.3 * x) * y) + wb.exp(wb.sin(x)) * wb.cos(y))


def least_squares(beta):
    r = wb.constant(Y) - wb.constant(X) @ beta
    return wb.sum(r * r)


def softmax_cross_entropy(logits, labels):
    return -wb.sum(labels * wb.nn.log_softmax(logits, axis=-1))


RNG = np.random.default_rng(0)
CORRECT = {
    "polynomial": (polynomial, (wb.constant([0.3, -1.2, 2.0]),)),
    "sin_exp": (sin_exp, (wb.constant([0.1, 0.7]), wb.constant([1.3, -0.4]))),
    "least_squares": (least_squares, (wb.constant([1.0, 0.5]),)),
    "softmax_xent": (softmax_cross_entropy,
                     (RNG.normal(size=(4, 3)), np.eye(3)[[0, 2, 1, 2]])),
    "structured": (lambda p, x: wb.sum(wb.tanh(x @ p["w"] + p["b"])),
                   ({"w": RNG.normal(size=(3, 2)), "b": 0.1}, RNG.normal(size=(5, 3)))),
}


@pytest.mark.parametrize("name", list(CORRECT))
def test_passes_on_correct_functions(name):
    f, args = CORRECT[name]
    report = wb.check_gradients(f, *args)
    assert report.ok
    assert report.row("tape").status in ("ok", "reference")
    assert report.row("fd").status in ("ok", "reference")
    assert report.row("tape").max_rel < 1e-7 or report.reference == "tape"
    assert report.row("compiled").status == "ok"  # the Numba kernel agrees too


@pytest.mark.parametrize("name", ["polynomial", "sin_exp", "least_squares"])
def test_passes_on_correct_functions_order_2(name):
    f, args = CORRECT[name]
    report = wb.check_gradients(f, *args, order=2)
    assert report.ok and report.row("tape").status in ("ok", "reference")


def test_compiled_engine_is_unavailable_not_failing_for_a_data_dependent_branch():
    def branchy(x):
        y = wb.sum(x * x)
        return y * 2.0 if y > 1.0 else y  # Python branch on a traced value: cannot compile

    report = wb.check_gradients(branchy, wb.constant([0.8, 0.9]))
    assert report.ok
    row = report.row("compiled")
    assert row.status.startswith("unavailable") and "TraceError" in row.status + " ".join(row.notes)
    assert report.row("tape").status in ("ok", "reference")


def test_report_agrees_with_a_hand_written_gradient():
    # The tape row's value must be the true gradient, not just agree with fd: closed form here.
    x = np.array([0.3, -1.2, 2.0])
    report = wb.check_gradients(polynomial, wb.constant(x), engines=("tape", "fd"))
    shown = report.row("tape").summary
    for g in 12 * x**3 - 6 * x**2 + 1:
        assert f"{g:.6g}" in shown


def test_structured_arguments_are_named_in_the_report():
    f, args = CORRECT["structured"]
    text = str(wb.check_gradients(f, *args))
    assert "arg0['w'] float64[3, 2]" in text and "arg0['b'] float64[]" in text
    assert "arg1 float64[5, 3]" in text


# A custom gradient's body is opaque to the symbolic engine; these tests pit the tape against
# finite differences, and the default engines are exercised by the test right after them.
NUMERIC = ("tape", "fd")


@wb.custom_gradient
def wrong_cube(x):
    return x**3, lambda upstream: upstream * 2 * x**2  # the derivative is 3 x**2


@wb.custom_gradient
def numpy_grad_cube(x):
    # Right first derivative, but computed from untracked NumPy values: its own derivative is lost.
    return x**3, lambda upstream: upstream * wb.constant(3 * x.numpy() ** 2)


@wb.custom_gradient
def good_cube(x):
    return x**3, lambda upstream: upstream * 3 * x**2


def test_wrong_custom_gradient_is_caught_and_the_engine_named():
    x = wb.constant([0.5, -1.0, 2.0])
    with pytest.raises(wb.GradientMismatch) as info:
        wb.check_gradients(lambda x: wb.sum(wrong_cube(x)), x, engines=NUMERIC)
    err = info.value
    assert isinstance(err, AssertionError)
    assert err.engine == "tape"
    message = str(err)
    assert "engine 'tape' disagrees" in message
    # worst element: the largest |3x² - 2x²| = x² is at x=2.0, index 2 (true value 12, tape 8)
    assert "arg0[2]: tape 8" in message and "fd 12" in message
    assert "max rel err" in message and "engine  status" in message  # the table follows


def test_wrong_custom_gradient_is_caught_with_the_default_engines():
    with pytest.raises(wb.GradientMismatch):
        wb.check_gradients(lambda x: wb.sum(wrong_cube(x)), wb.constant([0.5, -1.0, 2.0]))


def test_assert_gradients_close_raises_with_the_table():
    with pytest.raises(AssertionError, match=r"(?s)engine 'tape' disagrees.*max abs err.*fd"):
        assert_gradients_close(lambda x: wb.sum(wrong_cube(x)), np.array([1.0, 2.0]),
                               engines=NUMERIC)
    report = assert_gradients_close(lambda x: wb.sum(good_cube(x)), np.array([1.0, 2.0]))
    assert report.ok


def test_order_2_catches_a_gradient_built_from_numpy_values():
    x = wb.constant([0.5, -1.0, 2.0])
    f = lambda x: wb.sum(numpy_grad_cube(x))
    assert wb.check_gradients(f, x).ok  # the first derivative is right
    with pytest.raises(wb.GradientMismatch, match="engine 'tape' disagrees") as info:
        wb.check_gradients(f, x, order=2)
    assert info.value.engine == "tape"
    assert wb.check_gradients(lambda x: wb.sum(good_cube(x)), x, order=2).ok


def test_float32_inputs_warn():
    x = np.array([0.3, 1.1], dtype=np.float32)
    with pytest.warns(UserWarning, match="designed for float64"):
        report = wb.check_gradients(lambda x: wb.sum(wb.sin(x) * x), x)
    assert report.ok and report.dtype == "float32"


# Kink tests compare the tape with finite differences only: what a closed form says exactly at
# a kink (Heaviside(0), ...) is a convention of its own.
KINK_ENGINES = ("tape", "fd")


def test_kink_at_abs_zero_is_reported():
    report = wb.check_gradients(lambda x: wb.sum(wb.abs(x) * x), wb.constant([0.0, 1.5, -2.0]),
                                engines=KINK_ENGINES)
    (kink,) = report.kinks
    assert kink.op == "abs" and kink.elements == ((0,),)
    assert "abs (op 1 of" in str(report) and "kinks" in str(report)


def test_kink_at_relu_zero_explains_the_disagreement():
    x = wb.constant([0.0, 2.0, -1.0])
    report = wb.check_gradients(lambda x: wb.sum(wb.nn.relu(x)), x, engines=KINK_ENGINES)
    # fd sees the slope 1/2 at 0, the tape uses relu'(0) = 0
    assert report.row("tape").status == "kink-explained"
    assert [k.op for k in report.kinks] == ["relu"] and report.kinks[0].elements == ((0,),)
    assert report.ok


def test_ties_in_maximum_and_max_are_kinks():
    a, b = wb.constant([1.0, 2.0]), wb.constant([1.0, 3.0])
    report = wb.check_gradients(lambda a, b: wb.sum(wb.maximum(a, b)), a, b, engines=KINK_ENGINES)
    assert [(k.op, k.elements) for k in report.kinks] == [("maximum", ((0,),))]
    report = wb.check_gradients(lambda x: wb.max(x), wb.constant([2.0, 0.5, 2.0]),
                                engines=KINK_ENGINES)
    assert [(k.op, k.elements) for k in report.kinks] == [("max", ((0,), (2,)))]
    # tied maxima share the gradient equally, which is what central differences see too
    assert report.row("tape").status == "ok"


def test_no_kinks_away_from_them():
    report = wb.check_gradients(lambda x: wb.sum(wb.nn.relu(x) + wb.abs(x)), wb.constant([0.5]))
    assert report.kinks == [] and report.row("tape").status in ("ok", "reference")


def test_compare_dtypes_shows_float32_error_larger():
    x = np.array([0.3, -0.8, 1.7])
    report = wb.check_gradients(lambda x: wb.sum(wb.exp(wb.sin(x)) * x**2), x,
                                compare_dtypes=True)
    rows = {r.dtype: r for r in report.dtype_rows}
    assert set(rows) == {"float32", "float64"}
    assert rows["float32"].max_rel > 100 * rows["float64"].max_rel
    assert rows["float64"].max_rel < 1e-8 and rows["float32"].max_rel < 1e-4
    text = str(report)
    assert "float32 vs float64" in text and "float32" in report._repr_markdown_()


def test_toy_engine_registers_and_is_compared(monkeypatch):
    def toy(problem):  # the exact gradient of sum(x**2), written by hand
        return Estimate(full=[[2 * a for a in problem.inputs]])

    def broken(problem):
        return Estimate(probes=np.array([0.0 for _ in problem.u]))

    def shy(problem):
        raise EngineUnavailable("needs a GPU")

    monkeypatch.setitem(ENGINES, "toy", toy)
    monkeypatch.setitem(ENGINES, "broken", broken)
    monkeypatch.setitem(ENGINES, "shy", shy)
    x = wb.constant([1.0, -3.0])
    f = lambda x: wb.sum(x * x)
    report = wb.check_gradients(f, x, engines=("tape", "fd", "toy", "shy"))
    assert report.row("toy").status == "ok" and report.row("toy").max_abs < 1e-8
    assert report.row("shy").status == "unavailable: needs a GPU"
    with pytest.raises(wb.GradientMismatch, match="'broken' disagrees") as info:
        wb.check_gradients(f, x, engines=("tape", "fd", "broken"))
    assert info.value.engine == "broken"
    with pytest.raises(ValueError, match="already registered"):
        register_engine("toy", toy)
    with pytest.raises(ValueError, match="unknown gradient engine"):
        wb.check_gradients(f, x, engines=("tape", "nope"))


def test_report_renders_as_markdown_table():
    md = wb.check_gradients(polynomial, wb.constant([1.0, 2.0]))._repr_markdown_()
    assert "| engine | status | value |" in md and "| tape |" in md


def test_non_scalar_output_uses_a_random_projection():
    # softmax outputs sum to 1, so the gradient of their plain sum is 0 whatever the rule says.
    x = wb.constant([0.2, -0.5, 1.0])
    assert wb.check_gradients(lambda x: wb.nn.softmax(x), x).ok
    with pytest.raises(wb.GradientMismatch):
        wb.check_gradients(lambda x: wrong_cube(x), x)


# --- the sympy engine -------------------------------------------------------------------
class FakeDerivation:
    def __init__(self, value):
        self.value = value
        self.expr = None


def test_sympy_engine_unavailable_without_derive(monkeypatch):
    def missing(self):
        raise AttributeError("derive")

    monkeypatch.setattr(wb.GradientTape, "derive", property(missing), raising=False)
    report = wb.check_gradients(polynomial, wb.constant([1.0, 2.0]))
    assert report.row("sympy").status.startswith("unavailable: GradientTape.derive")
    assert report.reference == "fd" and report.ok


def test_sympy_engine_unavailable_when_derive_raises(monkeypatch):
    def derive(self, target, source, order=1):
        raise RuntimeError("symbolic budget exceeded (200 ops)")

    monkeypatch.setattr(wb.GradientTape, "derive", derive, raising=False)
    report = wb.check_gradients(polynomial, wb.constant([1.0, 2.0]))
    status = report.row("sympy").status
    assert status == "unavailable: RuntimeError: symbolic budget exceeded (200 ops)"
    assert report.ok


def _sympy_gradient_of_polynomial(x):
    t = sympy.Symbol("t")
    d = sympy.lambdify(t, sympy.diff(3 * t**4 - 2 * t**3 + t - 7, t))
    return np.array([d(v) for v in x])


def test_sympy_engine_is_the_reference_when_derive_works(monkeypatch):
    x = np.array([1.0, -0.5, 2.0])

    def derive(self, target, source, order=1):
        return FakeDerivation(_sympy_gradient_of_polynomial(x))

    monkeypatch.setattr(wb.GradientTape, "derive", derive, raising=False)
    report = wb.check_gradients(polynomial, x)
    assert report.reference == "sympy" and report.row("tape").status == "ok"
    assert report.row("tape").max_rel < 1e-12  # tape vs exact, element by element


def test_a_wrong_reference_is_named_when_the_others_agree(monkeypatch):
    x = np.array([1.0, -0.5, 2.0])

    def derive(self, target, source, order=1):
        return FakeDerivation(_sympy_gradient_of_polynomial(x) + 1.0)

    monkeypatch.setattr(wb.GradientTape, "derive", derive, raising=False)
    with pytest.raises(wb.GradientMismatch, match="reference engine 'sympy' disagrees") as info:
        wb.check_gradients(polynomial, x)
    assert info.value.engine == "sympy"


@needs_derive
def test_real_sympy_engine_agrees_on_polynomial_and_least_squares():
    for name in ("polynomial", "least_squares"):
        f, args = CORRECT[name]
        report = wb.check_gradients(f, *args)
        assert report.reference == "sympy", report.row("sympy").status
        assert report.row("tape").status == "ok" and report.row("fd").status == "ok"


@needs_derive
def test_real_sympy_engine_second_order_and_dtype_table():
    f, args = CORRECT["polynomial"]
    report = wb.check_gradients(f, *args, order=2, compare_dtypes=True)
    assert report.reference == "sympy" and report.ok
    assert report.dtype_reference.startswith("sympy")


def test_kink_within_the_step_explains_the_disagreement():
    # relu's input 1e-5 is inside the finite-difference step (about 7e-4): fd sees a blend.
    report = wb.check_gradients(lambda x: wb.sum(wb.nn.relu(x)), wb.constant([1e-5, 2.0]),
                                engines=KINK_ENGINES)
    assert report.row("tape").status == "kink-explained"
    (kink,) = report.kinks
    assert kink.op == "relu" and kink.elements == ((0,),) and "within" in kink.detail


def test_a_kink_does_not_hide_an_unrelated_wrong_gradient():
    x = wb.constant([0.0, 1.0, 2.0])  # relu(x[0]) sits at its kink; wrong_cube is wrong anyway
    with pytest.raises(wb.GradientMismatch, match="engine 'tape' disagrees") as info:
        wb.check_gradients(lambda x: wb.sum(wrong_cube(x)) + wb.nn.relu(x[0]), x, engines=NUMERIC)
    assert "persists at a nearby point" in str(info.value)


def test_the_worst_element_names_the_structured_leaf():
    params = {"w": np.array([0.5, -1.0, 2.0]), "b": 1.5}

    def f(p, x):
        return wb.sum(p["w"] * x) + wrong_cube(p["b"])

    with pytest.raises(wb.GradientMismatch, match=r"worst element arg0\['b'\]: tape 4.5, fd 6.75"):
        wb.check_gradients(f, params, np.array([1.0, 2.0, 3.0]), engines=NUMERIC)


def test_large_inputs_are_checked_along_random_directions():
    x = wb.constant(np.linspace(-1.0, 1.0, 100))  # above FD_FULL_MAX: projections only
    assert wb.check_gradients(lambda x: wb.sum(good_cube(x)), x).ok
    with pytest.raises(wb.GradientMismatch, match=r"worst element <u_\d, grad>: tape"):
        wb.check_gradients(lambda x: wb.sum(wrong_cube(x)), x, engines=NUMERIC)


def test_sqrt_at_zero_is_a_reported_singular_point():
    report = wb.check_gradients(lambda x: wb.sum(wb.sqrt(x)), np.array([0.0, 1.0]),
                                engines=KINK_ENGINES)
    assert [(k.op, k.elements) for k in report.kinks] == [("sqrt", ((0,),))]
    assert report.row("tape").status == "kink-explained" and "infinite derivative" in str(report)


def test_tape_and_compiled_sharing_a_wrong_rule_do_not_outvote_finite_differences():
    # Both run the same (wrong) custom VJP, so their agreement is one witness, not two.
    @wb.custom_gradient
    def bad_square(x):
        return x * x, lambda upstream: upstream * 3 * x

    with pytest.raises(wb.GradientMismatch) as caught:
        wb.check_gradients(lambda x: wb.sum(bad_square(x)), np.array([1.0, 2.0]))
    assert caught.value.engine in ("tape", "compiled")
    assert "engine 'tape' disagrees with the reference 'fd'" in str(caught.value)

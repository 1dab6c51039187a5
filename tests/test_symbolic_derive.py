"""Closed forms from tape.derive asserted as SymPy equalities, checked against independent
oracles (hand-derived formulas, NumPy closed forms, central differences)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import workbench as wb
from workbench.symbolic import Derivation, verify

SEED_X = [20.1, 22.2, 22.7, 23.3, 24.4, 25.1, 26.2, 27.3, 28.4, 30.4]


def _scalar_tape(fn, value=1.3, name="x"):
    x = wb.constant(value, name=name)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = fn(x)
    return tape, x, y


def test_x_squared_squared_is_4x3():
    x = wb.constant(3.0, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    d = tape.derive(z, x)
    s = sympy.Symbol("x", real=True)
    assert isinstance(d, Derivation)
    assert sympy.simplify(d.expr - 4 * s**3) == 0
    assert sympy.simplify(d.tape_expr - 4 * s**3) == 0
    np.testing.assert_allclose([d.value, d.tape_value, d.fd_value], 4 * 27.0, rtol=1e-7)
    assert "symbolic" in d.proof


def test_cube_first_and_second_derivative():
    tape, x, y = _scalar_tape(lambda x: x**3, 2.0)
    s = sympy.Symbol("x", real=True)
    d1 = tape.derive(y, x)
    d2 = tape.derive(y, x, order=2)
    assert sympy.simplify(d1.expr - 3 * s**2) == 0
    assert sympy.simplify(d2.expr - 6 * s) == 0
    assert sympy.simplify(d2.tape_expr - 6 * s) == 0
    np.testing.assert_allclose(d2.tape_value, 12.0, rtol=1e-12)
    np.testing.assert_allclose(d2.fd_value, 12.0, rtol=1e-5)


def test_sigmoid_derivative_is_sigma_one_minus_sigma():
    tape, x, y = _scalar_tape(wb.nn.sigmoid, 0.4)
    s = sympy.Symbol("x", real=True)
    sig = 1 / (1 + sympy.exp(-s))
    d = tape.derive(y, x)
    assert verify.equal(d.expr, sig * (1 - sig))
    assert verify.equal(d.tape_expr, sig * (1 - sig))


def test_softplus_derivative_is_sigmoid():
    tape, x, y = _scalar_tape(wb.nn.softplus, -0.8)
    s = sympy.Symbol("x", real=True)
    d = tape.derive(y, x)
    assert verify.equal(d.expr, 1 / (1 + sympy.exp(-s)))
    np.testing.assert_allclose(d.value, 1 / (1 + np.exp(0.8)), rtol=1e-12)


def _least_squares(names=True):
    xs = np.array(SEED_X)
    X = np.c_[np.ones_like(xs), xs]
    y = 0.5 + 0.1 * xs + np.sin(xs)  # any response
    Xt = wb.constant(X, name="X" if names else None)
    yt = wb.constant(y, name="y" if names else None)
    beta = wb.Variable([0.2, -0.1], name="beta")
    with wb.GradientTape(persistent=True) as tape:
        r = yt - Xt @ beta
        loss = r @ r
    return tape, loss, beta, X, y


def test_least_squares_expression_and_gradient_matrix_view():
    tape, loss, beta, X, y = _least_squares()
    Xs, ys = sympy.MatrixSymbol("X", 10, 2), sympy.MatrixSymbol("y", 10, 1)
    bs = sympy.MatrixSymbol("beta", 2, 1)
    r = ys - Xs * bs
    assert (tape.expression(loss) - r.T * r).doit().expand() == sympy.ZeroMatrix(1, 1)
    d = tape.derive(loss, beta)
    assert d.view == "matrix"
    expected = 2 * Xs.T * Xs * bs - 2 * Xs.T * ys
    assert (d.expr - expected).doit().expand() == sympy.ZeroMatrix(2, 1)
    numpy_oracle = -2 * X.T @ y + 2 * X.T @ X @ beta.numpy()
    for got in (d.value, d.tape_value, d.fd_value):
        np.testing.assert_allclose(got, numpy_oracle, rtol=1e-6)
    assert "element view" in d.proof


def test_least_squares_as_a_sum_of_squares_reads_in_the_textbook_form_and_solves():
    xs = np.array(SEED_X)
    X = np.c_[np.ones_like(xs), xs]
    y = 0.5 + 0.1 * xs + np.sin(xs)
    Xt, yt = wb.constant(X, name="X"), wb.constant(y, name="y")
    beta = wb.Variable([0.2, -0.1], name="beta")
    with wb.GradientTape(persistent=True) as tape:
        r = yt - Xt @ beta
        loss = wb.reduce_sum(r * r)  # Hadamard form: the closed form comes from the backward graph
    d = tape.derive(loss, beta)
    Xs, ys = sympy.MatrixSymbol("X", 10, 2), sympy.MatrixSymbol("y", 10, 1)
    bs = sympy.MatrixSymbol("beta", 2, 1)
    assert str(d.expr) == "2*X.T*(X*beta - y)"  # the textbook form
    assert (d.expr - (2 * Xs.T * Xs * bs - 2 * Xs.T * ys)).doit().expand() == sympy.ZeroMatrix(2, 1)
    stationary = tape.solve_stationary(loss, beta)
    np.testing.assert_allclose(np.ravel(stationary.value), np.linalg.lstsq(X, y, rcond=None)[0],
                               rtol=1e-9)


def test_least_squares_element_view_on_seed_data():
    tape, loss, beta, X, y = _least_squares(names=False)
    d = tape.derive(loss, beta, view="elements")
    assert d.view == "elements" and d.expr.shape == (2, 1)
    b0, b1 = sympy.symbols("beta_0 beta_1", real=True)
    for point in ([0.0, 0.0], [1.5, -2.0]):
        got = np.array([float(e.subs({b0: point[0], b1: point[1]})) for e in d.expr])
        np.testing.assert_allclose(got, -2 * X.T @ y + 2 * X.T @ X @ np.array(point),
                                   rtol=1e-10)


def test_hessian_of_quadratic_form_is_a_plus_a_transpose():
    A = np.array([[1.0, 2.0, 0.5], [-1.0, 0.3, 0.2], [0.7, 0.1, -2.0]])
    At, x = wb.constant(A, name="A"), wb.constant([0.1, 0.2, -0.3], name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        q = x @ At @ x
    d = tape.derive(q, x, order=2)
    As = sympy.MatrixSymbol("A", 3, 3)
    assert (d.expr - (As + As.T)).doit() == sympy.ZeroMatrix(3, 3)
    for got in (d.value, d.tape_value, d.fd_value):
        np.testing.assert_allclose(got, A + A.T, rtol=1e-6, atol=1e-9)


def test_hessian_of_softplus_sum_in_matrix_notation():
    A = np.array([[0.5, -1.0], [0.3, 0.8], [-0.6, 0.2]])
    At, x = wb.constant(A, name="A"), wb.constant([0.4, -0.7], name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        f = wb.sum(wb.nn.softplus(At @ x))
    d = tape.derive(f, x, order=2)
    assert d.view == "matrix" and not d.notes
    # A.T * diag(u) * A with u = sigma(Ax)(1 - sigma(Ax)): the backward graph's own form
    assert isinstance(d.expr, sympy.MatMul)
    assert [type(a).__name__ for a in d.expr.args] == ["Transpose", "DiagMatrix",
                                                       "MatrixSymbol"]
    s = 1 / (1 + np.exp(-A @ x.numpy()))
    oracle = A.T @ np.diag(s * (1 - s)) @ A
    for got in (d.value, d.tape_value, d.fd_value):
        np.testing.assert_allclose(got, oracle, rtol=1e-6, atol=1e-10)
    assert "diag" in str(d) and r"\operatorname{diag}" in d.latex()


def test_derivation_prints_and_compiles():
    tape, loss, beta, X, y = _least_squares()
    d = tape.derive(loss, beta)
    text = str(d)
    assert "tape" in text and "central differences" in text
    assert d._repr_latex_().startswith("$$") and "```" in d._repr_markdown_()
    f = d.function()
    np.testing.assert_allclose(f(beta=[0.0, 0.0]), -2 * X.T @ y, rtol=1e-12)
    assert "def " in f.source


def test_chain_rule_steps_for_scalars():
    tape, x, y = _scalar_tape(lambda x: wb.sin(x * x), 0.5)
    d = tape.derive(y, x)
    assert [s.prim for s in d.steps[:2]] == ["mul", "sin"]
    s = sympy.Symbol("x", real=True)
    assert sympy.simplify(d.steps[-1].definition - 2 * s * sympy.cos(s**2)) == 0
    assert sympy.simplify(d.steps[0].partials["x"] - 2 * s) == 0


def test_auto_names_and_fallback_to_elements():
    x = wb.constant([1.0, -2.0, 3.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        m = wb.max(x * x)
    d = tape.derive(m, x)
    assert d.view == "elements" and any("element view" in n for n in d.notes)
    assert {s.name for s in sympy.sympify(d.forward).free_symbols} == {"x0_0", "x0_1", "x0_2"}
    np.testing.assert_allclose(d.value, [0.0, 0.0, 6.0])
    np.testing.assert_allclose(d.tape_value, [0.0, 0.0, 6.0])


def test_stationary_points():
    tape, loss, beta, X, y = _least_squares()
    st = tape.solve_stationary(loss, beta)
    Xs, ys = sympy.MatrixSymbol("X", 10, 2), sympy.MatrixSymbol("y", 10, 1)
    assert st.solution == sympy.Inverse(Xs.T * Xs) * Xs.T * ys
    np.testing.assert_allclose(st.value, np.linalg.lstsq(X, y, rcond=None)[0], rtol=1e-8)
    assert np.max(np.abs(st.tape_gradient)) < 1e-8
    b = wb.Variable(0.5, name="beta")
    with wb.GradientTape() as tape:
        q = (b / 2 - 1) ** 2
    st = tape.solve_stationary(q, b)
    assert st.solution == 2 and abs(float(st.tape_gradient)) < 1e-12


def test_swell_budget_raises_a_clear_error():
    x = wb.constant(0.3, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(30):
            y = wb.sin(y) * y + wb.cos(y)
    with pytest.raises(wb.SymbolicBudgetExceeded, match="budget"):
        tape.derive(y, x, budget=wb.symbolic.Budget(max_ops=50))

"""Textbook matrix calculus: every identity of benchmarks/matrix_identities.py gives a closed
form in matrix notation that agrees with central differences of the forward pass (the oracle)
on random instances, prints and typesets without raising, and has a chain-rule table without
duplicate rows that ends in the closed form."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest
import sympy

import workbench as wb
from workbench.symbolic.printing import to_str

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "matrix_identities.py"
_SPEC = importlib.util.spec_from_file_location("matrix_identities", _PATH)
mi = importlib.util.module_from_spec(_SPEC)
sys.modules["matrix_identities"] = mi  # dataclasses look their module up
_SPEC.loader.exec_module(mi)

#: Identities that still fall back to the element view (none today; listed in the README).
ELEMENT_FALLBACK: set[str] = set()
MATRIX = [i for i in mi.IDENTITIES if i.name not in ELEMENT_FALLBACK]


@pytest.mark.parametrize("ident", MATRIX, ids=[i.name for i in MATRIX])
def test_identity_has_a_correct_matrix_closed_form(ident):
    d, vals = mi.derive(ident, seed=1)
    assert mi.in_matrix_notation(d), d.notes
    assert isinstance(d.expr, sympy.MatrixExpr) or ident.shapes[ident.source] == ()
    for seed in (1, 2):  # the closed form as a function, at other random inputs too
        vals = mi.values(ident, seed)
        np.testing.assert_allclose(mi.closed_value(d, vals), mi.oracle(ident, vals),
                                   rtol=1e-5, atol=1e-6)
    assert not d.notes and "[0, 0]" not in to_str(d.expr)
    assert d.latex() and d._repr_latex_() and d._repr_markdown_()


@pytest.mark.parametrize("ident", mi.IDENTITIES, ids=[i.name for i in mi.IDENTITIES])
def test_every_identity_is_correct_and_prints(ident):
    d, vals = mi.derive(ident)
    np.testing.assert_allclose(mi.closed_value(d, vals), mi.oracle(ident, vals),
                               rtol=1e-5, atol=1e-6)
    assert str(d) and d.latex() and repr(d) and d._repr_markdown_()
    f, e, _, clauses = d.where()  # where-clauses only abbreviate: expanded, the same formulas
    full = {}
    for name, definition in clauses:
        full[name] = definition.xreplace(full)
    assert to_str(e.xreplace(full)) == to_str(d.expr) and f.xreplace(full) == d.forward
    rows = [(s.name, to_str(s.definition)) for s in d.steps]
    assert len({r[1] for r in rows}) == len(rows)
    assert d.steps[-1].kind == "result"
    assert d.steps.latex().startswith(r"\begin{array}") and "<table" in d.steps._repr_html_()


@pytest.mark.parametrize("name, text", [
    ("least squares", "2*X.T*(X*beta - y)"),
    ("tr(X.T A X)", "(A + A.T)*X"),
    ("log det(X)", "X^-T"),
    ("det(X)", "det(X)*X^-T"),
    ("tr(X)", "I"),
    ("||X||_F^2", "2*X"),
    ("MLP layer sum(tanh(Wx + b)) wrt W", "(1 - tanh(W*x + b).**2)*x.T"),
    ("logistic regression", "X.T*(sigmoid(X*w) - y)"),
    ("Hessian sum(softplus(A x))", "A.T*diag(sigmoid(A*x)∘(1 - sigmoid(A*x)))*A"),
    ("logsumexp(x)", "softmax(x)"),
    ("softmax cross-entropy", "(1.T*y)*softmax(z) - y"),
    ("a.T diag(x) b", "a∘b"),
    ("sum(kron(A, X))", "(1.T*A*1)*1*1.T"),
    ("tr(X^-1)", "-(X^-2).T"),
    ("det(A X B)", "det(A*X*B)*X^-T"),
    ("||x - a||", "(x - a)/||x - a||"),
    ("||X||_F", "X/||X||_F"),
    ("Hessian ||x - a||", "I/||x - a|| - (x - a)*(x - a).T/||x - a||**3"),
    ("Hessian tr(X.T A X) (vec)", "I⊗(A + A.T)"),
    ("Hessian tr(X B X.T) (vec)", "(B + B.T)⊗I"),
    ("Hessian ||X||_F^2 (vec)", "2*I"),
    ("Hessian tr(X X) (vec)", "2*K(3,3)"),
])
def test_textbook_forms(name, text):
    ident = next(i for i in mi.IDENTITIES if i.name == name)
    d, _ = mi.derive(ident)
    assert to_str(d.expr) == text


def test_latex_uses_greek_names_and_odot():
    ident = next(i for i in mi.IDENTITIES if i.name == "least squares")
    d, _ = mi.derive(ident)
    assert r"\beta" in d.latex()
    ident = next(i for i in mi.IDENTITIES if i.name == "MLP layer v.T tanh(Wx + b) wrt b")
    assert r"\odot" in mi.derive(ident)[0].latex()


def test_forward_keeps_every_term():
    x = wb.Variable([0.1, 0.2, 0.3], name="x")
    y = wb.Variable(0.5, name="y")
    with wb.GradientTape() as tape:
        f = wb.sum(x * x) + wb.sin(y)
    d = tape.derive(f, x)
    assert "sin(y)" in str(d).splitlines()[0]
    np.testing.assert_allclose(d.value, 2 * x.numpy())


def test_det_gradient_at_a_singular_matrix_stays_finite():
    X = wb.Variable([[1.0, 2.0], [2.0, 4.0]], name="X")
    with wb.GradientTape() as tape:
        f = wb.linalg.det(X)
    g = tape.gradient(f, X).numpy()
    np.testing.assert_allclose(g, [[4.0, -2.0], [-2.0, 1.0]])


def _stationary_case(kind):
    rng = np.random.default_rng(3)
    Xn, yn = rng.normal(size=(6, 3)), rng.normal(size=6)
    X, y = wb.constant(Xn, name="X"), wb.constant(yn, name="y")
    b = wb.Variable(np.zeros(3), name="beta")
    Wn = rng.normal(size=(6, 6))
    Wn = Wn @ Wn.T + 6 * np.eye(6)
    with wb.GradientTape(persistent=True) as tape:
        r = X @ b - y
        if kind == "ridge":
            f = r @ r + wb.constant(0.7, name="lambda") * (b @ b)
            want = np.linalg.solve(Xn.T @ Xn + 0.7 * np.eye(3), Xn.T @ yn)
        elif kind == "weighted":
            f = r @ wb.constant(Wn, name="W") @ r
            want = np.linalg.solve(Xn.T @ Wn @ Xn, Xn.T @ Wn @ yn)
        else:
            A = Wn[:3, :3]
            f = 0.5 * (b @ wb.constant(A, name="A") @ b) - wb.constant(yn[:3], name="c") @ b
            want = np.linalg.solve(A, yn[:3])
    return tape.solve_stationary(f, b), want


@pytest.mark.parametrize("kind, text", [
    ("ridge", "(lambda*I + X.T*X)^-1*X.T*y"),
    ("weighted", "(X.T*(W + W.T)*X)^-1*X.T*(W + W.T)*y"),
    ("quadratic", "2*(A + A.T)^-1*c"),
])
def test_stationary_points_of_matrix_linear_gradients(kind, text):
    st, want = _stationary_case(kind)
    assert to_str(st.solution) == text
    np.testing.assert_allclose(np.ravel(st.value), want, rtol=1e-9)
    np.testing.assert_allclose(st.tape_gradient, 0.0, atol=1e-9)


def test_matrix_chain_rule_table_has_local_vjps_and_adjoints():
    ident = next(i for i in mi.IDENTITIES if i.name == "MLP layer v.T tanh(Wx + b) wrt b")
    d, _ = mi.derive(ident)
    rows = list(d.steps)
    assert [s.kind for s in rows] == ["forward"] * (len(rows) - 1) + ["result"]
    assert all(s.partials and s.adjoint is not None for s in rows[:-1])
    tanh_row = next(s for s in rows if s.prim == "tanh")
    assert to_str(tanh_row.adjoint) == "v"  # d(v.T*t)/dt
    assert "t2bar += t3bar∘(1 - t3∘t3)" in str(d.steps)
    assert r"\bar{t}_{3}" in d.steps.latex()


def test_adjoints_count_an_input_read_twice():
    ident = next(i for i in mi.IDENTITIES if i.name == "x.T x")
    d, _ = mi.derive(ident)
    rows = [s for s in d.steps if s.kind == "forward"]
    assert [to_str(s.adjoint) for s in rows] == ["1"]
    assert to_str(rows[0].partials["x"]) == "2*t1bar*x"


@pytest.mark.parametrize("name, lines", [
    ("least squares", ["f = r.T*r", "∂f/∂beta = 2*X.T*r", "  where r = X*beta - y"]),
    ("MLP layer sum(tanh(Wx + b)) wrt W",
     ["f = 1.T*h", "∂f/∂W = (1 - h.**2)*x.T", "  where h = tanh(W*x + b)"]),
    ("Hessian ||x - a||", ["f = ||r||", "∂²f/∂x² = I/||r|| - r*r.T/||r||**3",
                           "  where r = x - a"]),
])
def test_repeated_subexpressions_get_where_clauses(name, lines):
    ident = next(i for i in mi.IDENTITIES if i.name == name)
    d, _ = mi.derive(ident)
    assert str(d).splitlines()[:3] == lines
    name = lines[2].split()[1]
    assert rf"\text{{where }} {name} &=" in d.latex() and d.latex() in d._repr_markdown_()


def test_no_where_clause_without_repetition():
    ident = next(i for i in mi.IDENTITIES if i.name == "x.T A x")
    d, _ = mi.derive(ident)
    assert d.where()[3] == [] and "where" not in str(d) and "where" not in d.latex()


def test_inverse_powers_typeset_like_the_cookbook():
    ident = next(i for i in mi.IDENTITIES if i.name == "tr(X^-1)")
    d, _ = mi.derive(ident)
    assert r"= - \left(X^{-2}\right)^{T}" in d.latex()
    X, A = sympy.MatrixSymbol("X", 3, 3), sympy.MatrixSymbol("A", 3, 3)
    assert to_str(sympy.Transpose(sympy.Inverse(A * X))) == "(A*X)^-T"
    assert to_str(sympy.MatPow(X, -3)) == "X^-3"


def test_matrix_hessian_is_written_for_vec_x_columns_stacked():
    ident = next(i for i in mi.IDENTITIES if i.name == "Hessian tr(X.T A X) (vec)")
    d, vals = mi.derive(ident)
    assert d.vec_form and "∂²f/∂vec(X)²" in str(d) and r"\operatorname{vec}" in d.latex()
    flat = np.reshape(d.function().raw(vals["A"]), (6, 6))  # the closed form: (n*k, n*k)
    np.testing.assert_allclose(flat, np.kron(np.eye(2), vals["A"] + vals["A"].T), atol=1e-12)
    np.testing.assert_allclose(d.value, d.fd_value, atol=1e-6)  # (n, k, n, k) like the tape
    np.testing.assert_allclose(d.value, d.tape_value, atol=1e-12)


def _kron_case(fn, shapes, source):
    rng = np.random.default_rng(4)
    ts = {k: wb.constant(rng.uniform(-1.0, 1.0, s), name=k) for k, s in shapes.items()}
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(list(ts.values()))
        f = fn(ts)
    return tape.derive(f, ts[source])


@pytest.mark.parametrize("shapes, source", [
    ({"a": (2, 2), "b": (2, 3)}, "a"), ({"a": (2, 2), "b": (2, 3)}, "b"),
    ({"a": (2,), "b": (3,)}, "a"), ({"a": (2,), "b": (3,)}, "b"),
    ({"a": (2,), "b": (3, 2)}, "a"), ({"a": (2,), "b": (3, 2)}, "b"),
    ({"a": (3, 2), "b": (2,)}, "b"),
])
def test_kron_cotangents_in_matrix_notation(shapes, source):
    d = _kron_case(lambda t: wb.sum(wb.tanh(wb.kron(t["a"], t["b"]))), shapes, source)
    assert d.view == "matrix" and not d.notes and "⊗" in to_str(d.expr)
    np.testing.assert_allclose(d.value, d.fd_value, rtol=1e-6, atol=1e-8)


def test_a_rank_4_constant_falls_back_to_elements_cleanly():
    d = _kron_case(lambda t: wb.trace(wb.kron(t["a"], t["b"])), {"a": (2, 2), "b": (3, 3)}, "b")
    np.testing.assert_allclose(d.value, d.fd_value, atol=1e-8)
    assert str(d) and d.latex()


def test_commutation_matrix_transposes_vec():
    from workbench.symbolic.functions import Commutation
    from workbench.symbolic.numeric import lambdify

    a = np.arange(6.0).reshape(2, 3)
    k = np.array(Commutation(2, 3).as_explicit().tolist(), dtype=float)
    np.testing.assert_array_equal(k @ a.ravel(order="F"), a.T.ravel(order="F"))
    np.testing.assert_array_equal(lambdify(Commutation(2, 3), {}, True, (6, 6))(), k)

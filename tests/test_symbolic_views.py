"""Translation views, large graphs as programs, the matrix-vs-element check and its fallback."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import workbench as wb
from workbench.symbolic import matrix_forms as matrix_forms_module
from workbench.symbolic import verify


def test_scalars_are_real_symbols_named_after_variables_else_x0():
    a = wb.Variable(1.5, name="a")
    x = wb.constant(0.5)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.sin(a * x)
    e = tape.expression(y)
    names = {s.name for s in e.free_symbols}
    assert names == {"a", "x0"} and all(s.is_real for s in e.free_symbols)


def test_element_view_is_explicit_and_matches_matrix_view():
    A = wb.constant([[1.0, 2.0], [0.5, -1.0]], name="A")
    x = wb.constant([0.3, 0.4], name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.sum(wb.tanh(A @ x) * x)
    mat = tape.expression(y)
    els = tape.expression(y, view="elements")
    assert isinstance(mat, sympy.MatrixExpr)
    assert verify.equal(verify.explicit(mat)[0, 0], els)
    a = sympy.symbols("A_0_0 A_0_1 A_1_0 A_1_1 x_0 x_1", real=True)
    want = sum(sympy.tanh(a[2 * i] * a[4] + a[2 * i + 1] * a[5]) * a[4 + i] for i in range(2))
    assert verify.equal(els, want)


def test_long_chain_is_a_program_and_agrees_with_tape_and_fd():
    x = wb.constant(0.4, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x
        for i in range(60):
            y = wb.tanh(y) * 1.2 + x * 0.1 if i % 2 else wb.sin(y) + y * x
    d = tape.derive(y, x)
    assert d.view == "program" and d.notes
    assert d.ops < 2000  # linear in the graph, not exponential
    np.testing.assert_allclose(d.value, d.tape_value, rtol=1e-12)
    np.testing.assert_allclose(d.value, d.fd_value, rtol=1e-6)
    assert "result" in str(d.expr)


def test_unchecked_matrix_form_falls_back_to_elements(monkeypatch):
    A = wb.constant([[1.0, 2.0], [0.5, -1.0]], name="A")
    x = wb.constant([0.3, 0.4], name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        q = x @ A @ x
    def refuse_matrix_forms(*args):  # every matrix-form candidate fails its check
        raise matrix_forms_module.FallBack("the matrix-notation closed form did not match the "
                                           "element view")

    monkeypatch.setattr(matrix_forms_module, "_check_matrix", refuse_matrix_forms)
    d = tape.derive(q, x)
    assert d.view == "elements"
    assert any("did not match the element view" in n for n in d.notes)
    assert "symbolic" in d.proof
    np.testing.assert_allclose(d.value, (A.numpy() + A.numpy().T) @ x.numpy(), rtol=1e-12)


def test_time_budget_stops_with_a_clear_message():
    x = wb.constant(0.3, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.sin(wb.exp(x) * x)
    with pytest.raises(wb.SymbolicBudgetExceeded, match="raise the budget"):
        tape.derive(y, x, budget=wb.symbolic.Budget(seconds=0.0))


def test_latex_and_markdown():
    x = wb.constant(2.0, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x**3
    d = tape.derive(y, x)
    assert "3 x^{2}" in d.latex()
    assert d._repr_latex_().startswith("$$") and "Check:" in d._repr_markdown_()


COMPOSITES = {
    "logsumexp": (wb.logsumexp, [0.3, -1.2, 0.8]),
    "mean of squares": (lambda x: wb.mean(x**2), [0.3, -1.2, 0.8]),
    "slices": (lambda x: wb.sum(x[1:] * x[:-1]), [0.3, -1.2, 0.8]),
    "stack": (lambda x: wb.sum(wb.stack([x, wb.sin(x)]) ** 2), [0.3, -1.2, 0.8]),
    "where": (lambda x: wb.sum(wb.where(x > 0, x**2, -x)), [0.3, -1.2, 0.8]),
    "relu": (lambda x: wb.sum(wb.nn.relu(x) * x), [0.3, -1.2, 0.8]),
    "vector target": (lambda x: wb.sin(x) * x, [0.3, -1.2, 0.8]),
    "matrix source": (lambda X: wb.sum((X - wb.mean(X, axis=0)) ** 2),
                      [[0.3, -1.2, 0.8], [1.1, 0.2, -0.4]]),
    "det": (wb.linalg.det, [[1.2, 0.3], [-0.4, 0.9]]),
    "solve": (lambda A: wb.sum(wb.linalg.solve(A, wb.constant([1.0, 2.0]))),
              [[1.2, 0.3], [-0.4, 0.9]]),
}


@pytest.mark.parametrize("name", sorted(COMPOSITES))
def test_composites_agree_three_ways(name):
    fn, value = COMPOSITES[name]
    x = wb.constant(np.array(value))
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = fn(x)
    d = tape.derive(y, x)
    assert d.value.shape == x.shape
    np.testing.assert_allclose(d.value, d.tape_value, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(d.value, d.fd_value, rtol=1e-6, atol=1e-8)

"""workbench.plot: each helper draws the right numbers (against NumPy / closed-form oracles), and
``import workbench`` never imports matplotlib."""

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

import workbench as wb
from workbench import plot as wbplot


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_import_workbench_does_not_import_matplotlib():
    code = ("import sys, workbench as wb; x = wb.constant(1.0, name='x')\n"
            "with wb.GradientTape() as t:\n    t.watch(x); y = x * x\n"
            "t.graph(y).to_dot(); t.graph(y)._repr_html_()\n"
            "print('matplotlib' in sys.modules)\n"
            "wb.plot.plot_derivative; print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["False", "True"]  # wb.plot loads matplotlib on first use only


def test_plot_derivative_curves_match_analytic_derivatives():
    grid = np.linspace(-2.0, 2.0, 41)
    fig = wbplot.plot_derivative(lambda x: wb.sin(x) * x, grid, order=2)
    lines = fig.axes[0].get_lines()
    f, d1, d2 = (lines[i].get_ydata() for i in (0, 1, 3))  # circles sit between the curves
    np.testing.assert_allclose(f, np.sin(grid) * grid, rtol=1e-12)
    np.testing.assert_allclose(d1, np.cos(grid) * grid + np.sin(grid), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(d2, 2 * np.cos(grid) - grid * np.sin(grid), rtol=1e-12,
                               atol=1e-14)
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert r"\cos" in legend[1] and legend[1].startswith("f'(x)")
    corner = next(t.get_text() for t in fig.axes[0].texts if "max |tape" in t.get_text())
    assert float(corner.split("=")[1]) < 1e-12


def test_descent_path_from_a_compiled_history():
    w = wb.Variable(np.array([4.0, -2.0]), name="w")

    @wb.function
    def step():
        with wb.GradientTape() as tape:
            loss = wb.reduce_sum(w * w)
        w.assign_sub(0.25 * tape.gradient(loss, w))
        return loss

    history = step.repeat(5)
    points = wbplot.descent_path(history, start=[4.0, -2.0])
    np.testing.assert_allclose(points, np.array([4.0, -2.0]) * 0.5 ** np.arange(6)[:, None])
    fig = wbplot.plot_descent(history, loss=lambda a, b: a * a + b * b, start=[4.0, -2.0])
    drawn = fig.axes[0].get_lines()[0]
    np.testing.assert_allclose(drawn.get_xdata(), points[:, 0])
    with pytest.raises(ValueError, match="1-D or 2-D"):
        wbplot.descent_path(np.zeros((3, 4)))


def test_animate_descent_frames_and_jshtml():
    anim = wbplot.animate_descent(list(np.linspace(-10, 2, 100)), loss=lambda b: (b / 2 - 1) ** 2,
                                  max_frames=10)
    assert anim.frame_count == 10
    html = anim.to_jshtml()
    assert "<script" in html and "img" in html


def test_evaluate_landscape_matches_numpy():
    fn = lambda a, b: (a - 1.0) ** 2 + 3.0 * a * b + wb.sin(b)
    a, b, z, g = wbplot.evaluate_landscape(fn, [(-1.0, 2.0), (0.0, 1.0)], n=7)
    np.testing.assert_allclose(z, (a - 1) ** 2 + 3 * a * b + np.sin(b), rtol=1e-12)
    np.testing.assert_allclose(g[..., 0], 2 * (a - 1) + 3 * b, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(g[..., 1], 3 * a + np.cos(b), rtol=1e-12, atol=1e-14)


def test_plot_history_and_lr_sweep_draw_the_recorded_numbers():
    w = wb.Variable(0.0, name="w")

    @wb.function
    def step(lr):
        with wb.GradientTape() as tape:
            loss = (w - 3.0) ** 2
        w.assign_sub(lr * tape.gradient(loss, w))
        return loss

    history = step.repeat(20, np.array(0.1))
    fig = wbplot.plot_history(history)
    np.testing.assert_allclose(fig.axes[1].get_lines()[0].get_ydata(), history["w"])
    rates = np.array([0.1, 0.5, 1.5])
    run = step.repeat_map(30, rates, in_axes=0)
    fig = wbplot.plot_lr_sweep(rates, run, start_loss=9.0)
    xs = fig.axes[0].get_lines()[0].get_xdata()
    np.testing.assert_allclose(xs, [0.1, 0.5])  # lr 1.5 > 2/L = 1 diverges


def test_derivation_card_and_graph_views():
    x = wb.constant(2.0, name="x")
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.exp(x) * x
    d = tape.derive(y, x)
    texts = [t.get_text() for t in d.plot().texts]
    assert any("chain rule" in t for t in texts)
    assert any(t.startswith("tape ") for t in texts)  # the numbers table's tape row
    table = wbplot.chain_rule_table(d)
    assert [r[0] for r in table.rows] == ["t1", "t2", "∂out/∂x"]
    assert table._repr_html_().count("<tr>") == 4 and "exp(x)" in table._repr_html_()
    graph = tape.graph(y)
    assert "exp x" in graph._repr_html_() and "<pre>" in graph._repr_html_()
    dot = graph.to_dot()
    assert dot.startswith("digraph") and dot.count("->") == 5 and dot.rstrip().endswith("}")


def test_mathtext_falls_back_to_plain_text():
    import sympy

    from workbench.plot._text import mathtext

    assert mathtext(sympy.Symbol("x") ** 2) == "$x^{2}$"
    assert mathtext(r"\unknowncommand{x}") == r"\unknowncommand{x}"

"""Extending the tape: custom_gradient, stop_gradient, user primitives, dtypes, the recorded graph."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb


def close(t, expected, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(t.numpy()), expected, rtol=rtol, atol=1e-12)



# --- custom_gradient, stop_gradient, user primitives -------------------------------------------
def test_custom_gradient_is_used():
    @wb.custom_gradient
    def clipped_identity(x):
        return x * 1.0, lambda upstream: wb.minimum(upstream, 0.5)

    x = wb.constant([1.0, 2.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = clipped_identity(x) * wb.constant([0.1, 3.0])
    close(tape.gradient(y, x), [0.1, 0.5])


def test_custom_gradient_log1pexp_is_stable_at_100():
    @wb.custom_gradient
    def log1pexp(x):
        e = wb.exp(x)
        return wb.log(1 + e), lambda upstream: upstream * (1 - 1 / (1 + e))

    x = wb.constant(100.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = log1pexp(x)
    close(tape.gradient(y, x), 1.0)


def test_custom_gradient_two_inputs_and_wrong_count():
    @wb.custom_gradient
    def prod(a, b):
        return a * b, lambda g: (g * b, g * a)

    @wb.custom_gradient
    def bad(a, b):
        return a * b, lambda g: g * b

    a, b = wb.constant(2.0), wb.constant(5.0)
    with wb.GradientTape() as tape:
        tape.watch([a, b])
        y = prod(a, b)
    ga, gb = tape.gradient(y, [a, b])
    close(ga, 5.0)
    close(gb, 2.0)
    with wb.GradientTape() as tape:
        tape.watch([a, b])
        y = bad(a, b)
    with pytest.raises(ValueError, match="expected to return 2 gradients, but returned 1"):
        tape.gradient(y, [a, b])


def test_custom_gradient_with_variables():
    w = wb.Variable(3.0, name="w")

    @wb.custom_gradient
    def scale(x):
        def grad_fn(upstream, variables):
            return upstream * w, [upstream * x * 10.0]

        return x * w, grad_fn

    x = wb.constant(2.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = scale(x)
    gx, gw = tape.gradient(y, [x, w])
    close(gx, 3.0)
    close(gw, 20.0)


def test_stop_gradient_blocks_the_path():
    x = wb.Variable(3.0)
    with wb.GradientTape() as tape:
        y = x * wb.stop_gradient(x * x)
    close(tape.gradient(y, x), 9.0)


def test_user_primitive_without_vjp_raises_lookup_error_naming_it():
    mystery = wb.defprimitive("mystery_op", lambda x: x * 2.0, register=False)
    x = wb.constant(1.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = mystery(x)
    close(y, 2.0)
    with pytest.raises(LookupError, match="mystery_op"):
        tape.gradient(y, x)


def test_user_primitive_with_vjp_works_and_jacobian_falls_back():
    cube = wb.defprimitive("user_cube", lambda x: x**3,
                           vjp=(lambda g, ans, x: g * 3.0 * x * x,), register=False)
    assert "user_cube" not in wb.REGISTRY
    x = wb.constant([1.0, 2.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = cube(x)
    close(tape.gradient(y, x), [3.0, 12.0])
    close(tape.jacobian(y, x), np.diag([3.0, 12.0]))


def test_registering_a_name_twice_raises():
    with pytest.raises(ValueError, match="'sin' is already registered"):
        wb.defprimitive("sin", np.sin)


def test_gradient_source_and_target_type_errors():
    x = wb.constant(1.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x * 2.0
    with pytest.raises(ValueError, match="str"):
        tape.gradient(y, "x")


def test_gradient_has_the_dtype_of_its_source():
    """A float32 source mixed with a float64 array (NumPy promotes y to float64) still gets a
    float32 gradient, as TensorFlow and JAX give; the cast is differentiable at second order."""
    w = wb.Variable(np.float32(2.0))
    with wb.GradientTape(persistent=True) as outer:
        with wb.GradientTape(persistent=True) as tape:
            y = w * w * np.array([1.0, 2.0])
        assert y.dtype == np.float64
        g = tape.gradient(y, w)
        jac = tape.jacobian(y, w)
    assert g.dtype == np.float32 and jac.dtype == np.float32
    close(g, 2 * 2.0 * 3.0)
    close(jac, [4.0, 8.0])
    h = outer.gradient(g, w)
    assert h.dtype == np.float32
    close(h, 6.0)


# --- the recorded graph ------------------------------------------------------------------------
def _evaluate_graph(graph, values):
    """Interpret an IR graph with each primitive's NumPy forward (a second reader of the IR)."""
    env = dict(values)

    def read(atom):
        return atom.value if isinstance(atom, wb.Literal) else env[atom]

    for eqn in graph.eqns:
        (out,) = eqn.outputs
        env[out] = eqn.prim.forward(*[read(a) for a in eqn.inputs], **eqn.params)
    return [read(o) for o in graph.outputs]


def test_tape_graph_prints_equations_and_evaluates_to_the_recorded_value():
    from workbench.tape_graph import graph_and_values

    x = wb.constant([0.5, 1.5], name="x")
    w = wb.Variable(2.0, name="w")
    with wb.GradientTape() as tape:
        tape.watch(x)
        _ = wb.cos(x)  # recorded but not needed by y: sliced away
        y = wb.sum(wb.sin(x) * w + x[0], axis=0)
    text = str(tape.graph(y))
    lines = text.splitlines()
    assert lines[0] == "graph(x: float64[2], w: float64[]) {"
    assert "  t1 = sin x" in lines and "  t2 = mul t1 w" in lines
    assert not any("cos" in line for line in lines)
    assert lines[-2].startswith("  return ") and lines[-1] == "}"
    graph, values = graph_and_values(tape, y)
    assert [v.name for v in graph.inputs] == ["x", "w"]
    (out,) = _evaluate_graph(graph, values)
    np.testing.assert_allclose(out, y.numpy(), rtol=1e-15)


def test_custom_gradient_is_differentiable_again_through_nested_tapes():
    """As in TensorFlow, f runs on the active tapes, so grad_fn (written in workbench ops)
    can be differentiated again: d²/dx² log(1 + eˣ) = σ(x)(1 - σ(x))."""

    @wb.custom_gradient
    def log1pexp(x):
        e = wb.exp(x)
        return wb.log(1 + e), lambda upstream: upstream * (1 - 1 / (1 + e))

    x = wb.constant([-1.0, 0.5, 3.0])
    with wb.GradientTape() as outer:
        outer.watch(x)
        with wb.GradientTape() as inner:
            inner.watch(x)
            y = log1pexp(x)
        g = inner.gradient(y, x)
    s = 1 / (1 + np.exp(-x.numpy()))
    close(g, s)
    close(outer.gradient(g, x), s * (1 - s))

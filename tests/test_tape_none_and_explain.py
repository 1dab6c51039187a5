"""When and why a gradient is None, and what tape.explain says about each case."""

from __future__ import annotations

import warnings

import numpy as np

import workbench as wb


def close(t, expected, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(t.numpy()), expected, rtol=rtol, atol=1e-12)



# --- the None cases ----------------------------------------------------------------------------
def test_none_for_unwatched_source():
    x = wb.constant(2.0)
    with wb.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None


def test_none_for_variable_replaced_by_a_tensor():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        y = x**2
    close(tape.gradient(y, x), 4.0)
    x = x + 1  # now a Tensor, which the next tape does not watch
    assert type(x) is wb.Tensor
    with wb.GradientTape() as tape:
        y = x**2
    assert tape.gradient(y, x) is None


def test_none_for_values_computed_through_numpy():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        y = wb.constant(np.square(x)) * 1.0
    assert tape.gradient(y, x) is None


def test_none_for_state_changed_by_assign_inside_the_tape():
    x = wb.Variable(2.0)
    v = wb.Variable(1.0)
    with wb.GradientTape() as tape:
        v.assign(x * 3.0)
        y = v * 1.0
    assert tape.gradient(y, x) is None


def test_assign_add_inside_the_tape_is_not_differentiated():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        x.assign_add(x)  # TF: assignment is not recorded
        y = x * 1.0
    close(x, 4.0)
    g = tape.gradient(y, x)
    close(g, 1.0)  # only the read after the assignment, not the one that fed it


def test_none_for_non_differentiable_ops():
    x = wb.Variable([1.2, 3.4])
    with wb.GradientTape(persistent=True) as tape:
        r = wb.round(x)
        a = wb.cast(wb.argmax(x), np.float64)
        s = wb.sign(x)
        f = wb.floor(x) + wb.ceil(x)
    for y in (r, a, s, f):
        assert tape.gradient(y, x) is None


def test_none_for_integer_tensors():
    x = wb.constant([1, 2])
    with wb.GradientTape() as tape:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            tape.watch(x)
        y = x * 2
    assert tape.gradient(y, x) is None


# --- explain ---------------------------------------------------------------------------------
def test_explain_not_watched():
    x = wb.constant(2.0, name="x")
    with wb.GradientTape() as tape:
        y = x * x
    msg = tape.explain(y, x)
    assert msg.startswith("No gradient") and "Tensor 'x' is not watched" in msg
    assert "tape.watch" in msg


def test_explain_non_trainable_and_watch_accessed_false():
    v = wb.Variable(1.0, trainable=False, name="v")
    with wb.GradientTape() as tape:
        y = v * 2.0
    assert "not trainable" in tape.explain(y, v)
    w = wb.Variable(1.0, name="w")
    with wb.GradientTape(watch_accessed_variables=False) as tape:
        y = w * 2.0
    assert "watch_accessed_variables=False" in tape.explain(y, w)


def test_explain_not_connected():
    x, z = wb.Variable(1.0, name="x"), wb.Variable(2.0, name="z")
    with wb.GradientTape() as tape:
        y = x * 2.0
        _ = z * 3.0
    msg = tape.explain(y, z)
    assert "does not depend on Variable 'z'" in msg


def test_explain_left_the_tape_through_numpy_names_the_line():
    x = wb.Variable(2.0, name="x")
    with wb.GradientTape() as tape:
        y = wb.constant(np.sin(x)) * 2.0
    msg = tape.explain(y, x)
    assert "left the tape through NumPy" in msg
    assert "test_tape_none_and_explain.py:" in msg


def test_explain_integer_dtype():
    x = wb.constant(3, name="n")
    with wb.GradientTape() as tape:
        y = x * 2
    msg = tape.explain(y, x)
    assert "integer dtype int" in msg and "floating" in msg


def test_explain_replaced_variable():
    x = wb.Variable(2.0, name="x")
    x = x + 1
    with wb.GradientTape() as tape:
        y = x * x
    msg = tape.explain(y, x)
    assert "replaces a Variable" in msg and "Variable 'x'" in msg and "assign_add" in msg


def test_explain_assignment():
    x = wb.Variable(2.0, name="x")
    v = wb.Variable(1.0, name="v")
    with wb.GradientTape() as tape:
        v.assign(x * 3.0)
        y = v * 1.0
    msg = tape.explain(y, x)
    assert "through an assignment" in msg and "Variable 'v'" in msg


def test_explain_non_differentiable_op_names_it():
    x = wb.Variable([1.2, 3.4], name="x")
    with wb.GradientTape() as tape:
        y = wb.round(x) * 2.0
    msg = tape.explain(y, x)
    assert "non-differentiable op(s) round" in msg


def test_explain_connected_gradient():
    x = wb.Variable(2.0, name="x")
    with wb.GradientTape() as tape:
        y = wb.sin(x * x)
    msg = tape.explain(y, x)
    assert "depends on Variable 'x' through 2 recorded op(s)" in msg

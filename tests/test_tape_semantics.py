"""GradientTape behaviour, one test per behaviour, with the values TensorFlow's guides document.

Expected numbers are closed forms (d x³/dx = 3x², ...) or the outputs printed in TensorFlow's
"Introduction to gradients" and "Advanced automatic differentiation" guides.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import workbench as wb
from workbench.tape import NON_PERSISTENT_MESSAGE


def close(t, expected, rtol=1e-12):
    np.testing.assert_allclose(np.asarray(t.numpy()), expected, rtol=rtol, atol=1e-12)


# --- the documented values ---------------------------------------------------------------
def test_cube_of_constant_at_5_is_75():
    x = wb.constant(5.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x**3
    close(tape.gradient(y, x), 75.0)


def test_cube_of_variable_at_6_is_108():
    x = wb.Variable(6.0)
    with wb.GradientTape() as tape:
        y = x**3
    close(tape.gradient(y, x), 108.0)


def test_nested_tapes_second_derivative_of_cube_at_3_is_18():
    x = wb.Variable(3.0)
    with wb.GradientTape() as outer:
        with wb.GradientTape() as inner:
            y = x**3
        dy_dx = inner.gradient(y, x)
    close(dy_dx, 27.0)
    close(outer.gradient(dy_dx, x), 18.0)


def test_persistent_tape_on_1_3_gives_4_108_and_2_6():
    x = wb.constant([1.0, 3.0])
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    close(tape.gradient(z, x), [4.0, 108.0])  # 4 x³
    close(tape.gradient(y, x), [2.0, 6.0])  # 2 x


def test_dict_targets_sum_at_2_is_3_75():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        y0 = x**2
        y1 = 1 / x
    close(tape.gradient({"y0": y0, "y1": y1}, x), 2 * 2.0 - 1 / 2.0**2)


def test_non_scalar_target_x_times_3_4_at_2_is_7():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        y = x * [3.0, 4.0]
    close(tape.gradient(y, x), 7.0)


def test_sigmoid_derivative_peaks_at_a_quarter_at_zero():
    x = wb.linspace(-10.0, 10.0, 201)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = wb.nn.sigmoid(x)
    dy = tape.gradient(y, x).numpy()
    s = 1 / (1 + np.exp(-x.numpy()))
    np.testing.assert_allclose(dy, s * (1 - s), rtol=1e-10, atol=1e-15)
    assert int(np.argmax(dy)) == 100 and abs(x.numpy()[100]) < 1e-12
    assert abs(dy.max() - 0.25) < 1e-15


def test_persistent_tape_differentiates_its_own_gradients_third_order_of_cube_is_6():
    x = wb.constant(3.0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x**3
        d1 = tape.gradient(y, x)
        d2 = tape.gradient(d1, x)
    close(d1, 27.0)
    close(d2, 18.0)
    close(tape.gradient(d2, x), 6.0)


# --- watching ---------------------------------------------------------------------------
def test_trainable_variable_is_watched_on_read_constant_is_not():
    v = wb.Variable(2.0, name="v")
    c = wb.constant(3.0)
    with wb.GradientTape() as tape:
        y = v * c
    gv, gc = tape.gradient(y, [v, c])
    close(gv, 3.0)
    assert gc is None
    assert tape.watched_variables() == (v,)


def test_non_trainable_variable_only_through_watch():
    v = wb.Variable(2.0, trainable=False)
    with wb.GradientTape(persistent=True) as tape:
        y = v * v
    assert tape.gradient(y, v) is None
    with wb.GradientTape() as tape:
        tape.watch(v)
        y = v * v
    close(tape.gradient(y, v), 4.0)


def test_watch_accessed_variables_false():
    a, b = wb.Variable(2.0), wb.Variable(5.0)
    with wb.GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(a)
        y = a * b
    ga, gb = tape.gradient(y, [a, b])
    close(ga, 5.0)
    assert gb is None
    assert tape.watched_variables() == (a,)


def test_watched_variables_is_a_tuple_in_construction_order():
    # TensorFlow documents watched_variables() as "in order of construction".
    a, b, c = wb.Variable(1.0, name="a"), wb.Variable(2.0, name="b"), wb.Variable(3.0, name="c")
    with wb.GradientTape() as tape:
        y = c * a
        tape.watch(b)
        y = y + c + a
    watched = tape.watched_variables()
    assert isinstance(watched, tuple)
    assert [v.name for v in watched] == ["a", "b", "c"]


def test_watch_of_a_non_tensor_names_the_type():
    with wb.GradientTape() as tape:
        with pytest.raises(ValueError, match="float"):
            tape.watch(3.0)
        with pytest.raises(ValueError, match="ndarray"):
            tape.watch(np.ones(2))


def test_watching_an_integer_tensor_warns_and_gives_none():
    x = wb.constant(3)
    with wb.GradientTape() as tape:
        with pytest.warns(UserWarning, match="must be floating"):
            tape.watch(x)
        y = x * x
    assert tape.gradient(y, x) is None


def test_integer_variable_is_not_watched_on_read():
    v = wb.Variable(3)
    with wb.GradientTape() as tape:
        y = v * 2
    assert tape.gradient(y, v) is None
    assert tape.watched_variables() == ()


# --- lifetime -----------------------------------------------------------------------------
def test_second_gradient_call_on_non_persistent_tape_raises_exact_message():
    x = wb.constant(2.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    tape.gradient(y, x)
    assert NON_PERSISTENT_MESSAGE == (
        "GradientTape.gradient can only be called once on non-persistent tapes.")
    with pytest.raises(RuntimeError, match=re.escape(NON_PERSISTENT_MESSAGE)):
        tape.gradient(y, x)


def test_persistent_tape_allows_many_gradient_calls():
    x = wb.constant(2.0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x * x
    for _ in range(3):
        close(tape.gradient(y, x), 4.0)


def test_reentering_an_active_tape_raises_value_error():
    tape = wb.GradientTape()
    with tape, pytest.raises(ValueError, match="already-active"):
        tape.__enter__()


def test_first_order_gradient_after_outer_block_closed_is_none_at_second_order():
    for persistent in (False, True):
        x = wb.constant(3.0)
        with wb.GradientTape(persistent=persistent) as outer:
            outer.watch(x)
            with wb.GradientTape() as inner:
                inner.watch(x)
                y = x**3
        dy = inner.gradient(y, x)  # computed after the outer block: not recorded by it
        close(dy, 27.0)
        assert outer.gradient(dy, x) is None


def test_stop_recording_does_not_record_and_allows_gradient_inside():
    x = wb.constant(2.0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = x**3
        with tape.stop_recording():
            z = x * 5.0
            g = tape.gradient(y, x)  # computed inside: not recorded, so no second order
        w = x * 7.0
    close(g, 12.0)
    assert tape.gradient(z, x) is None
    assert tape.gradient(g, x) is None
    close(tape.gradient(w, x), 7.0)


def test_stop_recording_pauses_only_this_tape():
    x = wb.constant(2.0)
    with wb.GradientTape() as outer:
        outer.watch(x)
        with wb.GradientTape() as inner:
            inner.watch(x)
            with inner.stop_recording():
                y = x * x
    assert inner.gradient(y, x) is None
    close(outer.gradient(y, x), 4.0)


def test_stop_recording_outside_the_block_raises():
    tape = wb.GradientTape()
    with pytest.raises(RuntimeError, match="recording"), tape.stop_recording():
        pass


def test_reset_forgets_records_and_watches():
    x = wb.constant(2.0)
    v = wb.Variable(1.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y_before = x * x * v
        tape.reset()
        assert tape.watched_variables() == ()
        tape.watch(x)
        y_after = x * 3.0
    close(tape.gradient(y_after, x), 3.0)
    x2 = wb.constant(2.0)
    with wb.GradientTape() as tape:
        tape.watch(x2)
        y_before = x2 * x2
        tape.reset()
    assert tape.gradient(y_before, x2) is None


# --- structure ------------------------------------------------------------------------------
def test_structured_sources_keep_their_structure():
    a, b, c = wb.Variable(1.0), wb.Variable(2.0), wb.Variable(3.0)
    with wb.GradientTape() as tape:
        y = a * b * c
    g = tape.gradient(y, {"first": a, "rest": [b, (c,)]})
    assert set(g) == {"first", "rest"}
    assert isinstance(g["rest"], list) and isinstance(g["rest"][1], tuple)
    close(g["first"], 6.0)
    close(g["rest"][0], 3.0)
    close(g["rest"][1][0], 2.0)


def test_nested_targets_are_summed():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        targets = [x * x, {"cube": x**3, "more": (x * 5.0, wb.sin(x))}]
    close(tape.gradient(targets, x), 2 * 2.0 + 3 * 4.0 + 5.0 + np.cos(2.0))


def test_output_gradients_weight_the_target():
    x = wb.constant([1.0, 2.0])
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    close(tape.gradient(y, x, output_gradients=wb.constant([10.0, 100.0])), [20.0, 400.0])


def test_output_gradients_for_several_targets_and_shape_mismatch():
    x = wb.constant(3.0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y1, y2 = x * x, x * 4.0
    close(tape.gradient([y1, y2], x, output_gradients=[2.0, -1.0]), 2 * 6.0 - 4.0)
    with pytest.raises(ValueError, match="entries"):
        tape.gradient([y1, y2], x, output_gradients=[1.0])
    with pytest.raises(ValueError, match="shape"):
        tape.gradient(y1, x, output_gradients=wb.constant([1.0, 2.0]))


def test_gradient_with_respect_to_an_intermediate_tensor():
    x = wb.constant(3.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x * x
        z = y * y
    close(tape.gradient(z, y), 2 * 9.0)


def test_repeated_sources_each_get_the_gradient():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        y = x**2
    g1, g2 = tape.gradient(y, [x, x])
    close(g1, 4.0)
    close(g2, 4.0)


def test_variable_read_several_times_sums_its_reads():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        y = x * x * x
    close(tape.gradient(y, x), 12.0)


# --- unconnected gradients ---------------------------------------------------------------------
def test_unconnected_gradients_none_and_zero_enum_and_strings():
    x, y = wb.Variable(2.0), wb.Variable([1.0, 2.0])
    with wb.GradientTape(persistent=True) as tape:
        z = x * 3.0
        _ = y * 2.0
    assert tape.gradient(z, y) is None
    assert tape.gradient(z, y, unconnected_gradients=wb.UnconnectedGradients.NONE) is None
    assert tape.gradient(z, y, unconnected_gradients="none") is None
    for mode in (wb.UnconnectedGradients.ZERO, "zero", "ZERO"):
        g = tape.gradient(z, y, unconnected_gradients=mode)
        assert g.shape == (2,) and g.dtype == np.float64
        np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def test_unknown_unconnected_gradients_value_is_named():
    x = wb.Variable(2.0)
    with wb.GradientTape() as tape:
        y = x * x
    with pytest.raises(ValueError, match="'nothing'"):
        tape.gradient(y, x, unconnected_gradients="nothing")


# --- control flow -------------------------------------------------------------------------------
def test_python_if_selects_the_branch_that_is_differentiated():
    x = wb.constant(1.0)
    v0, v1 = wb.Variable(2.0), wb.Variable(2.0)
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(x)
        if x > 0.0:
            result = v0
        else:
            result = v1**2
    dv0, dv1 = tape.gradient(result, [v0, v1])
    close(dv0, 1.0)
    assert dv1 is None
    assert tape.gradient(result, x) is None


def test_python_loop_and_max_of_variables():
    x = wb.Variable(1.5)
    with wb.GradientTape() as tape:
        y = wb.constant(1.0)
        for _ in range(4):
            y = y * x
    close(tape.gradient(y, x), 4 * 1.5**3)
    a, b, c = wb.Variable(1.0), wb.Variable(7.0), wb.Variable(3.0)
    with wb.GradientTape() as tape:
        biggest = max([a, b, c])  # Python's max compares Variables
        y = biggest * 2.0
    ga, gb, gc = tape.gradient(y, [a, b, c])
    assert ga is None and gc is None
    close(gb, 2.0)


def test_while_loop_on_tensor_values():
    x = wb.constant(0.1)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x
        n = 0
        while y < 10.0:
            y = y * 2.0
            n += 1
    close(tape.gradient(y, x), 2.0**n)

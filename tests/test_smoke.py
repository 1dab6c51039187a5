"""The tour in the README, as tests: cube, nested second derivative, persistent tape."""

import numpy as np

import workbench as wb


def test_cube_gradient_matches_closed_form():
    x = wb.constant(5.0)
    with wb.GradientTape() as tape:
        tape.watch(x)
        y = x**3
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 3 * 5.0**2)


def test_nested_tapes_give_second_derivative():
    x = wb.constant(3.0)
    with wb.GradientTape() as outer:
        outer.watch(x)
        with wb.GradientTape() as inner:
            inner.watch(x)
            y = x**3
        dy = inner.gradient(y, x)
    np.testing.assert_allclose(outer.gradient(dy, x).numpy(), 6 * 3.0)

"""Test helpers for users' own code: gradient assertions that fail with a readable table."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.check import GradientReport, check_gradients

__all__ = ["assert_gradients_close"]


def assert_gradients_close(f: Callable[..., Any], *args: Any, **kwargs: Any) -> GradientReport:
    """Assert that every gradient engine agrees on ``f(*args)``; pytest shows the table if not.

    Takes the keyword arguments of ``workbench.check_gradients`` (``order``, ``rtol``, ``atol``,
    ``engines``, ...). Raises ``workbench.GradientMismatch`` (an ``AssertionError``) whose message
    names the disagreeing engine and the worst element, followed by the report table. Returns
    the report when the check passes.

    >>> import workbench as wb
    >>> from workbench.testing import assert_gradients_close
    >>> _ = assert_gradients_close(lambda x: wb.sum(x ** 3), wb.constant([1.0, -2.0]))
    """
    __tracebackhide__ = True  # pytest: show the failure at the caller's line
    return check_gradients(f, *args, **kwargs)

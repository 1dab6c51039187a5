"""Shared pieces of the subcommands: the usage error and parsing of ``NAME=VALUE`` arguments."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class UsageError(Exception):
    """A bad command line; printed as one line, exit status 2."""


def parse_number_list(text: str, what: str) -> np.ndarray:
    """``"3"`` or ``"1,2,3"`` as a float array (0-d for one number).

    >>> parse_number_list("1,2.5", "--at").tolist()
    [1.0, 2.5]
    """
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        raise UsageError(f"{what}: {text!r} is not a number or a comma-separated list of "
                         "numbers") from None
    return np.array(parts[0]) if len(parts) == 1 else np.array(parts)


def parse_assignments(items: list[str] | None, what: str) -> dict[str, str]:
    """``["x=3", "y=1,2"]`` as ``{"x": "3", "y": "1,2"}``; a missing ``=`` is a usage error.

    >>> parse_assignments(["x=3", "y = 1,2"], "--at")
    {'x': '3', 'y': '1,2'}
    """
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise UsageError(f"{what} expects NAME=VALUE, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def parse_shape(text: str) -> tuple[int, ...]:
    """``"3x2"`` as ``(3, 2)``.

    >>> parse_shape("3x2")
    (3, 2)
    """
    try:
        dims = tuple(int(d) for d in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--shape: {text!r} is not a shape like 3 or 3x2") from None
    if any(d < 1 for d in dims) or np.prod(dims) > 10_000:
        raise UsageError(f"--shape: {text!r} must have positive sizes and at most 10,000 "
                         "elements")
    return dims


def repository_folder(name: str) -> Path:
    """The source checkout's ``gallery/`` or ``benchmarks/`` folder (next to the package)."""
    folder = Path(__file__).resolve().parents[2] / name
    if not folder.is_dir():
        raise UsageError(f"no {name}/ folder next to the workbench package ({folder}): the "
                         f"{name} scripts ship with the source checkout")
    return folder

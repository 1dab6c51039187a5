"""Check a function's gradients every way (tape, finite differences, SymPy, compiled).

Examples:
  workbench check mymodule:loss --at 0.5,1.0,2.0
  workbench check path/to/file.py:f --at 1.0 --at 2.0 --engines tape,fd

Each --at is one positional argument (a number or a comma list for a vector). Exit status 0 when
every engine agrees, 1 on a mismatch (usable in CI), 2 for a bad command line.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import workbench as wb
from workbench.check import ENGINES
from workbench.cli._common import UsageError, parse_number_list

HELP = "run check_gradients on MODULE:FUNCTION; exit 1 on a mismatch"


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", metavar="MODULE:FUNCTION",
                   help="a module (dotted name or a .py path) and a function in it")
    p.add_argument("--at", action="append", metavar="VALUE", required=True,
                   help="one positional argument: a number or a comma list; repeatable")
    p.add_argument("--order", type=int, default=1, choices=(1, 2), help="derivative order")
    p.add_argument("--engines", default="tape,fd,sympy,compiled",
                   help="comma-separated engines (default: tape,fd,sympy,compiled)")
    p.add_argument("--rtol", type=float, help="relative tolerance")
    p.add_argument("--atol", type=float, help="absolute tolerance")


def load(target: str) -> Any:
    """The function named by ``MODULE:FUNCTION`` (a dotted module or a ``.py`` path)."""
    module_name, sep, attr = target.rpartition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"expected MODULE:FUNCTION, got {target!r}")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name)
            if not path.is_file():
                raise UsageError(f"no file {module_name}")
            spec = importlib.util.spec_from_file_location(path.stem, path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        else:
            if "" not in sys.path:
                sys.path.insert(0, "")
            module = importlib.import_module(module_name)
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any import failure is reported as one line
        raise UsageError(f"cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise UsageError(f"{module_name} has no function {attr!r}")
    return fn


def run(args: argparse.Namespace) -> int:
    fn = load(args.target)
    values = [parse_number_list(v, "--at") for v in args.at]
    engines = tuple(e.strip() for e in args.engines.split(",") if e.strip())
    unknown = set(engines) - set(ENGINES)
    if unknown:
        raise UsageError(f"--engines: unknown {sorted(unknown)} (known: "
                         f"{', '.join(ENGINES)})")
    tolerances = {k: v for k, v in (("rtol", args.rtol), ("atol", args.atol)) if v is not None}
    try:
        report = wb.check_gradients(fn, *values, order=args.order, engines=engines, **tolerances)
    except wb.GradientMismatch as mismatch:
        print(mismatch)
        print("result: MISMATCH")
        return 1
    print(report)
    print("result: the gradients agree")
    return 0

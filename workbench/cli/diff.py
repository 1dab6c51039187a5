"""Differentiate an expression: record it on the tape, derive the closed form, and check it.

Examples:
  workbench diff "x**3" --wrt x --at x=3
  workbench diff "sin(x) * exp(-y)" --wrt y --at x=1 --at y=0.5 --order 2
  workbench diff "sum(x * x)" --wrt x --shape x=3 --latex

Allowed: numbers, variable names, + - * / ** @, unary minus, pi, e and the functions listed in
the error for an unknown one (sin, exp, log, sqrt, tanh, sigmoid, sum, ...).
"""

from __future__ import annotations

import argparse

import numpy as np

import workbench as wb
from workbench.cli._common import UsageError, parse_assignments, parse_number_list, parse_shape
from workbench.cli.expression import ExpressionError, parse

HELP = "derive EXPR symbolically, compute it with the tape, and check one against the other"


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("expr", metavar="EXPR", help='the expression, e.g. "x**3 + sin(x)"')
    p.add_argument("--wrt", metavar="NAME", help="the variable to differentiate by "
                   "(default: the only variable)")
    p.add_argument("--at", action="append", metavar="NAME=VALUE",
                   help="a variable's value: a number or a comma list (default 1, or seeded "
                   "values in [0.5, 1.5] for --shape variables); repeatable")
    p.add_argument("--order", type=int, default=1, choices=(1, 2), help="derivative order")
    p.add_argument("--shape", action="append", metavar="NAME=SHAPE",
                   help="make NAME an array, e.g. x=3 or x=3x2; repeatable")
    p.add_argument("--latex", action="store_true", help="print the derivation as LaTeX")


def _values(variables: tuple[str, ...], at: dict[str, str], shapes: dict[str, str]) -> dict:
    unknown = (set(at) | set(shapes)) - set(variables)
    if unknown:
        raise UsageError(f"{sorted(unknown)} do not appear in the expression "
                         f"(its variables: {', '.join(variables) or 'none'})")
    rng = np.random.default_rng(0)
    values = {}
    for name in variables:
        shape = parse_shape(shapes[name]) if name in shapes else ()
        if name in at:
            value = parse_number_list(at[name], f"--at {name}")
            try:
                value = np.array(np.broadcast_to(value, shape) if shape else value)
            except ValueError:
                raise UsageError(f"--at {name}: {value.size} numbers do not fit the shape "
                                 f"{shape}") from None
        else:
            value = rng.uniform(0.5, 1.5, shape) if shape else np.array(1.0)
        values[name] = value
    return values


def run(args: argparse.Namespace) -> int:
    try:
        expr = parse(args.expr)
    except ExpressionError as exc:
        raise UsageError(f"EXPR {exc}") from None
    if not expr.variables:
        raise UsageError("EXPR has no variables to differentiate by")
    wrt = args.wrt or (expr.variables[0] if len(expr.variables) == 1 else None)
    if wrt is None:
        raise UsageError(f"--wrt is needed: EXPR has several variables "
                         f"({', '.join(expr.variables)})")
    if wrt not in expr.variables:
        raise UsageError(f"--wrt {wrt}: not a variable of EXPR ({', '.join(expr.variables)})")
    values = _values(expr.variables, parse_assignments(args.at, "--at"),
                     parse_assignments(args.shape, "--shape"))
    tensors = {n: wb.constant(v, name=n) for n, v in values.items()}
    try:
        with wb.GradientTape() as tape:
            for t in tensors.values():
                tape.watch(t)
            y = expr.evaluate(tensors)
        d = tape.derive(y, tensors[wrt], order=args.order)
    except (ValueError, TypeError, ArithmeticError, wb.SymbolicBudgetExceeded) as exc:
        print(f"error: workbench diff: {str(exc).splitlines()[0]}")
        return 1
    _print(d, values, args.latex)
    closed, tape_value = np.asarray(d.value, float), np.asarray(d.tape_value, float)
    agree = np.allclose(closed, tape_value, rtol=1e-9, atol=1e-12, equal_nan=True)
    print("result: the tape agrees with the closed form" if agree else
          "result: MISMATCH between the tape and the closed form")
    return 0 if agree else 1


def _show(value: np.ndarray) -> str:
    value = np.asarray(value, float)
    if value.ndim == 0:
        return f"{float(value):.10g}"
    return np.array2string(value, precision=8, max_line_width=100)


def _print(d: wb.Derivation, values: dict, latex: bool) -> None:
    if latex:
        print(d.latex())
    else:
        print(f"f = {d.forward}")
        print(f"{d._symbol()} = {d.expr}")
    print("at " + ", ".join(f"{n} = {_show(v)}" for n, v in values.items()))
    print(f"closed form value: {_show(d.value)}")
    print(f"tape value:        {_show(d.tape_value)}")
    print(f"check: {d.proof}")
    for note in d.notes:
        print(f"note: {note}")
    print(d.table())

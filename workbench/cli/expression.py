"""A safe expression language for the command line: Python syntax restricted by a whitelist of
node types, operators, functions and names (user text is never passed to ``eval`` or SymPy)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

import workbench as wb

MAX_LENGTH = 500
MAX_DEPTH = 60


def _np_sigmoid(x: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-x))


def _np_softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


def _np_relu(x: Any) -> Any:
    return np.maximum(x, 0.0)


#: name -> (workbench function, NumPy function, number of arguments)
FUNCTIONS: dict[str, tuple[Callable[..., Any], Callable[..., Any], int]] = {
    "sin": (wb.sin, np.sin, 1), "cos": (wb.cos, np.cos, 1), "tan": (wb.tan, np.tan, 1),
    "arcsin": (wb.arcsin, np.arcsin, 1), "arccos": (wb.arccos, np.arccos, 1),
    "arctan": (wb.arctan, np.arctan, 1), "sinh": (wb.sinh, np.sinh, 1),
    "cosh": (wb.cosh, np.cosh, 1), "tanh": (wb.tanh, np.tanh, 1), "exp": (wb.exp, np.exp, 1),
    "log": (wb.log, np.log, 1), "log1p": (wb.log1p, np.log1p, 1),
    "expm1": (wb.expm1, np.expm1, 1), "sqrt": (wb.sqrt, np.sqrt, 1),
    "square": (wb.square, np.square, 1), "abs": (wb.abs, np.abs, 1),
    "sigmoid": (wb.nn.sigmoid, _np_sigmoid, 1), "softplus": (wb.nn.softplus, _np_softplus, 1),
    "relu": (wb.nn.relu, _np_relu, 1), "sum": (wb.reduce_sum, np.sum, 1),
    "mean": (wb.reduce_mean, np.mean, 1), "maximum": (wb.maximum, np.maximum, 2),
    "minimum": (wb.minimum, np.minimum, 2),
}
CONSTANTS = {"pi": float(np.pi), "e": float(np.e)}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b, ast.MatMult: lambda a, b: a @ b,
}
_UNARY: dict[type, Callable[[Any], Any]] = {ast.USub: lambda a: -a, ast.UAdd: lambda a: +a}
_REFUSED = {
    ast.Attribute: "attribute access", ast.Subscript: "indexing", ast.Lambda: "lambda",
    ast.ListComp: "a comprehension", ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension", ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison", ast.BoolOp: "and/or", ast.IfExp: "if/else",
    ast.NamedExpr: "an assignment (:=)", ast.Starred: "*arguments", ast.JoinedStr: "an f-string",
    ast.List: "a list", ast.Tuple: "a tuple", ast.Dict: "a dict", ast.Set: "a set",
    ast.Await: "await", ast.Yield: "yield", ast.YieldFrom: "yield",
}


class ExpressionError(ValueError):
    """A refused or malformed expression; ``column`` is the 1-based position of the problem."""

    def __init__(self, message: str, column: int, text: str):
        self.column = column
        snippet = text[column - 1:column + 11]
        super().__init__(f"column {column} ({snippet!r}): {message}")


@dataclass(frozen=True)
class Expression:
    """A checked expression: ``variables`` (its free names, in order of appearance) and a
    tree that only contains whitelisted nodes.

    >>> e = parse("x**2 + sin(y)")
    >>> e.variables, float(e.evaluate({"x": 3.0, "y": 0.0}, numpy=True))
    (('x', 'y'), 9.0)
    """

    text: str
    tree: ast.expr
    variables: tuple[str, ...]

    def evaluate(self, values: Mapping[str, Any], numpy: bool = False) -> Any:
        """The value with workbench ops (recorded on an active tape) or with NumPy."""
        return _evaluate(self.tree, values, 1 if numpy else 0)


def parse(text: str) -> Expression:
    """Check ``text`` against the whitelist; raise ``ExpressionError`` naming the position.

    >>> try:
    ...     parse("x.__class__")
    ... except ExpressionError as exc:
    ...     print(exc)
    column 2 ('.__class__'): attribute access is not allowed
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters",
                              MAX_LENGTH + 1, text)
    try:
        tree = ast.parse(text.strip() and text, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(exc.msg, exc.offset or 1, text) from None
    except (RecursionError, MemoryError, ValueError):
        raise ExpressionError("the expression cannot be parsed (too deeply nested?)", 1,
                              text) from None
    names: list[str] = []
    _check(tree.body, text, names, 0)
    return Expression(text, tree.body, tuple(names))


def _refuse(node: ast.AST, text: str, message: str) -> ExpressionError:
    column = getattr(node, "col_offset", 0) + 1
    if isinstance(node, ast.Attribute):  # point at the dot, not the object
        column = getattr(node.value, "end_col_offset", column - 1) + 1
    return ExpressionError(message, column, text)


def _check(node: ast.AST, text: str, names: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _refuse(node, text, f"the expression is nested more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant):
        if type(node.value) not in (int, float):
            raise _refuse(node, text, f"only numbers are allowed, not {type(node.value).__name__}")
    elif isinstance(node, ast.Name):
        _check_name(node, text)
        if node.id not in CONSTANTS and node.id not in names:
            names.append(node.id)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINARY:
            raise _refuse(node, text, f"the operator {type(node.op).__name__} is not allowed "
                                      "(use + - * / ** @)")
        _check(node.left, text, names, depth + 1)
        _check(node.right, text, names, depth + 1)
    elif isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise _refuse(node, text, f"the operator {type(node.op).__name__} is not allowed")
        _check(node.operand, text, names, depth + 1)
    elif isinstance(node, ast.Call):
        _check_call(node, text, names, depth)
    else:
        what = _REFUSED.get(type(node), type(node).__name__)
        raise _refuse(node, text, f"{what} is not allowed")


def _check_name(node: ast.Name, text: str) -> None:
    if node.id.startswith("_"):
        raise _refuse(node, text, f"names starting with '_' are not allowed ({node.id})")
    if node.id in FUNCTIONS:
        raise _refuse(node, text, f"{node.id} is a function: call it, e.g. {node.id}(x)")


def _check_call(node: ast.Call, text: str, names: list[str], depth: int) -> None:
    if not isinstance(node.func, ast.Name):
        what = _REFUSED.get(type(node.func), "a computed function")
        raise _refuse(node.func, text, f"{what} is not allowed as a function")
    name = node.func.id
    if name not in FUNCTIONS:
        allowed = ", ".join(sorted(FUNCTIONS))
        raise _refuse(node, text, f"unknown function {name!r} (allowed: {allowed})")
    if node.keywords:
        raise _refuse(node.keywords[0], text, f"{name}() takes no keyword arguments")
    arity = FUNCTIONS[name][2]
    if len(node.args) != arity:
        raise _refuse(node, text, f"{name}() takes {arity} argument{'s' * (arity > 1)}, "
                                  f"got {len(node.args)}")
    for arg in node.args:
        _check(arg, text, names, depth + 1)


def _evaluate(node: ast.expr, values: Mapping[str, Any], lib: int) -> Any:
    if isinstance(node, ast.Constant):
        return np.float64(node.value)  # floats: 10**10**10 overflows to inf instead of hanging
    if isinstance(node, ast.Name):
        value = CONSTANTS[node.id] if node.id in CONSTANTS else values[node.id]
        # a Python float becomes NumPy's, so x / 0 is inf as for arrays, not ZeroDivisionError
        return np.float64(value) if isinstance(value, float | int) else value
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_evaluate(node.left, values, lib),
                                      _evaluate(node.right, values, lib))
    if isinstance(node, ast.UnaryOp):
        return _UNARY[type(node.op)](_evaluate(node.operand, values, lib))
    assert isinstance(node, ast.Call) and isinstance(node.func, ast.Name)  # checked by parse
    fn = FUNCTIONS[node.func.id][lib]
    return fn(*(_evaluate(a, values, lib) for a in node.args))

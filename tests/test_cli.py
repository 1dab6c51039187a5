"""The ``workbench`` command: the safe expression parser (properties) and every subcommand."""

import re
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import workbench as wb
from workbench.cli import main
from workbench.cli.expression import ExpressionError, parse

X, Y = 0.7, -1.3

# --- the parser: random whitelisted expressions evaluate like NumPy ---------------------------

_UNARY = {"sin": np.sin, "cos": np.cos, "tanh": np.tanh, "exp": np.exp, "abs": np.abs,
          "square": np.square, "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
          "arctan": np.arctan}
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide}

leaves = st.one_of(
    st.sampled_from([("x", X), ("y", Y), ("pi", np.pi)]),
    st.floats(0.1, 10.0).map(lambda v: (repr(v), v)),
)


def _extend(children):
    unary = st.tuples(st.sampled_from(sorted(_UNARY)), children).map(
        lambda t: (f"{t[0]}({t[1][0]})", _UNARY[t[0]](t[1][1])))
    binary = st.tuples(children, st.sampled_from(sorted(_BINARY)), children).map(
        lambda t: (f"({t[0][0]} {t[1]} {t[2][0]})", _BINARY[t[1]](t[0][1], t[2][1])))
    power = st.tuples(children, st.integers(0, 3)).map(
        lambda t: (f"({t[0][0]})**{t[1]}", np.power(t[0][1], float(t[1]))))
    negation = children.map(lambda c: (f"-({c[0]})", -c[1]))
    return st.one_of(unary, binary, power, negation)


expressions = st.recursive(leaves, _extend, max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(expressions)
@example(("(x / (x - x))", np.inf))  # a Python float divided by zero is inf, as in NumPy
def test_whitelisted_expressions_evaluate_like_numpy(case):
    text, expected = case
    with np.errstate(all="ignore"):
        expr = parse(text)
        tensors = {"x": wb.constant(X), "y": wb.constant(Y)}
        got = float(expr.evaluate({k: tensors[k] for k in expr.variables}))
        plain = float(expr.evaluate({"x": X, "y": Y}, numpy=True))
    assert set(expr.variables) <= {"x", "y"}
    np.testing.assert_allclose([got, plain], [expected, expected], rtol=1e-9, atol=1e-12)


# (fragment, offset of the reported column inside the fragment, words in the message)
REFUSED = [
    ("x.real", 1, "attribute"), ("x.__class__", 1, "attribute"),
    ("__import__('os')", 0, "unknown function"), ("open(x)", 0, "unknown function"),
    ("eval(x)", 0, "unknown function"), ("_secret", 0, "'_'"), ("__builtins__", 0, "'_'"),
    ("(lambda: 1)", 1, "lambda"), ("[v for v in x]", 0, "comprehension"),
    ("sum(v for v in x)", 3, "comprehension"), ("x[0]", 0, "indexing"),
    ("(x if x else x)", 1, "if/else"), ("(x := 1)", 1, ":="), ("'text'", 0, "numbers"),
    ("(x < 1)", 1, "comparison"), ("(x and x)", 1, "and/or"), ("{1: 2}", 0, "dict"),
    ("(1, 2)", 0, "tuple"), ("sin(x=1)", 4, "keyword"), ("sin(*x)", 4, "*arguments"),
    ("(x // 2)", 1, "operator"), ("(x ^ 2)", 1, "operator"), ("(~x)", 1, "operator"),
    ("sin", 0, "a function"), ("f'{x}'", 0, "f-string"), ("(x).y.z", 0, "attribute"),
    ("exp(x)(x)", 0, "a computed function"),
]


@settings(max_examples=120, deadline=None)
@given(st.sampled_from(REFUSED), expressions, st.booleans())
def test_refused_constructs_name_their_position(refused, prefix_case, before):
    fragment, offset, words = refused
    prefix = prefix_case[0] + " + " if before else ""
    with pytest.raises(ExpressionError) as info:
        parse(prefix + fragment + " * x")
    message = str(info.value)
    assert words in message, message
    if fragment != "(x).y.z":
        assert info.value.column == len(prefix) + offset + 1, message
    else:  # the outer attribute's dot is after "(x).y"
        assert info.value.column == len(prefix) + 6, message


def test_parser_refuses_oversized_and_broken_input():
    with pytest.raises(ExpressionError, match="longer than"):
        parse("x + " * 200 + "x")
    with pytest.raises(ExpressionError, match="nested"):
        parse("sin(" * 70 + "x" + ")" * 70)
    with pytest.raises(ExpressionError) as info:
        parse("x + * 2")
    assert info.value.column >= 3


def test_huge_powers_overflow_instead_of_hanging():
    with np.errstate(over="ignore"):
        assert np.isinf(float(parse("10**10**10").evaluate({}, numpy=True)))


# --- workbench diff ----------------------------------------------------------------------------

def _numbers(label, text):
    return float(re.search(rf"^{label}:\s+(\S+)", text, re.MULTILINE).group(1))


def test_diff_prints_closed_form_value_and_check(capsys):
    assert main(["diff", "x**3", "--at", "x=3"]) == 0
    out = capsys.readouterr().out
    assert "3*x**2" in out
    assert abs(_numbers("closed form value", out) - 27.0) < 1e-9
    assert abs(_numbers("tape value", out) - 27.0) < 1e-9
    assert "agrees" in out


def test_diff_second_order_several_variables_and_latex(capsys):
    assert main(["diff", "sin(x) * exp(-y)", "--wrt", "y", "--at", "x=1", "--at", "y=0.5",
                 "--order", "2", "--latex"]) == 0
    out = capsys.readouterr().out
    assert r"\frac" in out and r"\sin" in out
    expected = np.sin(1.0) * np.exp(-0.5)  # d²/dy² sin(x) e^{-y} = sin(x) e^{-y}
    assert abs(_numbers("tape value", out) - expected) < 1e-9


def test_diff_on_an_array_variable(capsys):
    assert main(["diff", "sum(x * x)", "--shape", "x=3", "--at", "x=1,2,3"]) == 0
    out = capsys.readouterr().out
    values = re.search(r"^tape value:\s+\[([^\]]+)\]", out, re.MULTILINE).group(1).split()
    np.testing.assert_allclose([float(v) for v in values], [2.0, 4.0, 6.0], rtol=1e-12)


@pytest.mark.parametrize("argv, words", [
    (["diff", "x.__class__"], "column 2"),
    (["diff", "os.system('ls')"], "column 3"),
    (["diff", "x*y"], "--wrt is needed"),
    (["diff", "x", "--wrt", "z"], "not a variable"),
    (["diff", "x", "--at", "x"], "NAME=VALUE"),
    (["diff", "x", "--at", "z=1"], "do not appear"),
    (["diff", "x", "--shape", "x=0"], "positive"),
    (["diff", "x", "--order", "5"], "invalid choice"),
    (["diff"], "required"),
    (["frobnicate"], "invalid choice"),
])
def test_usage_errors_are_one_line_with_status_2(argv, words, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and err.startswith("error:"), err
    assert words in err, err


@pytest.mark.parametrize("command", ["diff", "check", "gallery", "bench", "demo"])
def test_every_subcommand_has_help(command, capsys):
    assert main([command, "--help"]) == 0
    assert f"usage: workbench {command}" in capsys.readouterr().out


# --- workbench check ---------------------------------------------------------------------------

CHECKED = '''
import workbench as wb

def good(x):
    return wb.reduce_sum(wb.sin(x) * x ** 2)

@wb.custom_gradient
def _bad_square(x):
    return x * x, lambda g: g * 3 * x

def bad(x):
    return wb.reduce_sum(_bad_square(x))
'''


def test_check_exit_status_follows_agreement(tmp_path, capsys):
    path = tmp_path / "checked.py"
    path.write_text(CHECKED)
    assert main(["check", f"{path}:good", "--at", "0.5,1,2", "--engines", "tape,fd"]) == 0
    assert "agree" in capsys.readouterr().out
    assert main(["check", f"{path}:bad", "--at", "1,2", "--engines", "tape,fd"]) == 1
    assert "MISMATCH" in capsys.readouterr().out
    assert main(["check", f"{path}:missing", "--at", "1"]) == 2
    assert main(["check", "no_such_module_here:f", "--at", "1"]) == 2
    assert main(["check", f"{path}:good", "--at", "1", "--engines", "magic"]) == 2
    assert "unknown" in capsys.readouterr().err


# --- gallery, bench, demo, entry point -----------------------------------------------------------

def test_gallery_subcommand_renders_into_out(tmp_path, capsys):
    assert main(["gallery", "--out", str(tmp_path), "--quick", "--only", "derivation_card"]) == 0
    assert list(tmp_path.glob("*.png"))
    assert "[" in capsys.readouterr().err  # the progress bar


def test_bench_lists_scripts_and_refuses_unknown_ones(capsys):
    assert main(["bench", "--list"]) == 0
    assert "jacobian" in capsys.readouterr().out.split()
    assert main(["bench", "--only", "no-such-benchmark"]) == 2


def test_demo_prints_closed_form_values_and_agreeing_runs(capsys):
    assert main(["demo", "--no-gallery"]) == 0
    text = capsys.readouterr().out
    first = re.search(r"d\(x\^3\)/dx at x=3\s+= (\S+)", text)
    second = re.search(r"d2\(x\^3\)/dx2 \(nested tapes\) = (\S+)", text)
    assert abs(float(first.group(1)) - 3 * 3.0**2) < 1e-9
    assert abs(float(second.group(1)) - 6 * 3.0) < 1e-9
    eager = re.findall(r"step\s+2000\s+loss\s+\S+\s+a (\S+)\s+b (\S+)", text)[0]
    compiled = re.search(r"as in the eager run: a (\S+)\s+b (\S+)", text).groups()
    np.testing.assert_allclose(np.array(compiled, float), np.array(eager, float), atol=1e-4)
    final = re.findall(r"a (\d+\.\d+)\s+b (\d+\.\d+)", text)[-1]
    assert abs(float(final[0]) - 10.0) < 0.1 and abs(float(final[1]) - 5.0) < 0.1
    assert re.search(r"compile \(trace \+ Numba, or cache load\): \S+ s", text)
    assert re.search(r"run: 100,000 steps in \S+ ms", text)
    assert "a deliberately wrong custom gradient is caught" in text
    loop = text.split("first lines of its loop:\n", 1)[1].splitlines()
    assert loop[0].strip().startswith("for ") and "# t1 = " in loop[1]  # the kernel's own loop
    accuracy = re.search(r"held-out \d+ digits: loss \S+, accuracy (\S+)%", text)
    assert accuracy and float(accuracy.group(1)) > 85.0  # chance: 10%


def test_module_entry_point_help_and_version():
    result = subprocess.run([sys.executable, "-m", "workbench", "--help"],
                            capture_output=True, text=True, check=True)
    assert "diff" in result.stdout and "gallery" in result.stdout
    result = subprocess.run([sys.executable, "-m", "workbench", "version"],
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == wb.__version__

"""Every registered primitive's SymPy rule: sympy.diff of the rule equals the primitive's VJP
printed through the same rules (table-driven over the registry; a primitive without a case fails)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
import sympy

import workbench as wb
from workbench.primitive import REGISTRY, NotSupported
from workbench.symbolic import verify
from workbench.symbolic.elements import Elements
from workbench.symbolic.records import record_backward
from workbench.symbolic.translate import apply_rule, translate
from workbench.tape_graph import build_graph


@dataclass
class Case:
    """Inputs (float arrays are differentiable; others are constants), params, and whether the
    VJP follows a branch chosen at the recorded values (then compared at that point)."""

    inputs: list[Any]
    params: dict[str, Any] = field(default_factory=dict)
    at_point: bool = False


R = np.random.default_rng(3)
V = np.array([0.3, -0.7, 0.5])
P = np.array([0.4, 1.3, 0.8])  # positive
M = np.array([[1.2, 0.3], [-0.4, 0.9]])
IDX = np.array([2, 0, 2])

CASES: dict[str, Case | None] = {
    "neg": Case([V]), "add": Case([V, P]), "sub": Case([V, P]), "mul": Case([V, P]),
    "div": Case([V, P]), "power": Case([P, V], at_point=True), "exp": Case([V]),
    "log": Case([P]), "log1p": Case([P]), "expm1": Case([V]), "sin": Case([V]),
    "cos": Case([V]), "tan": Case([V]), "arcsin": Case([V]), "arccos": Case([V]),
    "arctan": Case([V]), "sinh": Case([V]), "cosh": Case([V]), "tanh": Case([V]),
    "sqrt": Case([P]), "abs": Case([V], at_point=True),
    "sign": Case([V]), "round": Case([V]), "floor": Case([V]), "ceil": Case([V]),
    "stop_gradient": Case([V]),
    "maximum": Case([V, P - 1.0], at_point=True), "minimum": Case([V, P - 1.0], at_point=True),
    "where": Case([V > 0, V, P], at_point=True), "cast": Case([V], {"dtype": np.float64}),
    "sigmoid": Case([V]), "softplus": Case([V]), "relu": Case([V], at_point=True),
    "sum": Case([M], {"axis": (0,), "keepdims": False}),
    "max": Case([M], {"axis": (1,), "keepdims": True}, at_point=True),
    "argmax": None, "argmin": None,
    "reshape": Case([M], {"shape": (4,)}), "transpose": Case([M], {"axes": (1, 0)}),
    "broadcast_to": Case([V], {"shape": (2, 3)}),
    "getitem": Case([V], {"index": (IDX,)}),
    "scatter_add": Case([V], {"index": (IDX,), "shape": (4,)}),
    "concat": Case([V, P[:2]], {"axis": 0}),
    "matmul": Case([M, V[:2]]), "inv": Case([M]), "det": Case([M]),
    "solve": Case([M, V[:2]]),
    # --- sorting (shapes family): value-chosen permutations have no formula ------------------
    "sort_by": None, "unsort_by": None, "argsort": None,
    # --- reductions and products (prod, cumsum, einsum) ---------------------------------------
    "prod": Case([M], {"axis": (1,), "keepdims": False}),
    "cumsum": Case([V], {"axis": 0, "reverse": True}),
    "einsum": Case([M, M.T, V[:2]], {"subscripts": "ij,jk,k->i"}),
    # --- elementwise coverage ---
    "mod": Case([V, P], at_point=True), "fmod": Case([V, P], at_point=True),
    "log2": Case([P], at_point=True), "log10": Case([P], at_point=True),
    "arcsinh": Case([V]), "arccosh": Case([P + 1.0]), "arctanh": Case([V]),
    "arctan2": Case([V, P]), "hypot": Case([V, P]), "erf": Case([V], at_point=True),
    "cbrt": Case([V], at_point=True), "identity": Case([V]),
    # --- decompositions -----------------------------------------------------------------------
    "cholesky": Case([np.array([[2.0, 0.6], [0.6, 1.5]])], at_point=True),
    "eigh": None, "eigvalsh": None, "svd": None, "svdvals": None, "qr": None,
    "slogdet": Case([M], at_point=True),
    "pinv": Case([np.array([[1.2, 0.3], [-0.4, 0.9], [0.5, 0.1]])], at_point=True),
    # --- convolution, pooling, dropout (ops/conv.py): element view on tiny images ---------------
    "conv2d": Case([R.normal(size=(1, 3, 3, 1)), R.normal(size=(2, 2, 1, 2))],
                   {"strides": (1, 1), "pads": ((0, 1), (0, 0)), "dilations": (1, 1)}),
    "conv2d_backprop_input": Case([R.normal(size=(1, 2, 2, 2)), R.normal(size=(2, 2, 1, 2))],
                                  {"input_shape": (1, 3, 3, 1), "strides": (1, 1),
                                   "pads": ((0, 0), (0, 0)), "dilations": (1, 1)}),
    "conv2d_backprop_filter": Case([R.normal(size=(1, 3, 3, 1)), R.normal(size=(1, 1, 1, 2))],
                                   {"filter_shape": (2, 2, 1, 2), "strides": (2, 2),
                                    "pads": ((0, 0), (0, 0)), "dilations": (1, 1)}),
    "avg_pool2d": Case([R.normal(size=(1, 3, 3, 1))],
                       {"ksize": (2, 2), "strides": (2, 2), "pads": ((0, 1), (0, 1))}),
    "avg_pool2d_grad": Case([R.normal(size=(1, 2, 2, 1))],
                            {"input_shape": (1, 3, 3, 1), "ksize": (2, 2), "strides": (2, 2),
                             "pads": ((0, 1), (0, 1))}),
    "max_pool2d": None, "max_pool2d_grad": None, "max_pool2d_gather": None,
    "dropout_mask": None,
    # special functions, segments, scatter (ops/special.py); integer orders stay constants
    "erfc": Case([V], at_point=True), "lgamma": Case([P]), "digamma": Case([P]),
    "polygamma": Case([P], {"n": 2}), "zeta": Case([np.array([2, 3, 4]), P]),
    "bessel_i0": Case([V], at_point=True), "bessel_i0e": Case([V], at_point=True),
    "bessel_i1": Case([V], at_point=True), "bessel_i1e": Case([V], at_point=True),
    "erfinv": Case([V], at_point=True), "ndtri": Case([P / 2.0], at_point=True),
    "igamma": Case([np.array([1, 2, 3]), P]), "igammac": Case([np.array([1, 2, 3]), P]),
    "expm": None,  # control flow, linalg, nn names
}


def test_every_registered_primitive_has_a_case():
    missing = sorted(set(REGISTRY) - set(CASES))
    assert not missing, f"add a CASES entry for the primitives {missing}"


@pytest.mark.parametrize("name", sorted(CASES))
def test_rule_declared(name):
    prim = REGISTRY[name]
    if CASES[name] is None:
        assert isinstance(prim.sympy, NotSupported) and prim.sympy.reason
    else:
        assert callable(prim.sympy), f"'{name}' needs a callable sympy rule"


def _symbolic_inputs(case: Case) -> list[Any]:
    out = []
    for i, value in enumerate(case.inputs):
        if np.asarray(value).dtype.kind == "f":
            out.append(Elements.symbols(f"a{i}", np.shape(value)))
        else:
            out.append(Elements.number(value))
    return out


def _subs(case: Case, cot: np.ndarray | None = None) -> dict:
    subs = {}
    for i, value in enumerate(case.inputs):
        if np.asarray(value).dtype.kind == "f":
            syms = Elements.symbols(f"a{i}", np.shape(value)).a
            subs.update({s: sympy.Float(v) for s, v in zip(syms.ravel(), np.ravel(value))})
    if cot is not None:
        syms = Elements.symbols("g", cot.shape).a
        subs.update({s: sympy.Float(v) for s, v in zip(syms.ravel(), cot.ravel())})
    return subs


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c is not None))
def test_rule_matches_forward(name):
    """The rule evaluated at the case's values equals the NumPy forward."""
    case, prim = CASES[name], REGISTRY[name]
    out = apply_rule(prim, _symbolic_inputs(case), case.params)
    subs = _subs(case)
    got = np.array([complex(sympy.sympify(e).xreplace(subs).evalf()).real
                    for e in out.a.ravel()]).reshape(out.a.shape)
    want = prim.forward(*case.inputs, **case.params)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items()
                                        if c is not None and REGISTRY[n].differentiable))
def test_sympy_diff_of_rule_equals_vjp(name):
    case, prim = CASES[name], REGISTRY[name]
    tensors = [wb.constant(v) for v in case.inputs]
    floats = [t for t in tensors if t.dtype.kind == "f"]
    with wb.GradientTape(persistent=True) as tape:
        tape.watch(floats)
        out = prim(*tensors, **case.params)
    cot = R.normal(size=out.shape)
    seed = wb.constant(cot)
    ids = [[id(t)] for t in floats]
    grads, bwd = record_backward(tape._records, out, seed, ids, watch=[seed])
    names = [(f"a{i}", [t]) for i, t in enumerate(tensors) if t.dtype.kind == "f"]
    graph, values = build_graph(tape._records + bwd, names + [("g", [seed])], grads)
    vjps = translate(graph, values, "elements").outputs
    # the oracle: sympy.diff of <g, rule(inputs)>
    sym_in = _symbolic_inputs(case)
    f = apply_rule(prim, sym_in, case.params)
    g = Elements.symbols("g", f.shape)
    pairing = sympy.Add(*np.ravel(f.a * g.a))
    k = 0
    for i, value in enumerate(case.inputs):
        if np.asarray(value).dtype.kind != "f":
            continue
        ref = np.vectorize(lambda s: sympy.diff(pairing, s), otypes=[object])(sym_in[i].a)
        tape_form = vjps[k].a
        k += 1
        assert ref.shape == tape_form.shape
        if case.at_point:
            assert verify.numerically_equal(ref, tape_form, _subs(case, cot)), name
        else:
            assert verify.equal(ref, tape_form), f"{name}: d/d input {i}"

"""einsum: NumPy's subscripts (explicit, implicit, repeated indices, ellipsis, broadcasting),
values against ``np.einsum``, gradients against central differences, random subscripts
(hypothesis), and errors that name the problem."""

from __future__ import annotations

import numpy as np
import pytest
from _gradient_support import check_gradients, rng_for
from hypothesis import given, settings
from hypothesis import strategies as st

import workbench as wb

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,jk", [(2, 3), (3, 4)]), ("ii", [(3, 3)]),
    ("ii->i", [(3, 3)]), ("ij->", [(2, 3)]), ("ji", [(2, 3)]), ("...ij,...jk->...ik",
                                                                [(2, 2, 3), (3, 4)]),
    ("b...i,b...i->b...", [(2, 1, 3), (2, 4, 3)]), ("i,j,k->ijk", [(2,), (3,), (2,)]),
    ("iij,jk->ik", [(2, 2, 3), (3, 2)]), ("...ii->...", [(2, 3, 3)]), ("i,i", [(3,), (1,)]),
    (" a b , b c -> c a ", [(2, 3), (3, 2)]), ("...", [(2, 3)]), (",i->i", [(), (3,)]),
    ("bqd,bkd->bqk", [(4, 24, 32), (4, 20, 32)]),  # large enough for NumPy's BLAS path
]


@pytest.mark.parametrize("subscripts, shapes", EINSUMS, ids=[e[0] for e in EINSUMS])
def test_einsum_cases(subscripts, shapes):
    rng = rng_for("einsum", subscripts)
    xs = [rng.normal(size=s) for s in shapes]
    ours = lambda *ts: wb.einsum(subscripts, *ts)
    np.testing.assert_allclose(ours(*xs).numpy(), np.einsum(subscripts, *xs), rtol=1e-12)
    check_gradients(ours, xs, rng)


@pytest.mark.parametrize("subscripts, shapes, match", [
    ("ij,jk->ik", [(2, 3), (4, 5)], "does not broadcast"),
    ("ij->k", [(2, 3)], "output subscript 'k'"),
    ("ij", [(2, 3, 4)], "has 3 axes"),
    ("ij,j", [(2, 3)], "names 2 operands"),
    ("...i->i", [(2, 3)], "add '...' to the output"),
    ("i1", [(2, 3)], "invalid subscripts"),
    ("ii", [(2, 3)], "different sizes"),
])
def test_einsum_errors_name_the_problem(subscripts, shapes, match):
    with pytest.raises(ValueError, match=match):
        wb.einsum(subscripts, *[np.ones(s) for s in shapes])


@st.composite
def einsum_problems(draw):
    """Random valid subscripts: 1-3 operands over up to 4 letters (repeats and broadcasting
    included), an implicit or explicit output."""
    letters = "aBcD"[: draw(st.integers(1, 4))]  # mixed case: implicit outputs sort by code
    sizes = {c: draw(st.integers(1, 3)) for c in letters}
    terms = [draw(st.lists(st.sampled_from(letters), min_size=0, max_size=3))
             for _ in range(draw(st.integers(1, 3)))]
    used = sorted(set("".join("".join(t) for t in terms)))
    shapes = []
    for t in terms:  # each operand may broadcast some letters (size 1); a repeat has one size
        own = {c: 1 if draw(st.booleans()) and draw(st.booleans()) else sizes[c] for c in set(t)}
        shapes.append(tuple(own[c] for c in t))
    lhs = ",".join("".join(t) for t in terms)
    if draw(st.booleans()):
        out = draw(st.permutations(used))[: draw(st.integers(0, len(used)))]
        lhs += "->" + "".join(out)
    return lhs, shapes


@settings(max_examples=60, deadline=None)
@given(einsum_problems(), st.integers(0, 2**32 - 1))
def test_einsum_random_subscripts_match_numpy_and_finite_differences(problem, seed):
    subscripts, shapes = problem
    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=s) for s in shapes]
    want = np.einsum(subscripts, *xs)
    ours = lambda *ts: wb.einsum(subscripts, *ts)
    np.testing.assert_allclose(ours(*xs).numpy(), want, rtol=1e-12, atol=1e-12)
    check_gradients(ours, xs, rng, order2=seed % 3 == 0)


MATRIX_FORMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("ji,jk->ik", [(3, 2), (3, 4)]), ("ij,jk->ki", [(2, 3), (3, 4)]), ("ij,j->i", [(2, 3), (3,)]),
    ("j,ij->i", [(3,), (2, 3)]), ("i,i->", [(3,), (3,)]), ("i,j->ij", [(2,), (3,)]),
    ("ii->", [(3, 3)]), ("ij->ji", [(2, 3)]), ("ij->j", [(2, 3)]), ("ij->", [(2, 3)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]), (",ij->ij", [(), (2, 3)]),
]


@pytest.mark.parametrize("subscripts, shapes", MATRIX_FORMS, ids=[m[0] for m in MATRIX_FORMS])
def test_einsum_matrix_notation_evaluates_to_numpy(subscripts, shapes):
    import sympy

    rng = rng_for("matrix", subscripts)
    values = [rng.normal(size=s) for s in shapes]
    names = "ABC"[: len(shapes)]
    xs = [wb.Variable(v, name=n) for v, n in zip(values, names, strict=True)]
    with wb.GradientTape() as tape:
        y = wb.einsum(subscripts, *xs)
    expr = tape.expression(y, view="matrix")
    assert not any("_0" in str(s) for s in expr.free_symbols), expr  # not the element view
    subs = {}
    for n, v in zip(names, values, strict=True):
        if v.ndim:
            m = v.reshape(-1, 1) if v.ndim == 1 else v
            subs[sympy.MatrixSymbol(n, *m.shape)] = sympy.ImmutableMatrix(m)
        else:
            subs[sympy.Symbol(n, real=True)] = sympy.Float(float(v))
    got = expr.xreplace(subs)
    got = got.as_explicit() if isinstance(got, sympy.MatrixExpr) else got.doit()
    got = np.array(sympy.N(got), dtype=float)
    want = np.einsum(subscripts, *values)
    np.testing.assert_allclose(got.reshape(-1), np.asarray(want).reshape(-1), rtol=1e-10)

"""Checks before anything is shown: matrix notation against the element view on a small
instance, and SymPy equality of two formulas (symbolic, else at the recorded point)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy
from sympy import Identity, MatrixSymbol, OneMatrix, ZeroMatrix
from sympy.matrices.expressions.matexpr import MatrixElement

from workbench.symbolic.budget import count_ops
from workbench.symbolic.deadline import SIMPLIFY_SECONDS, attempt
from workbench.symbolic.elements import Elements


def matrix_symbols(*exprs: Any) -> list[MatrixSymbol]:
    """The ``MatrixSymbol``s of ``exprs``, sorted by name."""
    found: dict[str, MatrixSymbol] = {}
    for e in exprs:
        if isinstance(e, sympy.Basic):
            for s in e.atoms(MatrixSymbol):
                found[s.name] = s
    return [found[k] for k in sorted(found)]


def small_dims(*exprs: Any) -> Callable[[int], int]:
    """A map from each dimension to a small one: 1 stays 1, the others become 2, 3, ... in
    order, so distinct dimensions stay distinct and every product remains well formed."""
    if any(isinstance(e, sympy.Basic) and e.has(sympy.KroneckerProduct) for e in exprs):
        return int  # a Kronecker product's dimensions are products of others: keep them all
    syms = matrix_symbols(*exprs)
    dims = sorted({int(d) for s in syms for d in s.shape} - {1})
    small = {d: i + 2 for i, d in enumerate(dims)}
    if all(small[d] == d for d in dims):
        return int
    return lambda d: small.get(int(d), int(d))


def resize(expr: Any, dim: Callable[[int], int]) -> Any:
    """``expr`` with every matrix dimension mapped through ``dim``."""
    if not isinstance(expr, sympy.Basic):
        return expr
    if isinstance(expr, MatrixSymbol):
        return MatrixSymbol(expr.name, dim(expr.shape[0]), dim(expr.shape[1]))
    if isinstance(expr, OneMatrix | ZeroMatrix):
        return type(expr)(dim(expr.shape[0]), dim(expr.shape[1]))
    if isinstance(expr, Identity):
        return Identity(dim(expr.shape[0]))
    if isinstance(expr, MatrixElement):
        return MatrixElement(resize(expr.parent, dim), expr.i, expr.j)
    if not expr.args or isinstance(expr, sympy.MatrixBase):
        return expr
    return expr.func(*[resize(a, dim) for a in expr.args])


def explicit(expr: Any, shapes: dict[str, tuple[int, ...]] | None = None,
             numbers: dict[Any, Any] | None = None) -> Any:
    """A matrix expression as an explicit SymPy ``Matrix`` of element symbols (``x_0``, ``X_0_1``).

    ``shapes`` gives each symbol's NumPy shape; only its rank is used (1-D tensors are columns,
    and columns are taken as 1-D by default). Scalars pass through.

    >>> x = MatrixSymbol("x", 2, 1)
    >>> explicit(x.T * x)
    Matrix([[x_0**2 + x_1**2]])
    """
    if not isinstance(expr, sympy.Basic) or not _has_matrix(expr):
        return expr
    shapes = shapes or {}
    reps: dict[Any, Any] = {}
    for s in expr.atoms(MatrixSymbol):
        rows, cols = int(s.shape[0]), int(s.shape[1])
        ndim = len(shapes[s.name]) if s.name in shapes else (1 if cols == 1 else 2)
        shape = (rows,) if ndim == 1 else (rows, cols)
        els = Elements.symbols(s.name, shape).a
        if numbers is not None:  # numbers for the element symbols: a numeric witness
            els = np.vectorize(lambda e: numbers.get(e, e), otypes=[object])(els)
        reps[s] = sympy.ImmutableMatrix(els.reshape(int(s.shape[0]), int(s.shape[1])).tolist())
    for o in expr.atoms(OneMatrix):
        reps[o] = sympy.ImmutableMatrix.ones(*o.shape)
    for z in expr.atoms(ZeroMatrix):
        reps[z] = sympy.ImmutableMatrix.zeros(*z.shape)
    for i in expr.atoms(Identity):
        reps[i] = sympy.ImmutableMatrix.eye(i.shape[0])
    out = _evaluated(expr.xreplace(reps))
    if isinstance(out, sympy.MatrixExpr):
        out = out.as_explicit()
    return out


def _evaluated(e: Any) -> Any:
    """``e`` evaluated bottom-up, so products multiply explicit matrices (``doit`` from the top
    writes a product's entries as symbolic sums first, which is slow)."""
    if not isinstance(e, sympy.Basic) or e.is_Atom or isinstance(e, sympy.MatrixBase) or \
            not e.args:
        return e
    try:
        out = e.func(*[_evaluated(a) for a in e.args])
    except Exception:  # noqa: BLE001 - a node SymPy cannot rebuild is evaluated as a whole
        return e.doit()
    if isinstance(out, sympy.MatrixExpr) and not isinstance(out, MatrixSymbol):
        out = out.doit()
        if isinstance(out, sympy.MatrixExpr) and not out.atoms(MatrixSymbol):
            out = out.as_explicit()
    elif isinstance(out, sympy.Basic) and any(isinstance(a, sympy.MatrixBase) for a in out.args):
        out = out.doit()  # det, trace, an element of an explicit matrix
    return out


def random_point(exprs: list, seed: int) -> dict[Any, Any]:
    """30-digit numbers in (0.2, 0.9) for the element symbols of ``exprs``' MatrixSymbols and
    their scalar symbols (square matrices get 2 added on the diagonal: invertible)."""
    rng = np.random.default_rng(seed)
    point: dict[Any, Any] = {}
    for m in matrix_symbols(*exprs):
        rows, cols = int(m.shape[0]), int(m.shape[1])
        shape = (rows,) if cols == 1 else (rows, cols)
        els = Elements.symbols(m.name, shape).a.reshape(rows, cols)
        for (i, j), e in np.ndenumerate(els):
            point[e] = sympy.Float(rng.uniform(0.2, 0.9) + (2 if i == j and rows == cols else 0),
                                   30)
    for e in exprs:
        for sym in getattr(e, "free_symbols", ()):
            if not isinstance(sym, MatrixSymbol):
                point.setdefault(sym, sympy.Float(rng.uniform(0.2, 0.9), 30))
    return point


def reads_elements(e: Any) -> bool:
    """True if ``e`` reads single elements of a symbol (``z[2, 0]``): not matrix notation."""
    return any(isinstance(a, MatrixElement) and isinstance(a.parent, MatrixSymbol)
               for a in sympy.preorder_traversal(e))


def reads_products(e: Any) -> bool:
    """True if ``e`` holds an element of a matrix expression (``((x - a).T*(x - a))[0, 0]``),
    which ``doit`` writes out element by element."""
    return any(isinstance(a, MatrixElement) and not isinstance(a.parent, MatrixSymbol)
               for a in sympy.preorder_traversal(e))


def needs_numeric_witness(*exprs: Any) -> bool:
    """Inverses and determinants written out element by element swell: those forms are
    checked at random points instead (exact formulas, 30-digit numbers)."""
    return any(isinstance(a, sympy.Inverse | sympy.Determinant) or
               (isinstance(a, sympy.MatPow) and a.exp.is_negative)
               for e in exprs for a in sympy.preorder_traversal(e))


def mismatch_at_random_points(forms: dict[str, Any], shapes: dict, ref: np.ndarray) -> str:
    """The name of the first of ``forms`` (matrix expressions) that differs from ``ref`` (their
    element-by-element value) at one of two random points, or "" if none does."""
    for seed in (3, 5):
        point = random_point(list(forms.values()), seed)
        want = np.array([evaluate_shared(sympy.sympify(r), point) for r in ref.ravel()])
        for what, e in forms.items():
            got = as_array(explicit(e, shapes, point)).ravel()
            got = np.array([complex(sympy.sympify(g).evalf(30)) for g in got])
            if got.size != want.size or not np.allclose(got, want, rtol=1e-10, atol=1e-12):
                return what
    return ""


def _has_matrix(expr: Any) -> bool:
    return isinstance(expr, sympy.MatrixExpr) or bool(expr.atoms(MatrixSymbol))


def as_array(expr: Any) -> np.ndarray:
    """A SymPy scalar/Matrix/Array as an object ndarray."""
    if isinstance(expr, sympy.MatrixBase | sympy.NDimArray):
        return np.array(expr.tolist(), dtype=object)
    if isinstance(expr, np.ndarray):
        return expr
    return np.array(expr, dtype=object)


def is_zero(diff: Any, simplify_ops: int = 400) -> bool:
    """True if ``diff`` is zero: a random numeric point first (a quick no), then ``cancel`` with
    exponentials as symbols, then ``simplify``. Expressions larger than ``simplify_ops``
    operations (after CSE), or whose symbolic test runs past ``SIMPLIFY_SECONDS``, are decided
    at three random points instead (a probabilistic proof)."""
    diff = sympy.sympify(diff)
    if diff == 0:
        return True
    if not _vanishes_at_random_point(diff):
        return False
    def at_random_points() -> bool:
        return all(_vanishes_at_random_point(diff, seed) for seed in (11, 13))

    if count_ops(diff) > simplify_ops:
        return at_random_points()
    # bounded: a simplify that would run past SIMPLIFY_SECONDS is decided numerically instead
    return attempt(_symbolically_zero, diff, seconds=SIMPLIFY_SECONDS, otherwise=at_random_points)


def _symbolically_zero(diff: Any) -> bool:
    if sympy.cancel(atomize(diff)) == 0:
        return True
    rational = _exp_free(diff)
    if rational is not None and sympy.cancel(rational) == 0:
        return True
    e = sympy.expand(diff)
    return e == 0 or sympy.simplify(e) == 0


def _vanishes_at_random_point(e: Any, seed: int = 7) -> bool:
    rng = np.random.default_rng(seed)
    subs = {s: sympy.Float(rng.uniform(0.2, 0.9), 30) for s in e.free_symbols}
    try:
        val = evaluate_shared(e, subs)
    except (TypeError, ValueError):
        return True  # cannot tell numerically: let the symbolic tests decide
    return abs(val) < 1e-12


def evaluate_shared(e: Any, subs: dict[Any, Any]) -> complex:
    """``e`` at ``subs`` to 30 digits, evaluating each shared subexpression once."""
    memo: dict[Any, Any] = dict(subs)

    def walk(node: Any) -> Any:
        if node not in memo:
            memo[node] = node if node.is_Atom else node.func(*[walk(a) for a in node.args])
        return memo[node]

    return complex(sympy.sympify(walk(e)).evalf(30))


def atomize(e: Any) -> Any:
    """``e`` as a rational function: each function application becomes a fresh symbol (one per
    distinct, expanded argument; ``exp(c*u)`` becomes ``E_u**c``). Zero after ``cancel`` proves
    ``e`` zero, and it stays fast for nested functions (tanh layers) where rewriting does not."""
    memo: dict[Any, Any] = {}
    atoms: dict[Any, sympy.Dummy] = {}

    def walk(node: Any) -> Any:
        if node.is_Atom or not isinstance(node, sympy.Expr):
            return node
        if node in memo:
            return memo[node]
        args = [walk(a) for a in node.args]
        if isinstance(node, sympy.Add | sympy.Mul):
            out = node.func(*args)
        elif isinstance(node, sympy.Pow) and args[1].is_Rational:
            out = args[0] ** args[1]
        elif isinstance(node, sympy.exp):
            coeff, term = sympy.factor_terms(sympy.expand(args[0])).as_coeff_Mul()
            term = sympy.expand(term)
            if term.could_extract_minus_sign():
                coeff, term = -coeff, -term
            if not coeff.is_Rational:
                coeff, term = sympy.Integer(1), sympy.expand(args[0])
            out = atoms.setdefault(("exp", term), sympy.Dummy("E")) ** coeff
        else:
            key = (node.func, tuple(sympy.expand(a) if isinstance(a, sympy.Expr) else a
                                    for a in args))
            out = atoms.setdefault(key, sympy.Dummy("F"))
        memo[node] = out
        return out

    return walk(sympy.sympify(e))


def _exp_free(e: Any) -> Any:
    """``e`` with each exponential as a power of a fresh symbol per argument (exp(-u) -> 1/E_u),
    so that ``cancel`` decides zero-ness of sigmoid/tanh/softplus-style expressions quickly."""
    try:
        e = e.rewrite(sympy.exp)
    except Exception:  # noqa: BLE001 - rewriting is best effort
        return None
    bases: dict[Any, sympy.Dummy] = {}
    reps = {}
    for atom in e.atoms(sympy.exp):
        coeff, term = sympy.factor_terms(sympy.expand(atom.args[0])).as_coeff_Mul()
        term = sympy.expand(term)
        if term.could_extract_minus_sign():
            coeff, term = -coeff, -term
        if not coeff.is_Rational:
            return None
        base = bases.setdefault(term, sympy.Dummy("E", positive=True))
        reps[atom] = base**coeff
    return e.xreplace(reps)


def equal(a: Any, b: Any, simplify_ops: int = 400) -> bool:
    """Elementwise SymPy equality of two scalars/Matrices/Arrays of the same shape.

    >>> x = sympy.Symbol("x")
    >>> equal(sympy.sin(x)**2, 1 - sympy.cos(x)**2)
    True
    """
    a, b = as_array(a), as_array(b)
    if a.size != b.size:
        return False
    return all(is_zero(p - q, simplify_ops) for p, q in zip(a.ravel(), b.ravel(), strict=True))


def numerically_equal(a: Any, b: Any, subs: dict[Any, Any], rtol: float = 1e-7) -> bool:
    """Equality after substituting numbers (for branches the tape took at the recorded point)."""
    a, b = as_array(a), as_array(b)
    if a.size != b.size:
        return False
    for p, q in zip(a.ravel(), b.ravel(), strict=True):
        pv = evaluate_shared(sympy.sympify(p), subs)
        qv = evaluate_shared(sympy.sympify(q), subs)
        if abs(pv - qv) > rtol * (1 + abs(pv) + abs(qv)):
            return False
    return True


def element_subs(values: dict[str, tuple[Any, tuple[int, ...]]]) -> dict[Any, Any]:
    """Element symbol -> number for every named value (for :func:`numerically_equal`)."""
    subs: dict[Any, Any] = {}
    for name, (value, shape) in values.items():
        syms = Elements.symbols(name, tuple(shape)).a
        vals = np.asarray(value, dtype=float).reshape(np.shape(syms))
        for s, v in zip(syms.ravel(), vals.ravel(), strict=True):
            subs[s] = sympy.Float(float(v), 30)
    return subs

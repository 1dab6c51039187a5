"""The matrix view: a tensor as a SymPy matrix expression (``MatrixSymbol``s, products,
transposes, Hadamard products, elementwise functions), with the same array methods as
:class:`~workbench.symbolic.elements.Elements`.

Conventions: a 0-d tensor is a scalar expression (or a 1x1 matrix expression when it comes out
of a product such as ``r.T*r``); a 1-D tensor of length n is an ``n x 1`` column; a 2-D tensor
is itself. NumPy broadcasting aligns a 1-D operand with the last axis (a row), so elementwise
operations against matrices transpose it. Anything without a matrix form (rank > 2, fancy
indexing, ``max``) raises :class:`NoMatrixForm` and the translator falls back to the element view.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import sympy
from sympy import (
    BlockMatrix,
    Determinant,
    HadamardPower,
    HadamardProduct,
    Identity,
    Inverse,
    MatrixExpr,
    OneMatrix,
    Transpose,
    ZeroMatrix,
)
from sympy.matrices.expressions.diagonal import DiagonalOf
from sympy.matrices.expressions.matexpr import MatrixElement

from workbench.symbolic.elements import scalar
from workbench.symbolic.functions import Elementwise


class NoMatrixForm(Exception):
    """An operation has no matrix-notation form; the element view is used instead."""


def _is_matrix(e: Any) -> bool:
    return isinstance(e, MatrixExpr) or getattr(e, "is_Matrix", False)


def mm(*factors: Any) -> Any:
    """A matrix (or scalar-times-matrix) product kept as written (``*`` would evaluate it)."""
    flat: list = []
    for f in factors:
        flat.extend(f.args if isinstance(f, sympy.MatMul) else [f])
    coeff = sympy.Mul(*[f for f in flat if not _is_matrix(f)])
    mats: list = []
    for f in (f for f in flat if _is_matrix(f)):
        prev = mats[-1] if mats else None
        if isinstance(f, OneMatrix) and isinstance(prev, OneMatrix):
            coeff *= f.shape[0]  # 1(a x b) * 1(b x c) = b * 1(a x c)
            mats[-1] = OneMatrix(prev.shape[0], f.shape[1])
        else:
            mats.append(f)
    if len(mats) > 1:  # identities, and 1x1 ones next to other factors, drop out
        mats = [m for m in mats if not isinstance(m, Identity) and
                (m.shape != (1, 1) or not isinstance(m, OneMatrix))] or mats[:1]
    if not mats:
        return coeff
    if coeff == 0:
        return ZeroMatrix(mats[0].shape[0], mats[-1].shape[1])
    factors = ([coeff] if coeff != 1 else []) + mats
    return factors[0] if len(factors) == 1 else sympy.MatMul(*factors)


def split(term: Any) -> tuple[Any, list]:
    """A term as (scalar coefficient, matrix factors)."""
    args = term.args if isinstance(term, sympy.MatMul) else (term,)
    coeff = sympy.Mul(*[a for a in args if not _is_matrix(a)])
    return coeff, [a for a in args if _is_matrix(a)]


def madd(*terms: Any) -> Any:
    """A matrix sum kept as written, nested sums flattened."""
    flat: list = []
    for t in terms:
        flat.extend(t.args if isinstance(t, sympy.MatAdd) else [t])
    return flat[0] if len(flat) == 1 else sympy.MatAdd(*flat)


def kron(a: Any, b: Any) -> Any:
    """``a ⊗ b`` kept as written; a 1x1 ones or identity factor drops out."""
    for x, y in ((a, b), (b, a)):
        if isinstance(x, OneMatrix | Identity) and tuple(x.shape) == (1, 1):
            return y
    return sympy.KroneckerProduct(a, b)


def transpose(e: Any) -> Any:
    """``e.T`` kept as written: ``(y - X*beta).T`` rather than ``-beta.T*X.T + y.T``."""
    if not _is_matrix(e):
        return e
    if isinstance(e, Transpose):
        return e.arg
    if isinstance(e, OneMatrix | ZeroMatrix):
        return type(e)(e.shape[1], e.shape[0])
    if isinstance(e, Identity):
        return e
    return Transpose(e)


def as_scalar(e: Any) -> sympy.Expr:
    """A 1x1 matrix expression as a scalar (its only element); scalars pass through."""
    return MatrixElement(e, 0, 0) if _is_matrix(e) else e


def broadcast(e: Any, rows: int, cols: int) -> Any:
    """``e`` (scalar, or a matrix with dims 1 or equal) expanded to ``rows x cols``."""
    if not _is_matrix(e):
        return mm(e, OneMatrix(rows, cols))
    if isinstance(e, OneMatrix):
        return OneMatrix(rows, cols)
    r, c = e.shape
    if (r, c) == (rows, cols):
        return e
    if r == 1 and rows != 1:
        e = mm(OneMatrix(rows, 1), e)
    if c == 1 and cols != 1:
        e = mm(e, OneMatrix(1, cols))
    return e


def _ones_coeff(m: Any) -> Any:
    """``c`` if ``m`` is ``c * ones`` (``1`` for plain ones), else None."""
    if isinstance(m, OneMatrix):
        return sympy.Integer(1)
    if isinstance(m, sympy.MatMul) and len(m.args) == 2 and isinstance(m.args[1], OneMatrix) \
            and not _is_matrix(m.args[0]):
        return m.args[0]
    return None


def _mul2(a: Any, b: Any, shape: tuple[int, int]) -> Any:
    if not _is_matrix(a) or not _is_matrix(b):
        return mm(a, b)
    if a.shape == b.shape:
        if _ones_coeff(a) is not None:
            return mm(_ones_coeff(a), b)
        if _ones_coeff(b) is not None:
            return mm(_ones_coeff(b), a)
        return HadamardProduct(a, b)
    if a.shape[1] == 1 and b.shape[0] == 1:  # column times row: an outer product
        return mm(a, b)
    if b.shape[1] == 1 and a.shape[0] == 1:
        return mm(b, a)
    return HadamardProduct(broadcast(a, *shape), broadcast(b, *shape))


def _convert(node: Any, env: dict, shape: tuple[int, int] | None) -> Any:
    """Rewrite a scalar template over dummies as a matrix expression over ``env``'s values."""
    if node in env:
        return env[node]
    if not node.free_symbols & set(env):
        return node
    if node.is_Add:
        terms = [_convert(a, env, shape) for a in node.args]
        mats = [t for t in terms if _is_matrix(t)]
        scal = sympy.Add(*[t for t in terms if not _is_matrix(t)])
        if shape is None:
            return sympy.Add(*terms)
        total = madd(*[broadcast(m, *shape) for m in mats])
        return total if scal == 0 else madd(total, mm(scal, OneMatrix(*shape)))
    if node.is_Mul:
        factors = [_convert(a, env, shape) for a in node.args]
        coeff = sympy.Mul(*[f for f in factors if not _is_matrix(f)])
        mats = [f for f in factors if _is_matrix(f)]
        if not mats:
            return coeff
        out = mats[0]
        for m in mats[1:]:
            out = _mul2(out, m, shape)
        return mm(coeff, out)
    if node.is_Pow and not node.exp.free_symbols & set(env):
        base = _convert(node.base, env, shape)
        if not _is_matrix(base):
            return base**node.exp
        return HadamardPower(base, node.exp)
    if len(node.args) == 1 and isinstance(node, sympy.Function):
        arg = _convert(node.args[0], env, shape)
        if not _is_matrix(arg):
            return node.func(arg)
        d = sympy.Dummy("d")
        return Elementwise(node.func.__name__, sympy.Lambda(d, node.func(d)), arg)
    raise NoMatrixForm(f"no matrix notation for the elementwise expression {node}")


def _polynomial(template: sympy.Expr, dummies: list) -> bool:
    """True if ``template`` is a polynomial in ``dummies`` (functions of other symbols, such
    as ``sin(y)`` in ``x + sin(y)``, are coefficients)."""
    return not any((isinstance(a, sympy.Function) or (a.is_Pow and a.exp.free_symbols))
                   and a.free_symbols & set(dummies) for a in sympy.preorder_traversal(template))


class MatrixForm:
    """A tensor in matrix notation: ``.e`` the SymPy (matrix) expression, ``.shape`` NumPy's shape.

    >>> x = MatrixForm.symbol("x", (3,))
    >>> A = MatrixForm.symbol("A", (3, 3))
    >>> print(x.matmul(A.matmul(x)).e)
    x.T*A*x
    """

    __slots__ = ("e", "shape")
    view = "matrix"

    def __init__(self, e: Any, shape: tuple[int, ...]):
        if len(shape) > 2:
            raise NoMatrixForm(f"a rank-{len(shape)} tensor has no matrix notation")
        self.e = e
        self.shape = tuple(shape)

    @classmethod
    def symbol(cls, name: str, shape: tuple[int, ...]) -> MatrixForm:
        """A real ``Symbol`` (0-d), an ``n x 1`` ``MatrixSymbol`` (1-D) or an ``m x k`` one."""
        if shape == ():
            return cls(sympy.Symbol(name, real=True), ())
        rows, cols = (shape[0], 1) if len(shape) == 1 else shape
        return cls(sympy.MatrixSymbol(name, rows, cols), shape)

    @classmethod
    def number(cls, value: Any) -> MatrixForm:
        if np.ndim(value) != 0:
            raise NoMatrixForm("an unnamed array constant is shown by value in the element view")
        return cls(scalar(np.asarray(value).item()), ())

    def __repr__(self) -> str:
        return f"MatrixForm({self.e}, shape={self.shape})"

    def _rows_cols(self) -> tuple[int, int]:
        return (1, 1) if not self.shape else (self.shape[0], 1) if len(self.shape) == 1 \
            else self.shape

    # --- elementwise --------------------------------------------------------------------------
    def apply(self, fn: Any, *others: MatrixForm, name: str = "f") -> MatrixForm:
        """``fn`` (a scalar template) applied elementwise, written with Hadamard operations."""
        operands = (self,) + others
        out_shape = np.broadcast_shapes(*(o.shape for o in operands))
        if len(out_shape) > 2:
            raise NoMatrixForm(f"a rank-{len(out_shape)} result has no matrix notation")
        dummies = [sympy.Dummy(f"d{i}") for i in range(len(operands))]
        template = sympy.sympify(fn(*dummies))
        target = None if not out_shape else (out_shape[0], 1) if len(out_shape) == 1 else out_shape
        env = {d: _aligned(o, out_shape) for d, o in zip(dummies, operands, strict=True)}
        scalars = {d: v for d, v in env.items() if not _is_matrix(v)}
        template = template.xreplace(scalars)
        env = {d: v for d, v in env.items() if _is_matrix(v)}
        if not env:
            return MatrixForm(template, out_shape)
        if target is None and any(_is_matrix(v) for v in env.values()):
            target = (1, 1)
        if len(env) == 1 and not _polynomial(template, dummies) and \
                not (isinstance(template, sympy.Function) and template.args[0] in env):
            (d, arg), = env.items()
            return MatrixForm(Elementwise(name, sympy.Lambda(d, template), arg), out_shape)
        e = _convert(template, env, target)
        if len(out_shape) == 2 and _is_matrix(e) and e.shape != tuple(out_shape):
            e = broadcast(e, *out_shape)
        return MatrixForm(e, out_shape)

    # --- reductions ---------------------------------------------------------------------------
    def sum(self, axis: tuple[int, ...] | None, keepdims: bool) -> MatrixForm:
        nd = len(self.shape)
        axes = tuple(range(nd)) if axis is None else tuple(axis)
        if nd == 0 or not axes:
            return self
        r, c = self._rows_cols()
        if nd == 1 or set(axes) == {0, 1}:
            total = mm(OneMatrix(1, r), self.e, OneMatrix(c, 1)) if c > 1 else mm(OneMatrix(1, r), self.e)
            return MatrixForm(total, (1,) * nd if keepdims else ())
        if axes == (0,):  # column sums: a row (1, c); as a 1-D tensor the column e.T * 1
            return MatrixForm(mm(OneMatrix(1, r), self.e), (1, c)) if keepdims else \
                MatrixForm(mm(transpose(self.e), OneMatrix(r, 1)), (c,))
        return MatrixForm(mm(self.e, OneMatrix(c, 1)), (r, 1) if keepdims else (r,))

    def max(self, axis: Any, keepdims: bool) -> MatrixForm:
        raise NoMatrixForm("max has no matrix notation")

    # --- shape --------------------------------------------------------------------------------
    def transpose(self, axes: tuple[int, ...]) -> MatrixForm:
        if len(self.shape) < 2 or tuple(axes) == (0, 1):
            return self
        return MatrixForm(transpose(self.e), self.shape[::-1])

    def reshape(self, shape: tuple[int, ...]) -> MatrixForm:
        shape = tuple(shape)
        if shape == self.shape:
            return self
        if len(shape) > 2:
            raise NoMatrixForm(f"reshape to {shape} has no matrix notation")
        e = self.e
        if not _is_matrix(e):
            e = mm(e, OneMatrix(1, 1))
        if int(np.prod(shape)) == 1:
            return MatrixForm(e, shape)
        have = self._rows_cols()
        want = (shape[0], 1) if len(shape) == 1 else shape
        if have == want:
            return MatrixForm(e, shape)
        if have == want[::-1] and 1 in have:
            return MatrixForm(transpose(e), shape)
        raise NoMatrixForm(f"reshape {self.shape} -> {shape} has no matrix notation")

    def broadcast_to(self, shape: tuple[int, ...]) -> MatrixForm:
        shape = tuple(shape)
        if shape == self.shape:
            return self
        if len(shape) > 2:
            raise NoMatrixForm(f"broadcast to {shape} has no matrix notation")
        e = _aligned(self, shape)
        rows, cols = (shape[0], 1) if len(shape) == 1 else shape
        return MatrixForm(broadcast(e, rows, cols), shape)

    def getitem(self, index: tuple) -> MatrixForm:
        if all(isinstance(i, slice) and i == slice(None) for i in index):
            return self
        if len(self.shape) == 2 and self.shape[0] == self.shape[1] and \
                _is_diagonal_index(index, self.shape[0]):
            return MatrixForm(DiagonalOf(self.e), (self.shape[0],))
        raise NoMatrixForm(f"indexing with {index} has no matrix notation")

    def scatter_add(self, index: tuple, shape: tuple[int, ...]) -> MatrixForm:
        if len(self.shape) == 1 and tuple(shape) == (self.shape[0],) * 2 and \
                _is_diagonal_index(index, self.shape[0]):
            return MatrixForm(sympy.DiagMatrix(self.e), tuple(shape))
        raise NoMatrixForm("scatter_add has no matrix notation")

    def concat(self, others: tuple[MatrixForm, ...], axis: int) -> MatrixForm:
        parts = (self,) + tuple(others)
        if any(len(p.shape) == 0 for p in parts):
            raise NoMatrixForm("concat of scalars")
        shape = list(parts[0].shape)
        shape[axis] = sum(p.shape[axis] for p in parts)
        exprs = [p.e for p in parts]
        blocks = [[e] for e in exprs] if axis == 0 else [exprs]
        return MatrixForm(BlockMatrix(blocks), tuple(shape))

    # --- linear algebra -----------------------------------------------------------------------
    def matmul(self, other: MatrixForm) -> MatrixForm:
        a, b = self, other
        if len(a.shape) == 0 or len(b.shape) == 0:
            raise NoMatrixForm("matmul of a scalar")
        if len(a.shape) == 1 and len(b.shape) == 1:
            return MatrixForm(mm(transpose(a.e), b.e), ())
        if len(a.shape) == 1:  # (k,) @ (k, n) -> (n,) stored as a column: Y.T * x
            return MatrixForm(transpose(mm(transpose(a.e), b.e)), (b.shape[1],))
        if len(b.shape) == 1:
            return MatrixForm(mm(a.e, b.e), (a.shape[0],))
        return MatrixForm(mm(a.e, b.e), (a.shape[0], b.shape[1]))

    def inv(self) -> MatrixForm:
        if len(self.shape) != 2:
            raise NoMatrixForm("inv of a stack of matrices")
        return MatrixForm(Inverse(self.e), self.shape)

    def det(self) -> MatrixForm:
        if len(self.shape) != 2:
            raise NoMatrixForm("det of a stack of matrices")
        return MatrixForm(Determinant(self.e), ())

    def solve(self, b: MatrixForm) -> MatrixForm:
        if len(self.shape) != 2 or len(b.shape) == 0:
            raise NoMatrixForm("solve of stacked matrices")
        return MatrixForm(mm(Inverse(self.e), b.e), b.shape)

    def to_sympy(self) -> Any:
        return self.e


def _is_diagonal_index(index: tuple, n: int) -> bool:
    """True for ``(..., arange(n), arange(n))``: the main diagonal of an n x n matrix."""
    if len(index) != 3 or index[0] is not Ellipsis:
        return False
    want = np.arange(n)
    return all(isinstance(i, np.ndarray) and i.shape == (n,) and np.array_equal(i, want)
               for i in index[1:])


def _aligned(o: MatrixForm, out_shape: tuple[int, ...]) -> Any:
    """``o``'s expression aligned as NumPy broadcasting aligns it against ``out_shape``."""
    if len(o.shape) == 0:
        if _is_matrix(o.e) and len(out_shape) > 0:
            return as_scalar(o.e)
        return o.e
    if len(o.shape) == 1 and len(out_shape) == 2:
        return transpose(o.e)
    return o.e

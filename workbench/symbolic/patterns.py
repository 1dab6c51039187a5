"""Matrix-view forms of equation patterns whose single equations have no matrix notation: the
cofactor matrix of ``det``'s VJP (``det(A)*A^-T``), the max shift of softmax / logsumexp (a
no-op, printed away), ``slogdet``'s packed result, ``where`` on a constant condition, ``kron``
(rank-4 reshapes) as ``A ⊗ B`` with its cotangents as block sums, and reshape chains."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import sympy

from workbench.ir import Graph, Literal, Var
from workbench.symbolic.matrix import MatrixForm, kron, mm, transpose

#: An override computes an equation's MatrixForm from a lookup of the graph's atoms.
Override = Callable[[Callable[[Any], MatrixForm]], MatrixForm]


def overrides(graph: Graph, values: dict[Any, Any] | None = None) -> dict[Var, Override]:
    """Equation outputs of ``graph`` whose matrix form comes from a pattern, not from its rule.

    The equations inside a pattern may have no matrix form of their own; the translator defers
    their failure until something outside the pattern reads them. ``values`` (the inputs'
    recorded values) choose between forms equal at the recorded point (``log det`` for
    ``log|det|`` where the determinant is positive).
    """
    values = values or {}
    producer = {eqn.outputs[0]: eqn for eqn in graph.eqns}
    found: dict[Var, Override] = {}
    for eqn in graph.eqns:
        out = eqn.outputs[0]
        rule = None
        for match in (_cofactor, _shifted, _slogdet_part, _constant_where, _kron, _kron_cotangent,
                      _reshape_chain):
            rule = match(eqn, producer, values)
            if rule is not None:
                break
        if rule is not None:
            found[out] = rule
    return found


def _made_by(atom: Any, producer: dict, name: str) -> Any:
    eqn = producer.get(atom) if isinstance(atom, Var) else None
    return eqn if eqn is not None and eqn.prim.name == name else None


def _cofactor(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``det(a[minors]) * signs`` (det's VJP) is the cofactor matrix ``det(a) * a^-T`` (where
    the recorded ``a`` is invertible)."""
    if eqn.prim.name != "mul" or len(eqn.inputs) != 2:
        return None
    dets, signs = eqn.inputs
    det = _made_by(dets, producer, "det")
    minors = _made_by(det.inputs[0], producer, "getitem") if det is not None else None
    if minors is None or not isinstance(signs, Literal) or len(minors.inputs[0].shape) != 2:
        return None
    a = minors.inputs[0]
    n = a.shape[-1]
    from workbench.ops.linalg import _minor_index

    want = _minor_index(n)
    index = minors.params["index"]
    if len(index) != len(want) or index[0] is not Ellipsis or not all(
            np.array_equal(i, w) for i, w in zip(index[1:], want[1:], strict=True)):
        return None
    if not np.array_equal(np.asarray(signs.value), (-1.0) ** np.add.outer(np.arange(n),
                                                                           np.arange(n))):
        return None
    if a in values and np.linalg.cond(np.asarray(values[a], dtype=float)) > 1e12:
        return None  # det(a)*a^-T is undefined at a singular matrix: the cofactors by element

    def rule(read: Callable[[Any], MatrixForm]) -> MatrixForm:
        e = read(a).e
        return MatrixForm(mm(sympy.Determinant(e), transpose(sympy.Inverse(e))), (n, n))

    return rule


def _is_shift(atom: Any, producer: dict) -> Any:
    """The input ``x`` if ``atom`` is ``stop_gradient(max(x))``, else None."""
    sg = _made_by(atom, producer, "stop_gradient")
    top = _made_by(sg.inputs[0], producer, "max") if sg is not None else None
    return top.inputs[0] if top is not None else None


def _shifted(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``x - stop_gradient(max(x))`` is ``x``, and adding the shift back adds nothing: the
    shift keeps ``exp`` finite and cancels in softmax and logsumexp."""
    if eqn.prim.name not in ("sub", "add") or len(eqn.inputs) != 2:
        return None
    a, b = eqn.inputs
    x = _is_shift(b, producer)
    if x is None or (eqn.prim.name == "sub" and x is not a):
        return None
    shape = eqn.outputs[0].shape

    def rule(read: Callable[[Any], MatrixForm]) -> MatrixForm:
        return read(a).broadcast_to(shape)

    return rule


def _slogdet_part(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``slogdet(a)[..., 1]`` is ``log|det(a)|``; of a cotangent packed by ``scatter_add`` at
    the same place, the cotangent itself. At a recorded input with a positive determinant
    ``log|det(a)| = log(det(a))``, the form a textbook prints (and SymPy can check)."""
    if eqn.prim.name != "getitem" or not _index_is(eqn.params.get("index"), (Ellipsis, 1)):
        return None
    src = eqn.inputs[0]
    slog = _made_by(src, producer, "slogdet")
    if slog is not None and len(slog.inputs[0].shape) == 2:
        a = slog.inputs[0]
        positive = a in values and np.linalg.det(np.asarray(values[a], dtype=float)) > 0
        wrap = (lambda d: d) if positive else sympy.Abs
        return lambda read: MatrixForm(sympy.log(wrap(sympy.Determinant(read(a).e))), ())
    packed = _made_by(src, producer, "scatter_add")
    if packed is not None and _index_is(packed.params.get("index"), (Ellipsis, 1)) and \
            packed.params.get("shape") == (2,):
        g = packed.inputs[0]
        return lambda read: read(g)
    return None


def _index_is(index: Any, want: tuple) -> bool:
    return isinstance(index, tuple) and len(index) == len(want) and all(
        type(i) is type(w) and i == w for i, w in zip(index, want, strict=True))


def _constant_where(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``where(c, a, b)`` with a constant condition that is all true (false) is ``a`` (``b``)."""
    if eqn.prim.name != "where" or not isinstance(eqn.inputs[0], Literal):
        return None
    cond = np.asarray(eqn.inputs[0].value)
    if cond.dtype != bool or not (cond.all() or not cond.any()):
        return None
    pick = eqn.inputs[1] if cond.all() else eqn.inputs[2]
    shape = eqn.outputs[0].shape

    def rule(read: Callable[[Any], MatrixForm]) -> MatrixForm:
        return read(pick).broadcast_to(shape)

    return rule


def _interleaved(wide: tuple[int, ...], first: bool) -> tuple[int, ...] | None:
    """The padded operand shape of a ``kron`` operand widened to ``wide``: ``(m, 1, n, 1)``
    (``first``) or ``(1, p, 1, q)`` give ``(m, n)`` / ``(p, q)``; None for other shapes."""
    if len(wide) not in (2, 4):
        return None
    kept, ones = (wide[0::2], wide[1::2]) if first else (wide[1::2], wide[0::2])
    return tuple(kept) if all(d == 1 for d in ones) else None


def _kron_operand(wide: Any, producer: dict, first: bool) -> tuple[Any, tuple] | None:
    """(the operand, its padded shape) if ``wide`` is a kron operand's widening reshape."""
    eqn = _made_by(wide, producer, "reshape")
    padded = _interleaved(tuple(wide.shape), first) if eqn is not None else None
    x = eqn.inputs[0] if eqn is not None else None
    if padded is None or not 1 <= len(x.shape) <= len(padded) or \
            tuple(x.shape) != padded[len(padded) - len(x.shape):]:
        return None
    return x, padded


def _as_padded(form: MatrixForm, padded: tuple) -> Any:
    """A kron operand's matrix: a 1-D operand of a 2-D kron is a row."""
    return transpose(form.e) if len(form.shape) < len(padded) else form.e


def _kron(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``reshape(reshape(a, (m,1,n,1)) * reshape(b, (1,p,1,q)), (m*p, n*q))`` is ``a ⊗ b``."""
    prod = _made_by(eqn.inputs[0], producer, "mul") if eqn.prim.name == "reshape" else None
    if prod is None or len(prod.inputs) != 2:
        return None
    a, b = (_kron_operand(w, producer, first) for w, first in zip(prod.inputs, (True, False),
                                                                   strict=True))
    if a is None or b is None or len(a[1]) != len(b[1]) or tuple(eqn.outputs[0].shape) != \
            tuple(x * y for x, y in zip(a[1], b[1], strict=True)):
        return None
    shape = tuple(eqn.outputs[0].shape)

    def rule(read: Callable[[Any], MatrixForm]) -> MatrixForm:
        ka, kb = (_as_padded(read(x), padded) for x, padded in (a, b))
        return MatrixForm(kron(ka, kb), shape)

    return rule


def _kron_cotangent(eqn: Any, producer: dict, values: dict) -> Override | None:
    """kron's cotangent ``sum(reshape(G, (m,p,n,q)) * reshape(b, (1,p,1,q)), axes (1, 3))`` is
    the block sum ``(I ⊗ 1.T)*(G∘(1 ⊗ b))*(I ⊗ 1)`` (for ``b``'s: ``(1.T ⊗ I)*(G∘(a ⊗ 1))*(1 ⊗ I)``,
    axes (0, 2)): ``G``'s blocks weighted by the other operand and summed. Matched at the sum,
    or at the reshape after it where the sum keeps a third axis of size 1."""
    shape = tuple(eqn.outputs[0].shape)
    if eqn.prim.name not in ("sum", "reshape") or len(shape) > 2:
        return None
    total = eqn
    while total is not None and total.prim.name == "reshape":
        total = _made_by(total.inputs[0], producer, "reshape") or \
            _made_by(total.inputs[0], producer, "sum")
    if total is None or (total is not eqn and len(total.outputs[0].shape) <= 2):
        return None
    found = _block_sum_operands(total, producer)
    if found is None:
        return None
    rule = _block_sum(*found, producer)
    return lambda read: rule(read).reshape(shape)


def _block_sum_operands(total: Any, producer: dict) -> tuple | None:
    """(G4, (the other operand, its padded shape), the summed result's padded shape, whether
    the other operand is kron's first) if ``total`` sums a kron cotangent's blocks."""
    axis = total.params.get("axis")
    prod = _made_by(total.inputs[0], producer, "mul")
    if axis is None or prod is None or len(prod.inputs) != 2:
        return None
    summed = set(axis if isinstance(axis, tuple | list) else (axis,))
    for g4, wide in (prod.inputs, prod.inputs[::-1]):
        nd = len(wide.shape) // 2
        for first in (True, False):
            other = _kron_operand(wide, producer, first)
            positions = set(range(0 if first else 1, 2 * nd, 2))
            if other is None or len(g4.shape) != 2 * nd or not summed <= positions or \
                    any(g4.shape[k] != 1 for k in positions - summed):
                continue
            src = _made_by(g4, producer, "reshape")
            if nd == 1 and (src is None or len(src.inputs[0].shape) != 1):
                continue  # an outer product's cotangent, not a kron's: the rules print it
            return g4, other, tuple(g4.shape[1::2] if first else g4.shape[0::2]), first
    return None


def _block_sum(g4: Any, other: tuple, mine: tuple, weights_first: bool,
               producer: dict) -> Override:
    x, padded = other
    kshape = tuple(u * v for u, v in zip(padded, mine, strict=True)) if weights_first else \
        tuple(u * v for u, v in zip(mine, padded, strict=True))
    src = _made_by(g4, producer, "reshape")

    def rule(read: Callable[[Any], MatrixForm]) -> MatrixForm:
        if isinstance(g4, Literal):
            g = read(Literal(np.reshape(g4.value, kshape), g4.name))
        else:
            g = read(src.inputs[0] if src is not None else g4)
        g = g.reshape(kshape).e
        w = _as_padded(read(x), padded)
        (r, c), (wr, wc) = (mine + (1,))[:2], w.shape
        ones, eye = sympy.OneMatrix, sympy.Identity
        if weights_first:  # summing the blocks, weighted by the other (first) operand
            left, right = kron(ones(1, wr), eye(r)), kron(ones(wc, 1), eye(c))
            spread = kron(w, ones(r, c))
        else:  # summing within each block, weighted by the other (second) operand
            left, right = kron(eye(r), ones(1, wr)), kron(eye(c), ones(wc, 1))
            spread = kron(ones(r, c), w)
        return MatrixForm(mm(left, sympy.HadamardProduct(g, spread), right), mine)

    return rule


def _reshape_chain(eqn: Any, producer: dict, values: dict) -> Override | None:
    """``reshape(reshape(x, s1), s2)`` is ``reshape(x, s2)`` (``s1`` may have no matrix form)."""
    inner = _made_by(eqn.inputs[0], producer, "reshape") if eqn.prim.name == "reshape" else None
    if inner is None or len(inner.outputs[0].shape) <= 2:
        return None
    x, shape = inner.inputs[0], tuple(eqn.outputs[0].shape)
    return lambda read: read(x).reshape(shape)

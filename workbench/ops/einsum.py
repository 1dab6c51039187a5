"""``einsum``: one primitive for sums of products over named axes (its VJPs are einsums too).

The public function resolves ellipses, implicit outputs and size-1 broadcasting, so the primitive
always sees explicit subscripts (``"ij,jk->ik"``) where every letter has one size.
"""

from __future__ import annotations

import string

import numpy as np

from workbench.convert import constant
from workbench.ops import numba_products as nbp
from workbench.ops import shape as sh
from workbench.primitive import defprimitive
from workbench.tensor import Tensor

LETTERS = string.ascii_letters


def split(subscripts: str) -> tuple[list[str], str]:
    """Explicit subscripts as (input terms, output term).

    >>> split("ij,jk->ik")
    (['ij', 'jk'], 'ik')
    """
    ins, out = subscripts.split("->")
    return ins.split(","), out


def _fresh(used: set[str], count: int) -> list[str]:
    """``count`` letters not in ``used`` (which is updated)."""
    free = [c for c in LETTERS if c not in used][:count]
    if len(free) < count:
        raise ValueError("einsum: more than 52 distinct axes are not supported")
    used.update(free)
    return free


def _operand_vjp(argnum: int):
    def rule(g, ans, *xs, subscripts):
        terms, out = split(subscripts)
        used = set(subscripts)
        batch = "".join(_fresh(used, g.ndim - ans.ndim))
        sizes = nbp.letter_sizes(terms, [x.shape for x in xs])
        dtype = g.dtype
        operands = [g] + [x for j, x in enumerate(xs) if j != argnum]
        subs = [batch + out] + [t for j, t in enumerate(terms) if j != argnum]
        target = ""
        for c in terms[argnum]:
            if c in target:  # a repeated index (a diagonal): a delta ties the copy to c
                (fresh,) = _fresh(used, 1)
                operands.append(np.eye(sizes[c], dtype=dtype))
                subs.append(c + fresh)
                c = fresh
            target += c
        for c in dict.fromkeys(terms[argnum]):
            if c not in "".join(subs):  # summed over this operand alone: spread back with ones
                operands.append(np.ones(sizes[c], dtype=dtype))
                subs.append(c)
        return einsum_p(*operands, subscripts=",".join(subs) + "->" + batch + target)

    return rule


def element_array(x, what: str):
    """The object array of an element-view value; the matrix view has no form for ``what``."""
    if x.view != "elements":
        from workbench.symbolic.matrix import NoMatrixForm

        raise NoMatrixForm(f"{what} has no matrix notation")
    return x.a


def _canonical(subscripts: str) -> str:
    """Letters renamed in order of first appearance: ``"jk,ki->ji"`` -> ``"ab,bc->ac"``."""
    names: dict[str, str] = {}
    return "".join(names.setdefault(c, LETTERS[len(names)]) if c.isalpha() else c
                   for c in subscripts)


def _matrix_einsum(xs, subscripts: str):
    """The matrix-view form of the einsums that have one (products, traces, transposes,
    elementwise products, sums), or None."""
    terms, out = split(_canonical(subscripts))
    if len(xs) == 1 and terms[0] == "aa" and out == "":
        import sympy

        return type(xs[0])(sympy.Trace(xs[0].e), ())
    if len(xs) == 1 and len(set(terms[0])) == len(terms[0]):
        (x,), (term,) = xs, terms
        if out == term[::-1] and len(term) == 2:
            return x.transpose((1, 0))
        if "".join(c for c in term if c in out) == out:
            return x.sum(tuple(k for k, c in enumerate(term) if c not in out), False)
    if all(t in ("", out, out[::-1]) for t in terms):  # no index summed: a Hadamard product
        xs = [x.transpose((1, 0)) if t != out and len(t) == 2 else x
              for x, t in zip(xs, terms, strict=True)]
        return xs[0].apply(_product, *xs[1:])
    if len(xs) == 2 and out == "" and len(terms[0]) == 2 and terms[1] in (terms[0],
                                                                          terms[0][::-1]):
        import sympy  # tr(A B) for "ab,ba->", tr(A.T B) for "ab,ab->"

        a = xs[0] if terms[1] != terms[0] else xs[0].transpose((1, 0))
        return type(a)(sympy.Trace(a.matmul(xs[1]).e), ())
    if len(xs) == 2:
        return _contraction(xs, terms, out)
    return None


def _contraction(xs, terms: list[str], out: str):
    """``a @ b`` (transposed as needed) for two operands of rank <= 2 sharing one summed index;
    ``a,b->ab`` is the outer product."""
    t0, t1 = terms
    shared = set(t0) & set(t1)
    if len(t0) > 2 or len(t1) > 2 or len(set(t0)) < len(t0) or len(set(t1)) < len(t1):
        return None
    if not shared and len(t0) == len(t1) == 1 and out == t0 + t1:
        a, b = xs
        return a.reshape(a.shape + (1,)).matmul(b.reshape((1,) + b.shape))
    if len(shared) != 1 or shared & set(out):
        return None
    (s,) = shared
    f0, f1 = t0.replace(s, ""), t1.replace(s, "")
    if sorted(out) != sorted(f0 + f1):
        return None
    a = xs[0] if t0.endswith(s) else xs[0].transpose((1, 0))
    b = xs[1] if t1.startswith(s) else xs[1].transpose((1, 0))
    product = a.matmul(b)
    return product if out == f0 + f1 else product.transpose((1, 0))


def _product(*factors):
    """The product of scalar factors (an elementwise template)."""
    out = factors[0]
    for f in factors[1:]:
        out = out * f
    return out


def _einsum_sympy(*xs, subscripts):
    if xs[0].view == "matrix":
        form = _matrix_einsum(xs, subscripts)
        if form is not None:
            return form
    arrays = [element_array(x, f"einsum '{subscripts}'") for x in xs]
    return type(xs[0])(np.asarray(np.einsum(subscripts, *arrays), dtype=object))


def _einsum_np(*xs, subscripts):
    # Large contractions go through BLAS (NumPy's path optimizer); small ones skip its overhead.
    large = len(xs) > 1 and sum(np.size(x) for x in xs) > 4096
    return np.einsum(subscripts, *xs, optimize=large)


einsum_p = defprimitive(
    "einsum", _einsum_np,
    vjp=_operand_vjp,
    sympy=_einsum_sympy,
    kind="linalg",
    numba=nbp.einsum,
)


def _expand(term: str, ndim: int, ellipsis: list[str], name: str) -> str:
    """``term`` with its ``...`` replaced by the trailing ellipsis letters it covers."""
    if "..." not in term:
        if len(term) != ndim:
            raise ValueError(f"einsum: operand {name} has {ndim} axes but subscripts '{term}'")
        return term
    head, tail = term.split("...")
    extra = ndim - len(head) - len(tail)
    if extra < 0:
        raise ValueError(f"einsum: operand {name} has {ndim} axes, fewer than '{term}' names")
    return head + "".join(ellipsis[len(ellipsis) - extra:]) + tail


def resolve(subscripts: str, shapes: list[tuple[int, ...]]) -> str:
    """NumPy's subscripts as explicit ones with every axis named.

    >>> resolve("...ij,...jk", [(2, 3, 4), (4, 5)])
    'aij,jk->aik'
    >>> resolve("ii", [(3, 3)])
    'ii->'
    """
    text = subscripts.replace(" ", "")
    lhs, arrow, rhs = text.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: '{subscripts}' names {len(terms)} operands, "
                         f"{len(shapes)} were given")
    for part in terms + [rhs]:
        bad = set(part.replace("...", "")) - set(LETTERS)
        if bad or part.count("...") > 1:
            raise ValueError(f"einsum: invalid subscripts '{subscripts}' (letters, ',', '->' "
                             "and one '...' per operand)")
    used = set(text)
    width = max((len(s) - len(t.replace("...", "")) for t, s in zip(terms, shapes) if "..." in t),
                default=0)
    ellipsis = _fresh(used, width)
    full = [_expand(t, len(s), ellipsis, str(i)) for i, (t, s) in enumerate(zip(terms, shapes))]
    if arrow:
        if "..." not in rhs and width:
            raise ValueError(f"einsum: '{subscripts}' has '...' axes in its operands but not in "
                             "its output; add '...' to the output (or sum them afterwards)")
        out = rhs.replace("...", "".join(ellipsis))
    else:
        counts = "".join(t.replace("...", "") for t in terms)
        out = "".join(ellipsis) + "".join(sorted(c for c in set(counts) if counts.count(c) == 1))
    letters = "".join(full)
    for c in out:
        if c not in letters or out.count(c) > 1:
            raise ValueError(f"einsum: output subscript '{c}' of '{subscripts}' must appear "
                             "once in the output and in some operand")
    return ",".join(full) + "->" + out


def einsum(subscripts: str, *operands) -> Tensor:
    """Einstein summation with NumPy's subscripts: explicit (``->``) or implicit output, repeated
    indices (traces, diagonals), ``...`` batch axes and broadcasting; differentiable in every
    operand (each VJP is itself an einsum).

    >>> import workbench as wb
    >>> a = wb.constant([[1.0, 2.0], [3.0, 4.0]])
    >>> float(wb.einsum("ii", a)), wb.einsum("ij,jk->ik", a, a).numpy().tolist()
    (5.0, [[7.0, 10.0], [15.0, 22.0]])
    """
    xs = [constant(x) for x in operands]
    shapes = [x.shape for x in xs]
    explicit = resolve(subscripts, shapes)
    terms, _ = split(explicit)
    for term, shape in zip(terms, shapes, strict=True):
        for c in set(term):
            dims = {d for k, d in zip(term, shape, strict=True) if k == c}
            if len(dims) > 1:
                raise ValueError(f"einsum: the repeated index '{c}' of '{subscripts}' has "
                                 f"different sizes {sorted(dims)} in one operand")
    sizes = nbp.letter_sizes(terms, shapes)
    for i, (term, shape) in enumerate(zip(terms, shapes, strict=True)):
        want = tuple(sizes[c] for c in term)
        if want != shape:
            if any(d not in (1, w) for d, w in zip(shape, want, strict=True)):
                raise ValueError(f"einsum: operand {i} has shape {shape}, which does not "
                                 f"broadcast against the sizes {want} that '{subscripts}' needs")
            xs[i] = sh.broadcast_to(xs[i], want)
    return einsum_p(*xs, subscripts=explicit)

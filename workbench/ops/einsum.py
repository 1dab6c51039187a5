"""``einsum``: one primitive for sums of products over named axes (its VJPs are einsums too).

The public function resolves ellipses, implicit outputs and size-1 broadcasting, so the primitive
always sees explicit subscripts (``"ij,jk->ik"``) where every letter has one size.
"""

from __future__ import annotations

import string

import numpy as np

from workbench.ops import numba_products as nbp
from workbench.ops import shape as sh
from workbench.primitive import defprimitive
from workbench.tensor import Tensor, as_input, to_array

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


def tensor_input(x) -> Tensor:
    """``x`` as a Tensor (Variables read, numbers and arrays converted by the dtype policy)."""
    x = as_input(x)
    return x if isinstance(x, Tensor) else Tensor(to_array(x))


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


def _einsum_sympy(*xs, subscripts):
    if xs[0].view == "matrix":
        form = _canonical(subscripts)
        if form == "aa->":
            import sympy

            return type(xs[0])(sympy.Trace(xs[0].e), ())
        if form == "ab->ba":
            return xs[0].transpose((1, 0))
        if form in ("ab,bc->ac", "a,a->", "ab,b->a", "a,ab->b"):
            return xs[0].matmul(xs[1])
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
    xs = [tensor_input(x) for x in operands]
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

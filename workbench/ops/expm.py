"""The matrix exponential as a primitive: Padé-13 scaling and squaring (Higham 2005) in NumPy and
in Numba; its VJP is the upper-right block of ``expm([[A.T, G], [0, A.T]])``, so it nests."""

from __future__ import annotations

import math

import numpy as np

from workbench.ops import shape as sh
from workbench.ops.linalg import LINALG, swap_last
from workbench.ops.numba_linalg import _per_matrix
from workbench.primitive import NotSupported, defprimitive
from workbench.tensor import Tensor

#: Padé-13 coefficients and the 1-norm up to which they need no scaling (double precision).
PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
          129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
          40840800.0, 960960.0, 16380.0, 182.0, 1.0)
THETA13 = 5.371920351148152


def _squarings(a: np.ndarray) -> int:
    norm = float(np.max(np.sum(np.abs(a), axis=0))) if a.size else 0.0
    return max(0, math.ceil(math.log2(norm / THETA13))) if norm > THETA13 else 0


def _expm_one(a: np.ndarray) -> np.ndarray:
    b = PADE13
    s = _squarings(a)
    a = a / 2.0 ** s
    ident = np.eye(a.shape[-1], dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a2 @ a4
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2
             + b[1] * ident)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
        + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    for _ in range(s):
        r = r @ r
    return r


def _expm_forward(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if not np.issubdtype(a.dtype, np.floating):
        a = a.astype(np.float64)
    out = np.empty_like(a)
    for idx in np.ndindex(*a.shape[:-2]):
        out[idx] = _expm_one(a[idx])
    return out


def _expm_vjp(g, ans, a) -> Tensor:
    # d/dA <G, expm(A)> = the (0, 1) block of expm([[A^T, G], [0, A^T]])
    n = a.shape[-1]
    at = sh.broadcast_to_p(swap_last(a), shape=g.shape)
    top = sh.concat_p(at, g, axis=g.ndim - 1)
    bottom = sh.concat_p(Tensor(np.zeros(g.shape, g.dtype)), at, axis=g.ndim - 1)
    big = expm(sh.concat_p(top, bottom, axis=g.ndim - 2))
    return sh.getitem_p(big, index=(Ellipsis, slice(0, n), slice(n, 2 * n)))


def _expm_numba(ctx, mat, res, tail):
    n = tail[0]
    b = PADE13
    nm, s, x, i, j, col = (ctx.fresh(p) for p in ("nrm", "s", "x", "i", "j", "col"))
    x2, x4, x6, u, v, e = (ctx.fresh(p) for p in ("x2", "x4", "x6", "u", "v", "e"))
    return [
        f"{nm} = 0.0",
        f"for {j} in range({n}):",
        f"    {col} = 0.0",
        f"    for {i} in range({n}):",
        f"        {col} += abs({mat}[{i}, {j}])",
        f"    {nm} = max({nm}, {col})",
        f"{s} = 0",
        f"if {nm} > {THETA13!r}:",
        f"    {s} = int(math.ceil(math.log2({nm} / {THETA13!r})))",
        f"{x} = {mat} / 2.0 ** {s}",
        f"{e} = np.zeros_like({x})",
        f"for {i} in range({n}):",
        f"    {e}[{i}, {i}] = 1.0",
        f"{x2} = {x} @ {x}",
        f"{x4} = {x2} @ {x2}",
        f"{x6} = {x2} @ {x4}",
        (f"{u} = {x} @ ({x6} @ ({b[13]!r} * {x6} + {b[11]!r} * {x4} + {b[9]!r} * {x2}) "
         f"+ {b[7]!r} * {x6} + {b[5]!r} * {x4} + {b[3]!r} * {x2} + {b[1]!r} * {e})"),
        (f"{v} = {x6} @ ({b[12]!r} * {x6} + {b[10]!r} * {x4} + {b[8]!r} * {x2}) "
         f"+ {b[6]!r} * {x6} + {b[4]!r} * {x4} + {b[2]!r} * {x2} + {b[0]!r} * {e}"),
        f"{res} = np.ascontiguousarray(np.linalg.solve({v} - {u}, {v} + {u}))",
        f"for {i} in range({s}):",
        f"    {res} = np.ascontiguousarray({res} @ {res})",
    ]


expm = defprimitive(
    "expm", _expm_forward,
    vjp=(_expm_vjp,),
    sympy=NotSupported("SymPy's Matrix.exp diagonalizes a symbolic matrix: no usable closed "
                       "form for a general one"),
    kind=LINALG,
    numba=_per_matrix(_expm_numba),
)

"""Numba emitters for the decompositions: one ``np.linalg`` call per matrix of a stack, its
results packed into the output as the primitives in ``workbench.ops.decompositions`` pack them."""

from __future__ import annotations

import math

from workbench.ops.numba_rules import _c_steps


def _per_matrix(body):
    """An emitter that runs ``body(ctx, mat, res, (m, n))`` on each matrix: ``body`` returns
    lines that set ``res`` to one C-ordered result (the output's trailing shape)."""

    def emit(ctx, out, ins):
        (a,) = ins
        ref = ctx.dense(a)
        shape = ctx.shape(a)
        batch, tail = shape[:-2], tuple(shape[-2:])
        size = math.prod(tail)
        name = ctx.out(out)
        osize = math.prod(tuple(out.shape)[len(batch):])
        bidx, bhead, bpad = ctx.loops(batch)
        flat = " + ".join(f"{i} * {s}" for i, s in zip(bidx, _c_steps(batch))) or "0"
        start = f"{ref.offset} + ({flat}) * {size}" if batch else str(ref.offset)
        ostart = f"({flat}) * {osize}" if batch else "0"
        mat, res = ctx.fresh("a"), ctx.fresh("m")
        lines = [(f"{mat} = np.ascontiguousarray({ref.name}[{start}:{start} + {size}]"
                  f".reshape({tail}))")]
        lines += body(ctx, mat, res, tail)
        lines.append(f"{name}[{ostart}:{ostart} + {osize}] = {res}.reshape({osize})")
        return bhead + [bpad + line for line in lines]

    return emit


def _call(fn: str):
    return _per_matrix(lambda ctx, mat, res, tail: [
        f"{res} = np.ascontiguousarray(np.linalg.{fn}({mat}))"])


def _eigh(ctx, mat, res, tail):
    n = tail[0]
    w, v = ctx.fresh("w"), ctx.fresh("v")
    return [f"{w}, {v} = np.linalg.eigh({mat})",
            f"{res} = np.empty(({n + 1}, {n}), {mat}.dtype)",
            f"{res}[0, :] = {w}",
            f"{res}[1:, :] = {v}"]


def _svd_call(ctx, mat):
    u, s, vh = ctx.fresh("u"), ctx.fresh("s"), ctx.fresh("vh")
    return (u, s, vh), f"{u}, {s}, {vh} = np.linalg.svd({mat}, False)"


def _svd(ctx, mat, res, tail):
    m, n = tail
    (u, s, vh), call = _svd_call(ctx, mat)
    return [call,
            f"{res} = np.empty(({m + 1 + n}, {min(m, n)}), {mat}.dtype)",
            f"{res}[:{m}, :] = {u}",
            f"{res}[{m}, :] = {s}",
            f"{res}[{m + 1}:, :] = {vh}.T"]


def _svdvals(ctx, mat, res, tail):
    (_, s, _), call = _svd_call(ctx, mat)
    return [call, f"{res} = {s}"]


def _slogdet(ctx, mat, res, tail):
    sign, logabs = ctx.fresh("sg"), ctx.fresh("ld")
    return [f"{sign}, {logabs} = np.linalg.slogdet({mat})",
            f"{res} = np.empty(2, {mat}.dtype)",
            f"{res}[0] = {sign}",
            f"{res}[1] = {logabs}"]


def _qr(ctx, mat, res, tail):
    m, n = tail
    q, r = ctx.fresh("q"), ctx.fresh("r")
    return [f"{q}, {r} = np.linalg.qr({mat})",
            f"{res} = np.empty(({m + n}, {min(m, n)}), {mat}.dtype)",
            f"{res}[:{m}, :] = {q}",
            f"{res}[{m}:, :] = {r}.T"]


cholesky = _call("cholesky")
eigvalsh = _call("eigvalsh")
pinv = _call("pinv")
eigh = _per_matrix(_eigh)
svd = _per_matrix(_svd)
svdvals = _per_matrix(_svdvals)
slogdet = _per_matrix(_slogdet)
qr = _per_matrix(_qr)

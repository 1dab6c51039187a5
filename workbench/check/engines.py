"""The ways to compute a gradient that ``check_gradients`` compares: a registry of named engines.

An engine is ``engine(problem) -> Estimate``; it raises ``EngineUnavailable(reason)`` when it
cannot handle the problem. ``register_engine("compiled", fn)`` adds one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench import tape_state
from workbench.ops.elementwise import add, mul
from workbench.ops.reduce import sum as reduce_sum
from workbench.tape import GradientTape
from workbench.tensor import Tensor, constant


class EngineUnavailable(Exception):
    """An engine cannot evaluate this problem; the message says why (shown in the report)."""


@dataclass
class Estimate:
    """What an engine computed.

    ``full``: for order 1 a one-entry list ``[grads]``; for order 2 one entry per direction
    ``k``: the Hessian-vector products ``H v_k``. Each entry is a list of arrays, one per input.
    ``probes``: the scalars ``<u_k, grad>`` (order 1) or ``<u_k, H v_k>`` (order 2), one per
    direction; engines that only give ``full`` leave it None and the checker projects.
    """

    full: list[list[np.ndarray]] | None = None
    probes: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class GradientProblem:
    """One gradient check, as every engine sees it.

    ``inputs``: the differentiable leaves (ndarrays, in the check's dtype); ``scalar(tensors)``
    evaluates the user's function at those leaves and reduces it to a scalar Tensor;
    ``u``/``v``: per direction ``k``, one array per input (``v`` is used by order 2 only).
    """

    scalar: Callable[[list[Tensor]], Tensor]
    inputs: list[np.ndarray]
    names: list[str]
    order: int
    u: list[list[np.ndarray]]
    v: list[list[np.ndarray]]
    eps: float | None = None
    labels: list[str] = field(default_factory=list)  # "arg0 float64[3]", for the report
    steps: list[tuple[float, list[np.ndarray]]] = field(default_factory=list)  # fd's (h, d)

    def tensors(self) -> list[Tensor]:
        """Fresh constant Tensors holding the inputs."""
        return [constant(a) for a in self.inputs]

    def evaluate(self, arrays: list[np.ndarray]) -> float:
        """The scalar value at ``arrays`` (recorded on no tape), as a Python float."""
        with tape_state.paused():
            y = self.scalar([constant(a) for a in arrays])
        return float(np.asarray(y._value if isinstance(y, Tensor) else y, dtype=np.float64))

    def trace(self, arrays: list[np.ndarray] | None = None
              ) -> tuple[GradientTape, list[Tensor], Tensor]:
        """Record the function on a persistent tape with every input watched."""
        xs = self.tensors() if arrays is None else [constant(a) for a in arrays]
        with GradientTape(persistent=True) as tape:
            tape.watch(xs)
            y = self.scalar(xs)
        return tape, xs, y


#: Engine name -> callable. ``check_gradients(engines=(...))`` picks from here by name.
ENGINES: dict[str, Callable[[GradientProblem], Estimate]] = {}

#: Engines that compute with the same derivative rules: the compiled engine runs the tape's
#: VJP rules, so when the two agree that is one witness, not two (a wrong custom gradient makes
#: both wrong in the same way). Engines not listed are their own family.
RULE_FAMILY: dict[str, str] = {"tape": "vjp rules", "compiled": "vjp rules"}


def register_engine(name: str, engine: Callable[[GradientProblem], Estimate],
                    replace: bool = False) -> None:
    """Make ``engine`` available to ``check_gradients(engines=(..., name))``.

    >>> from workbench.check.engines import register_engine, ENGINES, Estimate
    >>> register_engine("zero", lambda p: Estimate(full=[[0 * a for a in p.inputs]]))
    >>> "zero" in ENGINES
    True
    >>> del ENGINES["zero"]
    """
    if name in ENGINES and not replace:
        raise ValueError(f"a gradient engine named {name!r} is already registered "
                         "(pass replace=True to override it)")
    ENGINES[name] = engine


def _dot(xs: list[Tensor], ws: list[np.ndarray]) -> Tensor | float:
    """sum_i <xs_i, ws_i> as a recorded scalar (None entries are skipped)."""
    total: Any = 0.0
    for x, w in zip(xs, ws, strict=True):
        if x is not None:
            total = add(total, reduce_sum(mul(x, constant(w.astype(x.dtype)))))
    return total


def _numpy(grads: list[Any], like: list[np.ndarray]) -> list[np.ndarray]:
    return [np.zeros_like(a) if g is None else np.asarray(g._value).reshape(a.shape)
            for g, a in zip(grads, like, strict=True)]


def _unconnected(grads: list[Any], names: list[str]) -> list[str]:
    return [f"no gradient path to {n} (the tape gave None; counted as 0)"
            for g, n in zip(grads, names, strict=True) if g is None]


def tape_engine(p: GradientProblem) -> Estimate:
    """Reverse mode on a GradientTape; order 2: nested tapes give ``H v`` per direction."""
    if p.order == 1:
        tape, xs, y = p.trace()
        grads = tape.gradient(y, xs)
        return Estimate(full=[_numpy(grads, p.inputs)], notes=_unconnected(grads, p.names))
    full = []
    for v in p.v:
        xs = p.tensors()
        with GradientTape() as outer:
            outer.watch(xs)
            with GradientTape() as inner:
                inner.watch(xs)
                y = p.scalar(xs)
            gv = _dot(inner.gradient(y, xs), v)
        hv = outer.gradient(gv, xs) if isinstance(gv, Tensor) else [None] * len(xs)
        full.append(_numpy(hv, p.inputs))
    return Estimate(full=full)


def fd_step(dtype: np.dtype, order: int) -> float:
    """Default step along a direction: eps**(1/5) (order 1) or eps**(1/6) (order 2).

    These balance rounding error against the O(h**4) truncation error left after one
    Richardson extrapolation of the central difference.

    >>> round(fd_step(np.dtype("float64"), 1), 5)
    0.00074
    """
    return float(np.finfo(dtype).eps ** (1 / 5 if order == 1 else 1 / 6))


def _shifted(p: GradientProblem, *terms: tuple[float, list[np.ndarray]]) -> float:
    arrays = [a.astype(np.float64) for a in p.inputs]
    for scale, direction in terms:
        arrays = [a + scale * d for a, d in zip(arrays, direction, strict=True)]
    return p.evaluate(arrays)  # always float64: the oracle must be sharper than what it checks


#: Up to this many input elements, "fd" also differentiates along each coordinate (order 1; for
#: order 2 a quarter of it), so mismatches can be pinned to one element.
FD_FULL_MAX = 64


def fd_engine(p: GradientProblem) -> Estimate:
    """Central differences of the function along each random direction, Richardson-extrapolated.

    Order 1 estimates ``<u, grad>`` from ``f(x ± h u)``; order 2 estimates ``<u, H v>`` from the
    mixed difference of ``f(x ± h u ± h v)``. Neither uses any derivative rule. ``f`` is always
    evaluated in float64 (float32 inputs are upcast: float32 differences are too coarse to
    judge a float32 gradient, especially at order 2). Small inputs
    (``FD_FULL_MAX``) are also differenced along every coordinate, giving the full gradient
    (order 2: every element of ``H v``).
    """
    h = p.eps if p.eps is not None else fd_step(np.dtype(np.float64), p.order)

    def first(u: list[np.ndarray], s: float) -> float:
        return (_shifted(p, (s, u)) - _shifted(p, (-s, u))) / (2 * s)

    def mixed(u: list[np.ndarray], v: list[np.ndarray], s: float) -> float:
        return (_shifted(p, (s, u), (s, v)) - _shifted(p, (s, u), (-s, v))
                - _shifted(p, (-s, u), (s, v)) + _shifted(p, (-s, u), (-s, v))) / (4 * s * s)

    def richardson(u: list[np.ndarray], v: list[np.ndarray] | None) -> float:
        if v is None:
            coarse, fine = first(u, h), first(u, h / 2)
        else:
            coarse, fine = mixed(u, v, h), mixed(u, v, h / 2)
        return (4 * fine - coarse) / 3  # cancels the h**2 error term

    vs = p.v if p.order == 2 else [None] * len(p.u)
    p.steps = [(h, u) for u in p.u] + [(h, v) for v in p.v]  # where f is evaluated, for kinks
    probes = np.array([richardson(u, v) for u, v in zip(p.u, vs, strict=True)])
    notes = [f"step h={h:.2g} along directions scaled by max(1, |x|), Richardson-extrapolated"]
    n = sum(a.size for a in p.inputs)
    if n > (FD_FULL_MAX if p.order == 1 else FD_FULL_MAX // 4):
        return Estimate(probes=probes, notes=notes)
    full = []
    for v in vs:
        grads = []
        for i, a in enumerate(p.inputs):
            scale = max(1.0, float(np.max(np.abs(a), initial=0.0)))
            g = np.zeros(a.shape)
            for j in np.ndindex(a.shape):
                e = [np.zeros(b.shape) for b in p.inputs]
                e[i][j] = scale
                g[j] = richardson(e, v) / scale
                p.steps.append((h, e))
            grads.append(g)
        full.append(grads)
        if v is None:
            break
    return Estimate(full=full, probes=probes, notes=notes)


def sympy_engine(p: GradientProblem) -> Estimate:
    """The symbolic engine's closed form (``tape.derive(y, x).value``), evaluated at the inputs."""
    tape, xs, y = p.trace()
    if not hasattr(tape, "derive"):
        raise EngineUnavailable("GradientTape.derive is not available in this build")
    if p.order == 2 and len(xs) != 1:
        raise EngineUnavailable("second derivatives across several inputs are not derived "
                                "symbolically (mixed Hessian blocks)")
    try:
        if p.order == 1:
            values = [np.asarray(tape.derive(y, x).value, dtype=np.float64) for x in xs]
        else:
            hess = np.asarray(tape.derive(y, xs[0], order=2).value, dtype=np.float64)
    except Exception as err:  # untraceable function, budget exceeded, missing rule, ...
        raise EngineUnavailable(f"{type(err).__name__}: {err}") from err
    if p.order == 1:
        for val, a, name in zip(values, p.inputs, p.names, strict=True):
            if val.size != a.size:
                raise EngineUnavailable(f"derive gave shape {val.shape} for {name} of shape "
                                        f"{a.shape}")
        return Estimate(full=[[val.reshape(a.shape) for val, a in zip(values, p.inputs,
                                                                        strict=True)]])
    n = p.inputs[0].size
    if hess.size != n * n:
        raise EngineUnavailable(f"derive(order=2) gave shape {hess.shape}, expected "
                                f"{p.inputs[0].shape * 2}")
    hess = hess.reshape(n, n)
    shape = p.inputs[0].shape
    return Estimate(full=[[(hess @ v[0].astype(np.float64).ravel()).reshape(shape)]
                          for v in p.v])


def compiled_engine(p: GradientProblem) -> Estimate:
    """The tape's reverse pass traced by ``wb.function`` and run as a compiled Numba kernel.

    Order 2 compiles the nested-tape Hessian-vector product. A function the compiled engine
    cannot trace or lower (e.g. a ``custom_gradient`` inside) is reported as unavailable.
    """
    from workbench.compile import function

    n = len(p.inputs)

    def gradient(*xs: Tensor) -> tuple:
        with GradientTape() as tape:
            tape.watch(list(xs))
            y = p.scalar(list(xs))
        return tuple(tape.gradient(y, list(xs), unconnected_gradients="zero"))

    def hessian_vector(*args: Tensor) -> tuple:
        xs, v = list(args[:n]), args[n:]
        with GradientTape() as outer:
            outer.watch(xs)
            with GradientTape() as inner:
                inner.watch(xs)
                y = p.scalar(xs)
            grads = inner.gradient(y, xs, unconnected_gradients="zero")
            gv = _dot_tensors(grads, v)
        return tuple(outer.gradient(gv, xs, unconnected_gradients="zero"))

    try:
        # Paused: under a recording tape a compiled call runs eagerly, and this engine must
        # measure the kernel itself.
        with tape_state.paused():
            if p.order == 1:
                full = [_arrays(function(gradient)(*p.inputs), p.inputs)]
            else:
                hvp = function(hessian_vector)
                full = [_arrays(hvp(*p.inputs, *v), p.inputs) for v in p.v]
    except Exception as err:  # untraceable function, a primitive without a Numba rule, ...
        raise EngineUnavailable(f"{type(err).__name__}: {err}") from err
    return Estimate(full=full)


def _dot_tensors(xs: list[Tensor], ws: tuple) -> Tensor:
    """sum_i <xs_i, ws_i> for traced directions ``ws``."""
    total: Any = 0.0
    for x, w in zip(xs, ws, strict=True):
        total = add(total, reduce_sum(mul(x, w)))
    return total


def _arrays(values: Any, like: list[np.ndarray]) -> list[np.ndarray]:
    return [np.asarray(g, dtype=a.dtype).reshape(a.shape) for g, a in zip(values, like,
                                                                          strict=True)]


register_engine("tape", tape_engine)
register_engine("fd", fd_engine)
register_engine("sympy", sympy_engine)
register_engine("compiled", compiled_engine)

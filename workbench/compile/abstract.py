"""Shape-only tracing: arguments become stand-ins that carry a shape and a dtype, never data.

Ops on them give stand-ins through ``shape_rules``; anything that needs a value (a NumPy call on
the stand-in, an op without an exact rule, a lossy assignment) marks the engine and raises
``NeedsValue``, and ``trace`` then traces that function again on the real arrays.
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from workbench import tape_state
from workbench.compile.shape_rules import dtype_of, evaluate, shape_of
from workbench.primitive import Primitive
from workbench.tensor import STAGING, StagedTensor, Tensor, Variable, as_input


class NeedsValue(Exception):
    """A shape-only trace reached something that depends on the data; trace concretely."""


class ShapeEngine:
    """Gives the results of ops, comparisons and assignments on stand-ins during one trace.

    ``needed`` keeps the first reason a value was needed, so a trace whose function caught
    ``NeedsValue`` (and may have taken another path) is still known to be unusable.

    Ops see the stand-ins of an engine while it is entered (``with engine:``).

    >>> import workbench as wb
    >>> with ShapeEngine() as engine:
    ...     x = engine.stand_in((10**7, 3), np.float64)
    ...     y = wb.sum(x * 2.0, axis=0)
    >>> y.shape, y.dtype, engine.needed
    ((3,), dtype('float64'), None)
    """

    def __init__(self, tape: Any = None) -> None:
        self.needed: str | None = None
        self.tape = tape  # the tracing tape: it records assignments and undoes them afterwards

    def __enter__(self) -> ShapeEngine:  # noqa: PYI034 - typing.Self needs Python 3.11
        STAGING.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        STAGING.remove(self)

    def need(self, why: str) -> NoReturn:
        """Record that the trace needs real values (``why``) and stop it."""
        if self not in STAGING:
            raise NeedsValue(f"{why}: this Tensor was made while wb.function traced on shapes "
                             "only, so it has no value; return it from the function instead")
        if self.needed is None:
            self.needed = why
        raise NeedsValue(why)

    def stand_in(self, shape: tuple, dtype: Any, name: str | None = None) -> StagedTensor:
        """A Tensor of ``shape`` and ``dtype`` with no data."""
        return StagedTensor(Shaped(tuple(shape), np.dtype(dtype), self), name)

    def bind(self, prim: Primitive, args: tuple, params: dict) -> StagedTensor:
        """``bind`` when an argument is staged: the stand-in result, offered to the tapes."""
        inputs = tuple(as_input(a) for a in args)  # reads Variables, as bind does
        values = [a._value if isinstance(a, Tensor) else a for a in inputs]
        try:
            shape, dtype = evaluate(prim, values, params)
        except NeedsValue:
            raise
        except Exception as exc:  # noqa: BLE001 - no rule, or an error NumPy may word otherwise
            self.need(f"{prim.name}: {exc}")
        out = self.stand_in(shape, dtype)
        origin = next((a for a in args if type(a) is Variable), None)
        if origin is not None:
            out._origin = origin
        for tape in tape_state.ACTIVE.get():
            tape._record(prim, inputs, out, params)
        return out

    def compare(self, ufunc: Any, x: Any, other: Any) -> StagedTensor:
        """The stand-in of ``ufunc(x, other)`` for a comparison operator."""
        values = [_raw(x), _raw(other)]
        try:
            shape = np.broadcast_shapes(*[shape_of(v) for v in values])
            samples = [v if type(v) in (bool, int, float) else np.ones((), dtype_of(v))
                       for v in values]
            dtype = dtype_of(ufunc(*samples))
        except NeedsValue:
            raise
        except Exception as exc:  # noqa: BLE001 - the concrete trace raises NumPy's own
            self.need(f"{ufunc.__name__}: {exc}")
        return self.stand_in(shape, dtype)

    def assign(self, var: Variable, source: Any, op: str) -> Variable:
        """``Variable.assign*`` where the source or the Variable is staged: tapes record it and
        the Variable holds a stand-in until the trace restores it. A change of shape or dtype
        (whose checks depend on values, or raise) needs the concrete trace."""
        raw = _raw(source)
        if self.tape not in tape_state.ACTIVE.get():  # (paused) it could not be restored
            self.need(f"assigning Variable {var.name!r} while the trace is paused")
        if shape_of(raw) != tuple(var.shape) or dtype_of(raw) != var.dtype:
            self.need(f"assigning {dtype_of(raw)}{list(shape_of(raw))} to Variable "
                      f"{var.name!r} ({var.dtype}{list(var.shape)})")
        with var._lock:
            for tape in tape_state.ACTIVE.get():
                tape._on_assign(var, source, op)
            var._value = Shaped(tuple(var.shape), var.dtype, self)
            var._snapshot = StagedTensor(var._value, var.name)
        return var


class Shaped:
    """A stand-in value: a shape and a dtype. Asking it for data stops the trace."""

    __slots__ = ("dtype", "engine", "shape")
    __hash__ = object.__hash__

    def __init__(self, shape: tuple, dtype: np.dtype, engine: ShapeEngine):
        self.shape = shape
        self.dtype = dtype
        self.engine = engine

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self) -> str:
        return f"<stand-in {self.dtype}{list(self.shape)}>"

    def _data(self, *args: Any, **kwargs: Any) -> NoReturn:
        self.engine.need(f"the data of a {self.dtype}{list(self.shape)} value")

    def __array_function__(self, func: Any, types: Any, args: tuple, kwargs: dict) -> Any:
        if func is np.shape and len(args) == 1 and not kwargs:
            return self.shape
        if func is np.ndim and len(args) == 1 and not kwargs:
            return self.ndim
        if func is np.size and len(args) == 1 and kwargs.get("axis") is None:
            return self.size
        if func is np.result_type:  # NumPy types arrays by their dtype alone
            return np.result_type(*[a.dtype if isinstance(a, Shaped) else a for a in args])
        return self._data()

    def __getattr__(self, name: str) -> NoReturn:
        self.engine.need(f"attribute {name!r} of a {self.dtype}{list(self.shape)} value")

    # every way NumPy or Python could read the data
    __array__ = __array_ufunc__ = _data
    __bool__ = __float__ = __int__ = __index__ = __complex__ = __len__ = __iter__ = _data
    __getitem__ = __setitem__ = __contains__ = __eq__ = __ne__ = _data
    __lt__ = __le__ = __gt__ = __ge__ = __neg__ = __pos__ = __abs__ = __invert__ = _data
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = _data
    __rtruediv__ = __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __pow__ = _data
    __rpow__ = __matmul__ = __rmatmul__ = __and__ = __rand__ = __or__ = __ror__ = _data
    __xor__ = __rxor__ = _data


def holds_stand_in(value: Any) -> bool:
    """Whether a stand-in is inside ``value`` (nested tuples, lists and dicts)."""
    if isinstance(value, Shaped):
        return True
    if isinstance(value, tuple | list):
        return any(holds_stand_in(v) for v in value)
    if isinstance(value, dict):
        return any(holds_stand_in(v) for v in value.values())
    return False


def _raw(value: Any) -> Any:
    return value._value if isinstance(value, Tensor) else value


def result(prim: Primitive, values: tuple, params: dict) -> Any:
    """``prim``'s forward on concrete values, or a stand-in of its result's shape and dtype."""
    staged = next((v for v in values if isinstance(v, Shaped)), None)
    if staged is None:
        return prim.forward(*values, **params)
    shape, dtype = evaluate(prim, list(values), params)
    return Shaped(shape, dtype, staged.engine)

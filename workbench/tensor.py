"""Tensor and Variable: NumPy values with operator overloads that dispatch to ops.

A Tensor is immutable. A Variable holds mutable state; every read hands the tapes a snapshot
Tensor of its current value, so assigning later never changes what a tape recorded.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import numpy as np

from workbench import tape_state
from workbench.dtypes import to_array
from workbench.tensor_methods import ArrayMethods, NoInPlaceOperators
from workbench.tf_types import DType, TensorShape


class Tensor(ArrayMethods):
    """An immutable array value that tapes can record.

    >>> import workbench as wb
    >>> t = wb.constant([1.0, 2.0])
    >>> (t * 2 + 1).numpy()
    array([3., 5.])
    """

    # ``_keras_logits`` (and a softmax's ``_keras_partition``): set by Keras's softmax/sigmoid
    # activations (keras/activations.py).
    __slots__ = ("_keras_logits", "_keras_partition", "_name", "_origin", "_value")
    # ndarray (op) Tensor defers to Tensor's reflected operator, as TensorFlow's tensors do.
    __array_priority__ = 100
    __hash__ = None  # == is elementwise, as in NumPy

    def __init__(self, value: Any, name: str | None = None):
        self._value = value
        if name is not None:
            self._name = name
        # ``_origin`` (set by bind only when an input is a Variable) stays unset otherwise:
        # op results cost one attribute store.

    @property
    def name(self) -> str | None:
        """The name given at creation (used for symbols and messages), or None."""
        return getattr(self, "_name", None)

    @property
    def origin(self) -> Variable | None:
        """The Variable this Tensor was computed from directly (``v + 1``), if any."""
        return getattr(self, "_origin", None)

    # --- values -------------------------------------------------------------------------
    def numpy(self) -> Any:
        """A copy of the value as an ndarray (so mutating it leaves the Tensor, and what tapes
        recorded, unchanged); a NumPy scalar for rank 0, as in TensorFlow."""
        self._note_escape()
        arr = np.array(self._value)
        return arr[()] if arr.ndim == 0 else arr

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        self._note_escape()
        arr = np.asarray(self._value, dtype=dtype)
        return arr.copy() if copy else arr

    def _note_escape(self) -> None:
        for tape in tape_state.ACTIVE.get():
            tape._on_escape(self)

    @property
    def shape(self) -> TensorShape:
        """A tuple (with TensorFlow's ``.as_list()``)."""
        try:
            return TensorShape(self._value.shape)
        except AttributeError:  # a user primitive returned a Python number
            return TensorShape()

    @property
    def dtype(self) -> DType:
        """A NumPy dtype (with TensorFlow's ``.base_dtype``, ``.is_floating``...)."""
        try:
            return DType(self._value.dtype)
        except AttributeError:
            return DType(np.asarray(self._value).dtype)

    def get_shape(self) -> TensorShape:
        """TensorFlow's name for ``shape``."""
        return self.shape

    @property
    def ndim(self) -> int:
        try:
            return self._value.ndim
        except AttributeError:  # a user primitive returned a Python number
            return 0

    @property
    def size(self) -> int:
        return int(np.size(self._value))

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d Tensor")
        return (self[i] for i in range(self.shape[0]))

    def __bool__(self) -> bool:
        if self.ndim != 0 and self.size != 1:
            raise ValueError(
                f"the truth value of a Tensor of shape {self.shape} is ambiguous; "
                "use wb.reduce_any / wb.reduce_all"
            )
        self._note_escape()
        return bool(self._value)

    def __float__(self) -> float:
        self._note_escape()
        return float(self._value)

    def __int__(self) -> int:
        self._note_escape()
        return int(self._value)

    def __index__(self) -> int:
        if self.dtype.kind not in "iub":
            raise TypeError(f"only integer Tensors can be used as an index, got {self.dtype.name}")
        return int(self._value)

    def __format__(self, spec: str) -> str:
        return format(self._value if self.ndim else self._value.item(), spec)

    def __repr__(self) -> str:
        return (f"<wb.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={_body(self._value)}>")

    # --- arithmetic (dispatches to primitives; see ops/) ------------------------------------
    def __add__(self, other):
        return _ew.add(self, other)

    def __radd__(self, other):
        return _ew.add(other, self)

    def __sub__(self, other):
        return _ew.sub(self, other)

    def __rsub__(self, other):
        return _ew.sub(other, self)

    def __mul__(self, other):
        return _ew.mul(self, other)

    def __rmul__(self, other):
        return _ew.mul(other, self)

    def __truediv__(self, other):
        return _ew.div(self, other)

    def __rtruediv__(self, other):
        return _ew.div(other, self)

    def __mod__(self, other):
        return _ew.mod(self, other)

    def __rmod__(self, other):
        return _ew.mod(other, self)

    def __floordiv__(self, other):
        from workbench.ops.numpy_more import floor_divide
        return floor_divide(self, other)

    def __rfloordiv__(self, other):
        from workbench.ops.numpy_more import floor_divide
        return floor_divide(other, self)

    def __pow__(self, other):
        return _ew.power(self, other)

    def __rpow__(self, other):
        return _ew.power(other, self)

    def __matmul__(self, other):
        return _la.matmul(self, other)

    def __rmatmul__(self, other):
        return _la.matmul(other, self)

    def __neg__(self):
        return _ew.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ew.abs(self)

    def __getitem__(self, index):
        return _shape.getitem(self, index)

    # Comparisons are not recorded by gradient tapes: they give boolean Tensors, which have no
    # gradient. Tapes still hear of them (``_on_compare``) so a tracing tape can keep them.
    def __lt__(self, other):
        return _compare(np.less, self, other)

    def __le__(self, other):
        return _compare(np.less_equal, self, other)

    def __gt__(self, other):
        return _compare(np.greater, self, other)

    def __ge__(self, other):
        return _compare(np.greater_equal, self, other)

    def __eq__(self, other):
        return _compare(np.equal, self, other)

    def __ne__(self, other):
        return _compare(np.not_equal, self, other)

    # --- shape helpers ------------------------------------------------------------------
    @property
    def T(self) -> Tensor:
        return _shape.transpose(self)

    def reshape(self, *shape, order: str = "C") -> Tensor:
        if order != "C":
            raise ValueError(f"reshape: only order='C' is supported, got order={order!r}")
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])
        return _shape.reshape(self, shape)


class Variable(NoInPlaceOperators, Tensor):
    """Mutable state that a tape watches automatically when it is read (if ``trainable``).

    >>> import workbench as wb
    >>> v = wb.Variable(3.0, name="v")
    >>> with wb.GradientTape() as tape:
    ...     y = v * v
    >>> float(tape.gradient(y, v))
    6.0
    >>> v.assign_sub(1.0).numpy()
    np.float64(2.0)
    """

    __slots__ = ("_lock", "_order", "_snapshot", "trainable")

    def __init__(self, initial_value: Any, trainable: bool = True, name: str | None = None,
                 dtype: Any = None):
        raw = _raw(initial_value)
        if dtype is not None:
            value = _lossless(np.asarray(raw), np.dtype(dtype), name, "create")
        else:
            value = to_array(raw)
        if isinstance(raw, np.ndarray) and np.may_share_memory(value, raw):
            value = value.copy()  # the Variable owns its storage, as in TensorFlow
        super().__init__(value, name)
        self._snapshot = Tensor(value, name)
        self.trainable = bool(trainable)
        self._lock = threading.Lock()  # assign* are atomic read-modify-writes
        self._order = next(_CREATED)  # construction order (``watched_variables`` sorts on it)

    def __reduce__(self) -> tuple:
        # copy, deepcopy and pickle rebuild the Variable (a lock cannot be copied)
        return (Variable, (np.array(self._value), self.trainable, self.name))

    def __repr__(self) -> str:
        return (f"<wb.Variable '{self.name or 'Variable'}' shape={self.shape} "
                f"dtype={self.dtype.name}, numpy={_body(self._value)}>")

    def _read(self) -> Tensor:
        """The snapshot Tensor that ops see; tells the active tapes this Variable was read."""
        snap = self._snapshot
        for tape in tape_state.ACTIVE.get():
            tape._on_read(self, snap)
        return snap

    def value(self) -> Tensor:
        """The current value as a Tensor (a read, like using the Variable in an op)."""
        return self._read()

    read_value = value

    def _note_escape(self) -> None:
        # Handing a Variable to NumPy reads it: the tapes see the read, then the escape.
        if tape_state.ACTIVE.get():
            Tensor._note_escape(self._read())

    def assign(self, value: Any, use_locking: Any = None, name: Any = None,
               read_value: bool = True) -> Variable | None:
        """Set the value (not differentiable: tapes do not record assignments).

        The value must have the Variable's shape, and a dtype it can hold without loss: a
        float into an int Variable, a complex into a float one, or an out-of-range integer
        raise ``TypeError``/``ValueError`` (as TensorFlow does) instead of truncating.
        ``assign``, ``assign_add`` and ``assign_sub`` are atomic across threads (so
        ``use_locking`` is accepted and ignored); they return the Variable, or None with
        ``read_value=False``, as in TensorFlow.
        """
        out = self._set(as_input(value), "assign")
        return out if read_value else None

    def assign_add(self, delta: Any, use_locking: Any = None, name: Any = None,
                   read_value: bool = True) -> Variable | None:
        """``self.assign(self + delta)``, atomically."""
        out = self._set(as_input(delta), "add")
        return out if read_value else None

    def assign_sub(self, delta: Any, use_locking: Any = None, name: Any = None,
                   read_value: bool = True) -> Variable | None:
        """``self.assign(self - delta)``, atomically."""
        out = self._set(as_input(delta), "sub")
        return out if read_value else None

    def _set(self, source: Any, op: str) -> Variable:
        engine = staged_engine(source, self) if STAGING else None
        if engine is not None:  # shape-only tracing: the engine checks and records the update
            return engine.assign(self, source, op)
        raw = np.asarray(_raw(source))
        if raw.shape != self.shape:  # as in TensorFlow: no broadcasting
            raise ValueError(
                f"cannot {'assign' if op == 'assign' else 'assign_' + op} a value of shape "
                f"{raw.shape} to Variable '{self.name or 'Variable'}' of shape {self.shape}: "
                "shapes must be equal (reshape or broadcast the value first)"
            )
        with self._lock:
            if op == "assign":
                value = raw
            else:
                delta = _lossless(raw, self.dtype, self.name, f"assign_{op} to")
                value = (np.add if op == "add" else np.subtract)(self._value, delta)
            new = _lossless(value, self.dtype, self.name, "assign to")
            if new is value:
                new = value.copy()  # the Variable owns its storage
            for tape in tape_state.ACTIVE.get():
                tape._on_assign(self, source, op)
            self._value = new
            self._snapshot = Tensor(new, self.name)
        return self

    def _adopt(self, value: np.ndarray) -> None:
        """Make ``value`` the new value without copying it: a fresh array of this Variable's
        shape and dtype that nothing else holds (an optimizer's eager update, outside tapes)."""
        if value.shape != self._value.shape or value.dtype != self._value.dtype:
            raise ValueError(f"cannot adopt an array of shape {value.shape} and dtype "
                             f"{value.dtype} as Variable '{self.name or 'Variable'}' of shape "
                             f"{self.shape} and dtype {self.dtype.name}")
        with self._lock:
            self._value = value
            self._snapshot = Tensor(value, self.name)


_CREATED = itertools.count()


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _lossless(value: np.ndarray, dtype: np.dtype, name: str | None, what: str) -> np.ndarray:
    """``value`` as ``dtype``, refusing conversions that lose more than rounding: float to
    int, complex to real, NaN/inf or out-of-range values into ints, finite values that
    overflow a narrower float. (float64 to float32 rounds, as TensorFlow's Python floats do.)"""
    src, dst = value.dtype, np.dtype(dtype)
    if src == dst:
        return value
    label = f"Variable '{name or 'Variable'}' ({dst.name})"
    if src.kind not in _KIND_RANK or dst.kind not in _KIND_RANK or \
            _KIND_RANK[src.kind] > _KIND_RANK[dst.kind]:
        raise TypeError(
            f"cannot {what} {label}: a {src.name} value would lose information (TensorFlow "
            f"raises here too); convert it explicitly, e.g. "
            f"np.asarray(value).astype('{dst.name}'), or create the Variable with dtype="
            f"'{src.name}'")
    if dst.kind in "iu" and value.size:
        info = np.iinfo(dst)
        low, high = value.min(), value.max()
        if low < info.min or high > info.max:
            raise ValueError(f"cannot {what} {label}: values in [{low}, {high}] do not fit "
                             f"in {dst.name} [{info.min}, {info.max}]")
    with np.errstate(over="ignore", invalid="ignore"):
        out = value.astype(dst)
    if dst.kind in "fc" and value.size and \
            not np.array_equal(np.isfinite(out), np.isfinite(value)):
        raise ValueError(f"cannot {what} {label}: finite values overflow {dst.name} "
                         f"(largest {np.finfo(dst).max:.3g})")
    return out


class StagedTensor(Tensor):
    """A Tensor known only by shape and dtype while ``wb.function`` traces: its value is a
    stand-in whose ``engine`` (``workbench.compile.abstract``) gives the results of the ops,
    comparisons and assignments that use it, so tracing never computes on the data."""

    __slots__ = ()


#: The shape-only tracing engines running now (in any thread); empty, no value is staged.
STAGING: list[Any] = []


def staged_engine(*values: Any) -> Any:
    """The shape-only tracing engine behind the first staged value (a Variable: its current
    snapshot), or None when every value is concrete."""
    for v in values:
        if type(v) is Variable:
            v = v._snapshot
        if type(v) is StagedTensor:
            return v._value.engine
    return None


def _compare(ufunc: Any, x: Tensor, other: Any) -> Tensor:
    """``ufunc(x, other)`` as a boolean Tensor; active tapes hear of it via ``_on_compare``."""
    engine = staged_engine(x, other) if STAGING else None
    out = (Tensor(ufunc(x._value, _raw(other))) if engine is None
           else engine.compare(ufunc, x, other))
    for tape in tape_state.ACTIVE.get():
        tape._on_compare(ufunc, x, other, out)
    return out


def _body(value: Any) -> str:
    """NumPy's own text for a value: ``27.0`` for a scalar, ``[1., 2.]`` for an array."""
    arr = np.asarray(value)
    return str(arr[()]) if arr.ndim == 0 else np.array2string(arr, separator=", ")


def _raw(value: Any) -> Any:
    """The NumPy value behind a Tensor (not a read: no tape sees it), else ``value`` itself."""
    return value._value if isinstance(value, Tensor) else value


def as_input(value: Any) -> Any:
    """What an op sees for an argument: a Tensor, a Variable's snapshot, or a Python number."""
    if isinstance(value, Variable):
        return value._read()
    if isinstance(value, Tensor) or type(value) in (int, float, bool):
        return value
    return Tensor(to_array(value))


# Conversion and ops are imported last: they build on Tensor, and Tensor's operators call them.
from workbench.convert import as_tensors, constant  # noqa: F401 (re-exported)
from workbench.ops import elementwise as _ew
from workbench.ops import linalg as _la
from workbench.ops import shape as _shape

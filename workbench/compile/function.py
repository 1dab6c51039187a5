"""``wb.function``: trace a Python function once per input signature and run it compiled by Numba.

Arrays and Tensors passed as arguments are traced inputs (their shapes and dtypes make the
signature); Python numbers are constants of the trace (a new value retraces; floats key on their
bits, so ``0.0`` and ``-0.0`` are two traces and ``nan`` one); NumPy arrays the function closes
over are copied at trace time (constants, whatever their layout); Variables the function reads
or assigns are state, read before and written back after every call. Under a recording
GradientTape the Python function runs eagerly, so gradients flow through the call.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from workbench.compile import blocks, cache, kernel
from workbench.compile.arena import rebuild, rebuild_exprs
from workbench.compile.loop import History, run_repeat
from workbench.compile.target import native
from workbench.compile.trace import Traced, trace
from workbench.ir import Graph
from workbench.tape_state import ACTIVE
from workbench.tensor import Tensor, Variable

#: The most history rows ``repeat`` records by default.
MAX_ROWS = 1000
MISS = object()  # a fast path's answer when the arguments do not match its signature


class Concrete:
    """One traced signature: the graph, its lowered source and the compiled kernels."""

    def __init__(self, traced: Traced, use_disk: bool, arg_kinds: tuple = ()):
        self.traced = traced
        self.arg_kinds = arg_kinds  # per argument: ("array", shape, dtype), ("var", v), ("py", x)
        self.fast = None
        self.use_disk = use_disk
        self._step = None
        self._repeat = None
        self._call = None
        self.batched: dict[tuple, Any] = {}  # (target, kind, batched inputs) -> kernel
        self.out_dtypes = [np.dtype(a.dtype) for a in traced.graph.outputs]
        self.out_scalar = [tuple(a.shape) == () for a in traced.graph.outputs]
        n_state = len(traced.state_in)
        self.state_in_pos = list(range(traced.n_args, traced.n_args + n_state))
        state_index = {id(v): k for k, v in enumerate(traced.state_in)}
        self.carried = [(traced.n_outputs + k, traced.n_args + state_index[id(v)])
                        for k, v in enumerate(traced.state_out) if id(v) in state_index]

    # the step's and the loop's programs are lowered when first needed (each costs codegen)
    @functools.cached_property
    def lowered(self) -> kernel.Lowered:
        return kernel.lower(self.traced.graph, chunk_rows=True)

    @functools.cached_property
    def split(self) -> blocks.Split | None:
        return blocks.split(self.lowered) if blocks.wanted(self.lowered) else None

    @functools.cached_property
    def source(self) -> str:
        return kernel.step_source(self.lowered, self.split)

    @functools.cached_property
    def hidden(self) -> tuple:
        return tuple(v for _, v in self.lowered.hidden)

    @functools.cached_property
    def repeat_lowered(self) -> kernel.Lowered:
        return kernel.lower(self.traced.graph, fuse_sums=True, cases=True,
                            chunk_rows=True)

    @functools.cached_property
    def repeat_split(self) -> blocks.Split | None:
        lowered = self.repeat_lowered
        return blocks.split(lowered) if blocks.wanted(lowered) else None

    @functools.cached_property
    def repeat_source(self) -> str:
        return kernel.repeat_source(self.repeat_lowered, self.traced.n_outputs, self.carried,
                                    self.repeat_split)

    @functools.cached_property
    def repeat_hidden(self) -> tuple:
        return tuple(v for _, v in self.repeat_lowered.hidden)

    @property
    def step_kernel(self) -> Any:
        if self._step is None:
            source = self.source  # made first: it lays out the plan that ``load`` writes
            if self.split is not None:  # the blocks' addresses are the last argument
                addresses, self.block_fns = self.split.load(self.use_disk)
                self.hidden += (addresses,)
            self._step = cache.load(source, self.use_disk).step
        return self._step

    @property
    def repeat_kernel(self) -> Any:
        if self._repeat is None:
            source = self.repeat_source  # made first, as in ``step_kernel``
            if self.repeat_split is not None:
                addresses, self.repeat_block_fns = self.repeat_split.load(self.use_disk)
                self.repeat_hidden += (addresses,)
            self._repeat = cache.load(source, self.use_disk).repeat
        return self._repeat

    def repeat_outputs(self, values: tuple) -> list[Any]:
        """The last step's outputs from what the ``repeat`` kernel returns after the state."""
        split = self.repeat_split
        return list(values) if split is None else rebuild(split.how, values)

    def call(self, arrays: list[Any]) -> Any:
        if self._call is None:
            self._call = self._make_call()
        return self._call(arrays)

    def _make_call(self) -> Any:
        """A generated Python wrapper for one call: state in, kernel, outputs boxed, state out."""
        traced = self.traced
        n_out = traced.n_outputs
        env: dict[str, Any] = {"kern": self.step_kernel, "Tensor": Tensor, "make": np.array,
                               "rebuild": traced.rebuild, "flat": _flat}
        args = [f"a{k}" for k in range(traced.n_args)]
        for k, var in enumerate(traced.state_in):
            env[f"s{k}"] = var
            args.append(f"s{k}._value[()]" if var.ndim == 0 else f"flat(s{k}._value)")
        for k, value in enumerate(self.hidden):
            env[f"c{k}"] = value
            args.append(f"c{k}")
        lines = [f"def call({', '.join(f'a{k}' for k in range(traced.n_args))}):",
                 f"    r = kern({', '.join(args)})"]
        guard = [f"def fast({', '.join(f'a{k}' for k in range(len(self.arg_kinds)))}):"]
        conds, passed, j = [], [], 0
        env["nd"], env["MISS"] = np.ndarray, MISS
        for k, kind in enumerate(self.arg_kinds):
            if kind[0] == "array":
                shape, num = kind[1], kind[2]
                env[f"q{k}"] = num  # a native dtype: a byte-swapped array misses (is converted)
                conds.append(f"type(a{k}) is nd and a{k}.shape == {shape!r} "
                             f"and a{k}.dtype is q{k}")
                passed.append(f"a{k}[()]" if shape == () else f"a{k}" if len(shape) == 1
                              else f"a{k}.reshape(-1)")
                j += 1
            elif kind[0] == "var":
                env[f"p{k}"] = kind[1]
                conds.append(f"a{k} is p{k}")
            elif type(kind[1]) is float:
                env[f"p{k}"] = kind[1].hex()
                conds.append(f"type(a{k}) is float and a{k}.hex() == p{k}")
            else:
                env[f"p{k}"] = kind[1]
                conds.append(f"type(a{k}) is type(p{k}) and a{k} == p{k}")
        guard += [f"    if not ({' and '.join(conds) or 'True'}):", "        return MISS",
                  f"    return call({', '.join(passed)})"]
        outs = []
        got = (rebuild_exprs(self.split.how, "r") if self.split is not None
               else [f"r[{k}]" for k in range(len(self.out_dtypes))])
        for k in range(n_out):
            env[f"t{k}"] = self.out_dtypes[k].type
            outs.append(f"Tensor(t{k}({got[k]}))" if self.out_scalar[k] else f"Tensor({got[k]})")
        for k, var in enumerate(traced.state_out):
            j = n_out + k
            env[f"u{k}"], env[f"d{k}"] = var, self.out_dtypes[j]
            value = f"make({got[j]}, dtype=d{k})" if self.out_scalar[j] else got[j]
            lines += [f"    v = {value}", f"    u{k}._value = v",
                      f"    u{k}._snapshot = Tensor(v, u{k}.name)"]
        lines.append(f"    return rebuild([{', '.join(outs)}])")
        self.call_source = "\n".join(lines + [""] + guard) + "\n"
        code = compile(self.call_source, f"<workbench-call-{id(self)}>", "exec")
        exec(code, env)  # noqa: S102 - generated wrapper source
        call = env["call"]
        self.fast = env["fast"]
        return lambda arrays: call(*arrays)


class Function:
    """A compiled Python function (see ``function``)."""

    def __init__(self, fn: Any, target: str = "cpu", cache: bool = True):
        if target not in ("cpu", "cuda"):
            raise ValueError(f"unknown target {target!r}: use 'cpu' or 'cuda'")
        self.fn = fn
        self.target = target
        self.use_disk = cache
        self.batch_target = "cpu"
        self._concrete: dict[tuple, Concrete] = {}
        self._last: Concrete | None = None
        functools.update_wrapper(self, fn)

    def __repr__(self) -> str:
        return f"<wb.function {getattr(self.fn, '__qualname__', self.fn)} target={self.target}>"

    def __call__(self, *args: Any) -> Any:
        if ACTIVE.get():
            # Called while tracing another function: inlined into that trace. Called under a
            # recording GradientTape: run eagerly so the tape records every op and gradients
            # flow through this call (a compiled kernel is opaque to tapes).
            return self.fn(*args)
        last = self._last
        if last is not None and last.fast is not None:
            result = last.fast(*args)
            if result is not MISS:
                return result
        concrete, arrays = self._prepare(args)
        if concrete._call is None:
            concrete._call = concrete._make_call()
        return concrete._call(arrays)

    def repeat(self, n: int, *args: Any, record_every: int | None = None) -> History:
        """Run ``n`` steps in one compiled loop; return the history every ``record_every`` steps.

        By default (``record_every=None``) the history stays bounded: every
        ``ceil(n / 1000)`` steps, so at most 1000 rows; ``record_every=1`` records every step.

        Raises ``Diverged`` (with the step and the values) at the first step whose outputs or
        new Variable values are not finite; the Variables then hold the values before that step.

        >>> import numpy as np, workbench as wb
        >>> w = wb.Variable(0.0, name="w")
        >>> @wb.function
        ... def step(target):
        ...     with wb.GradientTape() as tape:
        ...         loss = (w - target) ** 2
        ...     w.assign_sub(0.25 * tape.gradient(loss, w))
        ...     return loss
        >>> history = step.repeat(4, np.float64(8.0), record_every=2)
        >>> history.steps.tolist(), history["w"].tolist(), float(w.numpy())
        ([2, 4], [6.0, 7.5], 7.5)
        """
        concrete, arrays = self._prepare(args)
        n = int(n)
        every = max(1, -(-n // MAX_ROWS)) if record_every is None else int(record_every)
        return run_repeat(concrete, n, arrays, every)

    def map(self, *args: Any, in_axes: Any = 0) -> Any:
        """Run one copy per row of the batched arguments; outputs gain a leading batch axis.

        ``in_axes`` is 0 (batched) or None (shared) per argument. Variables are read, not written.

        >>> import numpy as np, workbench as wb
        >>> f = wb.function(lambda a, x: wb.reduce_sum((a * x) ** 2))
        >>> f.map(np.array([1.0, 2.0]), np.array([1.0, 3.0]), in_axes=(0, None)).tolist()
        [10.0, 40.0]
        """
        from workbench.compile.mapping import run_map

        return run_map(self, args, in_axes, self.batch_target)

    def repeat_map(self, n: int, *args: Any, in_axes: Any = 0, state: dict | None = None) -> Any:
        """``n`` steps for every copy, each with private Variables (a sweep); see ``BatchedRun``.

        ``state`` maps Variable names (as in ``History.variables``) to per-copy values: the
        starting value of a Variable the step updates, or the value of one it only reads.
        Other Variables start from their current value. The Variables themselves are left
        unchanged; ``n`` must be at least 1.
        """
        from workbench.compile.mapping import run_repeat_map

        return run_repeat_map(self, int(n), args, in_axes, state, self.batch_target)

    def concrete(self, *args: Any) -> Concrete:
        """The traced and lowered program for these arguments (tracing if needed)."""
        return self._prepare(args)[0]

    @property
    def graph(self) -> Graph:
        """The graph of the most recent signature."""
        return self._latest().traced.graph

    @property
    def source(self) -> str:
        """The generated source of one call for the most recent signature."""
        return self._latest().source

    @property
    def repeat_source(self) -> str:
        """The generated source of the fused ``repeat`` loop for the most recent signature."""
        return self._latest().repeat_source

    def _latest(self) -> Concrete:
        if self._last is None:
            raise RuntimeError(f"{self!r} has not been called yet: no signature traced")
        return self._last

    def _prepare(self, args: tuple[Any, ...]) -> tuple[Concrete, list[Any]]:
        key = []
        kinds = []
        arrays = []
        array_pos = []
        for i, a in enumerate(args):
            if type(a) is np.ndarray:
                value = a
            elif isinstance(a, Variable):
                key.append(("var", id(a)))
                kinds.append(("var", a))
                continue
            elif isinstance(a, Tensor):
                value = np.asarray(a._value)
            elif type(a) in (int, float, bool):
                # floats key on their exact bits: 0.0 and -0.0 differ, nan equals itself
                key.append(("py", type(a), a.hex() if type(a) is float else a))
                kinds.append(("py", a))
                continue
            else:
                value = np.asarray(a)
            value = native(value, f"argument {i}")
            key.append((value.shape, value.dtype.char))
            kinds.append(("array", value.shape, np.dtype(value.dtype.char)))
            arrays.append(value[()] if value.ndim == 0 else
                          value if value.ndim == 1 and value.flags.c_contiguous else _flat(value))
            array_pos.append(i)
        k = tuple(key)
        concrete = self._concrete.get(k)
        if concrete is None:
            traced = trace(self.fn, args, tuple(array_pos))
            concrete = self._concrete[k] = Concrete(traced, self.use_disk, tuple(kinds))
        self._last = concrete
        return concrete, arrays


def function(fn: Any = None, *, target: str = "cpu", cache: bool = True) -> Any:
    """Compile a Python function that uses tensors, tapes and ``Variable.assign*`` (``tf.function``).

    The function runs once per signature under a tracing tape (with no lasting side effects);
    inner ``GradientTape`` blocks and ``tape.gradient`` are traced too, so the compiled graph holds
    the forward and the reverse sweep. Python control flow is traced as it ran (loops unroll, an
    ``if`` on a Python value keeps its branch); branching on a traced value raises ``TraceError``
    naming the line. Anything kept between calls (optimizer slots, step counters) must live in
    Variables: reads become state inputs, ``assign*`` become state updates. ``step.graph``,
    ``step.source`` and ``step.repeat_source`` show what was compiled (``numba.njit``, never object
    mode, never fastmath). A function may return nothing (the call then returns None). A
    Variable created on every call is refused (``TraceError``, as ``tf.function``); one created
    on the first call and kept is state. ``wb.random`` draws fresh numbers on every call and
    ``repeat`` step from ``wb.random.KEY`` (seeded by ``wb.random.set_seed``; not the eager
    stream). Arguments must be bool, integer, float32 or float64 arrays (float16 and complex
    raise ``TypeError``; byte-swapped arrays are converted).

    Results equal the eager tape bit for bit for ``+ - * /``, negation, ``abs``, ``square``,
    ``sqrt``, ``minimum``/``maximum``, ``where``, comparisons, casts, views and indexing, and
    sums and means (NumPy's pairwise order), hence SGD (with momentum) and RMSprop steps, in
    float32 and float64. Transcendental functions (``exp``, ``log``, ``tanh``, ``sin``, ``pow``,
    ``sigmoid``...) agree within 2 ULP per op (on the CPU ``exp``, ``tanh`` and ``sigmoid`` are
    the SIMD-friendly ones of ``compile/vecmath.py``, the rest Numba's libm); ``matmul`` (BLAS for matrix
    products, k order for small ones): within ``k * eps * (|A| @ |B|)``; Adam (its bias correction is
    a power) agrees to about 1e-13 relative over a few steps. See docs/reliability.md.

    >>> import numpy as np, workbench as wb
    >>> w = wb.Variable(1.0, name="w")
    >>> @wb.function
    ... def step(x):
    ...     with wb.GradientTape() as tape:
    ...         loss = wb.reduce_sum((w * x - 2.0) ** 2)
    ...     w.assign_sub(0.1 * tape.gradient(loss, w))
    ...     return loss
    >>> float(step(np.array([1.0])))
    1.0
    >>> round(float(w.numpy()), 6)
    1.2
    """
    if fn is None:
        return functools.partial(function, target=target, cache=cache)
    if target == "cuda":
        from workbench.compile.cuda import CudaFunction

        return CudaFunction(fn, cache=cache)
    return Function(fn, target=target, cache=cache)


def _flat(value: Any) -> Any:
    """What a kernel takes: a NumPy scalar for 0-d, a flat C-ordered array otherwise."""
    if type(value) is not np.ndarray:
        return value
    if value.ndim == 0:
        return value[()]
    if value.ndim == 1 and value.flags.c_contiguous:
        return value
    return np.ascontiguousarray(value).reshape(-1)



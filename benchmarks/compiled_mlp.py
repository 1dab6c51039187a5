"""A k-layer tanh MLP training step (width 32, batch 64, SGD): compile time and steady state.

For each k: the cold compile of ``wb.function(step)`` (first call) and of its ``repeat`` loop,
each in a fresh process with an empty kernel cache, then the steady-state time per step, against
JAX ``jit`` (trace+compile and steady state) and PyTorch eager, measured in the same run. JAX
and PyTorch come from a benchmark-only environment; a missing one is skipped with a note.
Run: ``PYTHONPATH=. python3 benchmarks/compiled_mlp.py [k ...]`` (default k = 1 2 4 8 16).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time

import numpy as np
from _timing import best_time, table

WIDTH, BATCH, LR = 32, 64, 0.01
HERE = os.path.dirname(os.path.abspath(__file__))


def data(k: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ws = [rng.normal(0, 1 / np.sqrt(WIDTH), (WIDTH, WIDTH)) for _ in range(k)]
    bs = [np.zeros(WIDTH) for _ in range(k)]
    return ws, bs, rng.normal(size=(BATCH, WIDTH)), rng.normal(size=(BATCH, WIDTH))


def workbench_step(k: int):
    import workbench as wb

    w0, b0, x, y = data(k)
    ws = [wb.Variable(w, name=f"w{i}") for i, w in enumerate(w0)]
    bs = [wb.Variable(b, name=f"b{i}") for i, b in enumerate(b0)]

    def step(x, y):
        with wb.GradientTape() as tape:
            h = x
            for w, b in zip(ws, bs):
                h = wb.tanh(h @ w + b)
            loss = wb.reduce_mean((h - y) ** 2)
        for v, g in zip(ws + bs, tape.gradient(loss, ws + bs)):
            v.assign_sub(LR * g)
        return loss

    return wb.function(step), x, y


def cold(k: int, what: str) -> float:
    """Seconds of the first call (``step``) or first ``repeat`` in a new process, empty cache."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, WORKBENCH_CACHE_DIR=folder)
        out = subprocess.run([sys.executable, __file__, "--cold", str(k), what], env=env,
                             capture_output=True, text=True, check=True, cwd=HERE)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def _cold_child(k: int, what: str) -> None:
    import workbench  # noqa: F401 - imported before the clock starts, as a user's script would

    step, x, y = workbench_step(k)
    start = time.perf_counter()
    if what == "step":
        step(x, y)
    else:
        step.repeat(10, x, y)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def jax_reference(k: int):
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    w0, b0, x, y = data(k)
    params = ([jnp.asarray(w) for w in w0], [jnp.asarray(b) for b in b0])

    def loss_fn(p, x, y):
        h = x
        for w, b in zip(*p):
            h = jnp.tanh(h @ w + b)
        return jnp.mean((h - y) ** 2)

    @jax.jit
    def step(p, x, y):
        loss, g = jax.value_and_grad(loss_fn)(p, x, y)
        return jax.tree_util.tree_map(lambda a, b: a - LR * b, p, g), loss

    xj, yj = jnp.asarray(x), jnp.asarray(y)
    start = time.perf_counter()
    jax.block_until_ready(step(params, xj, yj))
    compile_s = time.perf_counter() - start
    state = [params]

    def run():
        state[0], loss = step(state[0], xj, yj)
        loss.block_until_ready()

    return compile_s, best_time(run, repeat=5)


def torch_reference(k: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    w0, b0, x, y = data(k)
    ws = [torch.tensor(w, requires_grad=True) for w in w0]
    bs = [torch.tensor(b, requires_grad=True) for b in b0]
    xt, yt = torch.tensor(x), torch.tensor(y)

    def run():
        h = xt
        for w, b in zip(ws, bs):
            h = torch.tanh(h @ w + b)
        loss = torch.mean((h - yt) ** 2)
        grads = torch.autograd.grad(loss, ws + bs)
        with torch.no_grad():
            for v, g in zip(ws + bs, grads):
                v -= LR * g

    return best_time(run, repeat=5)


def main(ks: list[int]) -> None:
    print(f"# {k_title()} ({platform.processor() or platform.machine()}, "
          f"{time.strftime('%Y-%m-%d')}, load average {os.getloadavg()[0]:.1f})")
    notes = []
    rows = []
    for k in ks:
        step_s, repeat_s = cold(k, "step"), cold(k, "repeat")
        step, x, y = workbench_step(k)
        ours = best_time(lambda step=step, x=x, y=y: step(x, y), repeat=5)
        jax_r, torch_r = jax_reference(k), torch_reference(k)
        jax_c, jax_t = jax_r if jax_r else (None, None)
        rows.append((k, f"{step_s:.2f}", f"{repeat_s:.2f}", _s(jax_c), f"{ours * 1e6:.0f}",
                     _us(jax_t), _ratio(ours, jax_t), _us(torch_r), _ratio(ours, torch_r)))
    if jax_reference(1) is None:
        notes.append("JAX not importable: its columns are '-' (use a benchmark-only venv)")
    if torch_reference(1) is None:
        notes.append("PyTorch not importable: its columns are '-'")
    print(table("MLP step: cold compile (s) and steady state (µs per step)",
                ("k", "compile step", "compile repeat", "JAX jit compile", "step µs",
                 "JAX µs", "÷ JAX", "torch µs", "÷ torch"), rows))
    for note in notes:
        print("note:", note)


def k_title() -> str:
    return f"tanh MLP, width {WIDTH}, batch {BATCH}, SGD; float64"


def _s(v):
    return "-" if v is None else f"{v:.2f}"


def _us(v):
    return "-" if v is None else f"{v * 1e6:.0f}"


def _ratio(a, b):
    return "-" if b is None else f"{a / b:.2f}"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--cold":
        _cold_child(int(sys.argv[2]), sys.argv[3])
    else:
        main([int(a) for a in sys.argv[1:]] or [1, 2, 4, 8, 16])

"""One process: compile (or load from the cache) the seed step and report timings as JSON.

Used by ``compiled_cache.py`` and the cache test; reads ``WORKBENCH_CACHE_DIR`` from the environment.
"""

from __future__ import annotations

import json
import sys
import time

t_start = time.perf_counter()
import numba  # noqa: F401 - imported here so first_call_s excludes it, as for the floor
import numpy as np

import workbench as wb

t_import = time.perf_counter()
a = wb.Variable(0.0, name="a")
b = wb.Variable(0.0, name="b")


@wb.function
def step(x, y):
    with wb.GradientTape() as tape:
        loss = wb.reduce_sum(wb.abs(y - (a * x + b)))
    ga, gb = tape.gradient(loss, (a, b))
    a.assign_sub(0.001 * ga)
    b.assign_sub(0.001 * gb)
    return loss


x = np.arange(11.0)
y = 10 * x + 5
t0 = time.perf_counter()
loss = float(step(x, y))
t1 = time.perf_counter()
history = step.repeat(1000, x, y, record_every=1000) if "--repeat" in sys.argv else None
t2 = time.perf_counter()
kernel = step.concrete(x, y).step_kernel
stats = kernel.stats
print(json.dumps({
    "import_s": t_import - t_start,
    "first_call_s": t1 - t0,
    "repeat_first_s": t2 - t1,
    "loss": loss,
    "a": float(a.numpy()),
    "cache_hits": sum(stats.cache_hits.values()),
    "cache_misses": sum(stats.cache_misses.values()),
    "source_file": kernel.py_func.__code__.co_filename,
}))

"""One process: compile (or load from the cache) the seed step and report timings as JSON.

Used by ``compiled_cache.py`` and the cache test; reads ``WORKBENCH_CACHE_DIR`` from the environment.
"""

from __future__ import annotations

import json
import sys
import time

t_start = time.perf_counter()
import numba  # noqa: F401 - imported here so first_call_s excludes it, as for the floor
from _seed import seed_data, seed_step

import workbench as wb

t_import = time.perf_counter()
step_fn, a, b = seed_step()
step = wb.function(step_fn)
x, y = seed_data()
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
    "process_s": t1 - t_start,  # imports (numba's too), wb.function and the first call
    "repeat_first_s": t2 - t1,
    "loss": loss,
    "a": float(a.numpy()),
    "cache_hits": sum(stats.cache_hits.values()),
    "cache_misses": sum(stats.cache_misses.values()),
    "source_file": kernel.py_func.__code__.co_filename,
}))

"""One process for the cache-safety tests: four small kernels, their values, cache hits, warnings.

Prints one JSON line; reads ``WORKBENCH_CACHE_DIR`` (and HOME...) from the environment.
"""

from __future__ import annotations

import json
import os
import warnings

import numpy as np

import workbench as wb


def main() -> None:
    out: dict = {}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(int(os.environ.get("N_KERNELS", "4"))):
            f = wb.function(lambda v, k=k: wb.sum(v * float(k + 2)))
            x = np.arange(4.0)
            out[f"value{k}"] = float(f(x))
            kern = f.concrete(x).step_kernel
            out[f"hits{k}"] = sum(kern.stats.cache_hits.values())
            out[f"file{k}"] = kern.py_func.__code__.co_filename
    out["warnings"] = [str(w.message) for w in caught]
    print(json.dumps(out))


if __name__ == "__main__":  # imported by pytest's doctest collection: run nothing then
    main()

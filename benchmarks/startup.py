"""``import workbench`` against ``import numpy``: wall time in fresh processes, interleaved.

Each repetition starts one interpreter that imports NumPy and one that imports workbench (which
imports NumPy itself); the table gives the best and the median of each, and their difference.
Run: ``PYTHONPATH=. python3 benchmarks/startup.py [repeats]``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMED = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"
MODULES = ("numpy", "workbench")


def import_seconds(module: str, env: dict) -> float:
    """Seconds ``import module`` takes in a new interpreter (start-up itself not counted)."""
    out = subprocess.run([sys.executable, "-c", TIMED.format(module)], env=env, check=True,
                         capture_output=True, text=True)
    return float(out.stdout)


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    times: dict[str, list[float]] = {m: [] for m in MODULES}
    for _ in range(repeats):
        for module in MODULES:
            times[module].append(import_seconds(module, env))
    load = os.getloadavg()[0]
    print(f"# import time, {repeats} fresh processes each ({time.strftime('%Y-%m-%d')}, "
          f"load {load:.2f})")
    print(f"{'import':<12} {'best s':>8} {'median s':>9}")
    for module in MODULES:
        print(f"{module:<12} {min(times[module]):>8.3f} {statistics.median(times[module]):>9.3f}")
    extra = min(times["workbench"]) - min(times["numpy"])
    print(f"workbench on top of numpy (best): {extra:.3f} s; "
          f"workbench / numpy = {min(times['workbench']) / min(times['numpy']):.2f}")


if __name__ == "__main__":
    main()

"""Cold compile vs warm cache load of the seed step, each in a new process, against Numba's floor.

Numba's floor: the first call, in a new process, of a hand-written @njit(cache=True) loop whose
cache is warm (and its cold compile). Process start-up and imports are reported separately.
Every row is the best of ``REPEATS`` runs, ours and the floor's alternating; each cold run starts
from empty caches of its own.
Run: ``PYTHONPATH=. python3 benchmarks/compiled_cache.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5

FLOOR = textwrap.dedent('''
    import json, time
    t0 = time.perf_counter()
    import numpy as np
    from numba import njit
    t1 = time.perf_counter()

    @njit(cache=True, error_model="numpy")
    def seed_by_hand(x, y, a, b, lr, n):
        for _ in range(n):
            ga = 0.0
            gb = 0.0
            for i in range(x.size):
                r = y[i] - (a * x[i] + b)
                s = (r > 0) - (r < 0)
                ga -= s * x[i]
                gb -= s
            a -= lr * ga
            b -= lr * gb
        return a, b

    x = np.arange(11.0)
    t2 = time.perf_counter()
    seed_by_hand(x, 10 * x + 5, 0.0, 0.0, 0.001, 1)
    t3 = time.perf_counter()
    print(json.dumps({"import_s": t1 - t0, "first_call_s": t3 - t2, "process_s": t3 - t0}))
''')


def run(args: list[str], env: dict) -> dict:
    out = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def best(runs: list[dict]) -> dict:
    """Per key, the smallest value of ``runs``."""
    return {k: min(r[k] for r in runs) for k in runs[0]}


def cold_pair(base: str, script: str) -> tuple[dict, dict]:
    """One cold first call of the seed step and of the floor, each with an empty cache."""
    ours, floor = tempfile.mkdtemp(dir=base), tempfile.mkdtemp(dir=base)
    env = dict(os.environ, WORKBENCH_CACHE_DIR=ours, PYTHONPATH=str(ROOT))
    floor_file = Path(floor) / "floor_kernel.py"
    floor_file.write_text(FLOOR)
    return run([script], env), run([str(floor_file)], env)


def main() -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, WORKBENCH_CACHE_DIR=tmp, PYTHONPATH=str(ROOT))
        script = str(ROOT / "benchmarks" / "_seed_process.py")
        # Cold runs alternate too, each pair with empty caches of its own (best of REPEATS).
        colds = [cold_pair(tmp, script) for _ in range(REPEATS)]
        cold, floor_cold = best([c for c, _ in colds]), best([f for _, f in colds])
        floor_file = Path(tmp) / "floor_kernel.py"
        floor_file.write_text(FLOOR)
        run([str(floor_file)], env)  # the floor's warm cache
        # Warm runs alternate (the best of REPEATS each), so machine load hits both alike.
        run([script], env)  # the seed step's warm cache
        warms = [(run([script], env), run([str(floor_file)], env)) for _ in range(REPEATS)]
        warm, floor_warm = best([w for w, _ in warms]), best([f for _, f in warms])
    rows = [("seed step, cold (trace + codegen + compile)", cold),
            ("seed step, warm (trace + codegen + cache load)", warm),
            ("hand-written @njit loop, cold compile", floor_cold),
            ("hand-written @njit loop, warm cache (floor)", floor_warm)]
    print(f"# first call in a new process ({time.strftime('%Y-%m-%d')}, 2-core CPU, "
          f"load {os.getloadavg()[0]:.2f}; each row: best of {REPEATS})")
    print(f"{'case':<48} {'first call s':>12} {'imports s':>10} {'process s':>10}")
    for name, r in rows:
        print(f"{name:<48} {r['first_call_s']:>12.3f} {r['import_s']:>10.3f} "
              f"{r['process_s']:>10.3f}")
    print(f"warm / floor = {warm['first_call_s'] / floor_warm['first_call_s']:.2f} (first call), "
          f"{warm['process_s'] / floor_warm['process_s']:.2f} (whole process: imports + call)")


if __name__ == "__main__":
    main()

"""The disk cache: a second process loads the kernel the first one compiled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "_seed_process.py"


def _run(cache_dir: Path) -> dict:
    env = dict(os.environ, WORKBENCH_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True,
                         check=True, timeout=300)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_second_process_reuses_the_compiled_kernel(tmp_path):
    first = _run(tmp_path)
    second = _run(tmp_path)
    assert first["cache_misses"] == 1 and first["cache_hits"] == 0
    assert second["cache_hits"] == 1 and second["cache_misses"] == 0
    assert first["source_file"] == second["source_file"]
    assert Path(first["source_file"]).parent == tmp_path
    np.testing.assert_allclose(second["loss"], first["loss"], rtol=1e-15)
    np.testing.assert_allclose(second["a"], first["a"], rtol=1e-15)


def test_empty_cache_dir_keeps_kernels_in_memory(tmp_path, monkeypatch):
    import workbench as wb

    monkeypatch.setenv("WORKBENCH_CACHE_DIR", "")
    f = wb.function(lambda v: wb.sum(v * 3.0))
    np.testing.assert_allclose(float(f(np.arange(4.0))), 18.0)
    filename = f.concrete(np.arange(4.0)).step_kernel.py_func.__code__.co_filename
    assert filename.startswith("<workbench-kernel-")
    assert not list(tmp_path.iterdir())

"""The disk cache never runs foreign or damaged code, and works with nowhere to write.

Every damaged cache entry is a miss in the next process (recompiled, overwritten, one warning);
folders other users could write to are refused; concurrent processes agree; a read-only
installation with no writable home still compiles.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from workbench.compile import cache

ROOT = Path(__file__).resolve().parents[1]
CHILD = Path(__file__).with_name("_cache_child.py")
EXPECTED = [sum(range(4)) * (k + 2) for k in range(4)]  # sum(arange(4) * (k + 2))


def _env(**changes: str | None) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def _run(env: dict) -> dict:
    out = subprocess.run([sys.executable, str(CHILD)], env=env, capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _check_values(result: dict) -> None:
    for k, want in enumerate(EXPECTED):
        assert result[f"value{k}"] == pytest.approx(want, rel=0, abs=0)


def test_each_kind_of_damaged_cache_file_is_a_miss_in_the_next_process(tmp_path):
    env = _env(WORKBENCH_CACHE_DIR=str(tmp_path))
    first = _run(env)
    _check_values(first)
    assert not first["warnings"]
    modules = [Path(first[f"file{k}"]) for k in range(4)]
    pycache = tmp_path / "__pycache__"
    # kernel 0: Numba data file truncated; 1: Numba index garbage; 2: module edited (a planted
    # change of the constant); 3: module emptied
    (nbc,) = pycache.glob(modules[0].stem + ".*.nbc")
    nbc.write_bytes(nbc.read_bytes()[: nbc.stat().st_size // 2])
    (nbi,) = pycache.glob(modules[1].stem + ".*.nbi")
    nbi.write_bytes(b"\x80\x04garbage" * 3)
    modules[2].write_text(modules[2].read_text().replace("np.float64(4.0)", "np.float64(5.0)")
                          .replace("4.0", "5.0"))
    modules[3].write_text("")
    second = _run(env)
    _check_values(second)
    assert second["hits0"] == 0 and second["hits1"] == 0  # recompiled, not loaded
    assert len(second["warnings"]) >= 2 and all("recompiled" in w for w in second["warnings"])
    third = _run(env)  # the entries were overwritten: hits again, and no warning
    _check_values(third)
    assert all(third[f"hits{k}"] == 1 for k in range(4)) and not third["warnings"]


def test_concurrent_processes_on_one_fresh_cache_agree(tmp_path):
    env = _env(WORKBENCH_CACHE_DIR=str(tmp_path), N_KERNELS="2")
    procs = [subprocess.Popen([sys.executable, str(CHILD)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(3)]
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr[-3000:]
        result = json.loads(stdout.strip().splitlines()[-1])
        assert [result["value0"], result["value1"]] == EXPECTED[:2]
        assert not result["warnings"]


def test_folders_others_can_write_to_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "_WARNED", set())
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    assert "writable by other users" in cache.unsafe_reason(str(shared))
    with pytest.warns(RuntimeWarning, match="does not load compiled kernels"):
        used = cache._safe_folder(str(shared))
    assert used != str(shared) and cache.unsafe_reason(used) is None
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cache._safe_folder(str(private)) == str(private)
    (private / "__pycache__").chmod(0o777)  # Numba's index files are pickles: same rule
    with pytest.warns(RuntimeWarning, match="writable by other users"):
        assert cache._safe_folder(str(private)) != str(private)
    if hasattr(os, "chown") and os.getuid() == 0:
        foreign = tmp_path / "foreign"
        foreign.mkdir(mode=0o700)
        os.chown(foreign, 65534, 65534)
        assert "owned by another user" in cache.unsafe_reason(str(foreign))


def test_read_only_installation_and_home_still_compile(tmp_path):
    """No writable ``__pycache__`` in the package and a HOME under which nothing can be made
    (a file, so this holds for root too): memory-only, a writable cache dir, and the default
    (which falls back to a private folder) all compile."""
    install = tmp_path / "install"
    shutil.copytree(ROOT / "workbench", install / "workbench",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for folder in [install / "workbench", *(install / "workbench").rglob("*")]:
        if folder.is_dir():
            (folder / "__pycache__").write_text("")  # nothing can be cached next to the code
    home = tmp_path / "home"
    home.write_text("")
    base = _env(HOME=str(home), XDG_CACHE_HOME=None, NUMBA_CACHE_DIR=None, N_KERNELS="1",
                PYTHONPATH=str(install))
    for cache_dir in ("", str(tmp_path / "writable"), None):
        env = dict(base)
        if cache_dir is None:
            env.pop("WORKBENCH_CACHE_DIR", None)
        else:
            env["WORKBENCH_CACHE_DIR"] = cache_dir
        result = _run(env)
        assert result["value0"] == EXPECTED[0]
        assert Path(result["file0"]).parent != install

"""Loading generated source as a module: written to the disk cache so Numba's cache works too.

The file name is a hash of the source (which is a canonical function of graph and signature) and
the versions of Python, NumPy, Numba and workbench; a second process finds the same file and
Numba's own cache next to it (``__pycache__``) skips compilation.
"""

from __future__ import annotations

import hashlib
import importlib.util
import linecache
import os
import sys
import tempfile
import types

import numpy as np


def cache_dir() -> str | None:
    """``$WORKBENCH_CACHE_DIR``, else ``$XDG_CACHE_HOME/workbench`` (or ``~/.cache/workbench``).

    Set ``WORKBENCH_CACHE_DIR`` to an empty string to keep kernels in memory only.

    >>> import os; os.environ["WORKBENCH_CACHE_DIR"] = "/tmp/wb-doc"; cache_dir()
    '/tmp/wb-doc'
    >>> del os.environ["WORKBENCH_CACHE_DIR"]
    """
    env = os.environ.get("WORKBENCH_CACHE_DIR")
    if env is not None:
        return env or None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "workbench")


def source_key(source: str) -> str:
    """Hash of the kernel source and the versions that could change what it compiles to."""
    import numba

    from workbench import __version__

    versions = f"{sys.version}|{np.__version__}|{numba.__version__}|{__version__}|{_runtime_hash()}"
    return hashlib.sha256((versions + "\n" + source).encode()).hexdigest()[:24]


def _runtime_hash() -> str:
    """The helpers kernels call are compiled into them: a change there must miss the cache."""
    if not _RUNTIME:
        folder = os.path.dirname(os.path.abspath(__file__))
        digest = hashlib.sha256()
        for name in ("runtime.py", "cuda_runtime.py"):
            with open(os.path.join(folder, name), "rb") as f:
                digest.update(f.read())
        _RUNTIME.append(digest.hexdigest()[:16])
    return _RUNTIME[0]


_RUNTIME: list[str] = []


_LOADED: dict[str, types.ModuleType] = {}


def _write(folder: str, name: str, source: str) -> str | None:
    """Write the module into the cache folder (atomically); None if the folder is not writable."""
    path = os.path.join(folder, name + ".py")
    try:
        os.makedirs(folder, exist_ok=True)
        if not os.path.exists(path):
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
            with os.fdopen(fd, "w") as f:
                f.write(source)
            os.replace(tmp, path)
    except OSError:
        return None
    return path


def load(source: str, use_disk: bool = True) -> types.ModuleType:
    """Import ``source`` as a module (from the disk cache when enabled), once per process."""
    key = source_key(source)
    if key in _LOADED:
        return _LOADED[key]
    name = f"workbench_kernel_{key}"
    folder = cache_dir() if use_disk else None
    path = _write(folder, name, source) if folder else None
    if path:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    else:
        filename = f"<workbench-kernel-{key}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        module = types.ModuleType(name)
        module.__file__ = filename
        sys.modules[name] = module
        code = compile(source.replace("cache=True", "cache=False"), filename, "exec")
        exec(code, module.__dict__)  # noqa: S102 - generated kernel source
    _LOADED[key] = module
    return module

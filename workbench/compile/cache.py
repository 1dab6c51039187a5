"""Loading generated source as a module: written to the disk cache so Numba's cache works too.

The file name is a hash of the source (a canonical function of graph and signature) and the
versions of Python, NumPy, Numba and workbench; a second process finds the same file and Numba's
cache next to it (``__pycache__``) skips compilation. Only the source in memory is executed.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import io
import linecache
import os
import pickle
import pickletools
import stat
import sys
import tempfile
import types
import warnings

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
        for name in ("runtime.py", "cuda_runtime.py", "vecmath.py", os.path.join("..", "random.py")):
            with open(os.path.join(folder, name), "rb") as f:
                digest.update(f.read())
        _RUNTIME.append(digest.hexdigest()[:16])
    return _RUNTIME[0]


_RUNTIME: list[str] = []


_LOADED: dict[str, types.ModuleType] = {}
_WARNED: set[str] = set()
_PRIVATE: list[str] = []  # the fallback folder of this process, made once


def _warn_once(kind: str, message: str) -> None:
    if kind not in _WARNED:
        _WARNED.add(kind)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def unsafe_reason(folder: str) -> str | None:
    """Why code must not be loaded from ``folder`` (None if it is safe): it must be a directory
    owned by the current user (or root) and writable by nobody else, like ``~/.ssh``.

    >>> import tempfile; unsafe_reason(tempfile.mkdtemp()) is None
    True
    """
    try:
        st = os.stat(folder)
    except OSError as err:
        return f"it cannot be inspected ({err})"
    if not stat.S_ISDIR(st.st_mode):
        return "it is not a directory"
    if hasattr(os, "getuid") and st.st_uid not in (os.getuid(), 0):
        return f"it is owned by another user (uid {st.st_uid})"
    if st.st_mode & 0o022:
        return f"it is writable by other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def _safe_folder(folder: str) -> str | None:
    """``folder`` (made private if new) if code may be loaded from it; else a private fallback
    folder (warning once why); None if no folder is writable (memory-only kernels)."""
    pycache = os.path.join(folder, "__pycache__")
    try:
        os.makedirs(pycache, mode=0o700, exist_ok=True)  # Numba's cache lives in __pycache__
    except OSError:
        return _fallback(folder, "it cannot be created or written")
    reason = unsafe_reason(folder) or unsafe_reason(pycache)
    if reason is None and not os.access(folder, os.W_OK):
        reason = "it is not writable"
    return folder if reason is None else _fallback(folder, reason)


def _fallback(folder: str, reason: str) -> str | None:
    if not _PRIVATE:
        try:
            _PRIVATE.append(tempfile.mkdtemp(prefix="workbench-cache-"))
        except OSError:
            _PRIVATE.append("")
    where = _PRIVATE[0] or "memory only"
    _warn_once(f"folder:{folder}", (
        f"workbench does not load compiled kernels from the cache folder {folder!r}: {reason}. "
        f"Using {where!r} for this process instead (kernels are recompiled). Make the folder "
        "yours and private (chmod 700), or point WORKBENCH_CACHE_DIR at one"))
    if _PRIVATE[0]:
        os.makedirs(os.path.join(_PRIVATE[0], "__pycache__"), mode=0o700, exist_ok=True)
    return _PRIVATE[0] or None


def _write(folder: str, name: str, source: str) -> str | None:
    """The module's path in ``folder``, holding exactly ``source`` (written atomically when it
    is missing or differs: a damaged, truncated or edited copy is replaced); None on failure."""
    path = os.path.join(folder, name + ".py")
    try:
        with open(path, encoding="utf-8") as f:
            found = f.read()
    except (OSError, UnicodeDecodeError, ValueError):
        found = None
    if found == source:
        return path
    if found is not None:
        _warn_once("module", f"the cached kernel {path!r} did not match its source (damaged or "
                   "edited): it was regenerated and will be recompiled")
        _drop_numba_files(folder, name)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(source)
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def _numba_files(folder: str, name: str) -> list[str]:
    return glob.glob(os.path.join(glob.escape(folder), "__pycache__", f"{name}.*.nb[ic]"))


def _drop_numba_files(folder: str, name: str) -> None:
    for path in _numba_files(folder, name):
        with contextlib.suppress(OSError):
            os.remove(path)


def _check_numba_files(folder: str, name: str) -> None:
    """Numba's cache of this module (index ``.nbi`` and data ``.nbc`` files) must be readable:
    a damaged one makes Numba fail on every call, so it is removed (a miss: recompiled)."""
    for path in _numba_files(folder, name):
        try:
            with open(path, "rb") as f:
                data = f.read()
            if path.endswith(".nbi"):
                stream = io.BytesIO(data)
                pickle.load(stream)
                _scan(stream.read())
            else:
                _scan(data)
        except Exception:  # noqa: BLE001 - any damage at all means: not usable
            _warn_once("numba", f"the Numba cache file {path!r} is damaged: the kernel's cache "
                       "entry was removed and the kernel will be recompiled")
            _drop_numba_files(folder, name)
            return


def _scan(data: bytes) -> None:
    """Raise unless ``data`` is one complete pickle (read opcode by opcode, nothing built)."""
    if not data:
        raise ValueError("empty")
    ops = list(pickletools.genops(data))
    if ops[-1][0].name != "STOP" or ops[-1][2] + 1 != len(data):
        raise ValueError("trailing or missing data")


def load(source: str, use_disk: bool = True) -> types.ModuleType:
    """Run ``source`` as a module once per process, cached on disk when enabled.

    The code executed is always ``source`` itself: the file on disk is only where Numba's
    cache finds it, and is rewritten if it differs. Folders that other users could write to
    are not used (see ``unsafe_reason``).
    """
    key = source_key(source)
    if key in _LOADED:
        return _LOADED[key]
    name = f"workbench_kernel_{key}"
    folder = cache_dir() if use_disk else None
    folder = _safe_folder(folder) if folder else None
    path = _write(folder, name, source) if folder else None
    if path:
        _check_numba_files(folder, name)
        filename, text = path, source
    else:
        filename = f"<workbench-kernel-{key}>"
        text = source.replace("cache=True", "cache=False")
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    module = types.ModuleType(name)
    module.__file__ = filename
    sys.modules[name] = module
    exec(compile(text, filename, "exec"), module.__dict__)  # noqa: S102 - generated kernel source
    _LOADED[key] = module
    return module

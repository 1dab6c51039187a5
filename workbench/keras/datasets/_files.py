"""Find and read dataset files a user already has: Keras's ``.npz`` caches and IDX files."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

IDX_NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def search_dirs(path: str | os.PathLike | None, subdir: str) -> list[Path]:
    """The places searched, in order: ``path``, ``$WORKBENCH_DATA_DIR``, ``~/.keras/datasets``,
    ``/usr/share/datasets`` (each also with ``subdir``)."""
    roots: list[Path] = []
    if path is not None:
        p = Path(path).expanduser()
        roots.append(p.parent if p.suffix == ".npz" else p)
    if os.environ.get("WORKBENCH_DATA_DIR"):
        roots.append(Path(os.environ["WORKBENCH_DATA_DIR"]).expanduser())
    roots += [Path("~/.keras/datasets").expanduser(), Path("/usr/share/datasets")]
    out: list[Path] = []
    for root in roots:
        for d in (root, root / subdir):
            if d not in out:
                out.append(d)
    return out


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (gzip or raw) as an ndarray.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x-idx1-ubyte"
    >>> _ = f.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 2, 7, 9]))
    >>> read_idx(f).tolist()
    [7, 9]
    """
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number {raw[:4]!r})")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, dtype=_IDX_TYPES[raw[2]], offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: header says shape {shape}, but it holds {data.size} values")
    return data.reshape(shape).astype(data.dtype.newbyteorder("="))


def _idx_file(d: Path, name: str) -> Path | None:
    for candidate in (d / name, d / f"{name}.gz", d / name.replace("-idx", ".idx"),
                      d / f"{name.replace('-idx', '.idx')}.gz"):
        if candidate.is_file():
            return candidate
    return None


def load(path: str | os.PathLike | None, npz_name: str, subdir: str, what: str):
    """((x_train, y_train), (x_test, y_test)) from an ``.npz`` or the four IDX files."""
    if path is not None and Path(path).expanduser().is_file():
        return _from_npz(Path(path).expanduser())
    dirs = search_dirs(path, subdir)
    for d in dirs:
        if (d / npz_name).is_file():
            return _from_npz(d / npz_name)
        files = [_idx_file(d, n) for n in IDX_NAMES]
        if all(files):
            x_train, y_train, x_test, y_test = (read_idx(f) for f in files)
            return (x_train, y_train), (x_test, y_test)
    places = "\n  ".join(str(d) for d in dirs)
    raise FileNotFoundError(
        f"{what} was not found; nothing is downloaded. Searched:\n  {places}\n"
        f"Put Keras's {npz_name} or the four IDX files ({', '.join(IDX_NAMES)}, gzipped or "
        f"not) in one of these directories, pass load_data(path=...), or set WORKBENCH_DATA_DIR."
    )


def _from_npz(path: Path):
    with np.load(path, allow_pickle=False) as f:
        try:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
        except KeyError as err:
            raise ValueError(f"{path} lacks {err}; expected x_train, y_train, x_test, "
                             "y_test arrays") from None

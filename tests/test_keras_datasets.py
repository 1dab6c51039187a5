"""Offline dataset readers: Keras's .npz, IDX files (gzip or raw), the search path, the digits."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from workbench.keras.datasets import _files, digits, fashion_mnist, mnist

RNG = np.random.default_rng(2)


def _idx_bytes(a: np.ndarray) -> bytes:
    code = {np.dtype(np.uint8): 0x08, np.dtype(">i4"): 0x0C}[a.dtype]
    return bytes([0, 0, code, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def _arrays():
    return (RNG.integers(0, 256, (5, 28, 28), dtype=np.uint8), RNG.integers(0, 10, 5).astype(
        np.uint8), RNG.integers(0, 256, (3, 28, 28), dtype=np.uint8),
        RNG.integers(0, 10, 3).astype(np.uint8))


def _write_idx(directory, arrays, gz: bool):
    directory.mkdir(parents=True, exist_ok=True)
    for name, a in zip(_files.IDX_NAMES, arrays, strict=True):
        data = _idx_bytes(a)
        if gz:
            (directory / f"{name}.gz").write_bytes(gzip.compress(data))
        else:
            (directory / name).write_bytes(data)


def _check(loaded, arrays):
    (xa, ya), (xb, yb) = loaded
    for got, want in zip((xa, ya, xb, yb), arrays, strict=True):
        np.testing.assert_array_equal(got, want)
        assert got.dtype == want.dtype


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_reads_idx_files_from_a_directory(tmp_path, gz, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    arrays = _arrays()
    _write_idx(tmp_path / "idx", arrays, gz)
    _check(mnist.load_data(path=tmp_path / "idx"), arrays)


def test_mnist_reads_the_keras_npz_by_path_and_from_the_env_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    arrays = _arrays()
    np.savez(tmp_path / "mnist.npz", x_train=arrays[0], y_train=arrays[1], x_test=arrays[2],
             y_test=arrays[3])
    _check(mnist.load_data(path=tmp_path / "mnist.npz"), arrays)
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path))
    _check(mnist.load_data(), arrays)


def test_fashion_mnist_in_a_subdirectory_of_the_env_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    arrays = _arrays()
    _write_idx(tmp_path / "fashion-mnist", arrays, gz=True)
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path))
    _check(fashion_mnist.load_data(), arrays)


def test_missing_files_name_every_place_searched(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WORKBENCH_DATA_DIR", str(tmp_path / "data"))
    if any(_files.search_dirs(None, "mnist")[i].joinpath("mnist.npz").exists()
           for i in range(4)):
        pytest.skip("MNIST is installed on this machine")
    with pytest.raises(FileNotFoundError) as err:
        mnist.load_data(path=tmp_path / "given")
    text = str(err.value)
    for place in (tmp_path / "given", tmp_path / "data", tmp_path / "home" / ".keras" /
                  "datasets", "/usr/share/datasets"):
        assert str(place) in text
    assert "nothing is downloaded" in text and "WORKBENCH_DATA_DIR" in text


def test_bad_idx_files_are_reported(tmp_path):
    bad = tmp_path / "bad-idx1-ubyte"
    bad.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02")
    with pytest.raises(ValueError, match="holds 2 values"):
        _files.read_idx(bad)
    bad.write_bytes(b"PK\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        _files.read_idx(bad)
    big = tmp_path / "big-idx1-ubyte"
    big.write_bytes(_idx_bytes(np.array([1, -70000], dtype=">i4")))
    np.testing.assert_array_equal(_files.read_idx(big), [1, -70000])


def test_digits_split():
    pytest.importorskip("sklearn")
    (x_train, y_train), (x_test, _) = digits.load_data()
    assert x_train.shape[1:] == (8, 8) and len(x_train) + len(x_test) == 1797
    assert abs(len(x_test) - 359) <= 1 and set(np.unique(y_train)) == set(range(10))
    assert 0.0 <= x_train.min() and x_train.max() <= 16.0

"""wb.data.Dataset: slicing, batching, shuffling, map, take, lengths."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench.data import Dataset


def test_from_tensor_slices_arrays_tuples_dicts():
    x = np.arange(12.0).reshape(6, 2)
    rows = list(Dataset.from_tensor_slices(x))
    assert len(rows) == 6 and isinstance(rows[0], wb.Tensor)
    np.testing.assert_array_equal(rows[4].numpy(), [8.0, 9.0])
    pairs = list(Dataset.from_tensor_slices((x, np.arange(6))))
    assert int(pairs[5][1]) == 5
    named = list(Dataset.from_tensor_slices({"a": x, "b": wb.constant(np.arange(6.0))}))
    assert set(named[0]) == {"a", "b"} and float(named[2]["b"]) == 2.0
    with pytest.raises(ValueError, match="same first dimension"):
        Dataset.from_tensor_slices((x, np.arange(5)))


def test_batch_lengths_and_drop_remainder():
    ds = Dataset.from_tensor_slices((np.arange(10.0), np.arange(10)))
    batches = list(ds.batch(4))
    assert [b[0].shape for b in batches] == [(4,), (4,), (2,)] and len(ds.batch(4)) == 3
    assert len(list(ds.batch(4, drop_remainder=True))) == len(ds.batch(4, drop_remainder=True)) \
        == 2
    np.testing.assert_array_equal(batches[2][1].numpy(), [8, 9])
    dict_batches = list(Dataset.from_tensor_slices({"x": np.ones((5, 3))}).batch(2))
    assert dict_batches[0]["x"].shape == (2, 3)


def test_shuffle_is_a_permutation_seeded_and_reshuffled_each_pass():
    ds = Dataset.from_tensor_slices(np.arange(100)).shuffle(buffer_size=100, seed=3)
    first = [int(v) for v in ds]
    second = [int(v) for v in ds]
    assert sorted(first) == list(range(100)) and first != list(range(100))
    assert first != second  # a new order each iteration, as tf.data does by default
    again = [int(v) for v in Dataset.from_tensor_slices(np.arange(100)).shuffle(100, seed=3)]
    assert again == first
    # a small buffer only moves elements locally
    local = [int(v) for v in Dataset.from_tensor_slices(np.arange(50)).shuffle(2, seed=0)]
    assert sorted(local) == list(range(50))
    assert all(abs(v - i) <= 50 for i, v in enumerate(local)) and local[0] in (0, 1, 2)


def test_map_take_skip_repeat():
    ds = Dataset.from_tensor_slices((np.arange(6.0), np.arange(6)))
    doubled = ds.map(lambda x, y: (x * 2.0, y))
    assert [float(x) for x, _ in doubled.take(3)] == [0.0, 2.0, 4.0]
    assert len(doubled.take(3)) == 3 and len(ds.take(100)) == 6 and len(ds.skip(4)) == 2
    assert len(list(ds.repeat(2))) == 12 and len(ds.take(-1)) == 6
    single = Dataset.from_tensor_slices(np.arange(3.0)).map(lambda v: v + 1.0)
    assert [float(v) for v in single] == [1.0, 2.0, 3.0]
    assert list(Dataset.from_tensor_slices(np.arange(2)).as_numpy_iterator())[1] == 1
    with pytest.raises(TypeError, match="unknown"):
        len(Dataset(lambda: iter([]), None))


def test_batches_feed_a_gradient_tape():
    w = wb.Variable(0.0)
    ds = Dataset.from_tensor_slices((np.ones(8), 3.0 * np.ones(8))).batch(4)
    for x, y in ds:
        with wb.GradientTape() as tape:
            loss = wb.reduce_mean((w * x - y) ** 2)
        (g,) = tape.gradient(loss, [w])
        w.assign_sub(0.25 * g)
    assert 0.0 < float(w) < 3.0

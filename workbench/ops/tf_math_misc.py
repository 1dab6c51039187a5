"""TensorFlow's counting, masking and sequence helpers (bincount, confusion_matrix, in_top_k,
histogram_fixed_width, sequence_mask, reverse_sequence, unique) and two differentiable
composites (cumulative_logsumexp, polyval). Integer arguments are read as NumPy values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from workbench.convert import constant
from workbench.ops import elementwise as ew
from workbench.ops import shape as sh
from workbench.ops.axes import normalize_axis_index
from workbench.ops.cumulative import _flip, _scan_mul, _shift_in
from workbench.ops.elementwise_composite import logaddexp
from workbench.ops.indexing import integer_values
from workbench.tensor import Tensor


def _np(x: Any) -> np.ndarray:
    return np.asarray(x._value if isinstance(x, Tensor) else x)


def _ints(x: Any, op: str, name: str) -> np.ndarray:
    return integer_values(x, f"{op}: {name}")


def bincount(arr: Any, weights: Any = None, minlength: int | None = None,
             maxlength: int | None = None, dtype: Any = np.int32,
             axis: int | None = None) -> Tensor:
    """TensorFlow's ``tf.math.bincount``: how often each value ``0 .. n-1`` occurs in ``arr`` (or
    the sum of its ``weights``); ``n`` is ``max(arr) + 1`` raised to ``minlength`` and cut to
    ``maxlength``. ``axis=-1`` counts each row of a matrix. Not differentiable.

    >>> import workbench as wb
    >>> wb.math.bincount([1, 1, 3]).numpy()
    array([0, 2, 0, 1], dtype=int32)
    """
    values = _ints(arr, "bincount", "arr")
    if axis not in (None, 0, -1):
        raise ValueError(f"bincount: axis must be None, 0 or -1, got {axis}")
    if np.any(values < 0):
        raise ValueError("bincount: arr must hold non-negative integers")
    w = None if weights is None else _np(weights)
    n = int(values.max()) + 1 if values.size else 0
    n = max(n, int(minlength or 0))
    n = n if maxlength is None else min(n, int(maxlength))
    out_dtype = np.dtype(dtype) if w is None else w.dtype
    rows = axis == -1
    if rows and values.ndim != 2:
        raise ValueError(f"bincount: axis=-1 needs a matrix, got shape {values.shape}")
    lead = values.reshape(values.shape[0] if rows else 1, -1)
    wts = np.ones(lead.shape) if w is None else np.broadcast_to(w, values.shape).reshape(lead.shape)
    out = np.zeros((lead.shape[0], n), dtype=np.float64 if w is None else w.dtype)
    keep = lead < n
    np.add.at(out, (np.nonzero(keep)[0], lead[keep]), wts[keep])
    return constant(out.astype(out_dtype) if rows else out[0].astype(out_dtype))


def confusion_matrix(labels: Any, predictions: Any, num_classes: int | None = None,
                     weights: Any = None, dtype: Any = np.int32) -> Tensor:
    """TensorFlow's ``tf.math.confusion_matrix``: entry ``[i, j]`` counts (or sums the weights
    of) the examples with label ``i`` predicted as ``j``.

    >>> import workbench as wb
    >>> wb.math.confusion_matrix([0, 1, 1], [0, 1, 0]).numpy()
    array([[1, 0],
           [1, 1]], dtype=int32)
    """
    lab = _ints(labels, "confusion_matrix", "labels").reshape(-1)
    pred = _ints(predictions, "confusion_matrix", "predictions").reshape(-1)
    if lab.shape != pred.shape:
        raise ValueError(f"confusion_matrix: labels {lab.shape} and predictions {pred.shape} "
                         "must have the same size")
    if np.any(lab < 0) or np.any(pred < 0):
        raise ValueError("confusion_matrix: labels and predictions must be non-negative")
    top = int(max(lab.max(initial=-1), pred.max(initial=-1))) + 1
    n = top if num_classes is None else int(num_classes)
    if top > n:
        raise ValueError(f"confusion_matrix: a label or prediction {top - 1} is not below "
                         f"num_classes={n}")
    w = np.ones(lab.shape) if weights is None else np.broadcast_to(_np(weights), lab.shape)
    out = np.zeros((n, n), dtype=np.float64)
    np.add.at(out, (lab, pred), w)
    return constant(out.astype(dtype))


def in_top_k(targets: Any, predictions: Any, k: int) -> Tensor:
    """TensorFlow's ``tf.math.in_top_k``: whether each row's target class is among its ``k``
    largest predictions (classes tied at the boundary all count as in; a non-finite target
    prediction is not).

    >>> import workbench as wb
    >>> wb.math.in_top_k([1, 0], wb.constant([[0.1, 0.5, 0.4], [0.3, 0.5, 0.2]]), 1).numpy()
    array([ True, False])
    """
    pred = _np(predictions)
    tgt = _ints(targets, "in_top_k", "targets").reshape(-1)
    if pred.ndim != 2 or pred.shape[0] != tgt.size:
        raise ValueError(f"in_top_k: predictions must be a (batch, classes) matrix with one row "
                         f"per target, got {pred.shape} for {tgt.size} targets")
    bad = np.flatnonzero((tgt < 0) | (tgt >= pred.shape[1]))
    if bad.size:
        raise IndexError(f"in_top_k: targets[{bad[0]}] = {tgt[bad[0]]} is not a class index "
                         f"below {pred.shape[1]}")
    chosen = pred[np.arange(tgt.size), tgt]
    above = np.sum(pred > chosen[:, None], axis=1)
    return constant(np.isfinite(chosen) & (above < int(k)))


def histogram_fixed_width(values: Any, value_range: Any, nbins: int = 100,
                          dtype: Any = np.int32) -> Tensor:
    """TensorFlow's ``tf.histogram_fixed_width``: counts in ``nbins`` equal bins spanning
    ``value_range``; values below or above the range fall in the first or last bin.

    >>> import workbench as wb
    >>> wb.histogram_fixed_width(wb.constant([-1.0, 0.0, 0.5, 1.0, 2.0, 5.0]), [0.0, 2.0], 4).numpy()
    array([2, 1, 1, 2], dtype=int32)
    """
    lo, hi = (float(v) for v in _np(value_range).reshape(-1))
    if not hi > lo:
        raise ValueError(f"histogram_fixed_width: value_range must be increasing, got {[lo, hi]}")
    v = _np(values).astype(np.float64).reshape(-1)
    bins = np.clip(np.floor((v - lo) / (hi - lo) * int(nbins)), 0, int(nbins) - 1).astype(int)
    return constant(np.bincount(bins, minlength=int(nbins)).astype(dtype))


def sequence_mask(lengths: Any, maxlen: int | None = None, dtype: Any = bool) -> Tensor:
    """TensorFlow's ``tf.sequence_mask``: ``mask[..., j] = j < lengths[...]``; ``maxlen``
    defaults to the largest length.

    >>> import workbench as wb
    >>> wb.sequence_mask([1, 3], 4).numpy()
    array([[ True, False, False, False],
           [ True,  True,  True, False]])
    """
    n = _ints(lengths, "sequence_mask", "lengths")
    width = int(n.max(initial=0)) if maxlen is None else int(maxlen)
    return constant((np.arange(width) < n[..., None]).astype(dtype))


def reverse_sequence(input: Any, seq_lengths: Any, seq_axis: int = 1,
                     batch_axis: int = 0) -> Tensor:
    """TensorFlow's ``tf.reverse_sequence``: along ``seq_axis``, the first ``seq_lengths[b]``
    entries of batch entry ``b`` reversed, the rest kept (differentiable).

    >>> import workbench as wb
    >>> wb.reverse_sequence(wb.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), [2, 3]).numpy()
    array([[2., 1., 3.],
           [6., 5., 4.]])
    """
    x = constant(input)
    seq = normalize_axis_index(seq_axis, x.ndim, "seq_axis")
    bat = normalize_axis_index(batch_axis, x.ndim, "batch_axis")
    lengths = _ints(seq_lengths, "reverse_sequence", "seq_lengths").reshape(-1)
    if seq == bat or lengths.size != x.shape[bat]:
        raise ValueError(f"reverse_sequence: need distinct axes and one length per batch entry "
                         f"({x.shape[bat]}), got {lengths.size} lengths")
    if np.any((lengths < 0) | (lengths > x.shape[seq])):
        raise ValueError(f"reverse_sequence: seq_lengths must lie in [0, {x.shape[seq]}], "
                         f"got {lengths}")
    j = np.arange(x.shape[seq])[None, :]
    n = lengths[:, None]
    source = np.where(j < n, n - 1 - j, j)  # (batch, seq)
    grid = list(np.ogrid[tuple(slice(d) for d in x.shape)])
    shape = [1] * x.ndim
    shape[bat], shape[seq] = x.shape[bat], x.shape[seq]
    grid[seq] = (source if bat < seq else source.T).reshape(shape)
    grid[bat] = np.arange(x.shape[bat]).reshape([-1 if k == bat else 1 for k in range(x.ndim)])
    return sh.getitem(x, tuple(grid))


class UniqueWithCounts(NamedTuple):
    """``tf.unique_with_counts``'s result: ``y``, ``idx`` and how often each value occurs."""

    y: Tensor
    idx: Tensor
    count: Tensor


def _first_seen(x: Tensor, out_idx: Any) -> tuple[Tensor, np.ndarray, np.ndarray]:
    values = _np(x)
    if values.ndim != 1:
        raise ValueError(f"unique: x must be a vector, got shape {values.shape}")
    _, first, inverse, counts = np.unique(values, return_index=True, return_inverse=True,
                                          return_counts=True)
    order = np.argsort(first)
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    y = sh.getitem(x, (first[order],))
    return y, rank[inverse.reshape(-1)].astype(out_idx), counts[order].astype(out_idx)


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False,
           return_counts: bool = False, axis: int | None = None, *, equal_nan: bool = True,
           sorted: bool = True) -> Any:
    """NumPy's ``np.unique``: the sorted distinct values (and the arrays asked for). The values
    are the input's elements picked at their first occurrence, so their gradient reaches those
    elements. TensorFlow's ``tf.unique`` (first-appearance order, ``(y, idx)``) is
    ``unique_with_counts(x)[:2]``: NumPy's name wins at the top level, as for ``where``.

    >>> import workbench as wb
    >>> wb.unique([3, 1, 3, 2]).numpy()
    array([1, 2, 3])
    >>> y, idx, count = wb.unique_with_counts([3, 1, 3, 2])
    >>> y.numpy(), idx.numpy()
    (array([3, 1, 2]), array([0, 1, 0, 2], dtype=int32))
    """
    x = constant(ar)
    _, first, *rest = np.unique(x.numpy(), True, return_inverse, return_counts, axis,
                                equal_nan=equal_nan, sorted=sorted)
    if axis is None:
        picked = sh.getitem(sh.reshape(x, (-1,)), first)
    else:
        picked = sh.getitem(x, (slice(None),) * normalize_axis_index(axis, x.ndim) + (first,))
    out = [picked] + ([constant(first)] if return_index else []) + [constant(r) for r in rest]
    return tuple(out) if len(out) > 1 else picked


def unique_with_counts(x: Any, out_idx: Any = np.int32) -> UniqueWithCounts:
    """``tf.unique_with_counts``: the distinct values of a vector in order of first appearance
    (``y``), the index of each element's value in ``y`` (``idx``) and each value's ``count``.

    >>> import workbench as wb
    >>> wb.unique_with_counts([3, 1, 3]).count.numpy()
    array([2, 1], dtype=int32)
    """
    y, idx, counts = _first_seen(constant(x), out_idx)
    return UniqueWithCounts(y, constant(idx), constant(counts))


def cumulative_logsumexp(x: Any, axis: int = 0, exclusive: bool = False,
                         reverse: bool = False) -> Tensor:
    """TensorFlow's ``tf.math.cumulative_logsumexp``: ``log(cumsum(exp(x)))`` along ``axis``
    without overflow or underflow (a scan of ``logaddexp``; differentiable at every order).
    ``exclusive`` starts each sum empty (``-inf``); ``reverse`` runs from the end.

    >>> import workbench as wb
    >>> [round(float(v), 4) for v in wb.math.cumulative_logsumexp([-1000.0, 0.0, 0.0])]
    [-1000.0, 0.0, 0.6931]
    """
    x = constant(x)
    axis = normalize_axis_index(axis, x.ndim)
    if x.shape[axis] == 0:
        return x
    if reverse:
        return _flip(cumulative_logsumexp(_flip(x, axis), axis, exclusive), axis)
    y = _scan_mul(x, axis, combine=logaddexp)
    return _shift_in(y, axis, -np.inf) if exclusive else y


def polyval(coeffs: Sequence[Any], x: Any) -> Tensor:
    """TensorFlow's ``tf.math.polyval``: ``coeffs[0] * x**(n-1) + ... + coeffs[n-1]`` by Horner's
    rule; ``coeffs`` is a list of tensors (each broadcasting with ``x``), all differentiable.

    >>> import workbench as wb
    >>> float(wb.math.polyval([1.0, 2.0, 3.0], wb.constant(2.0)))
    11.0
    """
    x = constant(x)
    if isinstance(coeffs, Tensor | np.ndarray):
        coeffs = [coeffs[i] for i in range(coeffs.shape[0])]
    if len(coeffs) == 0:
        return ew.mul(x, 0)
    out = constant(coeffs[0])
    for c in coeffs[1:]:
        out = ew.add(ew.mul(out, x), c)
    return out

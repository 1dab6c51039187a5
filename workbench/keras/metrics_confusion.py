"""Keras's confusion-matrix metrics: Precision, Recall and AUC (ROC or PR, Riemann sums over
``num_thresholds`` thresholds), their counts kept in Variables and updated with ops."""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.keras.loss_base import EPSILON
from workbench.keras.metric_base import _F64, Metric, _t
from workbench.ops import elementwise as ew
from workbench.ops import nn, sorting
from workbench.ops import reduce as red
from workbench.ops import shape as sh
from workbench.tensor import Tensor, Variable

_COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


def _ratio(a: Tensor, b: Tensor) -> Tensor:
    """``a / b``, 0 where ``b`` is 0 (``divide_no_nan``)."""
    zero = b == 0.0
    return ew.where(zero, 0.0, ew.div(a, ew.where(zero, 1.0, b)))


class _Confusion(Metric):
    """Weighted counts of true/false positives/negatives at each threshold (``p > t``)."""

    def __init__(self, thresholds: Any, top_k: int | None = None, class_id: int | None = None,
                 name: str | None = None, dtype: Any = None):
        super().__init__(name, dtype)
        self.thresholds = np.asarray(thresholds, dtype=np.float64).reshape(-1)
        self.top_k = None if top_k is None else int(top_k)
        self.class_id = None if class_id is None else int(class_id)
        for key in _COUNTS:
            setattr(self, key, Variable(np.zeros(self.thresholds.shape), trainable=False,
                                        name=f"{self.name}/{key}", dtype=_F64))

    def _scores(self, y_pred: Tensor) -> Tensor:
        return y_pred

    def update_state(self, y_true: Any, y_pred: Any = None, sample_weight: Any = None) -> None:
        p = ew.cast(self._scores(_t(y_pred)), _F64)
        t = _t(y_true)
        if t.size != p.size:
            raise ValueError(f"{type(self).__name__}: y_true has shape {t.shape} but y_pred has "
                             f"shape {p.shape}; give one label per prediction")
        t = ew.cast(sh.reshape(t, p.shape) > 0, _F64)  # labels are booleans, as in Keras
        w = None if sample_weight is None else \
            sh.broadcast_to(ew.cast(_t(sample_weight), _F64), p.shape)
        if self.top_k is not None:  # only each row's k largest scores can be positive
            kth = sorting.top_k(p, self.top_k)[0][..., -1:]
            p = ew.where(p >= kth, p, -np.inf)
        if self.class_id is not None:
            p, t = p[..., self.class_id], t[..., self.class_id]
            w = None if w is None else w[..., self.class_id]
        p, t = sh.reshape(p, (-1, 1)), sh.reshape(t, (-1, 1))
        above = ew.cast(p > self.thresholds, _F64)
        below = ew.sub(1.0, above)
        neg = ew.sub(1.0, t)
        weight = (lambda x: x) if w is None else (lambda x: ew.mul(x, sh.reshape(w, (-1, 1))))
        for var, hit in ((self.true_positives, ew.mul(t, above)),
                         (self.false_positives, ew.mul(neg, above)),
                         (self.true_negatives, ew.mul(neg, below)),
                         (self.false_negatives, ew.mul(t, below))):
            var.assign_add(red.sum(weight(hit), axis=0))

    def reset_state(self) -> None:
        for key in _COUNTS:
            getattr(self, key).assign(np.zeros(self.thresholds.shape))

    def _value(self, value: Tensor) -> Tensor:
        value = ew.cast(value, self.dtype)
        return value[0] if self._single else value

    _single = True


class Precision(_Confusion):
    """``tp / (tp + fp)`` with predictions above ``thresholds`` (0.5, none with ``top_k``; a
    list gives one value each) counted positive; ``class_id`` picks one column, ``top_k`` keeps
    each row's k largest.

    >>> m = Precision(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(float(m.result()), 4)
    0.6667
    """

    def __init__(self, thresholds: Any = None, top_k: int | None = None,
                 class_id: int | None = None, name: str | None = None, dtype: Any = None):
        self._single = thresholds is None or np.ndim(thresholds) == 0
        if thresholds is None:  # with top_k, each row's k largest count, however small
            thresholds = 0.5 if top_k is None else -np.inf
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self) -> Tensor:
        return self._value(_ratio(self.true_positives,
                                  ew.add(self.true_positives, self.false_positives)))

    def get_config(self) -> dict[str, Any]:
        thresholds = float(self.thresholds[0]) if self._single else self.thresholds.tolist()
        return {**super().get_config(), "thresholds": thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Recall(Precision):
    """``tp / (tp + fn)``; arguments as ``Precision``.

    >>> m = Recall(); m.update_state([0, 1, 1, 1], [1, 0, 1, 1]); round(float(m.result()), 4)
    0.6667
    """

    def result(self) -> Tensor:
        return self._value(_ratio(self.true_positives,
                                  ew.add(self.true_positives, self.false_negatives)))


class AUC(_Confusion):
    """Area under the ROC (``curve="ROC"``) or precision-recall (``"PR"``) curve: counts at
    ``num_thresholds`` (200) thresholds evenly spaced over [0, 1] (or ``thresholds``), then a
    Riemann sum: ``"interpolation"`` (trapezoids; for PR the interpolation of Davis &
    Goadrich), ``"minoring"`` or ``"majoring"``. ``from_logits`` applies a sigmoid first.

    >>> m = AUC(); m.update_state([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); float(m.result())
    0.75
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC",
                 summation_method: str = "interpolation", name: str | None = None,
                 dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: int | None = None, label_weights: Any = None,
                 from_logits: bool = False):
        if multi_label or label_weights is not None:
            raise NotImplementedError("AUC: multi_label and label_weights are not supported; "
                                      "use one AUC per label")
        self.curve, self.summation_method = curve.upper(), summation_method.lower()
        if self.curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if self.summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError("AUC: summation_method must be 'interpolation', 'minoring' or "
                             f"'majoring', got {summation_method!r}")
        if thresholds is not None:
            inner = sorted(float(v) for v in np.reshape(thresholds, -1))
        else:
            if int(num_thresholds) <= 1:
                raise ValueError(f"AUC: num_thresholds must be an integer > 1, got "
                                 f"{num_thresholds}")
            n = int(num_thresholds)
            inner = [(i + 1) / (n - 1) for i in range(n - 2)]
        self.num_thresholds = len(inner) + 2
        self.from_logits = bool(from_logits)
        self._given_thresholds = thresholds
        super().__init__([0.0 - EPSILON, *inner, 1.0 + EPSILON], name=name or "auc",
                         dtype=dtype)

    def _scores(self, y_pred: Tensor) -> Tensor:
        return nn.sigmoid(y_pred) if self.from_logits else y_pred

    def result(self) -> Tensor:
        tp, fp, tn, fn = (getattr(self, key) for key in _COUNTS)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return ew.cast(self._interpolated_pr(tp, fp, fn), self.dtype)
        recall = _ratio(tp, ew.add(tp, fn))
        if self.curve == "ROC":
            x, y = _ratio(fp, ew.add(fp, tn)), recall
        else:
            x, y = recall, _ratio(tp, ew.add(tp, fp))
        left, right = y[:-1], y[1:]
        if self.summation_method == "interpolation":
            heights = ew.div(ew.add(left, right), 2.0)
        elif self.summation_method == "minoring":
            heights = ew.minimum(left, right)
        else:
            heights = ew.maximum(left, right)
        return ew.cast(red.sum(ew.mul(ew.sub(x[:-1], x[1:]), heights)), self.dtype)

    @staticmethod
    def _interpolated_pr(tp: Tensor, fp: Tensor, fn: Tensor) -> Tensor:
        """Precision interpolated linearly in the number of positive predictions between
        thresholds, integrated in closed form (Davis & Goadrich 2006)."""
        dtp = ew.sub(tp[:-1], tp[1:])
        p = ew.add(tp, fp)
        dp = ew.sub(p[:-1], p[1:])
        slope = _ratio(dtp, ew.maximum(dp, 0.0))
        intercept = ew.sub(tp[1:], ew.mul(slope, p[1:]))
        both = ew.cast(p[:-1] > 0, _F64) * ew.cast(p[1:] > 0, _F64)
        ratio = ew.where(both > 0, _ratio(p[:-1], ew.maximum(p[1:], 0.0)), 1.0)
        increment = _ratio(ew.mul(slope, ew.add(dtp, ew.mul(intercept, ew.log(ratio)))),
                           ew.maximum(ew.add(tp[1:], fn[1:]), 0.0))
        return red.sum(increment)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "num_thresholds": self.num_thresholds,
                "curve": self.curve, "summation_method": self.summation_method,
                "thresholds": self._given_thresholds, "from_logits": self.from_logits}

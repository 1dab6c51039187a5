"""More Keras losses and metrics against NumPy formulas written from their definitions; loss
gradients against central differences; reductions, configs and errors."""

from __future__ import annotations

import numpy as np
import pytest

import workbench as wb
from workbench.keras import losses, metrics

RNG = np.random.default_rng(21)
EPS = 1e-7


def _probs(shape):
    x = RNG.random(shape) + 0.05
    return x / x.sum(axis=-1, keepdims=True)


def _np_huber(t, p, delta=1.0):
    e = p - t
    a = np.abs(e)
    return np.mean(np.where(a <= delta, 0.5 * e**2, delta * (a - 0.5 * delta)), axis=-1)


def _np_hinge_labels(t):
    return 2 * t - 1 if np.isin(t, (0, 1)).all() else t


def _np_cos(t, p):
    tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
    pn = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return -(tn * pn).sum(-1)


def _np_focal(t, p, gamma=2.0, alpha=0.25, balance=False):
    q = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(q) + (1 - t) * np.log(1 - q))
    pt = t * p + (1 - t) * (1 - p)
    out = (1 - pt) ** gamma * bce
    if balance:
        out = out * (t * alpha + (1 - t) * (1 - alpha))
    return out.mean(-1)


REAL_T, REAL_P = RNG.normal(size=(6, 4)) * 2, RNG.normal(size=(6, 4)) * 2
POS_T, POS_P = RNG.random((6, 4)) * 3 + 0.1, RNG.random((6, 4)) * 3 + 0.1
PT, PP = _probs((6, 4)), _probs((6, 4))
SIGN_T = RNG.choice([-1.0, 1.0], size=(6, 4))
BIN_T = RNG.integers(0, 2, size=(6, 4)).astype(float)
ONEHOT = np.eye(4)[RNG.integers(0, 4, size=6)]
PROB01 = RNG.random((6, 4)) * 0.98 + 0.01

CASES = [
    ("huber", lambda t, p: losses.huber(t, p), _np_huber, REAL_T, REAL_P),
    ("huber_delta", lambda t, p: losses.huber(t, p, delta=2.5),
     lambda t, p: _np_huber(t, p, 2.5), REAL_T, REAL_P),
    ("kl_divergence", losses.kl_divergence,
     lambda t, p: (t * np.log(t / p)).sum(-1), PT, PP),
    ("log_cosh", losses.log_cosh, lambda t, p: np.log(np.cosh(p - t)).mean(-1), REAL_T, REAL_P),
    ("poisson", losses.poisson, lambda t, p: (p - t * np.log(p + EPS)).mean(-1), POS_T, POS_P),
    ("hinge_signs", losses.hinge,
     lambda t, p: np.maximum(1 - t * p, 0).mean(-1), SIGN_T, REAL_P),
    ("hinge_binary", losses.hinge,
     lambda t, p: np.maximum(1 - _np_hinge_labels(t) * p, 0).mean(-1), BIN_T, REAL_P),
    ("squared_hinge", losses.squared_hinge,
     lambda t, p: (np.maximum(1 - _np_hinge_labels(t) * p, 0) ** 2).mean(-1), BIN_T, REAL_P),
    ("categorical_hinge", losses.categorical_hinge,
     lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0), ONEHOT, REAL_P),
    ("cosine_similarity", losses.cosine_similarity, _np_cos, REAL_T, REAL_P),
    ("mape", losses.mape, lambda t, p: 100 * np.abs((t - p) / np.abs(t)).mean(-1),
     REAL_T, REAL_P),
    ("msle", losses.msle, lambda t, p: ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1),
     POS_T, POS_P),
    ("focal", losses.binary_focal_crossentropy, _np_focal, BIN_T, PROB01),
    ("focal_balanced", lambda t, p: losses.binary_focal_crossentropy(
        t, p, apply_class_balancing=True, gamma=1.5, alpha=0.4),
     lambda t, p: _np_focal(t, p, 1.5, 0.4, True), BIN_T, PROB01),
]


@pytest.mark.parametrize("name, fn, ref, t, p", CASES, ids=[c[0] for c in CASES])
def test_loss_functions_match_numpy(name, fn, ref, t, p):
    np.testing.assert_allclose(fn(t, p).numpy(), ref(t, p), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, fn, ref, t, p", CASES, ids=[c[0] for c in CASES])
def test_loss_gradients_match_central_differences(name, fn, ref, t, p):
    x = wb.Variable(p.copy())
    with wb.GradientTape() as tape:
        total = wb.reduce_sum(fn(t, x))
    grad = tape.gradient(total, x).numpy()
    h, numeric = 1e-6, np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        up, down = p.copy(), p.copy()
        up[idx] += h
        down[idx] -= h
        numeric[idx] = (ref(t, up).sum() - ref(t, down).sum()) / (2 * h)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-6)


def test_log_cosh_is_finite_for_large_errors():
    value = losses.log_cosh([[0.0]], [[800.0]]).numpy()
    np.testing.assert_allclose(value, [800.0 - np.log(2.0)], rtol=1e-12)


CLASSES = [
    (losses.Huber, losses.huber, {"delta": 0.7}, REAL_T, REAL_P),
    (losses.KLDivergence, losses.kl_divergence, {}, PT, PP),
    (losses.LogCosh, losses.log_cosh, {}, REAL_T, REAL_P),
    (losses.Poisson, losses.poisson, {}, POS_T, POS_P),
    (losses.Hinge, losses.hinge, {}, BIN_T, REAL_P),
    (losses.SquaredHinge, losses.squared_hinge, {}, BIN_T, REAL_P),
    (losses.CategoricalHinge, losses.categorical_hinge, {}, ONEHOT, REAL_P),
    (losses.CosineSimilarity, losses.cosine_similarity, {"axis": -1}, REAL_T, REAL_P),
    (losses.MeanAbsolutePercentageError, losses.mape, {}, REAL_T, REAL_P),
    (losses.MeanSquaredLogarithmicError, losses.msle, {}, POS_T, POS_P),
    (losses.BinaryFocalCrossentropy, losses.binary_focal_crossentropy, {"gamma": 3.0},
     BIN_T, PROB01),
]


@pytest.mark.parametrize("cls, fn, kwargs, t, p", CLASSES, ids=[c[0].__name__ for c in CLASSES])
def test_loss_classes_reduce_and_round_trip(cls, fn, kwargs, t, p):
    per = fn(t, p, **kwargs).numpy()
    loss = cls(**kwargs)
    np.testing.assert_allclose(float(loss(t, p)), per.mean(), rtol=1e-12)
    np.testing.assert_allclose(float(cls(reduction="sum", **kwargs)(t, p)), per.sum(), rtol=1e-12)
    np.testing.assert_allclose(cls(reduction="none", **kwargs)(t, p).numpy(), per, rtol=1e-12)
    w = RNG.random(per.shape[0])
    np.testing.assert_allclose(float(loss(t, p, sample_weight=w)), (per * w).mean(), rtol=1e-12)
    config = loss.get_config()
    again = cls.from_config(config)
    assert again.get_config() == config
    np.testing.assert_allclose(float(again(t, p)), per.mean(), rtol=1e-12)


def test_keras_default_names_and_arguments():
    assert losses.Huber().get_config() == {"name": "huber_loss",
                                           "reduction": "sum_over_batch_size", "delta": 1.0}
    assert losses.Huber(2.0).get_config()["delta"] == 2.0
    assert losses.KLDivergence().name == "kl_divergence"
    focal = losses.BinaryFocalCrossentropy().get_config()
    assert focal["alpha"] == 0.25 and focal["gamma"] == 2.0 and focal["from_logits"] is False
    with pytest.raises(TypeError, match="delta"):
        losses.Huber(beta=1.0)
    with pytest.raises(ValueError, match="reduction"):
        losses.Huber(reduction="mean")


def test_names_resolve_through_get():
    for name, fn in (("huber", losses.huber), ("kld", losses.kl_divergence),
                     ("logcosh", losses.log_cosh), ("mape", losses.mape), ("msle", losses.msle),
                     ("poisson", losses.poisson), ("squared_hinge", losses.squared_hinge)):
        assert losses.get(name) is fn
    with pytest.raises(ValueError, match="unknown loss"):
        losses.get("hubber")


def test_label_smoothing_on_the_crossentropies():
    s = 0.2
    t = ONEHOT
    smooth = t * (1 - s) + s / t.shape[-1]
    want = -(smooth * np.log(PP)).sum(-1)
    got = losses.categorical_crossentropy(t, PP, label_smoothing=s).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-10)
    logits = RNG.normal(size=(6, 4))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    np.testing.assert_allclose(
        float(losses.CategoricalCrossentropy(from_logits=True, label_smoothing=s)(t, logits)),
        -(smooth * logp).sum(-1).mean(), rtol=1e-10)
    bt = t * (1 - s) + 0.5 * s
    q = PROB01
    want = -(bt * np.log(q) + (1 - bt) * np.log(1 - q)).mean(-1)
    np.testing.assert_allclose(losses.binary_crossentropy(t, q, label_smoothing=s).numpy(), want,
                               rtol=1e-10)
    with pytest.raises(ValueError, match="label_smoothing"):
        losses.binary_crossentropy(t, q, label_smoothing=1.5)


def test_model_compiles_with_the_new_losses():
    model = wb.keras.Sequential([wb.keras.layers.Dense(2, input_shape=(3,))])
    x, y = RNG.normal(size=(16, 3)), RNG.normal(size=(16, 2))
    for loss in ("huber", "log_cosh", losses.Huber(delta=0.5)):
        model.compile(optimizer="sgd", loss=loss)
        assert np.isfinite(model.evaluate(x, y, verbose=0))


# --- metrics ----------------------------------------------------------------------------------
def test_loss_metrics_are_running_means():
    for cls, fn in ((metrics.MeanSquaredError, lambda t, p: ((t - p) ** 2).mean(-1)),
                    (metrics.MeanAbsoluteError, lambda t, p: np.abs(t - p).mean(-1)),
                    (metrics.LogCoshError, lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
                    (metrics.CosineSimilarity, lambda t, p: -_np_cos(t, p))):
        m = cls(dtype="float64")
        m.update_state(REAL_T[:3], REAL_P[:3])
        m.update_state(REAL_T[3:], REAL_P[3:])
        np.testing.assert_allclose(float(m.result()), fn(REAL_T, REAL_P).mean(), rtol=1e-12)
        m.reset_state()
        assert float(m.result()) == 0.0


def test_crossentropy_metrics_take_their_arguments():
    m = metrics.BinaryCrossentropy(from_logits=True, dtype="float64")
    logits = RNG.normal(size=(6, 4))
    m.update_state(BIN_T, logits)
    want = (np.logaddexp(0, logits) - BIN_T * logits).mean()
    np.testing.assert_allclose(float(m.result()), want, rtol=1e-10)
    assert m.get_config()["from_logits"] is True
    with pytest.raises(TypeError, match="unexpected"):
        metrics.MeanSquaredError(from_logits=True)


def test_root_mean_squared_error_and_sum():
    m = metrics.RootMeanSquaredError(dtype="float64")
    m.update_state(REAL_T, REAL_P)
    np.testing.assert_allclose(float(m.result()), np.sqrt(((REAL_T - REAL_P) ** 2).mean()),
                               rtol=1e-12)
    w = RNG.random(REAL_T.shape)
    m.reset_state()
    m.update_state(REAL_T, REAL_P, sample_weight=w)
    np.testing.assert_allclose(float(m.result()),
                               np.sqrt((w * (REAL_T - REAL_P) ** 2).sum() / w.sum()), rtol=1e-12)
    s = metrics.Sum(dtype="float64")
    s.update_state([1.0, 2.0])
    s.update_state([4.0], sample_weight=[0.5])
    assert float(s.result()) == pytest.approx(5.0)


def _np_in_top_k(labels, scores, k):
    target = scores[np.arange(len(labels)), labels]
    return ((scores > target[:, None]).sum(-1) < k).astype(float)


def test_top_k_accuracies():
    scores = RNG.normal(size=(20, 6))
    labels = RNG.integers(0, 6, size=20)
    for k in (1, 3, 5):
        want = _np_in_top_k(labels, scores, k).mean()
        m = metrics.SparseTopKCategoricalAccuracy(k=k, dtype="float64")
        m.update_state(labels, scores)
        assert float(m.result()) == pytest.approx(want)
        m = metrics.TopKCategoricalAccuracy(k=k, dtype="float64")
        m.update_state(np.eye(6)[labels], scores)
        assert float(m.result()) == pytest.approx(want)
    assert metrics.TopKCategoricalAccuracy().k == 5
    assert metrics.get("top_k_categorical_accuracy").name == "top_k_categorical_accuracy"


def _np_counts(t, p, thresholds, w=None):
    w = np.ones_like(p) if w is None else w
    above = p.reshape(-1, 1) > np.asarray(thresholds).reshape(1, -1)
    t, w = t.reshape(-1, 1) > 0, w.reshape(-1, 1)
    return ((w * (t & above)).sum(0), (w * (~t & above)).sum(0),
            (w * (~t & ~above)).sum(0), (w * (t & ~above)).sum(0))


def test_precision_recall_against_counts():
    t = RNG.integers(0, 2, size=(30, 3)).astype(float)
    p = RNG.random((30, 3))
    w = RNG.random((30, 3))
    for thresholds in (None, 0.3, [0.2, 0.5, 0.9]):
        th = 0.5 if thresholds is None else thresholds
        tp, fp, _, fn = _np_counts(t, p, np.atleast_1d(th), w)
        prec, rec = metrics.Precision(thresholds, dtype="float64"), \
            metrics.Recall(thresholds, dtype="float64")
        for m in (prec, rec):
            m.update_state(t[:10], p[:10], sample_weight=w[:10])
            m.update_state(t[10:], p[10:], sample_weight=w[10:])
        want_p, want_r = tp / (tp + fp), tp / (tp + fn)
        if np.ndim(th) == 0:
            want_p, want_r = want_p[0], want_r[0]
        np.testing.assert_allclose(prec.result().numpy(), want_p, rtol=1e-12)
        np.testing.assert_allclose(rec.result().numpy(), want_r, rtol=1e-12)
    m = metrics.Precision(class_id=1, dtype="float64")
    m.update_state(t, p)
    tp, fp, _, _ = _np_counts(t[:, 1], p[:, 1], [0.5])
    np.testing.assert_allclose(float(m.result()), tp[0] / (tp[0] + fp[0]), rtol=1e-12)


def test_precision_top_k_counts_only_each_rows_largest():
    t = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    p = np.array([[0.9, 0.8, 0.7], [0.6, 0.95, 0.9]])
    m = metrics.Precision(top_k=1, dtype="float64")
    m.update_state(t, p)
    assert float(m.result()) == pytest.approx(1.0)  # the top-1 of both rows is a positive
    m = metrics.Recall(top_k=1, dtype="float64")
    m.update_state(t, p)
    assert float(m.result()) == pytest.approx(2 / 3)
    # with top_k and no thresholds, a small top score still counts as positive
    m = metrics.Precision(top_k=2, dtype="float64")
    m.update_state([[0.0, 1.0, 0.0]], [[0.05, 0.1, 0.01]])
    assert float(m.result()) == pytest.approx(0.5)
    m = metrics.Precision(top_k=2, thresholds=0.5, dtype="float64")
    m.update_state([[0.0, 1.0, 0.0]], [[0.05, 0.9, 0.01]])
    assert float(m.result()) == pytest.approx(1.0)


def _np_roc_auc(t, p, n=200):
    th = np.array([-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS])
    tp, fp, tn, fn = _np_counts(t, p, th)
    tpr, fpr = tp / (tp + fn), fp / (fp + tn)
    return np.sum((fpr[:-1] - fpr[1:]) * (tpr[:-1] + tpr[1:]) / 2)


def _exact_auc(t, p):
    pos, neg = p[t > 0], p[t == 0]
    return ((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())


def test_auc_roc_is_the_trapezoid_over_200_thresholds():
    t = RNG.integers(0, 2, size=300).astype(float)
    p = np.clip(0.3 * t + RNG.random(300) * 0.7, 0, 1)
    m = metrics.AUC(dtype="float64")
    m.update_state(t[:100], p[:100])
    m.update_state(t[100:], p[100:])
    np.testing.assert_allclose(float(m.result()), _np_roc_auc(t, p), rtol=1e-12)
    assert abs(float(m.result()) - _exact_auc(t, p)) < 0.01  # the thresholds are fine enough
    logits = np.log(p + 1e-3) - np.log(1 - p + 1e-3)
    m = metrics.AUC(from_logits=True, dtype="float64")
    m.update_state(t, logits)
    np.testing.assert_allclose(float(m.result()),
                               _np_roc_auc(t, 1 / (1 + np.exp(-logits))), rtol=1e-12)


def test_auc_pr_and_riemann_variants():
    t = RNG.integers(0, 2, size=200).astype(float)
    p = np.clip(0.4 * t + RNG.random(200) * 0.6, 0, 1)
    n = 50
    th = np.array([-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS])
    tp, fp, _, fn = _np_counts(t, p, th)
    with np.errstate(invalid="ignore", divide="ignore"):
        prec = np.nan_to_num(tp / (tp + fp))
    rec = tp / (tp + fn)
    m = metrics.AUC(num_thresholds=n, curve="PR", summation_method="minoring", dtype="float64")
    m.update_state(t, p)
    want = np.sum((rec[:-1] - rec[1:]) * np.minimum(prec[:-1], prec[1:]))
    np.testing.assert_allclose(float(m.result()), want, rtol=1e-12)
    # the interpolated PR curve: integrate tp/(tp+fp) with tp linear in the positives p
    m = metrics.AUC(num_thresholds=n, curve="PR", dtype="float64")
    m.update_state(t, p)
    area, total = 0.0, tp[0] + fn[0]
    for i in range(n - 1):
        p0, p1 = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
        if p0 == p1:
            continue
        grid = np.linspace(max(p1, 1e-9), p0, 2001)  # from no positive predictions: tp/p -> slope
        slope = (tp[i] - tp[i + 1]) / (p0 - p1)
        prec_line = (tp[i + 1] + slope * (grid - p1)) / grid
        area += np.trapezoid(prec_line, grid) * slope / total
    np.testing.assert_allclose(float(m.result()), area, rtol=1e-6)
    with pytest.raises(ValueError, match="curve"):
        metrics.AUC(curve="PRGAIN")
    with pytest.raises(ValueError, match="num_thresholds"):
        metrics.AUC(num_thresholds=1)


def test_confusion_metric_shape_mismatch_is_clear():
    with pytest.raises(ValueError, match="shape"):
        metrics.Precision().update_state([1, 0, 1], [[0.5, 0.2]])


def test_metrics_in_compile_and_fit():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(64, 4))
    y = (x[:, :1] > 0).astype(float)
    model = wb.keras.Sequential([wb.keras.layers.Dense(1, activation="sigmoid",
                                                       input_shape=(4,))])
    model.compile(optimizer=wb.keras.optimizers.Adam(0.05), loss="binary_crossentropy",
                  metrics=[metrics.AUC(), metrics.Precision(), "recall", "mse"])
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    assert set(history.history) >= {"loss", "auc", "precision", "recall", "mse"}
    assert history.history["auc"][-1] > 0.8

"""The count, constraint and F-score metrics beyond the Keras golden values: names in `get`, counts and F-scores
against counts written out independently, unbuilt and mismatched F-score states, and array results in `fit` logs."""

import numpy as np
import pytest

import minikeras as mk
from minikeras import metrics

COUNTS = {
    metrics.TruePositives: (True, True),
    metrics.FalsePositives: (False, True),
    metrics.TrueNegatives: (False, False),
    metrics.FalseNegatives: (True, False),
}


# ------------------------------------------------------------------ names
@pytest.mark.parametrize(
    "name, cls",
    [
        ("true_positives", metrics.TruePositives),
        ("false_positives", metrics.FalsePositives),
        ("true_negatives", metrics.TrueNegatives),
        ("false_negatives", metrics.FalseNegatives),
        ("f1_score", metrics.F1Score),
        ("f_beta_score", metrics.FBetaScore),
        ("TruePositives", metrics.TruePositives),
        ("F1Score", metrics.F1Score),
    ],
)
def test_keras_names_give_the_metrics(name, cls):
    metric = metrics.get(name)
    assert type(metric) is cls
    assert metric.name == cls().name  # `get` alone: the class's default name, as keras.metrics.get
    # Keras's compile logs a metric given by a string under that string ("f_beta_score", "TruePositives").
    assert metrics.resolve(name, (4, 3), (4, 3)).name == name


@pytest.mark.parametrize(
    "name, argument",
    [
        ("precision_at_recall", "recall"),
        ("recall_at_precision", "precision"),
        ("sensitivity_at_specificity", "specificity"),
        ("specificity_at_sensitivity", "sensitivity"),
    ],
)
def test_names_of_metrics_needing_a_constraint_raise_as_keras(name, argument):
    # Keras knows the name but cannot make the metric without its constraint: a TypeError naming the argument.
    with pytest.raises(TypeError, match=argument):
        metrics.get(name)


@pytest.mark.parametrize(
    "metric",
    [
        metrics.PrecisionAtRecall(0.5),
        metrics.RecallAtPrecision(0.5),
        metrics.SensitivityAtSpecificity(0.5),
        metrics.SpecificityAtSensitivity(0.5),
        metrics.F1Score(),
        metrics.FBetaScore(),
    ],
)
def test_larger_is_better(metric):
    assert metric.direction == "up"


# ------------------------------------------------------------------ counts
def _data(seed, shape=(20, 3)):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=shape).astype(np.float32)
    y_pred = rng.uniform(size=shape).astype(np.float32)
    return y_true, y_pred, rng


@pytest.mark.parametrize("cls", sorted(COUNTS, key=lambda c: c.__name__))
def test_counts_with_per_value_weights_over_batches(cls):
    y_true, y_pred, rng = _data(1)
    weights = rng.uniform(0, 2, size=y_true.shape).astype(np.float32)
    label, predicted = COUNTS[cls]
    thresholds = [0.2, 0.55]
    metric = cls(thresholds=thresholds)
    for rows in (slice(0, 7), slice(7, 9), slice(9, 20)):
        metric.update_state(y_true[rows], y_pred[rows], sample_weight=weights[rows])
    expected = [
        np.sum(weights * (((y_true != 0) == label) & ((y_pred > t) == predicted)), dtype=np.float64) for t in thresholds
    ]
    np.testing.assert_allclose(metric.result(), expected, rtol=1e-6)


def test_the_four_counts_add_up_to_the_weight_at_every_threshold():
    y_true, y_pred, rng = _data(2)
    weights = rng.uniform(0, 2, size=len(y_true)).astype(np.float32)
    thresholds = [0.0, 0.25, 0.5, 0.75, 1.0]  # evenly spaced: counted by buckets
    total = sum(cls(thresholds=thresholds)(y_true, y_pred, sample_weight=weights) for cls in COUNTS)
    np.testing.assert_allclose(total, np.full(5, weights.sum() * y_true.shape[1]), rtol=1e-6)


# ------------------------------------------------------------------ constraint metrics
def test_constraint_metrics_take_the_best_over_thresholds_where_the_constraint_holds():
    # Scores off the thresholds (k/10 + 0.05, higher for positives): counting by buckets is exact, so plain counts
    # at each threshold can check.
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, size=40).astype(np.float32)
    y_pred = (np.minimum(rng.integers(0, 10, size=40) + 3 * y_true, 9) / 10 + 0.05).astype(np.float32)
    thresholds = np.linspace(0, 1, 11)
    above = y_pred[None, :] > thresholds[:, None]
    positive = y_true != 0
    tp, fp = (above & positive).sum(1), (above & ~positive).sum(1)
    fn, tn = positive.sum() - tp, (~positive).sum() - fp
    with np.errstate(invalid="ignore"):
        recall, specificity = tp / (tp + fn), tn / (tn + fp)
        precision = np.nan_to_num(tp / (tp + fp))
    cases = {
        metrics.PrecisionAtRecall(0.6, num_thresholds=11): precision[recall >= 0.6].max(),
        metrics.RecallAtPrecision(0.8, num_thresholds=11): recall[precision >= 0.8].max(),
        metrics.SensitivityAtSpecificity(0.6, num_thresholds=11): recall[specificity >= 0.6].max(),
        metrics.SpecificityAtSensitivity(0.6, num_thresholds=11): specificity[recall >= 0.6].max(),
    }
    for metric, expected in cases.items():
        for rows in (slice(0, 13), slice(13, 40)):
            metric.update_state(y_true[rows], y_pred[rows])
        assert metric.result() == pytest.approx(expected, rel=1e-6), type(metric).__name__


def test_an_unreachable_constraint_gives_zero():
    metric = metrics.RecallAtPrecision(1.0, num_thresholds=11)
    metric.update_state([1, 0, 1], [0.2, 0.9, 0.5])  # the most confident prediction is wrong
    assert metric.result() == 0.0


# ------------------------------------------------------------------ F-scores
def _f_beta_by_hand(tp, fp, fn, beta):
    precision = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=tp + fp > 0)
    recall = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=tp + fn > 0)
    denominator = beta**2 * precision + recall
    return np.divide((1 + beta**2) * precision * recall, denominator, out=np.zeros_like(tp), where=denominator > 0)


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_f_beta_from_counts_written_out(average, beta):
    y_true, y_pred, rng = _data(4, shape=(30, 4))
    y_true[:, 2] = 0.0  # a class with no positives scores 0 and weighs 0 in "weighted"
    weights = rng.uniform(0, 2, size=30)
    metric = metrics.FBetaScore(average=average, beta=beta, threshold=0.4)
    for rows in (slice(0, 11), slice(11, 30)):
        metric.update_state(y_true[rows], y_pred[rows], sample_weight=weights[rows])
    predicted, w = (y_pred > np.float32(0.4)).astype(float), weights[:, None]
    tp, fp, fn = (
        np.sum(a * w, axis=0) for a in (predicted * y_true, predicted * (1 - y_true), (1 - predicted) * y_true)
    )
    if average == "micro":
        tp, fp, fn = tp.sum(), fp.sum(), fn.sum()
    scores = _f_beta_by_hand(np.asarray(tp), np.asarray(fp), np.asarray(fn), beta)
    support = np.sum(y_true * w, axis=0)
    expected = {
        None: scores,
        "micro": scores,
        "macro": np.mean(scores),
        "weighted": np.sum(scores * support) / support.sum(),
    }[average]
    np.testing.assert_allclose(metric.result(), expected, rtol=1e-5, atol=1e-6)


def test_f1_without_threshold_marks_every_largest_prediction_but_not_zeros():
    metric = metrics.F1Score()
    # Row 0 ties two maxima (both predicted), row 1 is all zero (nothing predicted).
    metric.update_state([[1, 0, 0], [0, 1, 0], [0, 0, 1]], [[0.4, 0.4, 0.2], [0, 0, 0], [0.1, 0.2, 0.7]])
    # class 0: tp 1 -> 1; class 1: fp 1, fn 1 -> 0; class 2: tp 1 -> 1 (each to within epsilon)
    np.testing.assert_allclose(metric.result(), [1.0, 0.0, 1.0], atol=1e-6)


def test_f_score_before_any_update_and_after_reset():
    metric = metrics.F1Score(average="macro")
    assert metric.result() == 0.0
    metric.update_state(np.eye(3), np.eye(3))
    assert metric.result() == pytest.approx(1.0, abs=1e-6)
    metric.reset_state()
    np.testing.assert_array_equal(metric.true_positives, np.zeros(3))


def test_f_score_refuses_another_number_of_classes_and_keeps_its_state():
    metric = metrics.F1Score(threshold=0.5)
    metric.update_state(np.eye(3), np.eye(3))
    before = metric.result()
    with pytest.raises(ValueError, match="3 classes"):
        metric.update_state(np.eye(4), np.eye(4))
    with pytest.raises(ValueError, match="same shape"):
        metric.update_state(np.eye(3), np.eye(3)[:, :2])
    np.testing.assert_array_equal(metric.result(), before)


# ------------------------------------------------------------------ in a model
def test_fit_and_evaluate_log_per_class_f1_as_arrays():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(24, 3)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=24)]
    model = mk.Sequential([mk.Input((3,)), mk.layers.Dense(3, activation="softmax")])
    model.compile(
        "sgd",
        "categorical_crossentropy",
        metrics=["f1_score", "true_positives", metrics.F1Score("macro", name="f1_macro")],
    )
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.shape(history.history["f1_score"][-1]) == (3,)
    assert isinstance(history.history["true_positives"][-1], float)
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    expected = metrics.F1Score()
    expected.update_state(y, model.predict(x, verbose=0))
    np.testing.assert_allclose(logs["f1_score"], expected.result(), rtol=1e-5)
    assert logs["f1_macro"] == pytest.approx(float(np.mean(expected.result())), rel=1e-5)

"""Confusion counts against a count written out sample by sample, and Precision/Recall as their ratios."""

import numpy as np
import pytest

from minikeras import metrics


def _counted_by_hand(y_true, y_pred, thresholds, weights):
    """Weighted tp, fp, tn, fn per threshold, one value at a time."""
    counts = np.zeros((len(thresholds), 4))
    for k, threshold in enumerate(thresholds):
        for i in range(y_true.shape[0]):
            for j in range(y_true.shape[1]):
                positive, predicted = y_true[i, j] != 0, y_pred[i, j] > threshold
                column = {(True, True): 0, (False, True): 1, (False, False): 2, (True, False): 3}
                counts[k, column[positive, predicted]] += weights[i]
    return {name: counts[:, n] for n, name in enumerate(("tp", "fp", "tn", "fn"))}


def _data(seed=0):
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, 2, size=(12, 3)).astype(np.float32)
    y_pred = rng.uniform(size=(12, 3)).astype(np.float32)
    y_pred[0] = [0.0, 0.25, 1.0]  # on thresholds: only strictly larger scores count as positive
    weights = rng.uniform(0.0, 2.0, size=12).astype(np.float32)
    return y_true, y_pred, weights


@pytest.mark.parametrize(
    "thresholds, buckets",
    [
        ([0.1, 0.5, 0.9], False),
        ([0.0, 0.25, 0.5, 0.75, 1.0], False),
        ([0.0, 0.25, 0.5, 0.75, 1.0], True),  # evenly spaced: each score counted into its bucket once
    ],
)
def test_counts_match_a_count_by_hand(thresholds, buckets):
    y_true, y_pred, weights = _data()
    counts = metrics.confusion_counts(y_true, y_pred, thresholds, weights, buckets=buckets)
    expected = _counted_by_hand(y_true, y_pred, thresholds, weights)
    for name in ("tp", "fp", "tn", "fn"):
        np.testing.assert_allclose(counts[name], expected[name], rtol=1e-6, err_msg=name)


def test_multi_label_counts_each_column_alone():
    y_true, y_pred, weights = _data(1)
    counts = metrics.confusion_counts(y_true, y_pred, [0.3, 0.6], weights, multi_label=True)
    for column in range(3):
        alone = metrics.confusion_counts(y_true[:, column], y_pred[:, column], [0.3, 0.6], weights)
        for name in ("tp", "fp", "tn", "fn"):
            np.testing.assert_allclose(counts[name][:, column], alone[name], rtol=1e-6)


def test_precision_and_recall_are_the_ratios_of_the_epochs_counts():
    y_true, y_pred, weights = _data(2)
    expected = _counted_by_hand(y_true, y_pred, [0.4], weights)
    precision, recall = metrics.Precision(thresholds=0.4), metrics.Recall(thresholds=0.4)
    for rows in (slice(0, 5), slice(5, 7), slice(7, 12)):
        precision.update_state(y_true[rows], y_pred[rows], sample_weight=weights[rows])
        recall.update_state(y_true[rows], y_pred[rows], sample_weight=weights[rows])
    tp, fp, fn = expected["tp"][0], expected["fp"][0], expected["fn"][0]
    assert precision.result() == pytest.approx(tp / (tp + fp), rel=1e-6)
    assert recall.result() == pytest.approx(tp / (tp + fn), rel=1e-6)

"""Accuracy metrics: "accuracy" resolved from the shapes as Keras resolves it, exact accumulation over
unequal batches, sample weights."""

import numpy as np
import pytest

from minikeras import metrics


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((8, 1), (8, 1), metrics.BinaryAccuracy),
        ((8,), (8, 1), metrics.BinaryAccuracy),
        ((8,), (8, 3), metrics.SparseCategoricalAccuracy),
        ((8, 1), (8, 3), metrics.SparseCategoricalAccuracy),
        ((2, 5), (2, 5, 3), metrics.SparseCategoricalAccuracy),
        ((8, 3), (8, 3), metrics.CategoricalAccuracy),
        ((2, 5, 3), (2, 5, 3), metrics.CategoricalAccuracy),
    ],
)
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_accuracy_is_resolved_from_the_shapes(y_true_shape, y_pred_shape, expected, name):
    metric = metrics.resolve(name, y_true_shape, y_pred_shape)
    assert type(metric) is expected and metric.name == name and metric.direction == "up"


def _data(kind, n, rng):
    """Labels, predictions and the per-sample correctness computed independently."""
    if kind == "binary":
        labels = rng.integers(0, 2, size=(n, 1)).astype(float)
        probs = rng.random(size=(n, 1))
        return labels, probs, ((probs > 0.5) == (labels == 1)).ravel()
    probs = rng.random(size=(n, 4))
    classes = rng.integers(0, 4, size=n)
    correct = np.array([probs[i].argmax() == classes[i] for i in range(n)])
    if kind == "sparse":
        return classes, probs, correct
    return np.eye(4)[classes], probs, correct


@pytest.mark.parametrize("kind", ["binary", "sparse", "categorical"])
def test_accumulation_over_unequal_batches_is_over_all_samples(kind):
    rng = np.random.default_rng(3)
    batches = [_data(kind, n, rng) for n in (7, 2, 1)]
    y_true_shape, y_pred_shape = batches[0][0].shape, batches[0][1].shape
    metric = metrics.resolve("accuracy", y_true_shape, y_pred_shape)
    for labels, probs, _ in batches:
        metric.update_state(labels, probs)

    all_correct = np.concatenate([c for _, _, c in batches])
    mean_of_means = np.mean([c.mean() for _, _, c in batches])
    assert not np.isclose(all_correct.mean(), mean_of_means)  # the data tell the two apart
    assert metric.result() == pytest.approx(all_correct.mean())

    metric.reset_state()
    assert metric.result() == 0.0
    labels, probs, correct = batches[1]
    metric.update_state(labels, probs)
    assert metric.result() == pytest.approx(correct.mean())


def test_weighted_accuracy():
    metric = metrics.resolve("acc", (4,), (4, 3))
    probs = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8], [0.8, 0.1, 0.1]])
    metric.update_state(np.array([0, 1, 0, 2]), probs, sample_weight=np.array([1.0, 2.0, 3.0, 4.0]))
    assert metric.result() == pytest.approx((1 + 2) / 10)

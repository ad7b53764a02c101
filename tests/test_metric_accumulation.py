"""Metrics accumulate over the whole epoch, and "accuracy" is resolved as Keras resolves it."""

import numpy as np
import pytest

from minikeras import metrics


@pytest.mark.parametrize(
    "y_true_shape, y_pred_shape, expected",
    [
        ((8, 1), (8, 1), metrics.BinaryAccuracy),
        ((8,), (8, 1), metrics.BinaryAccuracy),
        ((8,), (8, 5), metrics.SparseCategoricalAccuracy),
        ((8, 1), (8, 5), metrics.SparseCategoricalAccuracy),
        ((8, 5), (8, 5), metrics.CategoricalAccuracy),
    ],
)
@pytest.mark.parametrize("name", ["accuracy", "acc"])
def test_accuracy_is_resolved_from_the_shapes(y_true_shape, y_pred_shape, expected, name):
    metric = metrics.resolve(name, y_true_shape, y_pred_shape)
    assert type(metric) is expected and metric.name == name and metric.direction == "up"


def test_results_cover_all_samples_not_the_mean_of_batch_means():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=10)
    probs = rng.random(size=(10, 3))
    metric = metrics.SparseCategoricalAccuracy()
    for rows in (slice(0, 7), slice(7, 10)):  # batches of 7 and 3
        metric.update_state(labels[rows], probs[rows])
    assert metric.result() == pytest.approx(np.mean(probs.argmax(1) == labels))
    metric.reset_state()
    assert metric.result() == 0.0


def test_weighted_mean_and_loss_names_as_metrics():
    mean = metrics.Mean()
    mean.update_state([1.0, 3.0], sample_weight=[1.0, 3.0])
    mean.update_state([5.0])
    assert mean.result() == pytest.approx((1 + 9 + 5) / 5)
    mse = metrics.get("mse")
    assert mse.name == "mse" and mse.direction == "down"
    mse.update_state(np.zeros((2, 2)), np.ones((2, 2)) * 2)
    assert mse.result() == pytest.approx(4.0)
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.get("acuracy_top")

"""Regression metrics over unequal, weighted batches against the formulas written out."""

import numpy as np
import pytest

from minikeras import metrics

BATCHES = (slice(0, 6), slice(6, 7), slice(7, 11))


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(11, 3)), rng.normal(size=(11, 3)), rng.uniform(0.0, 2.0, size=11)


def _feed(metric, y_true, y_pred, weights):
    for rows in BATCHES:
        metric.update_state(y_true[rows], y_pred[rows], sample_weight=weights[rows])
    return metric.result()


def test_root_mean_squared_error_is_the_root_of_the_epochs_weighted_mean():
    y_true, y_pred, weights = _data()
    squares = (y_pred - y_true) ** 2
    expected = np.sqrt((squares * weights[:, None]).sum() / (3 * weights.sum()))
    assert _feed(metrics.RootMeanSquaredError(), y_true, y_pred, weights) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "cls, per_sample",
    [
        (metrics.MeanSquaredError, lambda t, p: ((p - t) ** 2).mean(axis=-1)),
        (metrics.MeanAbsoluteError, lambda t, p: np.abs(p - t).mean(axis=-1)),
        (
            metrics.CosineSimilarity,
            lambda t, p: (t * p).sum(-1) / np.linalg.norm(t, axis=-1) / np.linalg.norm(p, axis=-1),
        ),
        (metrics.LogCoshError, lambda t, p: np.log(np.cosh(p - t)).mean(axis=-1)),
    ],
)
def test_weighted_means_of_the_per_sample_values(cls, per_sample):
    y_true, y_pred, weights = _data()
    expected = (per_sample(y_true, y_pred) * weights).sum() / weights.sum()
    assert _feed(cls(), y_true, y_pred, weights) == pytest.approx(expected, rel=1e-6)

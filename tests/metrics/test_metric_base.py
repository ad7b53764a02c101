"""The running weighted Mean that every mean metric (and the loss tracker) accumulates in."""

import numpy as np
import pytest

from minikeras import metrics


def test_mean_unweighted_and_weighted():
    mean = metrics.Mean()
    mean.update_state([1.0, 2.0, 3.0])
    mean.update_state([10.0])
    assert mean.result() == pytest.approx(16.0 / 4)

    weighted = metrics.Mean()
    weighted.update_state([1.0, 2.0], sample_weight=[1.0, 3.0])
    weighted.update_state([100.0], sample_weight=[0.0])  # zero weight: no effect
    weighted.update_state([[4.0], [5.0]], sample_weight=[[2.0], [2.0]])
    assert weighted.result() == pytest.approx((1 + 6 + 8 + 10) / (1 + 3 + 2 + 2))


@pytest.mark.parametrize("weight", [3, 0.5, np.float32(2.0)])
def test_mean_with_one_weight_for_a_batch_weighs_the_batch_mean_once(weight):
    """Keras's rule (golden values in test_keras_golden_more.py): one weight for a whole batch of values
    weighs that batch's mean, as one sample, by the weight, whatever the batch's size."""
    rng = np.random.default_rng(5)
    scalar, spelled_out = metrics.Mean(), metrics.Mean()
    for size in (4, 7, 1):
        values = rng.normal(size=size)
        scalar.update_state(values, sample_weight=weight)
        spelled_out.update_state([values.mean()], sample_weight=[float(weight)])
    assert scalar.result() == pytest.approx(spelled_out.result(), rel=1e-12)
    assert scalar.count == pytest.approx(spelled_out.count) == pytest.approx(3 * float(weight))


def test_mean_averages_each_sample_first():
    """A sample's values are averaged into one value before the samples are: rows of different widths
    in different batches weigh one sample each, as in Keras."""
    mean = metrics.Mean()
    mean.update_state([[1.0, 2.0], [3.0, 4.0]])
    mean.update_state([5.0, 6.0, 7.0])
    assert mean.result() == pytest.approx((1.5 + 3.5 + 5 + 6 + 7) / 5)
    assert mean.count == 5.0
    weighted = metrics.Mean()
    weighted.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[[1.0, 0.0], [2.0, 1.0]])
    # Per-value weights: each sample adds mean(w * v) and counts mean(w).
    assert weighted.result() == pytest.approx((0.5 + 5.0) / (0.5 + 1.5))


def test_mean_of_plain_numbers_equals_the_mean_of_arrays():
    """The loss tracker's scalar path (a Python float, the batch size as weight) keeps the same
    running mean as the array path."""
    scalar, array = metrics.Mean(), metrics.Mean()
    for value, weight in [(0.5, 32), (1.25, 32), (2.0, 7), (0.1, None)]:
        scalar.update_state(value, sample_weight=weight)
        array.update_state(np.array([value]), sample_weight=None if weight is None else np.array([weight]))
    assert scalar.result() == pytest.approx(array.result(), rel=1e-15)
    assert scalar.count == array.count == 72.0


@pytest.mark.parametrize(
    "make",
    [
        lambda: metrics.Precision(),
        lambda: metrics.Recall(),
        lambda: metrics.AUC(),
        lambda: metrics.BinaryAccuracy(),
        lambda: metrics.MeanSquaredError(),
    ],
    ids=["precision", "recall", "auc", "binary_accuracy", "mse"],
)
def test_calling_a_metric_updates_its_state_and_returns_the_result(make):
    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, 2, (8, 1)).astype("float32"), rng.random((8, 1)).astype("float32")) for _ in range(3)]
    called, updated = make(), make()
    for y_true, y_pred in batches:
        returned = called(y_true, y_pred)
        updated.update_state(y_true, y_pred)
        assert float(returned) == pytest.approx(float(updated.result()), abs=1e-12)
    assert float(called.result()) == pytest.approx(float(updated.result()), abs=1e-12)


def test_calling_mean_takes_values_and_weights():
    mean = metrics.Mean()
    assert float(mean([1.0, 3.0])) == pytest.approx(2.0)
    assert float(mean([10.0], sample_weight=[2.0])) == pytest.approx((1 + 3 + 20) / 4)

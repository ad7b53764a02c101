"""Metrics: weighted means, "accuracy" resolution, exact accumulation over unequal batches, names."""

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


@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
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
def test_accuracy_resolution(identifier, y_true_shape, y_pred_shape, expected):
    metric = metrics.resolve(identifier, y_true_shape, y_pred_shape)
    assert type(metric) is expected
    assert metric.name == identifier


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


@pytest.mark.parametrize(
    "name, per_sample",
    [
        ("mse", lambda t, p: ((p - t) ** 2).mean(axis=-1)),
        ("mean_squared_error", lambda t, p: ((p - t) ** 2).mean(axis=-1)),
        ("mae", lambda t, p: np.abs(p - t).mean(axis=-1)),
        ("categorical_accuracy", lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype(float)),
    ],
)
def test_function_names_as_metrics(name, per_sample):
    rng = np.random.default_rng(5)
    metric = metrics.get(name)
    assert metric.name == name
    y_true, y_pred = np.eye(3)[rng.integers(0, 3, size=9)], rng.random(size=(9, 3))
    for rows in (slice(0, 6), slice(6, 9)):
        metric.update_state(y_true[rows], y_pred[rows])
    assert metric.result() == pytest.approx(per_sample(y_true, y_pred).mean())


@pytest.mark.parametrize("name", ["categorical_acuracy", "binary_acuracy", "acuracy"])
def test_unknown_metric_name_raises_with_a_suggestion(name):
    with pytest.raises(ValueError, match="Did you mean"):
        metrics.resolve(name, (4, 3), (4, 3))


def test_misspelled_loss_name_as_metric_suggests_it():
    with pytest.raises(ValueError, match='Did you mean "mse"'):
        metrics.get("msee")


@pytest.mark.parametrize("weight", [3, 0.5, np.float32(2.0)])
def test_mean_with_one_weight_for_all_equals_that_weight_on_every_value(weight):
    rng = np.random.default_rng(5)
    scalar, spelled_out = metrics.Mean(), metrics.Mean()
    for size in (4, 7, 1):
        values = rng.normal(size=size)
        scalar.update_state(values, sample_weight=weight)
        spelled_out.update_state(values, sample_weight=np.full(size, float(weight)))
    assert scalar.result() == pytest.approx(spelled_out.result(), rel=1e-12)
    assert scalar.count == pytest.approx(spelled_out.count)


def test_mean_of_plain_numbers_equals_the_mean_of_arrays():
    """The loss tracker's scalar path (a Python float, the batch size as weight) keeps the same
    running mean as the array path."""
    scalar, array = metrics.Mean(), metrics.Mean()
    for value, weight in [(0.5, 32), (1.25, 32), (2.0, 7), (0.1, None)]:
        scalar.update_state(value, sample_weight=weight)
        array.update_state(np.array([value]), sample_weight=None if weight is None else np.array([weight]))
    assert scalar.result() == pytest.approx(array.result(), rel=1e-15)
    assert scalar.count == array.count == 72.0

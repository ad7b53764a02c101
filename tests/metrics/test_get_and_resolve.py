"""`metrics.get` and `metrics.resolve`: function and loss names as mean metrics, unknown names."""

import numpy as np
import pytest

from minikeras import metrics


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


def test_loss_name_as_metric_is_lower_is_better():
    mse = metrics.get("mse")
    assert mse.name == "mse" and mse.direction == "down"
    mse.update_state(np.zeros((2, 2)), np.ones((2, 2)) * 2)
    assert mse.result() == pytest.approx(4.0)


@pytest.mark.parametrize("name", ["categorical_acuracy", "binary_acuracy", "acuracy"])
def test_unknown_metric_name_raises_with_a_suggestion(name):
    with pytest.raises(ValueError, match="Did you mean"):
        metrics.resolve(name, (4, 3), (4, 3))


def test_misspelled_loss_name_as_metric_suggests_it():
    with pytest.raises(ValueError, match='Did you mean "mse"'):
        metrics.get("msee")


def test_unknown_metric_name_is_refused():
    with pytest.raises(ValueError, match="Unknown metric"):
        metrics.get("acuracy_top")

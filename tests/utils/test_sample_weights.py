"""The one sample-weight rule (`utils.sample_weights.broadcast_sample_weight`) and its two users: a loss's
weighted reduction and a metric's weighted mean weigh the same values alike."""

import numpy as np
import pytest

from minikeras import losses, metrics
from minikeras.utils.sample_weights import broadcast_sample_weight


@pytest.mark.parametrize(
    "weights_shape, values_shape, expected_shape",
    [
        ((4,), (4,), (4,)),
        ((4, 1), (4,), (4,)),
        ((4,), (4, 3), (4, 1)),
        ((4, 1), (4, 3), (4, 1)),
        ((4, 3), (4, 3), (4, 3)),
        ((4, 3, 1), (4, 3), (4, 3)),
        ((4,), (4, 3, 2), (4, 1, 1)),
        ((), (4, 3), (1, 1)),
    ],
)
def test_shapes(weights_shape, values_shape, expected_shape):
    weights = np.arange(1, int(np.prod(weights_shape)) + 1, dtype=np.float64).reshape(weights_shape)
    shaped = broadcast_sample_weight(weights, np.zeros(values_shape))
    assert shaped.shape == expected_shape
    assert np.shares_memory(shaped, weights)  # a view, never a copy
    np.testing.assert_array_equal(shaped.ravel(), weights.ravel())


def _per_value_weights(weights, values_shape):
    """Each value's weight, spelled out sample by sample with no broadcasting rule."""
    weights = np.asarray(weights, dtype=np.float64)
    per_step = weights.ndim == 2 and weights.shape[1] == values_shape[1]
    out = np.empty(values_shape)
    for i, j in np.ndindex(*values_shape):
        out[i, j] = weights[i, j] if per_step else weights[i].item()
    return out


WEIGHTS = {
    "per_sample": np.array([0.5, 0.0, 2.0, 1.0, 3.0]),
    "per_sample_column": np.array([[0.5], [0.0], [2.0], [1.0], [3.0]]),
    "per_step": np.arange(15, dtype=np.float64).reshape(5, 3) / 4,
}


@pytest.mark.parametrize("kind", sorted(WEIGHTS))
def test_loss_and_metric_weigh_sequence_values_alike(kind):
    """MSE on `(batch, steps, features)` gives one value per step: each weight shape weighs them the same
    way in the loss's sum, the loss's weighted mean and the metric's running mean."""
    rng = np.random.default_rng(4)
    y_true, y_pred = rng.normal(size=(5, 3, 2)), rng.normal(size=(5, 3, 2))
    values = ((y_pred - y_true) ** 2).mean(axis=-1)
    per_value = _per_value_weights(WEIGHTS[kind], values.shape)

    weighted_sum = losses.MeanSquaredError(reduction="sum")(y_true, y_pred, sample_weight=WEIGHTS[kind])
    assert weighted_sum == pytest.approx((values * per_value).sum(), rel=1e-12)

    weighted_mean = (values * per_value).sum() / per_value.sum()
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert loss(y_true, y_pred, sample_weight=WEIGHTS[kind]) == pytest.approx(weighted_mean, rel=1e-12)

    metric = metrics.MeanSquaredError()
    metric.update_state(y_true[:2], y_pred[:2], sample_weight=WEIGHTS[kind][:2])
    metric.update_state(y_true[2:], y_pred[2:], sample_weight=WEIGHTS[kind][2:])
    assert metric.result() == pytest.approx(weighted_mean, rel=1e-12)

    mean = metrics.Mean()
    mean.update_state(values, sample_weight=WEIGHTS[kind])
    # Keras's count: each sample's weight, averaged over its values.
    assert mean.count == pytest.approx(per_value.mean(axis=1).sum(), rel=1e-15)
    assert mean.result() == pytest.approx(weighted_mean, rel=1e-12)


def test_loss_gradient_carries_each_values_weight():
    rng = np.random.default_rng(5)
    y_true, y_pred = rng.normal(size=(5, 3, 2)), rng.normal(size=(5, 3, 2))
    weights = WEIGHTS["per_step"]
    _, grad = losses.MeanSquaredError(reduction="sum").value_and_gradient(y_true, y_pred, sample_weight=weights)
    # d/dp of sum_ij w_ij mean_k (p_ijk - t_ijk)^2 = w_ij (p_ijk - t_ijk)
    np.testing.assert_allclose(grad, weights[..., None] * (y_pred - y_true), rtol=1e-12)

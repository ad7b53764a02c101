"""Losses written as Keras users write them — a function of `(y_true, y_pred)` or a `Loss` subclass with
only `call` — train with gradients from autograd, with reductions and sample weights as built-in losses."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import config, layers, ops

pytest.importorskip("autograd", reason="the autodiff extra is not installed: pip install '.[autodiff]'")


def squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


class SquaredError(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return ops.mean(ops.square(y_pred - y_true), axis=-1)


class SmoothedCrossentropy(keras.losses.Loss):
    def call(self, y_true, y_pred):
        return -ops.sum(y_true * ops.log(ops.clip(y_pred, 1e-7, 1.0)), axis=-1)


def _model():
    keras.utils.set_random_seed(3)
    f64 = {"dtype": "float64"}
    return keras.Sequential(
        [keras.Input((4,), **f64), layers.Dense(3, activation="tanh", **f64), layers.Dense(2, **f64)]
    )


@pytest.mark.parametrize("loss", [squared_error, SquaredError()], ids=["function", "subclass"])
@pytest.mark.parametrize("fast", [True, False])
def test_a_custom_loss_equal_to_mse_trains_to_the_same_weights(loss, fast):
    rng = np.random.default_rng(0)
    x, y, w = rng.normal(size=(24, 4)), rng.normal(size=(24, 2)), rng.uniform(0.5, 2.0, size=24)
    trained = []
    for compiled_loss in (loss, "mse"):
        model = _model()
        model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss=compiled_loss)
        with config.fast_paths(fast):
            model.fit(x, y, sample_weight=w, batch_size=6, epochs=1, shuffle=False, verbose=0)
            model.train_on_batch(x[:6], y[:6])
        trained.append(model.get_weights())
    for mine, builtin in zip(*trained):
        np.testing.assert_allclose(mine, builtin, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "mean_with_sample_weight", "none"])
def test_custom_loss_gradient_matches_central_differences(reduction):
    loss = SmoothedCrossentropy(reduction=reduction)
    rng = np.random.default_rng(1)
    y_true = np.eye(3)[rng.integers(0, 3, 5)]
    y_pred = rng.uniform(0.1, 0.9, size=(5, 3))
    weights = rng.uniform(0.5, 2.0, size=5)
    value, grad = loss.value_and_gradient(y_true, y_pred, sample_weight=weights)
    eps = 1e-6
    numeric = np.zeros_like(y_pred)
    for index in np.ndindex(*y_pred.shape):
        bumped, lowered = y_pred.copy(), y_pred.copy()
        bumped[index] += eps
        lowered[index] -= eps
        numeric[index] = (
            np.sum(loss(y_true, bumped, sample_weight=weights)) - np.sum(loss(y_true, lowered, sample_weight=weights))
        ) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)
    assert np.shape(value) == ((5,) if reduction == "none" else ())

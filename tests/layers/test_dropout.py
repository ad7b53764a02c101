"""Dropout: the identity in inference, inverted dropout in training, repeatable with seeds."""

import re

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.utils import set_random_seed


def test_inference_returns_the_input_unchanged():
    layer = layers.Dropout(0.5)
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    np.testing.assert_array_equal(layer(x), x)
    np.testing.assert_array_equal(layer(x, training=False), x)
    assert layer._cache is None


def test_training_drops_the_rate_and_scales_the_kept_inputs_up():
    layer = layers.Dropout(0.3, seed=0)
    x = np.full((200, 500), 2.0, dtype=np.float32)
    y = layer(x, training=True)
    kept = y != 0
    assert kept.mean() == pytest.approx(0.7, abs=0.01)
    np.testing.assert_allclose(y[kept], 2.0 / 0.7, rtol=1e-6)  # inverted: kept values are divided by 1 - rate
    assert y.mean() == pytest.approx(2.0, rel=0.02)  # so the expected value is unchanged
    assert y.dtype == np.float32


def test_rate_zero_changes_nothing_even_in_training():
    layer = layers.Dropout(0.0)
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(layer(x, training=True), x)
    np.testing.assert_array_equal(layer.backward(np.ones((2, 3))), np.ones((2, 3)))


def test_backward_uses_the_mask_of_the_forward_pass():
    layer = layers.Dropout(0.5, seed=4, dtype="float64")
    x = np.random.default_rng(1).normal(size=(8, 10)) + 5.0  # never zero
    y = layer.forward(x, training=True)
    upstream = np.random.default_rng(2).normal(size=y.shape)
    np.testing.assert_allclose(layer.backward(upstream), upstream * y / x, rtol=1e-12)


def test_a_seeded_layer_repeats_its_masks_and_each_call_draws_a_new_one():
    x = np.ones((6, 20), dtype=np.float32)
    first, twin, other = layers.Dropout(0.5, seed=7), layers.Dropout(0.5, seed=7), layers.Dropout(0.5, seed=8)
    masks = [first(x, training=True) for _ in range(3)]
    twin_masks = [twin(x, training=True) for _ in range(3)]
    for mask, twin_mask in zip(masks, twin_masks):
        np.testing.assert_array_equal(mask, twin_mask)
    assert not np.array_equal(masks[0], masks[1])
    assert not np.array_equal(masks[0], other(x, training=True))


def test_a_seeded_layer_ignores_the_global_seed():
    x = np.ones((6, 20), dtype=np.float32)
    set_random_seed(1)
    a = layers.Dropout(0.5, seed=3)(x, training=True)
    set_random_seed(2)
    b = layers.Dropout(0.5, seed=3)(x, training=True)
    np.testing.assert_array_equal(a, b)


def test_an_unseeded_layer_repeats_after_set_random_seed():
    x = np.ones((6, 20), dtype=np.float32)
    layer = layers.Dropout(0.5)
    set_random_seed(11)
    a = [layer(x, training=True) for _ in range(2)]
    set_random_seed(11)
    b = [layer(x, training=True) for _ in range(2)]
    set_random_seed(12)
    c = layer(x, training=True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], c)


def test_fit_with_dropout_repeats_after_set_random_seed():
    def train(seed):
        set_random_seed(seed)
        model = keras.Sequential(
            [keras.Input(shape=(5,)), layers.Dense(8, activation="relu"), layers.Dropout(0.5), layers.Dense(2)]
        )
        model.compile(optimizer="sgd", loss="mse")
        x = np.random.default_rng(0).normal(size=(16, 5)).astype(np.float32)
        model.fit(x, np.ones((16, 2), np.float32), epochs=2, batch_size=4, shuffle=False, verbose=0)
        return model.get_weights()

    runs = [train(5), train(5), train(6)]
    for a, b in zip(runs[0], runs[1]):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, c) for a, c in zip(runs[0], runs[2]))


def test_noise_shape_shares_one_draw_along_its_unit_axes():
    layer = layers.Dropout(0.5, noise_shape=(None, 1, 1, 3), seed=0)
    y = layer(np.ones((5, 4, 4, 3)), training=True)
    np.testing.assert_array_equal(y, np.broadcast_to(y[:, :1, :1, :], y.shape))
    assert 0 < (y[:, 0, 0, :] == 0).mean() < 1


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "0.5", None, True, float("nan")])
def test_a_rate_outside_zero_one_is_refused_naming_the_layer(rate):
    message = rf"Invalid value received for argument `rate`.*rate={re.escape(repr(rate))} \(layer 'drop'"
    with pytest.raises(ValueError, match=message):
        layers.Dropout(rate, name="drop")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"seed": -1}, "seed of layer 'drop'.*Received: seed=-1"),
        ({"seed": 1.5}, "seed of layer 'drop'"),
        ({"noise_shape": "abc"}, "noise_shape of layer 'drop'"),
        ({"noise_shape": (None, 0)}, "noise_shape of layer 'drop'"),
    ],
)
def test_invalid_seed_and_noise_shape_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.Dropout(0.5, name="drop", **kwargs)


def test_a_noise_shape_that_does_not_broadcast_is_refused_at_build():
    with pytest.raises(ValueError, match=r"noise_shape of layer 'drop'.*\(None, 2\).*\(4, 3\)"):
        layers.Dropout(0.5, noise_shape=(None, 2), name="drop")(np.ones((4, 3)), training=True)

"""BatchNormalization: batch statistics in training, moving statistics in inference, Keras's weights."""

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers


def normalized(x, mean, variance, gamma, beta, epsilon):
    return (x - mean) / np.sqrt(variance + epsilon) * gamma + beta


@pytest.mark.parametrize(
    "axis, shape, reduced",
    [(-1, (6, 3), (0,)), (-1, (2, 3, 4, 5), (0, 1, 2)), (1, (2, 5, 3, 4), (0, 2, 3)), (1, (4, 3, 2), (0, 2))],
)
def test_training_normalizes_each_feature_with_the_biased_batch_statistics(axis, shape, reduced):
    rng = np.random.default_rng(0)
    layer = layers.BatchNormalization(axis=axis, dtype="float64")
    x = rng.normal(2.0, 3.0, size=shape)
    layer.build_for(x.shape)
    features = shape[axis]
    layer.gamma[...] = rng.normal(size=features)
    layer.beta[...] = rng.normal(size=features)
    broadcast = [1] * len(shape)
    broadcast[axis] = features
    mean = x.mean(axis=reduced, keepdims=True)
    variance = ((x - mean) ** 2).sum(axis=reduced, keepdims=True) / (x.size // features)  # divided by n, not n - 1
    expected = normalized(x, mean, variance, layer.gamma.reshape(broadcast), layer.beta.reshape(broadcast), 1e-3)
    np.testing.assert_allclose(layer(x, training=True), expected, rtol=1e-12, atol=1e-12)


def test_moving_statistics_follow_keras_update_rule_over_several_steps():
    rng = np.random.default_rng(1)
    layer = layers.BatchNormalization(momentum=0.7, axis=1, dtype="float64")
    moving_mean, moving_variance = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.normal(1.0, 2.0, size=(5, 3, 2, 2))
        layer(x, training=True)
        moving_mean = moving_mean * 0.7 + x.mean(axis=(0, 2, 3)) * 0.3
        moving_variance = moving_variance * 0.7 + x.var(axis=(0, 2, 3)) * 0.3
    np.testing.assert_allclose(layer.moving_mean, moving_mean, rtol=1e-12)
    np.testing.assert_allclose(layer.moving_variance, moving_variance, rtol=1e-12)


def test_inference_uses_the_moving_statistics_and_changes_nothing():
    rng = np.random.default_rng(2)
    layer = layers.BatchNormalization(epsilon=0.01, dtype="float64")
    x = rng.normal(size=(4, 3))
    layer.build_for(x.shape)
    layer.set_weights([rng.normal(size=3), rng.normal(size=3), rng.normal(size=3), rng.uniform(0.5, 2.0, size=3)])
    gamma, beta, moving_mean, moving_variance = layer.get_weights()
    np.testing.assert_allclose(layer(x), normalized(x, moving_mean, moving_variance, gamma, beta, 0.01), rtol=1e-12)
    for old, new in zip([gamma, beta, moving_mean, moving_variance], layer.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_a_frozen_layer_runs_in_inference_mode_even_in_training_as_in_keras():
    x = np.random.default_rng(3).normal(3.0, 1.0, size=(8, 2))
    layer = layers.BatchNormalization(trainable=False, dtype="float64")
    np.testing.assert_allclose(layer(x, training=True), x / np.sqrt(1 + 1e-3))
    np.testing.assert_array_equal(layer.moving_mean, 0)
    assert layer.param_grad_pairs() == []


def test_weights_are_keras_weights_in_keras_order_and_only_gamma_beta_train():
    layer = layers.BatchNormalization()
    layer.build_for((None, 5, 5, 4))
    assert layer.weight_names == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.shape for w in layer.weights] == [(4,)] * 4
    assert [w.sum() for w in layer.weights] == [4, 0, 0, 4]  # ones, zeros, zeros, ones
    assert [id(w) for w in layer.trainable_weights] == [id(layer.gamma), id(layer.beta)]
    assert [id(w) for w in layer.non_trainable_weights] == [id(layer.moving_mean), id(layer.moving_variance)]
    layer.forward(np.ones((2, 5, 5, 4), np.float32), training=True)
    layer.backward(np.ones((2, 5, 5, 4), np.float32))
    assert [id(p) for p, _ in layer.param_grad_pairs()] == [id(layer.gamma), id(layer.beta)]
    channels_first = layers.BatchNormalization(axis=1, center=False)
    channels_first.build_for((None, 3, 5, 5))
    assert channels_first.weight_names == ["gamma", "moving_mean", "moving_variance"]
    assert channels_first.count_params() == 9


def test_a_model_summary_counts_the_moving_statistics_as_non_trainable():
    model = keras.Sequential([keras.Input(shape=(4,)), layers.BatchNormalization(), layers.Dense(2)])
    assert len(model.trainable_weights) == 4 and len(model.non_trainable_weights) == 2
    assert model.count_params() == 16 + 10


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"momentum": 1.5}, r"momentum of layer 'bn'.*Received: momentum=1.5"),
        ({"momentum": "high"}, r"momentum of layer 'bn'"),
        ({"epsilon": 0}, r"epsilon of layer 'bn'.*Received: epsilon=0"),
        ({"axis": "channels"}, r"axis of layer 'bn'.*Received: axis='channels'"),
        ({"renorm": True}, r"'bn'.*renorm"),
        ({"gamma_constraint": "non_neg"}, r"'bn'.*gamma_constraint"),
        ({"beta_initializer": "zeroes"}, r"initializer"),
    ],
)
def test_invalid_arguments_are_refused_naming_the_layer(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.BatchNormalization(name="bn", **kwargs)


@pytest.mark.parametrize("axis, shape", [(3, (None, 4, 4)), (-4, (None, 4, 4)), (0, (None, 4))])
def test_an_axis_the_input_lacks_is_refused_at_build(axis, shape):
    with pytest.raises(ValueError, match=r"'bn'.*axis"):
        layers.BatchNormalization(axis=axis, name="bn").build_for(shape)


def test_the_one_element_axis_list_tf_keras_2_writes_is_read_as_that_axis():
    layer = layers.BatchNormalization.from_config({"name": "bn", "axis": [3], "momentum": 0.9, "epsilon": 0.001})
    assert layer.get_config()["axis"] == 3
    layer.build_for((None, 4, 4, 5))
    assert layer.gamma.shape == (5,)
    with pytest.raises(ValueError, match=r"axis of layer 'bn2'.*one axis.*\[1, 2\]"):
        layers.BatchNormalization(axis=[1, 2], name="bn2")

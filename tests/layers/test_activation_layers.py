"""LeakyReLU, ELU and PReLU against their formulas; PReLU's weight shaped as Keras shapes it."""

import warnings

import numpy as np
import pytest

from minikeras import layers

X = np.array([[-3.0, -0.5, 0.0, 0.5, 2.0]])


def test_leaky_relu_defaults_to_keras_slope_and_accepts_the_keras2_name():
    np.testing.assert_allclose(layers.LeakyReLU(dtype="float64")(X), [[-0.9, -0.15, 0.0, 0.5, 2.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old_name = layers.LeakyReLU(alpha=0.1)
    assert old_name.negative_slope == 0.1 and old_name.get_config()["negative_slope"] == 0.1


def test_elu_is_alpha_times_expm1_below_zero():
    np.testing.assert_allclose(
        layers.ELU(alpha=0.5, dtype="float64")(X),
        [[0.5 * (np.exp(-3) - 1), 0.5 * (np.exp(-0.5) - 1), 0.0, 0.5, 2.0]],
        rtol=1e-12,
    )


def test_prelu_starts_as_relu_and_learns_one_slope_per_unshared_position():
    layer = layers.PReLU(dtype="float64")
    np.testing.assert_array_equal(layer(X), np.maximum(X, 0))  # alpha starts at zero, as in Keras
    layer.alpha[...] = [0.1, 0.2, 0.3, 0.4, 0.5]
    np.testing.assert_allclose(layer(X), [[-0.3, -0.1, 0.0, 0.5, 2.0]])


@pytest.mark.parametrize(
    "shared_axes, input_shape, alpha_shape",
    [
        (None, (None, 4, 5, 3), (4, 5, 3)),
        ([1, 2], (None, 4, 5, 3), (1, 1, 3)),
        (1, (None, 4, 5), (1, 5)),
        ((2, 3), (None, 3, 4, 5), (3, 1, 1)),
    ],
)
def test_prelu_alpha_has_keras_shape(shared_axes, input_shape, alpha_shape):
    layer = layers.PReLU(shared_axes=shared_axes)
    layer.build_for(input_shape)
    assert layer.weight_names == ["alpha"] and layer.alpha.shape == alpha_shape
    assert [id(w) for w in layer.trainable_weights] == [id(layer.alpha)]


def test_prelu_alpha_gradient_reaches_the_optimizer():
    layer = layers.PReLU(shared_axes=[1], dtype="float64")
    x = np.array([[[-1.0, 2.0], [-3.0, -4.0]]])
    layer.build_for(x.shape)
    layer.forward(x, training=True)
    layer.backward(np.ones_like(x))
    [(weight, grad)] = layer.param_grad_pairs()
    assert weight is layer.alpha
    np.testing.assert_array_equal(grad, [[-4.0, -4.0]])  # sum of the negative inputs over the shared axis


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.LeakyReLU(-0.1, name="act"), r"negative_slope value of a Leaky.*=-0.1 \(layer 'act'"),
        (lambda: layers.LeakyReLU(None, name="act"), r"negative_slope of layer 'act'"),
        (lambda: layers.ELU(alpha="one", name="act"), r"alpha of layer 'act'.*'one'"),
        (lambda: layers.PReLU(shared_axes=[0], name="act"), r"shared_axes of layer 'act'.*\[0\]"),
        (lambda: layers.PReLU(shared_axes="1", name="act"), r"shared_axes of layer 'act'"),
        (lambda: layers.PReLU(alpha_constraint="non_neg", name="act"), r"'act'.*alpha_constraint"),
        (lambda: layers.PReLU(alpha_initializer="zeroes_please", name="act"), r"initializer"),
        # Keras's own first sentences for the ReLU layer
        (lambda: layers.ReLU(threshold=-1.0, name="act"), r"threshold of a ReLU layer cannot be None or a negative"),
        (lambda: layers.ReLU(negative_slope=-1.0), r"negative_slope of a ReLU layer cannot be None or a negative"),
        (lambda: layers.ReLU(max_value=-1.0), r"max_value of a ReLU layer cannot be a negative value"),
    ],
)
def test_invalid_activation_arguments_are_refused_naming_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_prelu_shared_axes_beyond_the_input_are_refused_at_build():
    with pytest.raises(ValueError, match=r"shared_axes of layer 'act'.*\[3\]"):
        layers.PReLU(shared_axes=[3], name="act").build_for((None, 4, 5))


def test_relu_is_zero_at_its_threshold_as_in_keras():
    # Keras: x where x > threshold, negative_slope * (x - threshold) elsewhere, so exactly 0 at the threshold.
    x = np.array([[0.5, 1.0, 1.5]], dtype=np.float32)
    np.testing.assert_array_equal(layers.ReLU(threshold=1.0)(x), [[0.0, 0.0, 1.5]])
    np.testing.assert_array_equal(layers.ReLU(threshold=1.0, negative_slope=0.5)(x), [[-0.25, 0.0, 1.5]])

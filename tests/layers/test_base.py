"""What every layer does alike: Keras's weight shapes, dtypes and unique names; set_weights, input and
argument checks."""

import numpy as np
import pytest

from minikeras import layers
from minikeras.utils import clear_session


def test_weight_shapes_are_keras_shapes():
    conv = layers.Conv2D(8, (3, 5))
    conv.build_for((None, 28, 28, 3))
    assert [w.shape for w in conv.get_weights()] == [(3, 5, 3, 8), (8,)]
    dense = layers.Dense(10)
    dense.build_for((None, 784))
    assert [w.shape for w in dense.get_weights()] == [(784, 10), (10,)]
    assert layers.Dense(4, use_bias=False)(np.ones((1, 3))).shape == (1, 4)


def test_float32_by_default_and_float64_when_asked():
    x = np.ones((2, 5, 5, 1))
    y32 = layers.Conv2D(2, 3, activation="relu")(x)
    assert y32.dtype == np.float32
    layer = layers.Conv2D(2, 3, dtype="float64")
    assert layer(x).dtype == np.float64 and layer.kernel.dtype == np.float64


def test_names_are_unique_like_keras():
    clear_session()
    assert [layers.Dense(1).name, layers.Dense(1).name, layers.Dense(1).name] == ["dense", "dense_1", "dense_2"]
    assert layers.MaxPooling2D().name == "max_pooling2d"
    assert layers.ReLU().name == "re_lu"
    assert layers.Conv2D(1, 1).name == "conv2d"
    assert layers.Dense(1, name="head").name == "head"


def test_set_weights_checks_count_and_shapes_before_writing():
    layer = layers.Dense(3)
    layer.build_for((None, 2))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"weight list of length 1, but the layer was expecting 2 weights"):
        layer.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"'bias' has shape \(3,\).*\(4,\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(4)])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)
    layer.set_weights([np.ones((2, 3)), np.ones(3)])
    assert layer.kernel.sum() == 6


def test_layer_call_rejects_an_input_of_the_wrong_rank_or_channels():
    conv = layers.Conv2D(2, 3, name="conv")
    with pytest.raises(ValueError, match=r"^Input 0 of layer 'conv' is incompatible with the layer: expected ndim=4"):
        conv(np.ones((2, 5, 5)))
    conv(np.ones((1, 5, 5, 1)))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 1, .* \(1, 5, 5, 3\)"):
        conv(np.ones((1, 5, 5, 3)))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.Dense(0), "units"),
        (lambda: layers.Dense(-3), "units"),
        (lambda: layers.Conv2D(0, 3), "filters"),
        (lambda: layers.Conv2D(2, 0), "kernel_size"),
        (lambda: layers.Conv2D(2, 3, strides=0), "strides"),
        (lambda: layers.Conv2D(2, 3, padding="full"), "padding"),
        (lambda: layers.MaxPooling2D(2, padding="causal"), "padding"),
        (lambda: layers.Dense(2, activation="relux"), 'Did you mean "relu"'),
        (lambda: layers.Dense(2, kernel_initializer="glorot"), "initializer"),
        (lambda: layers.Dense(2, bogus=1), "bogus"),
        (lambda: layers.Dropout(1.0), r"Invalid value received for argument `rate`.*rate=1.0 \(layer"),
        (lambda: layers.Dropout(-0.2), r"Received: rate=-0.2"),
    ],
)
def test_invalid_constructor_arguments_are_refused_with_the_argument_named(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()

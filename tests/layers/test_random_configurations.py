"""Property-based checks over random layer configurations (hypothesis)."""

import numpy as np
from gradcheck import assert_gradients_close, numerical_gradient
from hypothesis import given, settings
from hypothesis import strategies as st

from minikeras import layers

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def conv_configs(draw):
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    dilated = draw(st.booleans())
    strides = (1, 1) if dilated else (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    return {
        "filters": draw(st.integers(1, 3)),
        "kernel_size": kernel,
        "strides": strides,
        "dilation_rate": dilation,
        "padding": draw(st.sampled_from(["valid", "same"])),
        "activation": draw(st.sampled_from([None, "tanh", "sigmoid"])),
        "data_format": draw(st.sampled_from(["channels_last", "channels_first"])),
        "use_bias": draw(st.booleans()),
    }


@st.composite
def pool_configs(draw):
    return {
        "pool_size": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "strides": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
        "padding": draw(st.sampled_from(["valid", "same"])),
        "data_format": draw(st.sampled_from(["channels_last", "channels_first"])),
    }


def input_shape(draw_shape, data_format):
    batch, height, width, channels = draw_shape
    return (batch, channels, height, width) if data_format == "channels_first" else (batch, height, width, channels)


def check_layer(layer, shape, seed):
    rng = np.random.default_rng(seed)
    try:
        expected = layer.compute_output_shape(shape)
    except ValueError as error:
        assert "does not fit the input" in str(error)
        return
    x = rng.normal(size=shape)
    y = layer(x)
    assert y.shape == expected
    upstream = rng.normal(size=y.shape)

    def objective():
        return np.sum(layer.forward(x, training=False) * upstream)

    layer.forward(x, training=True)
    assert_gradients_close(layer.backward(upstream), numerical_gradient(objective, x), rtol=1e-4, atol=1e-6)
    for name, weight in zip(layer.weight_names, layer.weights):
        assert_gradients_close(layer.grads[name], numerical_gradient(objective, weight), rtol=1e-4, atol=1e-6)


SHAPES = st.tuples(st.integers(1, 2), st.integers(1, 7), st.integers(1, 7), st.integers(1, 3))


@SETTINGS
@given(config=conv_configs(), shape=SHAPES, seed=st.integers(0, 1000))
def test_conv2d_shapes_and_gradients_hold_for_any_configuration(config, shape, seed):
    check_layer(layers.Conv2D(dtype="float64", **config), input_shape(shape, config["data_format"]), seed)


@SETTINGS
@given(config=pool_configs(), shape=SHAPES, seed=st.integers(0, 1000))
def test_maxpool_shapes_and_gradients_hold_for_any_configuration(config, shape, seed):
    check_layer(layers.MaxPooling2D(dtype="float64", **config), input_shape(shape, config["data_format"]), seed)


@SETTINGS
@given(
    units=st.integers(1, 5),
    activation=st.sampled_from([None, "tanh", "sigmoid", "softmax"]),
    shape=st.lists(st.integers(1, 4), min_size=2, max_size=3),
    seed=st.integers(0, 1000),
)
def test_dense_shapes_and_gradients_hold_for_any_configuration(units, activation, shape, seed):
    check_layer(layers.Dense(units, activation=activation, dtype="float64"), tuple(shape), seed)

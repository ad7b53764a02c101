"""Grouped convolutions, `Conv2D(groups=...)`: Keras's values, kernel shape, config and errors; gradients by
central differences; one grouped layer equals its groups run as separate convolutions.

Keras's values come from tests/fixtures/make_keras_golden_conv_groups.py (run by hand with Keras); this test
reads its CASES and the .npz it wrote, without importing Keras.
"""

import importlib.util
import json
import pathlib

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

from minikeras import layers

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures"
spec = importlib.util.spec_from_file_location(
    "make_keras_golden_conv_groups", FIXTURES / "make_keras_golden_conv_groups.py"
)
golden_script = importlib.util.module_from_spec(spec)
spec.loader.exec_module(golden_script)
GOLDEN = np.load(FIXTURES / "golden" / "conv_groups.npz")
TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
KERAS_ARGUMENTS = (
    "filters",
    "kernel_size",
    "strides",
    "padding",
    "data_format",
    "dilation_rate",
    "groups",
    "activation",
)


def keras_case(name):
    """The minikeras Conv2D of CASES[name] with Keras's weights, and the input Keras saw."""
    kwargs, _ = golden_script.CASES[name]
    layer = layers.Conv2D(**kwargs)
    x = GOLDEN[f"{name}/x"]
    layer.build_for(x.shape)
    weights = [GOLDEN[f"{name}/weight_{i}"] for i in range(len(layer.weights))]
    assert f"{name}/weight_{len(weights)}" not in GOLDEN, "Keras made more weights than minikeras"
    layer.set_weights(weights)  # checks every shape against Keras's: kernel (kh, kw, in // groups, filters)
    return layer, x


@pytest.mark.parametrize("name", sorted(golden_script.CASES))
def test_output_and_gradients_match_keras(name):
    layer, x = keras_case(name)
    np.testing.assert_allclose(layer(x), GOLDEN[f"{name}/y"], **TOLERANCE)
    np.testing.assert_allclose(layer(x, training=True), GOLDEN[f"{name}/y"], **TOLERANCE)
    grad_x = layer.backward(GOLDEN[f"{name}/upstream"])
    np.testing.assert_allclose(grad_x, GOLDEN[f"{name}/grad_x"], **TOLERANCE)
    for weight_name in layer.weight_names:
        np.testing.assert_allclose(layer.grads[weight_name], GOLDEN[f"{name}/grad_{weight_name}"], **TOLERANCE)


@pytest.mark.parametrize("name", sorted(golden_script.CASES))
def test_config_carries_keras_arguments_and_makes_a_twin(name):
    layer, _ = keras_case(name)
    theirs = json.loads(str(GOLDEN[f"{name}/config"]))
    ours = json.loads(json.dumps(layer.get_config()))
    assert {key: ours[key] for key in KERAS_ARGUMENTS} == {key: theirs[key] for key in KERAS_ARGUMENTS}
    assert list(ours).index("groups") == list(ours).index("dilation_rate") + 1  # Keras's order
    twin = layers.Conv2D.from_config({**layer.get_config(), "name": layer.name + "_twin"})
    assert {**twin.get_config(), "name": layer.name} == layer.get_config()


def test_kernel_shape_divides_the_input_channels():
    layer = layers.Conv2D(8, (3, 2), groups=4)
    assert layer(np.zeros((1, 5, 5, 12))).shape == (1, 3, 4, 8)
    assert layer.kernel.shape == (3, 2, 3, 8)
    assert layer.count_params() == 3 * 2 * 3 * 8 + 8


@pytest.mark.parametrize("groups", [0, -2, 1.5, True, "2", None])
def test_groups_must_be_a_positive_integer(groups):
    with pytest.raises(
        ValueError, match=rf"^The number of groups must be a positive integer. Received: groups={groups!r}"
    ):
        layers.Conv2D(4, 3, groups=groups, name="grouped")


def test_filters_must_divide_by_groups():
    with pytest.raises(
        ValueError,
        match=r"^The number of filters must be evenly divisible by the number of groups. "
        r"Received: groups=4, filters=6 \(layer 'grouped'\)",
    ):
        layers.Conv2D(6, 3, groups=4, name="grouped")


@pytest.mark.parametrize("data_format, shape", [("channels_last", (1, 6, 6, 4)), ("channels_first", (1, 4, 6, 6))])
def test_input_channels_must_divide_by_groups_and_nothing_is_built(data_format, shape):
    layer = layers.Conv2D(6, 3, groups=3, data_format=data_format, name="grouped")
    with pytest.raises(
        ValueError,
        match=r"^The number of input channels must be evenly divisible by the number of groups. "
        r"Received groups=3, but the input has 4 channels .*'grouped'",
    ):
        layer(np.zeros(shape))
    assert not layer.built and layer.weights == []


def ungrouped_equivalent(layer, x):
    """The grouped layer's output computed as `groups` separate Conv2D layers, one per block of channels."""
    channels_last = layer.data_format == "channels_last"
    x_blocks = np.split(x, layer.groups, axis=-1 if channels_last else 1)
    kernels = np.split(layer.kernel, layer.groups, axis=-1)
    biases = np.split(layer.bias, layer.groups) if layer.use_bias else [None] * layer.groups
    outputs = []
    for x_block, kernel, bias in zip(x_blocks, kernels, biases):
        single = layers.Conv2D.from_config(
            {**layer.get_config(), "name": None, "groups": 1, "filters": kernel.shape[-1]}
        )
        single.build_for(x_block.shape)
        single.set_weights([kernel] + ([bias] if bias is not None else []))
        outputs.append(single(x_block))
    return np.concatenate(outputs, axis=-1 if channels_last else 1)


GRADIENT_CASES = {
    "two_groups": ({"filters": 4, "kernel_size": 3, "groups": 2}, (2, 5, 6, 4)),
    "same_stride2": ({"filters": 6, "kernel_size": (2, 3), "strides": 2, "padding": "same", "groups": 3}, (2, 5, 6, 3)),
    "dilated": (
        {"filters": 4, "kernel_size": 2, "dilation_rate": (2, 1), "padding": "same", "groups": 2},
        (1, 5, 5, 2),
    ),
    "depthwise_tanh": ({"filters": 3, "kernel_size": 3, "groups": 3, "activation": "tanh"}, (2, 4, 4, 3)),
    "channels_first": ({"filters": 4, "kernel_size": 2, "groups": 2, "data_format": "channels_first"}, (2, 4, 4, 3)),
    "channels_first_same": (
        {
            "filters": 2,
            "kernel_size": 3,
            "strides": (1, 2),
            "padding": "same",
            "groups": 2,
            "data_format": "channels_first",
        },
        (1, 4, 4, 5),
    ),
}


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_groups_are_separate_convolutions_side_by_side(case):
    kwargs, shape = GRADIENT_CASES[case]
    rng = np.random.default_rng(3)
    layer = layers.Conv2D(**kwargs, dtype="float64")
    x = rng.normal(size=shape)
    layer.build_for(x.shape)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.weights])
    np.testing.assert_allclose(layer(x), ungrouped_equivalent(layer, x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", sorted(GRADIENT_CASES))
def test_gradients_match_central_differences(case):
    kwargs, shape = GRADIENT_CASES[case]
    rng = np.random.default_rng(4)
    layer = layers.Conv2D(**kwargs, dtype="float64")
    x = rng.normal(size=shape)
    layer.build_for(x.shape)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.weights])
    upstream = rng.normal(size=layer(x).shape)

    def loss():
        return float((layer.forward(x) * upstream).sum())

    layer.forward(x, training=True)
    grad_x = layer.backward(upstream)
    assert_gradients_close(grad_x, numerical_gradient(loss, x))
    for name in ("kernel", "bias"):
        assert_gradients_close(layer.grads[name], numerical_gradient(loss, getattr(layer, name)))


def test_a_grouped_layer_accepts_another_height_and_width():
    rng = np.random.default_rng(5)
    layer = layers.Conv2D(4, 3, padding="same", groups=2, dtype="float64")
    layer(rng.normal(size=(2, 5, 5, 4)))
    x = rng.normal(size=(1, 7, 3, 4))
    y = layer(x, training=True)
    assert y.shape == (1, 7, 3, 4)
    np.testing.assert_allclose(y, ungrouped_equivalent(layer, x), rtol=1e-12, atol=1e-12)
    assert layer.backward(np.ones_like(y)).shape == x.shape

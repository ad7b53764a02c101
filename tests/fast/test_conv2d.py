"""Conv2D's two ways to its input gradient: col2im over every kernel offset, and kernel row by
kernel row (stride 1, `Conv2D._input_gradient_by_rows`). Each is forced in turn and checked
against central differences in float64, in the layer and in the fused conv + pool step."""

import numpy as np
import pytest
from gradcheck import assert_gradients_close, numerical_gradient

from minikeras import layers
from minikeras.layers import fused
from minikeras.layers.convolutional import Conv2D

F64 = {"dtype": "float64"}

# name: (Conv2D arguments, input shape); stride 1 throughout, where both ways apply
GEOMETRIES = {
    "3x3_same": ({"filters": 3, "kernel_size": 3, "padding": "same"}, (2, 5, 6, 2)),
    "3x3_valid": ({"filters": 2, "kernel_size": 3}, (2, 6, 5, 3)),
    "2x2_same_pads_after_only": ({"filters": 3, "kernel_size": 2, "padding": "same"}, (2, 5, 4, 2)),
    "4x3_same_uneven": ({"filters": 2, "kernel_size": (4, 3), "padding": "same"}, (1, 6, 5, 2)),
    "1x3_valid": ({"filters": 2, "kernel_size": (1, 3)}, (2, 4, 6, 2)),
    "3x1_same": ({"filters": 2, "kernel_size": (3, 1), "padding": "same"}, (2, 5, 4, 2)),
    "5x5_same_no_bias": ({"filters": 2, "kernel_size": 5, "padding": "same", "use_bias": False}, (1, 6, 6, 2)),
    "one_filter": ({"filters": 1, "kernel_size": 3, "padding": "same"}, (2, 4, 5, 2)),
    "one_channel": ({"filters": 3, "kernel_size": 3, "padding": "same"}, (2, 5, 5, 1)),
    "channels_first": (
        {"filters": 2, "kernel_size": 3, "padding": "same", "data_format": "channels_first"},
        (2, 3, 5, 4),
    ),
}


def force(monkeypatch, by_rows: bool) -> None:
    monkeypatch.setattr(Conv2D, "_input_gradient_by_rows", lambda self: by_rows)


@pytest.mark.parametrize("by_rows", [True, False], ids=["by_rows", "col2im"])
@pytest.mark.parametrize("case", sorted(GEOMETRIES))
def test_input_and_weight_gradients_match_central_differences(case, by_rows, monkeypatch):
    force(monkeypatch, by_rows)
    arguments, input_shape = GEOMETRIES[case]
    rng = np.random.default_rng(5)
    layer = layers.Conv2D(**arguments, activation="tanh", **F64)
    x = rng.normal(size=input_shape)
    layer.build_for(x.shape)
    if layer.use_bias:
        layer.bias[...] = rng.normal(size=layer.bias.shape)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))

    def loss():
        return float((layer.forward(x, training=False) * upstream).sum())

    layer.forward(x, training=True)
    grad_x = layer.backward(upstream)
    assert grad_x.shape == x.shape
    assert_gradients_close(grad_x, numerical_gradient(loss, x))
    for name in layer.grads:
        assert_gradients_close(layer.grads[name], numerical_gradient(loss, getattr(layer, name)))


@pytest.mark.parametrize("case", sorted(GEOMETRIES))
def test_the_two_ways_agree_in_float32(case, monkeypatch):
    arguments, input_shape = GEOMETRIES[case]
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, *input_shape[1:])).astype(np.float32)
    layer = layers.Conv2D(**arguments)
    layer.build_for(x.shape)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape)).astype(np.float32)
    results = []
    for by_rows in (True, False):
        with monkeypatch.context() as patch:
            force(patch, by_rows)
            layer.forward(x, training=True)
            grad_x = layer.backward(upstream)
        assert grad_x.dtype == np.float32
        results.append(grad_x)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("by_rows", [True, False], ids=["by_rows", "col2im"])
@pytest.mark.parametrize(
    "input_shape, kernel_size",
    [((2, 5, 7, 2), 3), ((2, 6, 6, 3), 2), ((1, 7, 5, 2), (3, 2))],
    ids=["odd_rows_and_columns", "even_kernel", "rect_kernel_odd_rows"],
)
def test_fused_step_input_gradient_matches_central_differences(input_shape, kernel_size, by_rows, monkeypatch):
    # The fused step writes the pooled gradient into the width padding the row way wants,
    # with the row and column that pooling leaves out set to zero.
    force(monkeypatch, by_rows)
    rng = np.random.default_rng(7)
    conv = layers.Conv2D(3, kernel_size, padding="same", activation="relu", **F64)
    pool = layers.MaxPooling2D(2, **F64)
    x = rng.normal(size=input_shape)
    conv.build_for(x.shape)
    conv.bias[...] = rng.normal(size=conv.bias.shape)
    step = fused.ConvMaxPool(conv, pool)
    upstream = rng.normal(size=pool.compute_output_shape(conv.compute_output_shape(x.shape)))

    def loss():
        return float((step.forward(x, training=False) * upstream).sum())

    for _ in range(2):  # the second step reuses the work buffers the first one left
        step.forward(x, training=True)
        grad_x = step.backward(upstream)
    assert_gradients_close(grad_x, numerical_gradient(loss, x))


def test_which_convolutions_go_by_rows():
    def by_rows(channels, **arguments):
        layer = layers.Conv2D(**arguments)
        layer.build_for((1, 8, 8, channels))
        return layer._input_gradient_by_rows()

    assert by_rows(8, filters=16, kernel_size=3, padding="same")
    assert by_rows(8, filters=8, kernel_size=(1, 5))
    assert not by_rows(8, filters=17, kernel_size=3)  # more than twice the channels
    assert not by_rows(8, filters=8, kernel_size=3, strides=2)
    assert not by_rows(8, filters=8, kernel_size=3, dilation_rate=2)

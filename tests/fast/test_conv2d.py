"""minikeras.fast.conv2d: the fast step of a Conv2D against the layer's own forward and backward.

The step runs a large batch in chunks of samples (`chunk_values=`) and has two ways to the
input gradient: col2im over every kernel offset, and kernel row by kernel row (`by_rows=`,
stride 1 only). Each is forced in turn through those parameters and checked against
`Conv2D.forward` / `Conv2D.backward` and against central differences, in float64; and models
of each convolution train alike through `minikeras.config.fast_paths(False)`.
"""

import numpy as np
import pytest
from gradcheck import assert_step_gradients

import minikeras as keras
from minikeras import config, layers
from minikeras.fast import chunks
from minikeras.fast.conv2d import Conv2DStep, by_kernel_rows

F64 = {"dtype": "float64"}

CONVS = {
    "same_relu": lambda: layers.Conv2D(3, 3, padding="same", activation="relu", **F64),
    "valid_strided_sigmoid": lambda: layers.Conv2D(2, (3, 2), strides=(2, 1), activation="sigmoid", **F64),
    "dilated_no_bias": lambda: layers.Conv2D(2, 3, padding="same", dilation_rate=2, use_bias=False, **F64),
    "channels_first": lambda: layers.Conv2D(2, 3, padding="same", data_format="channels_first", **F64),
    "strided_same_tanh": lambda: layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh", **F64),
    "one_by_one_linear": lambda: layers.Conv2D(3, 1, **F64),
}

# name: (Conv2D arguments, input shape); stride 1 throughout, where both ways to dL/dx apply
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


def built(conv, input_shape, rng):
    """`conv` built for `input_shape`, with a non-zero bias so that it matters."""
    conv.build_for(input_shape)
    if conv.use_bias:
        conv.bias[...] = rng.normal(size=conv.bias.shape)
    return conv


def run(step, x, upstream, input_gradient=True):
    """Output, dL/dx (or None) and the conv's gradients of one forward and backward of `step`."""
    y = step.forward(x, training=True)
    grad_x = step.backward(upstream, input_gradient=input_gradient)
    return y, grad_x, {name: grad.copy() for name, grad in step.layer.grads.items()}


def run_layer(conv, x, upstream):
    """The same, through the reference `Conv2D.forward` and `Conv2D.backward`."""
    y = conv.forward(x, training=True)
    grad_x = conv.backward(upstream)
    return y, grad_x, {name: grad.copy() for name, grad in conv.grads.items()}


def assert_same(got, expected, rtol=1e-12):
    np.testing.assert_allclose(got[0], expected[0], rtol=rtol, atol=rtol)
    if got[1] is not None or expected[1] is not None:
        np.testing.assert_allclose(got[1], expected[1], rtol=rtol, atol=rtol)
    assert sorted(got[2]) == sorted(expected[2])
    for name in expected[2]:
        np.testing.assert_allclose(got[2][name], expected[2][name], rtol=rtol, atol=rtol)


def input_for(conv, rng, batch=7):
    shape = (batch, 2, 9, 8) if conv.data_format == "channels_first" else (batch, 9, 8, 2)
    return rng.normal(size=shape)


@pytest.mark.parametrize("case", sorted(CONVS))
def test_step_matches_the_layers_forward_and_backward(case):
    rng = np.random.default_rng(0)
    conv = CONVS[case]()
    x = input_for(conv, rng)
    built(conv, x.shape, rng)
    upstream = rng.normal(size=conv.compute_output_shape(x.shape))
    got = run(Conv2DStep(conv), x, upstream)
    assert got[1].shape == x.shape and got[1].dtype == np.float64
    assert_same(got, run_layer(conv, x, upstream))
    np.testing.assert_allclose(Conv2DStep(conv).forward(x, training=False), conv(x), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("input_gradient", [True, False])
@pytest.mark.parametrize("case", sorted(CONVS))
def test_in_chunks_matches_one_pass(case, input_gradient, monkeypatch):
    rng = np.random.default_rng(0)
    conv = CONVS[case]()
    x = input_for(conv, rng)
    built(conv, x.shape, rng)
    upstream = rng.normal(size=conv.compute_output_shape(x.shape))
    whole = run(Conv2DStep(conv), x, upstream, input_gradient)
    seen = []
    original = chunks.sample_chunks

    def counting(*args, **kwargs):  # observes how the batch is cut; chooses nothing
        seen.append(len(original(*args, **kwargs)))
        return original(*args, **kwargs)

    monkeypatch.setattr(chunks, "sample_chunks", counting)
    in_chunks = run(Conv2DStep(conv, chunk_values=1), x, upstream, input_gradient)
    assert seen == [7]  # one sample per chunk
    assert_same(in_chunks, whole)
    np.testing.assert_array_equal(in_chunks[0], whole[0])  # each output row is computed alike
    if not input_gradient:
        assert in_chunks[1] is None and whole[1] is None
    inference = Conv2DStep(conv, chunk_values=1).forward(x, training=False)
    np.testing.assert_allclose(inference, conv(x), rtol=1e-12, atol=1e-12)


def test_gradients_through_chunks_match_central_differences():
    rng = np.random.default_rng(2)
    conv = layers.Conv2D(2, 3, padding="same", activation="tanh", **F64)
    x = rng.normal(size=(3, 5, 4, 2))
    built(conv, x.shape, rng)
    step = Conv2DStep(conv, chunk_values=1)
    upstream = rng.normal(size=(3, 5, 4, 2))
    assert_step_gradients(step, conv, x, upstream, names=("kernel", "bias"))


@pytest.mark.parametrize("by_rows", [True, False], ids=["by_rows", "col2im"])
@pytest.mark.parametrize("case", sorted(GEOMETRIES))
def test_input_and_weight_gradients_match_central_differences(case, by_rows):
    arguments, input_shape = GEOMETRIES[case]
    rng = np.random.default_rng(5)
    layer = layers.Conv2D(**arguments, activation="tanh", **F64)
    x = rng.normal(size=input_shape)
    built(layer, x.shape, rng)
    step = Conv2DStep(layer, by_rows=by_rows)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape))
    assert_step_gradients(step, layer, x, upstream)
    assert_same(run(step, x, upstream), run_layer(layer, x, upstream))


@pytest.mark.parametrize("case", sorted(GEOMETRIES))
def test_the_two_ways_agree_in_float32(case):
    arguments, input_shape = GEOMETRIES[case]
    rng = np.random.default_rng(6)
    x = rng.normal(size=(3, *input_shape[1:])).astype(np.float32)
    layer = layers.Conv2D(**arguments)
    layer.build_for(x.shape)
    upstream = rng.normal(size=layer.compute_output_shape(x.shape)).astype(np.float32)
    results = []
    for by_rows in (True, False):
        grad_x = run(Conv2DStep(layer, by_rows=by_rows), x, upstream)[1]
        assert grad_x.dtype == np.float32
        results.append(grad_x)
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(results[0], run_layer(layer, x, upstream)[1], rtol=1e-5, atol=1e-5)


def test_which_convolutions_go_by_rows():
    def by_rows(channels, **arguments):
        layer = layers.Conv2D(**arguments)
        layer.build_for((1, 8, 8, channels))
        assert Conv2DStep(layer).by_rows is None  # the step's default: by_kernel_rows, decided in backward
        return by_kernel_rows(layer)

    assert by_rows(8, filters=16, kernel_size=3, padding="same")
    assert by_rows(8, filters=8, kernel_size=(1, 5))
    assert not by_rows(8, filters=17, kernel_size=3)  # more than twice the channels
    assert not by_rows(8, filters=8, kernel_size=3, strides=2)
    assert not by_rows(8, filters=8, kernel_size=3, dilation_rate=2)


def test_a_second_step_on_a_smaller_batch_gives_the_layers_numbers():
    # The work buffers the first step left are larger than the second step needs.
    rng = np.random.default_rng(3)
    conv = built(layers.Conv2D(3, 3, padding="same", activation="relu", **F64), (6, 7, 5, 2), rng)
    step = Conv2DStep(conv, chunk_values=4 * 7 * 5 * 22)
    for batch in (6, 3):
        x = rng.normal(size=(batch, 7, 5, 2))
        upstream = rng.normal(size=(batch, 7, 5, 3))
        assert_same(run(step, x, upstream), run_layer(conv, x, upstream))


def test_backward_needs_a_training_forward():
    conv = built(layers.Conv2D(2, 3, **F64), (1, 5, 5, 1), np.random.default_rng(4))
    step = Conv2DStep(conv)
    step.forward(np.ones((1, 5, 5, 1)), training=False)
    with pytest.raises(RuntimeError, match=f"'{conv.name}'.*training=True"):
        step.backward(np.ones((1, 3, 3, 2)))


@pytest.mark.parametrize("case", sorted(CONVS))
def test_a_model_of_the_convolution_trains_alike_through_the_switch(case):
    rng = np.random.default_rng(7)
    x = input_for(CONVS[case](), rng, batch=24)
    y = rng.integers(0, 3, 24)

    def trained():
        keras.utils.set_random_seed(0)
        model = keras.Sequential(
            [
                keras.Input(shape=x.shape[1:], dtype="float64"),
                CONVS[case](),
                layers.Flatten(**F64),
                layers.Dense(3, **F64),
            ]
        )
        model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="mse")
        history = model.fit(x, np.eye(3)[y], batch_size=8, epochs=2, shuffle=False, verbose=0)
        return model.get_weights(), history.history["loss"]

    fast = trained()
    with config.fast_paths(False):
        reference = trained()
    for a, b in zip(fast[0], reference[0], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fast[1], reference[1], rtol=1e-10)

"""Layer forward values, Keras's padding rules, weight shapes, names and configs."""

import numpy as np
import pytest

from minikeras import initializers, layers
from minikeras.utils import clear_session


def naive_conv2d(x, kernel, bias, stride, pad_top, pad_left, out_h, out_w):
    """The seed notebook's loops, channels_last: the reference the vectorized layer must equal."""
    n, h, w, c = x.shape
    kh, kw, _, f = kernel.shape
    padded = np.zeros((n, h + kh + stride * out_h, w + kw + stride * out_w, c))
    padded[:, pad_top : pad_top + h, pad_left : pad_left + w, :] = x
    out = np.zeros((n, out_h, out_w, f))
    for b in range(n):
        for i in range(out_h):
            for j in range(out_w):
                patch = padded[b, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
                out[b, i, j, :] = np.tensordot(patch, kernel, axes=([0, 1, 2], [0, 1, 2])) + bias
    return out


@pytest.mark.parametrize(
    "size, kernel, stride, padding, pad_top, out",
    [
        (6, 3, 1, "valid", 0, 4),
        (6, 3, 1, "same", 1, 6),
        (7, 3, 2, "valid", 0, 3),
        (6, 3, 2, "same", 0, 3),  # total padding 1: none before, one after (Keras/TF rule)
        (7, 3, 2, "same", 1, 4),  # total padding 2: one each side
        (5, 4, 2, "same", 1, 3),  # total padding 3: one before, two after
    ],
)
def test_conv2d_forward_equals_the_seed_loops_with_keras_padding(size, kernel, stride, padding, pad_top, out):
    rng = np.random.default_rng(0)
    layer = layers.Conv2D(3, kernel, strides=stride, padding=padding, dtype="float64")
    x = rng.normal(size=(2, size, size, 2))
    y = layer(x)
    layer.bias[...] = rng.normal(size=3)
    y = layer(x)
    expected = naive_conv2d(x, layer.kernel, layer.bias, stride, pad_top, pad_top, out, out)
    assert y.shape == (2, out, out, 3)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_conv2d_same_stride2_puts_the_extra_padding_bottom_right():
    layer = layers.Conv2D(1, 3, strides=2, padding="same", kernel_initializer="ones", dtype="float64")
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    y = layer(x)
    # Total padding 1 goes after: the first window is rows 0-2, cols 0-2 of the input.
    assert y[0, 0, 0, 0] == x[0, 0:3, 0:3, 0].sum() == 45
    # The last window covers rows 2-3 and cols 2-3 plus the zero padding.
    assert y[0, 1, 1, 0] == x[0, 2:4, 2:4, 0].sum()


def test_maxpool_same_pads_after_and_ignores_padding():
    x = -np.arange(25, dtype=np.float64).reshape(1, 5, 5, 1)  # all <= 0: zero padding would win
    y = layers.MaxPooling2D(2, padding="same", dtype="float64")(x)
    assert y.shape == (1, 3, 3, 1)
    assert y[0, 0, 0, 0] == 0  # window rows 0-1, cols 0-1
    assert y[0, 2, 2, 0] == -24  # window is just the last pixel: padding never wins


def test_maxpool_backward_routes_ties_to_the_first_maximum():
    layer = layers.MaxPooling2D(2, dtype="float64")
    x = np.ones((1, 2, 2, 1))
    layer.forward(x, training=True)
    grad = layer.backward(np.ones((1, 1, 1, 1)))
    np.testing.assert_array_equal(grad[0, :, :, 0], [[1, 0], [0, 0]])


def test_maxpool_strides_default_to_pool_size():
    assert layers.MaxPooling2D(3).strides == (3, 3)
    assert layers.MaxPooling2D((2, 3), strides=1).strides == (1, 1)


def test_flatten_is_row_major_over_height_width_channels():
    x = np.arange(2 * 2 * 3, dtype=np.float32).reshape(1, 2, 2, 3)
    np.testing.assert_array_equal(layers.Flatten()(x)[0], np.arange(12))
    channels_first = np.moveaxis(x, -1, 1)
    np.testing.assert_array_equal(layers.Flatten(data_format="channels_first")(channels_first)[0], np.arange(12))


def test_weight_shapes_are_keras_shapes():
    conv = layers.Conv2D(8, (3, 5))
    conv.build_for((None, 28, 28, 3))
    assert [w.shape for w in conv.get_weights()] == [(3, 5, 3, 8), (8,)]
    dense = layers.Dense(10)
    dense.build_for((None, 784))
    assert [w.shape for w in dense.get_weights()] == [(784, 10), (10,)]
    assert layers.Dense(4, use_bias=False)(np.ones((1, 3))).shape == (1, 4)


def test_default_initializers_are_glorot_uniform_and_zeros():
    dense = layers.Dense(50)
    dense.build_for((None, 30))
    limit = np.sqrt(6 / (30 + 50))
    assert np.abs(dense.kernel).max() <= limit
    assert np.abs(dense.kernel).max() > 0.8 * limit
    assert not dense.bias.any()
    assert isinstance(dense.kernel_initializer, initializers.GlorotUniform)


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


@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.Dense(3, activation="tanh", use_bias=False, kernel_initializer="he_normal"),
        lambda: layers.Conv2D(4, (2, 3), strides=(2, 1), padding="same", activation="relu"),
        lambda: layers.MaxPooling2D(3, strides=2, padding="same"),
        lambda: layers.Flatten(),
        lambda: layers.ReLU(max_value=6.0),
        lambda: layers.Softmax(axis=1),
        lambda: layers.Activation("sigmoid"),
    ],
)
def test_config_round_trip_makes_a_twin(make):
    layer = make()
    twin = type(layer).from_config(layer.get_config())
    assert twin.get_config() == layer.get_config()


def test_set_weights_checks_count_and_shapes_before_writing():
    layer = layers.Dense(3)
    layer.build_for((None, 2))
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"expects 2 weight arrays.*received 1"):
        layer.set_weights([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"'bias' has shape \(3,\).*\(4,\)"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(4)])
    for old, new in zip(before, layer.get_weights()):
        np.testing.assert_array_equal(old, new)
    layer.set_weights([np.ones((2, 3)), np.ones(3)])
    assert layer.kernel.sum() == 6


def test_layer_call_rejects_an_input_of_the_wrong_rank_or_shape():
    conv = layers.Conv2D(2, 3)
    with pytest.raises(ValueError, match=r"conv2d.*rank 4"):
        conv(np.ones((2, 5, 5)))
    conv(np.ones((1, 5, 5, 1)))
    with pytest.raises(ValueError, match=r"expected \(1, 5, 5, 1\), received \(1, 5, 5, 3\)"):
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
        (lambda: layers.Dropout(1.0), r"rate of layer 'dropout.*' must be a number in \[0, 1\). Received: rate=1.0"),
        (lambda: layers.Dropout(-0.2), r"Received: rate=-0.2"),
    ],
)
def test_invalid_constructor_arguments_are_refused_with_the_argument_named(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_kernel_larger_than_a_valid_input_is_refused():
    with pytest.raises(ValueError, match="does not fit the input"):
        layers.Conv2D(2, 5).compute_output_shape((None, 3, 3, 1))


@pytest.mark.parametrize("pool, strides", [(2, 2), (3, 3), ((2, 3), (2, 3)), (3, 2), (2, 1)])
def test_maxpool_forward_equals_a_loop_over_windows(pool, strides):
    """The reference: the seed notebook's window loop, channels_last."""
    layer = layers.MaxPooling2D(pool, strides=strides, dtype="float64")
    x = np.random.default_rng(1).normal(size=(2, 7, 8, 3))
    y = layer(x)
    ph, pw = layer.pool_size
    sh, sw = layer.strides
    expected = np.empty(y.shape)
    for i in range(y.shape[1]):
        for j in range(y.shape[2]):
            expected[:, i, j, :] = x[:, i * sh : i * sh + ph, j * sw : j * sw + pw, :].max(axis=(1, 2))
    np.testing.assert_array_equal(y, expected)

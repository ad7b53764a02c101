"""Max, average and global pooling against plain loops over windows; channels_first; Keras's "same"
padding and averages; max pooling's ties."""

import numpy as np
import pytest

from minikeras import layers


def average_windows_loop(x, pool, strides, pads, out_hw):
    """The reference: for every output, the mean of the real (unpadded) pixels of its window."""
    (ph, pw), (sh, sw), (top, left) = pool, strides, pads
    n, h, w, c = x.shape
    out = np.empty((n, *out_hw, c))
    for i in range(out_hw[0]):
        for j in range(out_hw[1]):
            rows = slice(max(i * sh - top, 0), min(i * sh - top + ph, h))
            cols = slice(max(j * sw - left, 0), min(j * sw - left + pw, w))
            out[:, i, j, :] = x[:, rows, cols, :].mean(axis=(1, 2))
    return out


@pytest.mark.parametrize(
    "pool, strides, padding, size, pads, out_hw",
    [
        (2, None, "valid", (6, 7), (0, 0), (3, 3)),
        (3, 2, "valid", (7, 8), (0, 0), (3, 3)),
        ((2, 3), (1, 2), "valid", (5, 7), (0, 0), (4, 3)),
        (2, None, "same", (5, 5), (0, 0), (3, 3)),  # total padding 1: after only
        (3, 1, "same", (4, 5), (1, 1), (4, 5)),
        (3, 2, "same", (6, 7), (0, 1), (3, 4)),  # rows: total 1 (after); cols: total 2 (one each side)
    ],
)
def test_average_pooling_equals_a_loop_over_windows_and_never_counts_padding(
    pool, strides, padding, size, pads, out_hw
):
    layer = layers.AveragePooling2D(pool, strides=strides, padding=padding, dtype="float64")
    x = np.random.default_rng(0).normal(size=(2, *size, 3))
    y = layer(x)
    expected = average_windows_loop(x, layer.pool_size, layer.strides, pads, out_hw)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)


def test_same_average_of_a_corner_window_with_one_real_pixel_is_that_pixel():
    x = np.arange(25, dtype=np.float64).reshape(1, 5, 5, 1)
    y = layers.AveragePooling2D(2, padding="same", dtype="float64")(x)
    assert y[0, 2, 2, 0] == 24  # a zero-counting average would give 6
    assert y[0, 0, 0, 0] == np.mean([0, 1, 5, 6])


@pytest.mark.parametrize(
    "make",
    [
        lambda f: layers.AveragePooling2D(3, strides=2, padding="same", data_format=f, dtype="float64"),
        lambda f: layers.AveragePooling2D((2, 3), data_format=f, dtype="float64"),
        lambda f: layers.GlobalAveragePooling2D(data_format=f, dtype="float64"),
        lambda f: layers.GlobalMaxPooling2D(data_format=f, keepdims=True, dtype="float64"),
        lambda f: layers.ZeroPadding2D(((1, 0), (2, 1)), data_format=f, dtype="float64"),
    ],
)
def test_channels_first_equals_channels_last_transposed(make):
    x = np.random.default_rng(1).normal(size=(2, 7, 6, 3))
    last, first = make("channels_last"), make("channels_first")
    y_last = last(x)
    y_first = first(np.moveaxis(x, -1, 1))
    expected = np.moveaxis(y_last, -1, 1) if y_last.ndim == 4 else y_last
    np.testing.assert_allclose(y_first, expected, rtol=1e-12)
    upstream = np.random.default_rng(2).normal(size=y_last.shape)
    last.forward(x, training=True)
    first.forward(np.moveaxis(x, -1, 1), training=True)
    grad_last = last.backward(upstream)
    grad_first = first.backward(np.moveaxis(upstream, -1, 1) if upstream.ndim == 4 else upstream)
    np.testing.assert_allclose(grad_first, np.moveaxis(grad_last, -1, 1), rtol=1e-12)


@pytest.mark.parametrize("keepdims", [False, True])
def test_global_pooling_is_the_mean_and_max_over_height_and_width(keepdims):
    x = np.random.default_rng(3).normal(size=(2, 4, 5, 3))
    mean = layers.GlobalAveragePooling2D(keepdims=keepdims, dtype="float64")(x)
    maximum = layers.GlobalMaxPooling2D(keepdims=keepdims, dtype="float64")(x)
    np.testing.assert_allclose(mean, x.mean(axis=(1, 2), keepdims=keepdims), rtol=1e-12)
    np.testing.assert_array_equal(maximum, x.max(axis=(1, 2), keepdims=keepdims))
    assert mean.shape == ((2, 1, 1, 3) if keepdims else (2, 3))


def test_global_max_pooling_shares_the_gradient_between_tied_maxima():
    layer = layers.GlobalMaxPooling2D(dtype="float64")
    x = np.array([[[[1.0], [3.0]], [[3.0], [3.0]]]])  # three pixels share the maximum
    layer.forward(x, training=True)
    grad = layer.backward(np.array([[6.0]]))
    np.testing.assert_array_equal(grad[0, :, :, 0], [[0, 2], [2, 2]])


def test_strides_default_to_pool_size():
    assert layers.AveragePooling2D(3).strides == (3, 3)
    assert layers.AveragePooling2D((2, 3), strides=1).strides == (1, 1)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: layers.AveragePooling2D(0, name="avg"), r"The `pool_size` argument must be.*pool_size=0.*'avg'"),
        (lambda: layers.AveragePooling2D(2, strides=(1, 0), name="avg"), r"The `strides` argument must be.*'avg'"),
        (lambda: layers.AveragePooling2D(2, padding="full", name="avg"), r"The `padding` argument.*'full'.*'avg'"),
        (lambda: layers.AveragePooling2D(2, data_format="NHWC", name="avg"), r"`data_format`.*'NHWC'.*'avg'"),
        (lambda: layers.GlobalAveragePooling2D(data_format="last", name="gap"), r"The `data_format` argument.*'gap'"),
        (lambda: layers.GlobalMaxPooling2D(keepdims="yes", name="gmp"), r"keepdims of layer 'gmp'.*'yes'"),
    ],
)
def test_invalid_pooling_arguments_are_refused_naming_the_layer(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_a_window_larger_than_a_valid_input_is_refused():
    with pytest.raises(ValueError, match="does not fit the input"):
        layers.AveragePooling2D(4).compute_output_shape((None, 3, 3, 1))


def test_global_pooling_needs_a_rank_4_input():
    with pytest.raises(ValueError, match=r"global_average_pooling2d.* incompatible .* expected ndim=4, found ndim=3"):
        layers.GlobalAveragePooling2D()(np.ones((2, 3, 4)))


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


@pytest.mark.parametrize("pool, strides", [(2, 2), (3, 3), ((2, 3), (2, 3)), (3, 2), (2, 1)])
def test_maxpool_forward_equals_a_loop_over_windows(pool, strides):
    """The reference: a window-by-window loop, channels_last."""
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

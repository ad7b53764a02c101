"""Conv2D against a window-by-window loop, with Keras's padding rules."""

import numpy as np
import pytest

from minikeras import layers


def naive_conv2d(x, kernel, bias, stride, pad_top, pad_left, out_h, out_w):
    """A window-by-window loop, channels_last: the reference the vectorized layer must equal."""
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
def test_conv2d_forward_equals_a_window_loop_with_keras_padding(size, kernel, stride, padding, pad_top, out):
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


def test_kernel_larger_than_a_valid_input_is_refused():
    with pytest.raises(ValueError, match="does not fit the input"):
        layers.Conv2D(2, 5).compute_output_shape((None, 3, 3, 1))

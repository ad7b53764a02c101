"""minikeras.ops.windows, the reference window kernels: im2col is the windows of the input, col2im its
adjoint, pad_spatial and crop_spatial undo each other. Each is checked against a Python loop over
the windows, slow and obviously right."""

import numpy as np
import pytest

from minikeras import ops


def window_loop_im2col(x_padded, kernel_size, strides, dilation, out_hw):
    """Window by window, in Python loops."""
    n, _, _, c = x_padded.shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, strides, dilation, out_hw
    rows = []
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                window = x_padded[b, i * sh : i * sh + (kh - 1) * dh + 1 : dh, j * sw : j * sw + (kw - 1) * dw + 1 : dw]
                rows.append(window.reshape(-1))
    return np.array(rows).reshape(n * oh * ow, kh * kw * c)


def window_loop_col2im(grad_cols, padded_shape, kernel_size, strides, dilation, out_hw):
    """Window by window, in Python loops: each window's gradient added to the pixels it saw."""
    n, _, _, c = padded_shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, strides, dilation, out_hw
    grad = np.zeros(padded_shape)
    by_window = grad_cols.reshape(n, oh, ow, kh, kw, c)
    for b in range(n):
        for y in range(oh):
            for x in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        grad[b, y * sh + i * dh, x * sw + j * dw] += by_window[b, y, x, i, j]
    return grad


def out_hw_of(hw, kernel, strides, dilation):
    return tuple(ops.output_length(length, k, s, "valid", d) for length, k, s, d in zip(hw, kernel, strides, dilation))


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("strides, dilation", [((1, 1), (1, 1)), ((2, 1), (1, 1)), ((1, 1), (2, 2))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_im2col_rows_are_the_windows(channels, strides, dilation, dtype):
    x = np.random.default_rng(0).normal(size=(2, 7, 6, channels)).astype(dtype)
    kernel = (3, 2)
    out_hw = out_hw_of((7, 6), kernel, strides, dilation)
    cols = ops.im2col(x, kernel, strides, dilation, out_hw)
    assert cols.dtype == dtype
    np.testing.assert_array_equal(cols, window_loop_im2col(x, kernel, strides, dilation, out_hw))


@pytest.mark.parametrize("layout", ["channels_first", "strided_channels"])
def test_im2col_of_a_strided_input(layout):
    rng = np.random.default_rng(4)
    if layout == "channels_first":  # a (N, C, H, W) array seen as channels_last: channels strided
        x = np.moveaxis(rng.normal(size=(2, 3, 9, 8)), 1, -1)
    else:  # every other channel
        x = rng.normal(size=(2, 9, 8, 6))[..., ::2]
    np.testing.assert_array_equal(
        ops.im2col(x, (3, 3), (1, 1), (1, 1), (7, 6)), window_loop_im2col(x, (3, 3), (1, 1), (1, 1), (7, 6))
    )


@pytest.mark.parametrize("channels", [1, 4])
@pytest.mark.parametrize("strides, dilation", [((2, 1), (1, 1)), ((1, 1), (2, 1))])
def test_col2im_is_the_adjoint_of_im2col(channels, strides, dilation):
    """<im2col(x), g> == <x, col2im(g)> for every x and g: the defining property of the adjoint."""
    rng = np.random.default_rng(1)
    shape, kernel = (2, 8, 7, channels), (3, 3)
    out_hw = out_hw_of(shape[1:3], kernel, strides, dilation)
    x = rng.normal(size=shape)
    cols = ops.im2col(x, kernel, strides, dilation, out_hw)
    g = rng.normal(size=cols.shape)
    back = ops.col2im(g, shape, kernel, strides, dilation, out_hw)
    assert back.shape == shape
    np.testing.assert_allclose(np.sum(cols * g), np.sum(x * back), rtol=1e-12)


@pytest.mark.parametrize(
    "kernel, strides, dilation",
    [
        ((3, 3), (1, 1), (1, 1)),
        ((3, 1), (1, 1), (1, 1)),
        ((3, 3), (2, 1), (1, 1)),  # strided rows
        ((2, 3), (3, 2), (1, 1)),  # windows leave the last rows and columns out
        ((3, 3), (1, 1), (2, 2)),  # dilated
    ],
)
def test_col2im_against_the_window_loop(kernel, strides, dilation):
    rng = np.random.default_rng(7)
    padded_shape = (2, 8, 7, 3)
    out_hw = out_hw_of(padded_shape[1:3], kernel, strides, dilation)
    grad_cols = rng.normal(size=(2 * out_hw[0] * out_hw[1], kernel[0] * kernel[1] * 3))
    kept = grad_cols.copy()
    grad = ops.col2im(grad_cols, padded_shape, kernel, strides, dilation, out_hw)
    expected = window_loop_col2im(grad_cols, padded_shape, kernel, strides, dilation, out_hw)
    np.testing.assert_allclose(grad, expected, rtol=1e-13, atol=1e-13)
    np.testing.assert_array_equal(grad_cols, kept)  # read, never written


@pytest.mark.parametrize("value", [0.0, -np.inf])
@pytest.mark.parametrize("pads", [((1, 2), (2, 1)), ((0, 0), (1, 0)), ((3, 0), (0, 0))])
def test_pad_spatial_fills_the_border_and_crop_spatial_takes_it_off(value, pads):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4, 2))
    padded = ops.pad_spatial(x, pads, value)
    (top, bottom), (left, right) = pads
    assert padded.shape == (2, 3 + top + bottom, 4 + left + right, 2) and padded.dtype == x.dtype
    border = np.ones(padded.shape, bool)
    border[:, top : top + 3, left : left + 4] = False
    assert np.all(padded[border] == value)
    np.testing.assert_array_equal(padded[:, top : top + 3, left : left + 4], x)
    np.testing.assert_array_equal(ops.crop_spatial(padded, pads, (3, 4)), x)


def test_no_padding_returns_the_input_itself():
    x = np.ones((1, 2, 2, 1))
    assert ops.pad_spatial(x, ((0, 0), (0, 0))) is x
    assert ops.crop_spatial(x, ((0, 0), (0, 0)), (2, 2)) is x


@pytest.mark.parametrize(
    "length, window, stride, padding, dilation, expected_length, expected_pads",
    [
        (7, 3, 1, "valid", 1, 5, (0, 0)),
        (7, 3, 1, "same", 1, 7, (1, 1)),
        (7, 3, 2, "same", 1, 4, (1, 1)),
        (6, 3, 2, "same", 1, 3, (0, 1)),  # odd total padding: the extra one after, as Keras
        (6, 2, 1, "same", 1, 6, (0, 1)),
        (7, 3, 1, "valid", 2, 3, (0, 0)),
        (7, 3, 1, "same", 2, 7, (2, 2)),
        (2, 3, 1, "valid", 1, 0, (0, 0)),
    ],
)
def test_output_length_and_padding_amounts_follow_keras(
    length, window, stride, padding, dilation, expected_length, expected_pads
):
    assert ops.output_length(length, window, stride, padding, dilation) == expected_length
    assert ops.padding_amounts(length, window, stride, padding, dilation) == expected_pads

"""minikeras.ops.windows: im2col is the windows of the input, col2im its adjoint."""

import numpy as np
import pytest

from minikeras import ops
from minikeras.ops import windows


def _reference_im2col(x_padded, kernel_size, strides, dilation, out_hw):
    """Window by window, in Python loops: slow and obviously right."""
    n, _, _, c = x_padded.shape
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel_size, strides, dilation, out_hw
    rows = []
    for b in range(n):
        for i in range(oh):
            for j in range(ow):
                rows.append(x_padded[b, i * sh : i * sh + (kh - 1) * dh + 1 : dh, j * sw : j * sw + (kw - 1) * dw + 1 : dw, :].reshape(-1))
    return np.array(rows).reshape(n * oh * ow, kh * kw * c)


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("strides, dilation", [((1, 1), (1, 1)), ((2, 1), (1, 1)), ((1, 1), (2, 2))])
@pytest.mark.parametrize("ones_column", [False, True])
def test_im2col_rows_are_the_windows(channels, strides, dilation, ones_column):
    x = np.random.default_rng(0).normal(size=(2, 7, 6, channels)).astype(np.float32)
    kernel = (3, 2)
    out_hw = tuple(ops.output_length(length, k, s, "valid", d) for length, k, s, d in zip((7, 6), kernel, strides, dilation))
    cols = windows.im2col(x, kernel, strides, dilation, out_hw, ones_column=ones_column)
    expected = _reference_im2col(x, kernel, strides, dilation, out_hw)
    if ones_column:
        expected = np.concatenate([expected, np.ones((len(expected), 1), np.float32)], axis=1)
    np.testing.assert_array_equal(cols, expected)


@pytest.mark.parametrize("channels", [1, 4])
def test_col2im_is_the_adjoint_of_im2col(channels):
    """<im2col(x), g> == <x, col2im(g)> for every x and g: the defining property of the adjoint."""
    rng = np.random.default_rng(1)
    shape, kernel, strides, dilation = (2, 8, 7, channels), (3, 3), (2, 1), (1, 1)
    out_hw = tuple(ops.output_length(length, k, s, "valid", d) for length, k, s, d in zip(shape[1:3], kernel, strides, dilation))
    x = rng.normal(size=shape)
    cols = windows.im2col(x, kernel, strides, dilation, out_hw)
    g = rng.normal(size=cols.shape)
    offset_major = g.reshape(-1, 9, channels).transpose(1, 0, 2)  # col2im takes (kh * kw, rows, C)
    back = windows.col2im(offset_major, shape, kernel, strides, dilation, out_hw)
    np.testing.assert_allclose(np.sum(cols * g), np.sum(x * back), rtol=1e-12)
